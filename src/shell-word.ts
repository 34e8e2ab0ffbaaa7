// One word of a command line we print for a person to paste into a POSIX shell: quoted when it holds anything a
// shell would read specially (spaces, $, `, ;, quotes), so that a file or renewal name cannot run a command.

export function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
