// How long to wait before the next status poll of a deploy or undeploy. A transition ends at a moment nobody
// knows; with a fixed pause, the end is seen up to one whole pause late, and in a single-key renewal that delay
// is downtime. Pauses start short and grow with the time already waited (a fifth of it), up to `longestMs`: a
// one-second deploy is seen within ~0.1-0.2 s of its end, a minute-long one costs no more calls than a fixed
// pause would, and the client's rate limit still paces every call.

/** The shortest pause: ten polls a second at most, the client's default rate limit. */
export const SHORTEST_STATUS_POLL_MS = 100;

export function statusPollPause(waitedMs: number, longestMs: number): number {
  const shortest = Math.min(SHORTEST_STATUS_POLL_MS, longestMs);
  return Math.min(longestMs, Math.max(shortest, Math.round(waitedMs / 5)));
}
