// The tenant's message monitor in small: one record per message posted to an iFlow's sender endpoint, kept in the
// data directory as JSON Lines so that counts survive a restart (a renewal spans many processes). Appending one
// line per message keeps the cost per message flat; the file is rewritten (atomically) only when it has grown to
// twice the limit, so it stays bounded.
import { appendFileSync, closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CpiError } from '../errors';

/** What became of a message. */
export type MessageOutcome =
  /** The receiver answered 2xx. */
  | 'delivered'
  /** The receiver answered with an error status (e.g. a SOAP fault: it could not decrypt or verify). */
  | 'refused'
  /** Nothing was sent: the iFlow is not deployed/STARTED, or the message could not be built. */
  | 'not-sent'
  /** The message was built, but the receiver could not be reached or did not answer in time. */
  | 'receiver-unreachable';

export const MESSAGE_OUTCOMES: readonly MessageOutcome[] = ['delivered', 'refused', 'not-sent', 'receiver-unreachable'];

/** One message as the log records it. */
export interface MessageRecord {
  /** Increases by one per message, across restarts; poll with `after` to see only new ones. */
  readonly seq: number;
  /** When the sender's request arrived (ISO 8601). */
  readonly time: string;
  readonly iflowId: string;
  readonly outcome: MessageOutcome;
  /** SHA-256 fingerprint (colon-separated upper-case hex) of the certificate encrypted for; null when none was used. */
  readonly certificateFingerprint: string | null;
  /** The channel's Public Key Alias for Encryption at send time; null when the iFlow is not deployed. */
  readonly publicKeyAlias: string | null;
  /** Where the message went (or would have gone); null when the iFlow is not deployed. */
  readonly receiverUrl: string | null;
  /** The receiver's HTTP status; null when nothing was sent or no answer came. */
  readonly receiverStatus: number | null;
  /** What the sender was answered. */
  readonly senderStatus: number;
  /** Why the message was not delivered (error code and detail); null when delivered. */
  readonly detail: string | null;
  /** Time from the sender's request to its answer. */
  readonly durationMs: number;
}

/** Filters of {@link MessageLog.list}. */
export interface MessageQuery {
  /** Only this iFlow. @default - every iFlow */
  readonly iflowId?: string;
  /** Only records with a larger seq. @default - from the oldest kept record */
  readonly after?: number;
}

export const MESSAGE_LOG_FILE = 'message-log.jsonl';

/** The default number of records kept. */
export const DEFAULT_MESSAGE_LOG_LIMIT = 10_000;

/** Durable, bounded log of the messages the tenant processed. */
export class MessageLog {
  readonly path: string;
  private records: MessageRecord[] = [];
  private linesInFile = 0;
  private lastSeq = 0;

  constructor(
    dataDir: string,
    private readonly limit = DEFAULT_MESSAGE_LOG_LIMIT,
  ) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new CpiError(
        'CPI_EMULATOR_CONFIG_INVALID',
        `messageLogLimit is ${limit}; expected an integer of at least 1`,
      );
    }
    this.path = join(dataDir, MESSAGE_LOG_FILE);
    let text = '';
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new CpiError('CPI_EMULATOR_STATE_UNREADABLE', `${this.path}: ${(error as Error).message}`);
      }
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      this.linesInFile++;
      try {
        this.records.push(JSON.parse(line) as MessageRecord);
      } catch {
        // a line cut short by a crash mid-append: that one record is lost, the rest is kept
      }
    }
    this.lastSeq = this.records.at(-1)?.seq ?? 0;
    if (this.records.length > limit) this.records = this.records.slice(-limit);
    // a cut-short last line would swallow the next append: start from a whole file
    if (text && !text.endsWith('\n')) this.rewrite();
  }

  /** Appends a record (its seq is assigned here) and returns it. */
  append(record: Omit<MessageRecord, 'seq'>): MessageRecord {
    const stored: MessageRecord = { seq: ++this.lastSeq, ...record };
    this.records.push(stored);
    if (this.records.length > this.limit) this.records.shift();
    if (this.linesInFile + 1 >= 2 * this.limit) {
      this.rewrite();
    } else {
      appendFileSync(this.path, `${JSON.stringify(stored)}\n`, { mode: 0o600 });
      this.linesInFile++;
    }
    return stored;
  }

  /** The kept records, oldest first. */
  list(query: MessageQuery = {}): MessageRecord[] {
    return this.records.filter(
      (record) =>
        (query.iflowId === undefined || record.iflowId === query.iflowId) &&
        (query.after === undefined || record.seq > query.after),
    );
  }

  /** Number of kept records per outcome. */
  counts(query: MessageQuery = {}): Record<MessageOutcome, number> {
    const counts = Object.fromEntries(MESSAGE_OUTCOMES.map((outcome) => [outcome, 0])) as Record<
      MessageOutcome,
      number
    >;
    for (const record of this.list(query)) counts[record.outcome]++;
    return counts;
  }

  /** Writes only the kept records, to a temporary file renamed over the log, so a crash leaves one whole file. */
  private rewrite(): void {
    const temporary = `${this.path}.${process.pid}.tmp`;
    const fd = openSync(temporary, 'w', 0o600);
    try {
      writeSync(fd, this.records.map((record) => `${JSON.stringify(record)}\n`).join(''));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.path);
    this.linesInFile = this.records.length;
  }
}
