// Per-tenant request limits per API area; going over answers 429 with Retry-After (docs/design/sap-api.md#rate-limits).

export type ApiArea = 'securityContent' | 'runtimeArtifacts' | 'designtimeArtifacts' | 'root';

/** A one-second sliding window per API area. */
export class RateLimiter {
  private readonly recent = new Map<ApiArea, number[]>();

  constructor(private readonly perSecond: Readonly<Partial<Record<ApiArea, number>>>) {}

  /** Records the request and returns undefined, or the seconds to wait when the area is over its limit. */
  admit(area: ApiArea, now: number): number | undefined {
    const limit = this.perSecond[area] ?? 0;
    if (limit <= 0) return undefined;
    const window = (this.recent.get(area) ?? []).filter((at) => at > now - 1000);
    this.recent.set(area, window);
    if (window.length >= limit) return Math.max(1, Math.ceil((window[0]! + 1000 - now) / 1000));
    window.push(now);
    return undefined;
  }
}
