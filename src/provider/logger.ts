// hclog-JSON logging on stderr, the format go-plugin parses and shows under TF_LOG. stdout belongs to the
// handshake line alone.
import { writeSync } from 'node:fs';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger that adds these fields to every line. */
  with(fields: Record<string, unknown>): Logger;
}

/** go-plugin only parses a line whose @timestamp has exactly six fractional digits (Go's .000000 layout). */
export function hclogTimestamp(date: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const offset = -date.getTimezoneOffset();
  const zone =
    offset === 0
      ? 'Z'
      : `${offset > 0 ? '+' : '-'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}000${zone}`
  );
}

export function createLogger(
  write: (line: string) => void = (line) => writeSync(2, line),
  base: Record<string, unknown> = {},
): Logger {
  const log = (level: LogLevel, message: string, fields: Record<string, unknown> = {}) => {
    write(
      JSON.stringify({
        '@level': level,
        '@message': message,
        '@timestamp': hclogTimestamp(new Date()),
        ...base,
        ...fields,
      }) + '\n',
    );
  };
  return {
    log,
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    with: (fields) => createLogger(write, { ...base, ...fields }),
  };
}
