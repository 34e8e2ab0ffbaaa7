// Receiver keys in a PKCS#12 keystore pair, as a Java receiver on WSS4J/CXF reads them: the active keystore holds
// the keys the receiver decrypts with (its Merlin crypto points at it), the archive holds retired keys for the
// retention period. Which file holds a key is its state; the dates (created, retired, retain until) and the record
// of every deletion live in a sidecar JSON next to the active keystore (`<keystore>.keys.json`).
//
// Every change runs under a lock file (`<keystore>.lock`), and every file is replaced atomically with its previous
// version kept as `<file>.bak`. The keystores are shared with whatever else the receiver keeps there (keytool's
// trusted certificates, other key entries and their CA chains): a change adds or removes only the bags of the one
// entry it concerns and writes the rest back as it was (src/pki/pkcs12-keystore.ts). A change that touches two
// files adds before it removes, so that a crash in between
// leaves the key in both files (it still decrypts), never in neither; a retirement records its dates before it
// moves the key, so that a retired key is never without its retention.
import { createPrivateKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CpiError, isCpiError } from '../errors';
import { generateKeyPairWithCertificate } from '../pki/key-pair';
import { algorithmForBits, DEFAULT_RECEIVER_KEY_ALGORITHM, validateKeyName } from '../rules/receiver-key';
import { parseCertificatePem } from '../pki/certificate-info';
import { entryBags, readPkcs12, type Pkcs12Entry } from '../pki/pkcs12';
import {
  emptyKeystore,
  entryAliases,
  keyEntryBags,
  keyProtectionOf,
  readPkcs12Keystore,
  withBags,
  withoutKeyEntry,
  writePkcs12Keystore,
  type Pkcs12Keystore,
} from '../pki/pkcs12-keystore';
import { writeFileAtomic, type AtomicWriteOptions } from './atomic-file';
import { probeWithKeys } from './canary-probe';
import { withFileLock } from './file-lock';
import { checkDeletable, retainUntilFor } from './key-retention';
import type {
  NewReceiverKey,
  ProbeResult,
  ReceiverBackend,
  ReceiverKey,
  ReceiverKeyAlgorithm,
  ReceiverKeyState,
} from './receiver-backend';

export interface Pkcs12BackendOptions {
  /** The active keystore: the keys the receiver decrypts with. */
  readonly keystorePath: string;
  /** The archive keystore: retired keys kept for the retention period. */
  readonly archivePath: string;
  /** Password of both keystores (and of their keys, as Java's KeyStore expects). */
  readonly password: string;
  /** The clock. @default - the current time */
  readonly now?: () => Date;
  /** PBKDF2 and MAC iterations of written keystores. @default 10000 (JDK 17's default) */
  readonly iterations?: number;
  /** How long to wait for another writer's lock. @default 10000 */
  readonly lockTimeoutMs?: number;
  /** Test hook: how files are replaced. @default writeFileAtomic */
  readonly writeFile?: (path: string, data: Buffer | string, options?: AtomicWriteOptions) => void;
}

interface KeyMetadata {
  algorithm?: ReceiverKeyAlgorithm;
  createdAt: string;
  retiredAt?: string;
  retainUntil?: string;
}

/** A deletion as the sidecar records it: who needs to know why a key went away finds it here. */
export interface DestructionRecord {
  readonly name: string;
  readonly fingerprintSha256: string;
  readonly destroyedAt: string;
  /** Set when the key went before its retention ended (e.g. compromised). */
  readonly earlyDestructionReason?: string;
  readonly retainUntil?: string;
}

interface Sidecar {
  version: 1;
  keys: Record<string, KeyMetadata>;
  destroyed: DestructionRecord[];
}

interface Loaded {
  active: Pkcs12Entry[];
  archive: Pkcs12Entry[];
  sidecar: Sidecar;
}

/** {@link ReceiverBackend} over a PKCS#12 keystore pair. */
export class Pkcs12Backend implements ReceiverBackend {
  readonly sidecarPath: string;
  readonly lockPath: string;
  private readonly now: () => Date;
  private readonly write: NonNullable<Pkcs12BackendOptions['writeFile']>;

