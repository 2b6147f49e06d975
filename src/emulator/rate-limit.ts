// Spotify's rate limit: a rolling 30-second window of calls per app (client id). Over the limit
// the API answers 429 with `Retry-After` in whole seconds: here, the time until the oldest call in
// the window leaves it (at least 1). Only admitted calls count, so a client that backs off as told
// gets back in. https://developer.spotify.com/documentation/web-api/concepts/rate-limits

export interface RateLimiter {
  /** Admits a call for `key` now, or says how many seconds to wait. */
  take(key: string): { ok: true } | { ok: false; retryAfterSeconds: number };
  reset(): void;
}

export interface RateLimiterOptions {
  /** Calls per window; 0 means unlimited. */
  limit: number;
  windowMs: number;
  now: () => number;
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const windows = new Map<string, number[]>();
  return {
    take: (key) => {
      if (options.limit <= 0) return { ok: true };
      const now = options.now();
      let calls = windows.get(key);
      if (!calls) {
        calls = [];
        windows.set(key, calls);
      }
      const cutoff = now - options.windowMs;
      let expired = 0;
      while (expired < calls.length && calls[expired]! <= cutoff) expired++;
      if (expired > 0) calls.splice(0, expired);
      if (calls.length >= options.limit) {
        const waitMs = calls[0]! + options.windowMs - now;
        return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
      }
      calls.push(now);
      return { ok: true };
    },
    reset: () => windows.clear(),
  };
}
