// The client-side limiter every API request passes through. Spotify counts calls per app in a rolling
// 30-second window and publishes no number (https://developer.spotify.com/documentation/web-api/concepts/rate-limits), so tunelake keeps under a configured
// budget instead of discovering the limit through 429s. Three things hold a request back, in order:
// a concurrency slot, a shared pause after any 429 (one 429 means every queued request would get one
// too), and the rolling-window budget. A request occupies the window from its start until one window
// after its answer: Spotify counted it at some moment in between, so the client's window always holds
// at least what the server's does. Requests are admitted first come, first served, and the limiter
// waits through the injected clock and sleep, never failing for being busy.
import type { TunelakeError } from '../errors.js';

export interface RateLimiterConfig {
  /** Most requests per rolling window. */
  rateLimit: number;
  rateWindowMs: number;
  /** Most requests in flight at once. */
  concurrency: number;
}

export interface RateLimiterDeps {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Told about every wait, so the client's stats can count them. */
  onWait?: (kind: 'throttled' | 'paused', ms: number) => void;
}

export interface RateLimiterStats {
  /** Time spent waiting for the rolling-window budget. */
  throttledWaitMs: number;
  /** Time spent waiting out a Retry-After. */
  pausedWaitMs: number;
}

export interface RateLimiter {
  /** Waits for a slot and resolves with its release function (idempotent). */
  acquire(): Promise<() => void>;
  /** Holds back every request that has not started yet until `untilMs` (a 429's Retry-After). */
  pauseUntil(untilMs: number): void;
  /**
   * Refuses every request until `untilMs` with `error`: for a Retry-After longer than the run is
   * willing to sleep, so queued requests stop at once instead of each collecting its own 429.
   */
  blockUntil(untilMs: number, error: TunelakeError): void;
  readonly stats: Readonly<RateLimiterStats>;
  readonly inFlight: number;
}

export function createRateLimiter(config: RateLimiterConfig, deps: RateLimiterDeps): RateLimiter {
  const { now, sleep, onWait } = deps;
  const stats: RateLimiterStats = { throttledWaitMs: 0, pausedWaitMs: 0 };
  // One entry per request in the window. An entry is stamped again when its request finishes: the
  // server counted it somewhere between the start and the answer, so the end is the safe stamp.
  let window: Array<{ at: number; open: boolean }> = [];
  let inFlight = 0;
  let pausedUntil = 0;
  let blocked: { until: number; error: TunelakeError } | undefined;
  let slotFreed: (() => void) | undefined;
  // A promise chain: each acquire() waits for the previous one to be admitted (FIFO).
  let gate: Promise<void> = Promise.resolve();

  const checkBlocked = () => {
    if (blocked && now() < blocked.until) throw blocked.error;
  };

  const nextRelease = () =>
    new Promise<void>((resolve) => {
      slotFreed = resolve;
    });

  const admit = async () => {
    checkBlocked();
    while (inFlight >= config.concurrency) await nextRelease();
    for (;;) {
      checkBlocked();
      const t = now();
      if (pausedUntil > t) {
        const wait = pausedUntil - t;
        await sleep(wait);
        stats.pausedWaitMs += wait;
        onWait?.('paused', wait);
        continue;
      }
      window = window.filter((entry) => entry.open || entry.at > t - config.rateWindowMs);
      if (window.length >= config.rateLimit) {
        const finished = window.filter((entry) => !entry.open);
        if (finished.length === 0) {
          await nextRelease();
          continue;
        }
        const wait = Math.min(...finished.map((entry) => entry.at)) + config.rateWindowMs - t;
        await sleep(wait);
        stats.throttledWaitMs += wait;
        onWait?.('throttled', wait);
        continue;
      }
      const entry = { at: t, open: true };
      window.push(entry);
      inFlight++;
      return entry;
    }
  };

  return {
    async acquire() {
      const turn = gate.then(admit);
      gate = turn.then(
        () => {},
        () => {},
      );
      const entry = await turn;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        entry.open = false;
        entry.at = Math.max(entry.at, now());
        inFlight--;
        const wake = slotFreed;
        slotFreed = undefined;
        wake?.();
      };
    },
    pauseUntil(untilMs) {
      pausedUntil = Math.max(pausedUntil, untilMs);
    },
    blockUntil(untilMs, error) {
      if (!blocked || untilMs >= blocked.until) blocked = { until: untilMs, error };
    },
    get stats() {
      return stats;
    },
    get inFlight() {
      return inFlight;
    },
  };
}
