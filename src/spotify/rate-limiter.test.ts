import { describe, expect, it } from 'vitest';
import { TunelakeError } from '../errors.js';
import { createRateLimiter } from './rate-limiter.js';
import { createFakeTime, sum } from './test-support/clock-and-logger.js';

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('createRateLimiter(config, deps).acquire()', () => {
  it('never starts more than rateLimit requests in any rolling window', async () => {
    const time = createFakeTime(0);
    const limiter = createRateLimiter({ rateLimit: 5, rateWindowMs: 30_000, concurrency: 10 }, time);
    const starts: number[] = [];
    for (let i = 0; i < 12; i++) {
      const release = await limiter.acquire();
      starts.push(time.now());
      release();
    }
    for (const start of starts) {
      const inWindow = starts.filter((s) => s >= start && s < start + 30_000);
      expect(inWindow.length).toBeLessThanOrEqual(5);
    }
    // 12 starts at 5 per window need three windows: the last start is at least 60 s in.
    expect(starts.at(-1)).toBeGreaterThanOrEqual(60_000);
    expect(limiter.stats.throttledWaitMs).toBeGreaterThanOrEqual(60_000);
  });

  it('holds requests beyond the concurrency limit until a slot is released', async () => {
    const time = createFakeTime(0);
    const limiter = createRateLimiter({ rateLimit: 100, rateWindowMs: 30_000, concurrency: 2 }, time);
    const first = await limiter.acquire();
    await limiter.acquire();
    let thirdAdmitted = false;
    const third = limiter.acquire().then((release) => {
      thirdAdmitted = true;
      return release;
    });
    await flush();
    await flush();
    expect(thirdAdmitted).toBe(false);
    expect(limiter.inFlight).toBe(2);
    first();
    first(); // releasing twice frees one slot only
    (await third)();
    expect(thirdAdmitted).toBe(true);
    expect(limiter.inFlight).toBe(1);
  });

  it('admits waiting requests first come, first served', async () => {
    const time = createFakeTime(0);
    const limiter = createRateLimiter({ rateLimit: 2, rateWindowMs: 1_000, concurrency: 1 }, time);
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map(async (n) => {
        const release = await limiter.acquire();
        order.push(n);
        await flush();
        release();
      }),
    );
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('createRateLimiter(config, deps).pauseUntil(untilMs)', () => {
  it('makes every later request wait until the pause is over', async () => {
    const time = createFakeTime(1_000);
    const limiter = createRateLimiter({ rateLimit: 100, rateWindowMs: 30_000, concurrency: 4 }, time);
    limiter.pauseUntil(8_000);
    limiter.pauseUntil(5_000); // an earlier end never shortens a pause
    const starts: number[] = [];
    await Promise.all(
      [1, 2, 3].map(async () => {
        const release = await limiter.acquire();
        starts.push(time.now());
        release();
      }),
    );
    expect(starts.every((s) => s >= 8_000)).toBe(true);
    expect(limiter.stats.pausedWaitMs).toBe(7_000);
    expect(sum(time.sleeps)).toBe(7_000);
  });
});

describe('createRateLimiter(config, deps).blockUntil(untilMs, error)', () => {
  it('refuses requests with the error until the block ends, then admits them', async () => {
    const time = createFakeTime(0);
    const limiter = createRateLimiter({ rateLimit: 100, rateWindowMs: 30_000, concurrency: 4 }, time);
    const error = new TunelakeError('SPOTIFY_RATE_LIMITED', 'wait an hour');
    limiter.blockUntil(3_600_000, error);
    await expect(limiter.acquire()).rejects.toBe(error);
    time.advance(3_600_000);
    const release = await limiter.acquire();
    expect(limiter.inFlight).toBe(1);
    release();
  });
});