  constructor(private readonly options: Pkcs12BackendOptions) {
    this.sidecarPath = `${options.keystorePath}.keys.json`;
    this.lockPath = `${options.keystorePath}.lock`;
    this.now = options.now ?? (() => new Date());
    this.write = options.writeFile ?? writeFileAtomic;
  }

  async listKeys(): Promise<ReceiverKey[]> {
    const loaded = this.load();
    return this.keysOf(loaded);
  }

  /** Every deletion recorded in the sidecar, oldest first. */
  destructionRecords(): DestructionRecord[] {
    return this.readSidecar().destroyed;
  }

  async generateKey(spec: NewReceiverKey): Promise<ReceiverKey> {
    validateKeyName(spec.name);
    const state = spec.state ?? 'active';
    if (state !== 'active' && state !== 'retired') {
      throw new CpiError('CPI_VALUE_INVALID', `state "${String(state)}" is not "active" or "retired"`, ['state']);
    }
    if (this.find(this.load(), spec.name)) throw this.exists(spec.name);
    // Key generation (up to seconds for RSA-4096) happens outside the lock; the name is checked again inside.
    const now = this.now();
    const pair = generateKeyPairWithCertificate({
      algorithm: spec.algorithm,
      subject: spec.subject,
      validityDays: spec.validityDays,
      now,
    });
    const entry: Pkcs12Entry = {
      alias: spec.name,
      privateKeyPem: pair.privateKeyPem,
      certificatePem: pair.certificatePem,
    };
    return this.locked(async () => {
      const loaded = this.load();
      if (this.find(loaded, spec.name)) throw this.exists(spec.name);
      // Another entry of either file (a trusted certificate, a key of another type) may hold the alias too.
      const taken = [this.options.keystorePath, this.options.archivePath].some((p) =>
        entryAliases(this.loadStore(p)).some((a) => a.toLowerCase() === spec.name.toLowerCase()),
      );
      if (taken) throw this.exists(spec.name);
      const meta: KeyMetadata = { algorithm: spec.algorithm, createdAt: now.toISOString() };
      if (state === 'retired') {
        meta.retiredAt = now.toISOString();
        meta.retainUntil = retainUntilFor(now, undefined).toISOString();
      }
      loaded.sidecar.keys[spec.name] = meta;
      this.writeSidecar(loaded.sidecar);
      const path = state === 'active' ? this.options.keystorePath : this.options.archivePath;
      const store = this.loadStore(path);
      // The new key is encrypted as the file's other keys are (a legacy-format file stays readable where it was).
      const protection = keyProtectionOf(store);
      const bags = entryBags(entry, {
        password: this.options.password,
        iterations: protection?.iterations ?? this.options.iterations,
        algorithm: protection?.algorithm,
      });
      this.saveStore(path, withBags(store, bags));
      return this.keyOf(this.load(), spec.name);
    });
  }

  async setKeyState(name: string, state: ReceiverKeyState, options: { retainUntil?: Date }): Promise<ReceiverKey> {
    if (state !== 'active' && state !== 'retired') {
      throw new CpiError('CPI_VALUE_INVALID', `state "${String(state)}" is not "active" or "retired"`, ['state']);
    }
    return this.locked(async () => {
      const loaded = this.load();
      const found = this.find(loaded, name);
      if (!found) throw this.notFound(name);
      const { entry, inActive, inArchive } = found;
      const key = entry.alias.toLowerCase();
      const meta = (loaded.sidecar.keys[key] ??= {
        createdAt: parseCertificatePem(entry.certificatePem).validFrom.toISOString(),
      });
      if (state === 'retired') {
        const wasRetired = !inActive && meta.retiredAt !== undefined;
        const retiredAt = wasRetired ? new Date(meta.retiredAt!) : this.now();
        const requested =
          options.retainUntil ?? (wasRetired && meta.retainUntil ? new Date(meta.retainUntil) : undefined);
        meta.retiredAt = retiredAt.toISOString();
        meta.retainUntil = retainUntilFor(retiredAt, requested).toISOString();
        this.writeSidecar(loaded.sidecar);
        if (!inArchive) this.moveEntry(entry.alias, this.options.keystorePath, this.options.archivePath);
        if (inActive) this.removeEntry(this.options.keystorePath, entry.alias);
      } else {
        if (!inActive) this.moveEntry(entry.alias, this.options.archivePath, this.options.keystorePath);
        if (inArchive) this.removeEntry(this.options.archivePath, entry.alias);
        delete meta.retainUntil; // retention counts again from the next retirement
        this.writeSidecar(loaded.sidecar);
      }
      return this.keyOf(this.load(), name);
    });
  }

