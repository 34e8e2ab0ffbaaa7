// Text taken from a request (a message's key reference, an error detail quoting message content) before it goes
// into a log line or a counter label: control characters would forge log lines or colour a terminal, and an
// unbounded value would let one sender grow logs and counters without limit.
/* eslint-disable no-control-regex -- matching control characters is the point */

/** `text` with control characters (newlines, ESC, DEL, C1) shown as \u escapes, cut to `max` characters. */
export function printable(text: string, max = 200): string {
  const escaped = text.replace(
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return escaped.length > max ? `${escaped.slice(0, max)}…(${escaped.length - max} more)` : escaped;
}

/** True when `text` holds only printable characters (no control characters), for values stored as typed. */
export function isPrintable(text: string): boolean {
  return !/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(text);
}
