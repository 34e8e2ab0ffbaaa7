// The embedded receiver's durable state: its keys (private keys included), their dates, and the record of every
// deletion, in one JSON file in the data directory. Written atomically (temp file + fsync + rename, previous
// version kept as .bak) with file mode 0600 in a 0700 directory. Private keys are NOT encrypted at rest: the file
// mode is their only protection, as for an unencrypted key file on a real receiver; the emulator is a test and demo
// receiver on loopback. Message counters are kept in memory only.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CpiError } from '../errors';
import { writeFileAtomic } from '../receiver/atomic-file';
import type { ReceiverKeyAlgorithm, ReceiverKeyState } from '../receiver/receiver-backend';

/** One key as stored; the private key never leaves the receiver through any API. */
export interface StoredReceiverKey {
  name: string;
  state: ReceiverKeyState;
  algorithm: ReceiverKeyAlgorithm;
  certificatePem: string;
  privateKeyPem: string;
  fingerprintSha256: string;
  createdAt: string;
  retiredAt?: string;
  retainUntil?: string;
}

export interface StoredDestruction {
  name: string;
  fingerprintSha256: string;
  destroyedAt: string;
  earlyDestructionReason?: string;
  retainUntil?: string;
}

interface ReceiverStateFile {
  version: 1;
  keys: StoredReceiverKey[];
  destroyed: StoredDestruction[];
}

export class ReceiverStore {
  readonly path: string;
  private state: ReceiverStateFile;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    this.path = join(dataDir, 'receiver-state.json');
    this.state = this.read();
  }

  keys(): readonly StoredReceiverKey[] {
    return this.state.keys;
  }

  destroyed(): readonly StoredDestruction[] {
    return this.state.destroyed;
  }

  key(name: string): StoredReceiverKey | undefined {
    return this.state.keys.find((k) => k.name === name);
  }

  /** Applies a change to a copy and saves it; the in-memory state changes only once the file is written. */
  update(change: (draft: ReceiverStateFile) => void): void {
    const draft = structuredClone(this.state);
    change(draft);
    writeFileAtomic(this.path, `${JSON.stringify(draft, null, 2)}\n`, { mode: 0o600 });
    this.state = draft;
  }

  private read(): ReceiverStateFile {
    if (!existsSync(this.path)) return { version: 1, keys: [], destroyed: [] };
    try {
      const parsed = JSON.parse(readFileSync(this.path, 'utf8')) as ReceiverStateFile;
      if (parsed.version !== 1 || !Array.isArray(parsed.keys) || !Array.isArray(parsed.destroyed)) {
        throw new Error('not a version 1 receiver state file');
      }
      return parsed;
    } catch (error) {
      throw new CpiError('CPI_RECEIVER_STATE_UNREADABLE', `${this.path}: ${(error as Error).message}`);
    }
  }
}
