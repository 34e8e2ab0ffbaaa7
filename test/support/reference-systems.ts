// Reference systems: third-party software some suites check our output against (Java's own X.509 and PKCS#12
// readers, Apache WSS4J, OpenSSL's PKCS#12 reader, a real PostgreSQL for Terraform's pg backend, OpenSSH's
// ssh-keygen as the signer of SSH-signed confirmations). A fresh machine may lack them. Under CI
// they are required: a suite never skips there, so a missing one fails the run. Elsewhere the suite is skipped
// with a reason naming what is missing and the command that installs it; scripts/run-tests.mjs lists them at the
// end. Nothing else may skip.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export type ReferenceSystemId = 'java' | 'wss4j' | 'openssl' | 'postgresql' | 'ssh-keygen';

export interface ReferenceSystem {
  readonly id: ReferenceSystemId;
  /** What it is, as the summary names it. */
  readonly name: string;
  /** Debian command that installs it. */
  readonly install: string;
  /** What is missing on this machine, or undefined when it is all there. */
  readonly missing: string | undefined;
}

/** The prefix of every skip reason this module gives; the test runner counts only these as allowed skips. */
export const REFERENCE_SKIP_PREFIX = 'reference system missing';

/** Jars of the WSS4J harness (test/wssecurity/wss4j-harness.ts), all from Debian packages. */
export const WSS4J_JARS = ['wss4j.jar', 'xmlsec.jar', 'commons-logging.jar', 'slf4j-api.jar', 'slf4j-nop.jar'];

/** Where the Debian jars are; CPI_JAVA_LIB_DIR points elsewhere. */
export function javaLibDir(): string {
  return process.env.CPI_JAVA_LIB_DIR ?? '/usr/share/java';
}

function onPath(program: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    if (dir === '') return false;
    try {
      return statSync(join(dir, program)).isFile();
    } catch {
      return false;
    }
  });
}

function missingPrograms(programs: readonly string[]): string | undefined {
  const absent = programs.filter((p) => !onPath(p));
  return absent.length > 0 ? `${absent.join(', ')} not on PATH` : undefined;
}

/** Debian keeps the PostgreSQL server programs in /usr/lib/postgresql/<major>/bin (scripts/start-postgres.sh too). */
function postgresServerFound(): boolean {
  if (onPath('initdb') && onPath('pg_ctl')) return true;
  try {
    return readdirSync('/usr/lib/postgresql').some(
      (major) =>
        existsSync(join('/usr/lib/postgresql', major, 'bin', 'initdb')) &&
        existsSync(join('/usr/lib/postgresql', major, 'bin', 'pg_ctl')),
    );
  } catch {
    return false;
  }
}

const JAVA_INSTALL = 'apt-get install openjdk-17-jdk-headless';

function detect(id: ReferenceSystemId): ReferenceSystem {
  switch (id) {
    case 'java':
      return {
        id,
        name: 'Java 17 JDK (java, javac, keytool)',
        install: JAVA_INSTALL,
        missing: missingPrograms(['java', 'javac', 'keytool']),
      };
    case 'wss4j': {
      const jars = WSS4J_JARS.filter((jar) => !existsSync(join(javaLibDir(), jar)));
      const missing = [
        missingPrograms(['java', 'javac']),
        jars.length > 0 ? `${jars.join(', ')} not in ${javaLibDir()}` : undefined,
      ].filter((m) => m !== undefined);
      return {
        id,
        name: 'Apache WSS4J 1.6 (Java 17 JDK + Debian libwss4j-java)',
        install: `${JAVA_INSTALL} libwss4j-java`,
        missing: missing.length > 0 ? missing.join('; ') : undefined,
      };
    }
    case 'openssl':
      return {
        id,
        name: 'OpenSSL 3 (openssl command)',
        install: 'apt-get install openssl',
        missing: missingPrograms(['openssl']),
      };
    case 'ssh-keygen':
      // the reference signer of signed confirmations (ssh-keygen -Y sign, OpenSSH 8.1 or later)
      return {
        id,
        name: 'OpenSSH ssh-keygen (SSH signatures)',
        install: 'apt-get install openssh-client',
        missing: missingPrograms(['ssh-keygen']),
      };
    case 'postgresql': {
      // psql runs the tests' queries; the server is needed only when no cluster is given
      const missing = [
        missingPrograms(['psql']),
        process.env.CPI_TEST_PG_CONN_STR || postgresServerFound()
          ? undefined
          : 'initdb/pg_ctl neither on PATH nor in /usr/lib/postgresql/*/bin, and CPI_TEST_PG_CONN_STR is not set',
      ].filter((m) => m !== undefined);
      return {
        id,
        name: 'PostgreSQL 15 (Terraform pg state backend)',
        install: 'apt-get install postgresql-15',
        missing: missing.length > 0 ? missing.join('; ') : undefined,
      };
    }
  }
}

/** Every reference system and whether this machine has it. */
export function referenceSystems(): ReferenceSystem[] {
  return (['java', 'wss4j', 'openssl', 'postgresql', 'ssh-keygen'] as const).map(detect);
}

/** True when CI is set: reference systems are required and nothing skips. */
export function referenceSystemsRequired(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/**
 * The `skip` option of a suite that needs the systems `ids`: false when they are all there, or under CI (where an
 * absence must fail the suite); else one line naming the first one missing, what of it, and how to install it.
 */
export function skipWithout(...ids: readonly ReferenceSystemId[]): false | string {
  if (referenceSystemsRequired()) return false;
  const system = ids.map(detect).find((s) => s.missing !== undefined);
  if (system === undefined) return false;
  return `${REFERENCE_SKIP_PREFIX}: ${system.name}: ${system.missing}; install with: ${system.install}`;
}
