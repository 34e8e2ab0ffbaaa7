// iFlow bundles are zip archives: the emulator writes them, the tenant client reads them. fflate does the zip
// format; this file holds what the project adds: the size limit (a bundle comes from the tenant, and a small archive
// can unzip to gigabytes) and one error that says what is wrong.
import { unzipSync, zipSync, type UnzipFileInfo, type Zippable } from 'fflate';

export interface ZipEntry {
  readonly name: string;
  readonly data: Buffer;
}

/** A bundle larger than this is refused before it is inflated (a zip bomb would otherwise fill the memory). */
export const MAX_UNZIPPED_BYTES = 16 * 1024 * 1024;

/** A deflated zip archive of the entries, in their order, with UTF-8 names. */
export function writeZip(entries: readonly ZipEntry[], modified: Date = new Date()): Buffer {
  const files: Zippable = {};
  for (const entry of entries) files[entry.name] = [new Uint8Array(entry.data), { mtime: modified }];
  return Buffer.from(zipSync(files, { level: 6 }));
}

/** The entries of a zip archive (directories left out); throws an Error saying what is wrong with it. */
export function readZip(zip: Buffer): ZipEntry[] {
  let declared = 0;
  const sizes = new Map<string, number>();
  // fflate inflates each entry into a buffer of the size its header declares: capping the declared sizes caps memory.
  const admit = (file: UnzipFileInfo): boolean => {
    declared += file.originalSize;
    if (declared > MAX_UNZIPPED_BYTES) throw new TooLarge();
    sizes.set(file.name, file.originalSize);
    return !file.name.endsWith('/');
  };
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(new Uint8Array(zip), { filter: admit });
  } catch (error) {
    const why = error instanceof TooLarge ? `more than ${MAX_UNZIPPED_BYTES} bytes unzipped` : (error as Error).message;
    throw new Error(`not a readable zip archive: ${why}`, { cause: error });
  }
  return Object.entries(files).map(([name, data]) => {
    if (data.length !== sizes.get(name))
      throw new Error(`not a readable zip archive: ${name} does not unzip to the size its header declares`);
    return { name, data: Buffer.from(data) };
  });
}

class TooLarge extends Error {}
