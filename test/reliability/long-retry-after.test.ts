// A 429 with an hours-long Retry-After (#14 item 6; your_spotify#411, ShareList#23): the wait is
// longer than tunelake sleeps through, so the run stops, and the "not before" time is kept in the
// lake's state. Every run before that time stops at once, without a request, landing nothing and
// losing nothing; the first run after it goes on as usual. The clock Retry-After counts in is the
// wall clock, handed in here so the test need not wait two hours.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, type Sources } from '../../src/config.js';
import { Emulator } from '../../src/emulator/server.js';
import { isTunelakeError, type TunelakeError } from '../../src/errors.js';
import { extract } from '../../src/extract/extract.js';
import { committedRunIds } from '../../src/extract/manifest.js';
import { loadState } from '../../src/extract/state.js';
import { silentLogger } from '../../src/log.js';
import { createObjectStore, createRuntime } from '../../src/runtime.js';

const HOURS = 3;

async function rejection(promise: Promise<unknown>): Promise<TunelakeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isTunelakeError(error)) throw new Error(`expected a TunelakeError, got ${String(error)}`);
  return error;
}

describe('extract(runtime) after a 429 with an hours-long Retry-After', () => {
  it('keeps the not-before time in the state; runs before it stop without a request, the first after it lands', async () => {
    const emu = await Emulator.create({ port: 0, tier: 'development', seed: 5 });
    const lake = mkdtempSync(join(tmpdir(), 'tunelake-not-before-'));
    const sources: Sources = {
      playlists: [],
      artists: emu.world.artistIds.slice(0, 2),
      artistIncludeGroups: ['album'],
      search: [],
      me: { recentlyPlayed: false, topItems: false, savedTracks: false, playlists: false },
    };
    const config = loadConfig(
      { lake, sources, maxRetryAfterSeconds: 60 },
      { TUNELAKE_CREDENTIALS: '/nonexistent/credentials.json' },
    );
    const store = createObjectStore(config, { logger: silentLogger });
    const run = async (wallClock: () => Date) => {
      const runtime = await createRuntime(config, { emulator: emu, logger: silentLogger });
      try {
        return await extract(runtime, { now: runtime.now, wallClock });
      } finally {
        await runtime.close();
      }
    };
    try {
      // A first run lands, so that there is something to lose.
      const first = await run(() => new Date());
      expect(first.errors).toEqual([]);
      const before = await loadState(store);
      expect(before.state.notBefore).toBeUndefined();

      emu.advanceDay(1);
      emu.setFaults({ rate429: 1, retryAfterSeconds: HOURS * 3600 });
      const metAt = Date.now();
      const stopped = await rejection(run(() => new Date()));
      expect(stopped.code).toBe('SPOTIFY_RATE_LIMITED');
      expect(stopped.retryable).toBe(false);
      const { state } = await loadState(store);
      expect(state.notBefore).toMatchObject({ code: 'SPOTIFY_RATE_LIMITED' });
      const until = Date.parse(state.notBefore!.until);
      expect(until).toBeGreaterThanOrEqual(metAt + HOURS * 3_600_000);
      expect(until).toBeLessThan(Date.now() + HOURS * 3_600_000 + 1000);
      // Nothing the first run recorded is lost: the state is the first run's, plus the time.
      const { notBefore: _kept, ...rest } = state;
      expect(rest).toEqual(before.state);

      // An hour later (Spotify is no longer refusing, but the run must not ask): stops at once.
      emu.setFaults({ rate429: 0 });
      emu.resetStats();
      const early = await rejection(run(() => new Date(until - 3_600_000)));
      expect(early.code).toBe('SPOTIFY_RATE_LIMITED');
      expect(early.retryable).toBe(false);
      expect(early.message).toContain(`not to call again before ${state.notBefore!.until} (60 min from now`);
      expect(emu.stats().total).toBe(0);
      expect(emu.stats().tokenRequests).toBe(0);
      const runs = await committedRunIds(store);
      expect(runs).toEqual([first.runId]);

      // After the time: the run lands, and the time is gone from the state.
      const after = await run(() => new Date(until + 1000));
      expect(after.errors).toEqual([]);
      expect(after.requests).toBeGreaterThan(0);
      const done = await loadState(store);
      expect(done.state.notBefore).toBeUndefined();
      expect(done.state.lastRunId).toBe(after.runId);
    } finally {
      await emu.close();
      rmSync(lake, { recursive: true, force: true });
    }
  }, 60_000);
});
