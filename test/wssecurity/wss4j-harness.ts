// Compiles and runs test/wssecurity/java/Wss4jTool.java against the Debian WSS4J 1.6 jars (see README.md).
// Shared by the WSS4J interop test and bench/wssecurity.ts.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { javaLibDir, WSS4J_JARS } from '../support/reference-systems';

export { WSS4J_JARS };
const JAVA_DIR = javaLibDir();

export interface Wss4jHarness {
  readonly workDir: string;
  /** Writes a file into the work directory and returns its path. */
  file(name: string, content: string | Buffer): string;
  send(args: Record<string, string>): { output: string; stdout: string };
  receive(args: Record<string, string>): { output: string; stdout: string };
  /** Runs many jobs in one JVM; per job its output document, its report lines, or its error. */
  batch(jobs: readonly Wss4jJob[]): Wss4jJobResult[];
  /** Removes the work directory (compiled classes, keystores, messages). */
  close(): void;
}

export interface Wss4jJob {
  readonly command: 'send' | 'receive';
  readonly args: Record<string, string>;
}

export interface Wss4jJobResult {
  readonly output: string | undefined;
  readonly report: string[];
  readonly error: string | undefined;
}

/** Compiles the harness once into a temp directory; throws with the apt package to install when jars are missing. */
export function compileWss4jHarness(): Wss4jHarness {
  const missing = WSS4J_JARS.filter((jar) => !existsSync(path.join(JAVA_DIR, jar)));
  if (missing.length > 0) {
    throw new Error(
      `WSS4J jars missing in ${JAVA_DIR}: ${missing.join(', ')}. Install the Debian package libwss4j-java (see .ci/apt-packages.txt).`,
    );
  }
  const classpath = WSS4J_JARS.map((jar) => path.join(JAVA_DIR, jar)).join(path.delimiter);
  const workDir = mkdtempSync(path.join(tmpdir(), 'wss4j-'));
  const close = () => rmSync(workDir, { recursive: true, force: true });
  try {
    execFileSync(
      'javac',
      ['-nowarn', '-cp', classpath, '-d', workDir, path.join(__dirname, 'java', 'Wss4jTool.java')],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
  } catch (error) {
    close();
    throw error;
  }
  const runClasspath = `${workDir}${path.delimiter}${classpath}`;
  let counter = 0;
  const run = (command: string, args: Record<string, string>) => {
    const out = path.join(workDir, `out-${++counter}.xml`);
    const argv = ['-cp', runClasspath, 'Wss4jTool', command, ...Object.entries({ ...args, '--out': out }).flat()];
    let stdout: string;
    try {
      stdout = execFileSync('java', argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      const e = error as { stderr?: string; stdout?: string };
      throw new Error(`WSS4J ${command} failed: ${(e.stderr ?? '').split('\n').slice(0, 8).join('\n')}`, {
        cause: error,
      });
    }
    return { output: readFileSync(out, 'utf8'), stdout };
  };
  const batch = (jobs: readonly Wss4jJob[]): Wss4jJobResult[] => {
    const outs = jobs.map(() => path.join(workDir, `out-${++counter}.xml`));
    const script = jobs
      .map((job, i) => [job.command, ...Object.entries({ ...job.args, '--out': outs[i]! }).flat()].join('\t'))
      .join('\n');
    const scriptPath = path.join(workDir, `batch-${++counter}.txt`);
    writeFileSync(scriptPath, script);
    const stdout = execFileSync('java', ['-cp', runClasspath, 'Wss4jTool', 'batch', scriptPath], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return jobs.map((_, i) => {
      const lines = stdout
        .split('\n')
        .filter((l) => l.startsWith(`[${i}] `))
        .map((l) => l.slice(`[${i}] `.length));
      const error = lines.find((l) => l.startsWith('ERROR '));
      return {
        output: error ? undefined : readFileSync(outs[i]!, 'utf8'),
        report: lines.filter((l) => l !== 'OK' && !l.startsWith('ERROR ')),
        error: error ?? (lines.includes('OK') ? undefined : 'no result'),
      };
    });
  };
  return {
    workDir,
    batch,
    close,
    file(name, content) {
      const p = path.join(workDir, name);
      writeFileSync(p, content);
      return p;
    },
    send: (args) => run('send', args),
    receive: (args) => run('receive', args),
  };
}
