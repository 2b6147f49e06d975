// Fault storms: the whole pipeline against an emulator that answers 30% of API calls with 429 and a
// small Retry-After, 5% with 5xx (some as HTML pages), cuts 2% of bodies short, resets connections
// and expires access tokens mid-run. The tables must equal a clean run's, row for row; the client's
// retry counts are printed by reason.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { run } from '../../src/pipeline.js';
import { createRuntime } from '../../src/runtime.js';
import { CHAOS } from '../support/env.js';
import { diffTables, SCALE, startWorld, tableRows, type World } from './support.js';

const STORM = {
  rate429: 0.3,
  // Small on purpose: a 429 pauses every request of the run (Spotify's rolling window).
  retryAfterSeconds: CHAOS ? 1 : 0,
  rate5xx: 0.05,
  rateTruncated: 0.02,
  rateReset: 0.02,
  rateTokenExpiry: 0.02,
};

describe('run(runtime) under a fault storm', () => {
  let world: World;
  let expected: Map<string, string[]>;

  async function runOnce(lake: string) {
    const config = loadConfig(
      {
        lake,
        accountsUrl: world.childArgs.accountsUrl,
        apiUrl: world.childArgs.apiUrl,
        clientId: world.childArgs.clientId,
        tier: world.childArgs.tier,
        sources: world.sources,
        rateLimit: 5000,
        maxRetries: 8,
      },
      {
        SPOTIFY_CLIENT_SECRET: world.childArgs.clientSecret,
        SPOTIFY_REFRESH_TOKEN: world.refreshToken,
        TUNELAKE_CREDENTIALS: '/nonexistent/credentials.json',
      },
    );
    const { baseMs, originMs } = world.childArgs;
    const runtime = await createRuntime(config, {
      logger: silentLogger,
      now: () => new Date(baseMs + (Date.now() - originMs)),
    });
    try {
      const info = await run(runtime);
      return { info, stats: structuredClone(runtime.spotify.stats) };
    } finally {
      await runtime.close();
    }
  }

  beforeAll(async () => {
    world = await startWorld({ seed: 44 });
    const clean = await runOnce(mkdtempSync(join(tmpdir(), 'tunelake-storm-clean-')));
    expect(clean.info.ok).toBe(true);
    expected = await tableRows(lakeOf(clean.info));
    expect(expected.get('tables/playlist_items')?.length).toBeGreaterThan(50);
  }, 120_000);
  afterAll(async () => {
    await world?.close();
  });

  function lakeOf(info: { transform: { tables: Array<{ location: string }> } }): string {
    // The tables' location is <lake>/tables/<name>/.
    return info.transform.tables[0]!.location.replace(/\/tables\/[^/]+\/$/, '');
  }

  it('lands the same tables as a clean run and reports its retries by reason', async () => {
    const totals: Record<string, number> = {};
    for (let i = 0; i < SCALE.stormRuns; i++) {
      world.emulator.setFaults(STORM);
      world.emulator.resetStats();
      const lake = mkdtempSync(join(tmpdir(), 'tunelake-storm-'));
      let result: Awaited<ReturnType<typeof runOnce>>;
      try {
        result = await runOnce(lake);
      } finally {
        world.emulator.setFaults({
          rate429: 0,
          rate5xx: 0,
          rateTruncated: 0,
          rateReset: 0,
          rateTokenExpiry: 0,
        });
      }
      const { info, stats } = result;
      const injected = world.emulator.stats().injected;
      console.log(
        `fault storm ${i}: ${stats.requests} requests, retries by reason ${JSON.stringify(stats.retries)}, ` +
          `${stats.tokenRequests} token requests, emulator injected ${JSON.stringify(injected)}`,
      );
      for (const [reason, n] of Object.entries(stats.retries)) totals[reason] = (totals[reason] ?? 0) + n;
      expect(info.extract.errors).toEqual([]);
      expect(info.ok).toBe(true);
      expect(diffTables(expected, await tableRows(lake))).toEqual([]);
      // The storm really happened, and every kind of fault was retried.
      expect(stats.retries['429']).toBeGreaterThan(0);
      expect(stats.retries['5xx'] + stats.retries.network + stats.retries.truncated).toBeGreaterThan(0);
    }
    console.log(`fault storms: retries by reason over ${SCALE.stormRuns} run(s): ${JSON.stringify(totals)}`);
  }, 300_000);
});
