import { describe, expect, it } from 'vitest';
import { simulatedClock } from './stand-in.js';
import { advanceWorld, createWorld, DAY_MS, dayStartMs, EPOCH_MS } from './world.js';

describe('simulatedClock(emulator)', () => {
  const today = Math.floor((Date.now() - EPOCH_MS) / DAY_MS);
  const world = {
    world: createWorld({ seed: 42, scale: 1, day: today - 3 }),
    tier: 'development' as const,
  };
  const clock = simulatedClock(world);

  it('on a past simulated day: the last quarter hour of that day', () => {
    const now = clock().getTime();
    expect(now).toBeGreaterThanOrEqual(dayStartMs(today - 2) - 15 * 60_000);
    expect(now).toBeLessThan(dayStartMs(today - 2));
  });

  it("on today's simulated day: never ahead of the wall clock, and on today's date (#18)", () => {
    advanceWorld(world.world, 3);
    const before = Date.now();
    const now = clock().getTime();
    const after = Date.now();
    expect(now).toBeGreaterThanOrEqual(Math.min(before, dayStartMs(today + 1) - 15 * 60_000));
    expect(now).toBeLessThanOrEqual(after);
    expect(new Date(now).toISOString().slice(0, 10)).toBe(
      new Date(dayStartMs(today)).toISOString().slice(0, 10),
    );
  });
});