  async deleteKey(name: string, options: { now: Date; earlyDestructionReason?: string }): Promise<void> {
    await this.locked(async () => {
      const loaded = this.load();
      const found = this.find(loaded, name);
      if (!found) throw this.notFound(name);
      const key = this.keyOf(loaded, name);
      checkDeletable({
        name,
        state: key.state,
        retainUntil: key.retainUntil,
        now: options.now,
        earlyDestructionReason: options.earlyDestructionReason,
      });
      const reason = options.earlyDestructionReason?.trim();
      const early = key.state === 'active' || (key.retainUntil !== undefined && options.now < key.retainUntil);
      // The record goes first: a deletion is never without its record, even if the process dies half-way.
      loaded.sidecar.destroyed.push({
        name: key.name,
        fingerprintSha256: key.fingerprintSha256,
        destroyedAt: options.now.toISOString(),
        ...(early && reason ? { earlyDestructionReason: reason } : {}),
        ...(key.retainUntil ? { retainUntil: key.retainUntil.toISOString() } : {}),
      });
      this.writeSidecar(loaded.sidecar);
      if (found.inActive) this.removeEntry(this.options.keystorePath, found.entry.alias);
      if (found.inArchive) this.removeEntry(this.options.archivePath, found.entry.alias);
      delete loaded.sidecar.keys[key.name];
      this.writeSidecar(loaded.sidecar);
    });
  }

  async probe(certificatePem: string): Promise<ProbeResult> {
    const { active } = this.load();
    return probeWithKeys(
      certificatePem,
      active.map((e) => ({
        name: e.alias.toLowerCase(),
        privateKeyPem: e.privateKeyPem,
        certificatePem: e.certificatePem,
      })),
      this.now(),
    );
  }

  private locked<T>(body: () => Promise<T>): Promise<T> {
    mkdirSync(dirname(this.options.keystorePath), { recursive: true });
    return withFileLock(this.lockPath, body, { timeoutMs: this.options.lockTimeoutMs });
  }

  private load(): Loaded {
    return {
      active: this.readStore(this.options.keystorePath),
      archive: this.readStore(this.options.archivePath),
      sidecar: this.readSidecar(),
    };
  }

  /** The RSA key entries of a keystore: only RSA keys decrypt WS-Security key transport, so only they are keys here. */
  private readStore(path: string): Pkcs12Entry[] {
    if (!existsSync(path)) return [];
    try {
      return readPkcs12(readFileSync(path), this.options.password, path).filter(
        (e) => createPrivateKey(e.privateKeyPem).asymmetricKeyType === 'rsa',
      );
    } catch (error) {
      if (isCpiError(error) && error.code === 'CPI_PKI_PKCS12_PASSWORD') {
        throw new CpiError('CPI_PKI_PKCS12_PASSWORD', `${path}: ${error.detail}`, ['receiver', 'password_env']);
      }
      throw new CpiError('CPI_RECEIVER_KEYSTORE_UNREADABLE', `${path}: ${(error as Error).message}`);
    }
  }

  /** The keystore file as bags (empty when the file does not exist yet). */
  private loadStore(path: string): Pkcs12Keystore {
    if (!existsSync(path)) return emptyKeystore(this.options.iterations ?? 10_000);
    try {
      return readPkcs12Keystore(readFileSync(path), this.options.password, path);
    } catch (error) {
      if (isCpiError(error) && error.code === 'CPI_PKI_PKCS12_PASSWORD') {
        throw new CpiError('CPI_PKI_PKCS12_PASSWORD', `${path}: ${error.detail}`, ['receiver', 'password_env']);
      }
      throw new CpiError('CPI_RECEIVER_KEYSTORE_UNREADABLE', `${path}: ${(error as Error).message}`);
    }
  }

  private saveStore(path: string, keystore: Pkcs12Keystore): void {
    mkdirSync(dirname(path), { recursive: true });
    this.write(path, writePkcs12Keystore(keystore, this.options.password));
  }

  /** Copies one key entry (key, certificate, CA chain) from one file into the other, byte for byte. */
  private moveEntry(alias: string, from: string, to: string): void {
    const bags = keyEntryBags(this.loadStore(from), alias);
    if (bags === undefined) throw this.notFound(alias);
    this.saveStore(to, withBags(this.loadStore(to), bags));
  }

  private removeEntry(path: string, alias: string): void {
    this.saveStore(path, withoutKeyEntry(this.loadStore(path), alias));
  }

  private readSidecar(): Sidecar {
    if (!existsSync(this.sidecarPath)) return { version: 1, keys: {}, destroyed: [] };
    try {
      const parsed = JSON.parse(readFileSync(this.sidecarPath, 'utf8')) as Sidecar;
      if (parsed.version !== 1 || typeof parsed.keys !== 'object' || !Array.isArray(parsed.destroyed)) {
        throw new Error('not a version 1 key metadata file');
      }
      return parsed;
    } catch (error) {
      throw new CpiError('CPI_RECEIVER_KEYSTORE_UNREADABLE', `${this.sidecarPath}: ${(error as Error).message}`);
    }
  }

  private writeSidecar(sidecar: Sidecar): void {
    this.write(this.sidecarPath, `${JSON.stringify(sidecar, null, 2)}\n`);
  }

  private find(
    loaded: Loaded,
    name: string,
  ): { entry: Pkcs12Entry; inActive: boolean; inArchive: boolean } | undefined {
    const active = loaded.active.find((e) => same(e, name));
    const archived = loaded.archive.find((e) => same(e, name));
    const entry = active ?? archived;
    return entry && { entry, inActive: active !== undefined, inArchive: archived !== undefined };
  }

  private keysOf(loaded: Loaded): ReceiverKey[] {
    const names = new Set([...loaded.active, ...loaded.archive].map((e) => e.alias.toLowerCase()));
    return [...names].sort().map((name) => this.keyOf(loaded, name));
  }

  private keyOf(loaded: Loaded, name: string): ReceiverKey {
    const found = this.find(loaded, name);
    if (!found) throw this.notFound(name);
    const info = parseCertificatePem(found.entry.certificatePem);
    const key = name.toLowerCase();
    const meta = loaded.sidecar.keys[key];
    // In both files (a crash between two writes) the key still decrypts: it is active.
    const state: ReceiverKeyState = found.inActive ? 'active' : 'retired';
    return {
      name: key,
      state,
      algorithm: meta?.algorithm ?? algorithmForBits(info.keySize) ?? DEFAULT_RECEIVER_KEY_ALGORITHM,
      certificatePem: info.pem,
      fingerprintSha256: info.fingerprintSha256,
      createdAt: meta ? new Date(meta.createdAt) : info.validFrom,
      ...(meta?.retiredAt ? { retiredAt: new Date(meta.retiredAt) } : {}),
      ...(state === 'retired' && meta?.retainUntil ? { retainUntil: new Date(meta.retainUntil) } : {}),
    };
  }

  private exists(name: string): CpiError {
    return new CpiError(
      'CPI_RECEIVER_KEY_EXISTS',
      `the keystore pair ${this.options.keystorePath} / ${this.options.archivePath} already holds a key named "${name}"`,
      ['key_name'],
    );
  }

  private notFound(name: string): CpiError {
    return new CpiError(
      'CPI_RECEIVER_KEY_NOT_FOUND',
      `neither ${this.options.keystorePath} nor ${this.options.archivePath} holds a key named "${name}"`,
      ['key_name'],
    );
  }
}

function same(entry: Pkcs12Entry, name: string): boolean {
  return entry.alias.toLowerCase() === name.toLowerCase();
}
