import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASET, TABLE_SCHEMAS } from '../../test/golden/insights/dataset.js';
import { EXPECTED } from '../../test/golden/insights/expected.js';
import { loadConfig } from '../config.js';
import { INSIGHT_NAMES } from '../insights/insights.js';
import { writeFixtureLake } from '../insights/test-support/fixture-lake.js';
import { silentLogger } from '../log.js';
import { createRuntime } from '../runtime.js';
import { registerInsightsCommand } from './insights-command.js';

const ENV = { TUNELAKE_CREDENTIALS: '/nonexistent/credentials.json', SPOTIFY_ACCESS_TIER: 'development' };

/** Runs `tunelake insights <args>` in-process; returns what it printed on stdout. */
async function insights(args: string[]): Promise<string> {
  let out = '';
  const program = new Command('tunelake').exitOverride().configureOutput({ writeErr: () => {} });
  registerInsightsCommand(program, { env: ENV, stdout: (text) => (out += text) });
  await program.parseAsync(['insights', ...args], { from: 'user' });
  return out;
}

describe('registerInsightsCommand(program): tunelake insights', () => {
  let lake: string;

  beforeAll(async () => {
    lake = mkdtempSync(join(tmpdir(), 'tunelake-insights-cli-'));
    const runtime = await createRuntime(loadConfig({ lake }, ENV), { spotify: false, logger: silentLogger });
    try {
      await writeFixtureLake(runtime.store, runtime.catalog, TABLE_SCHEMAS, {
        ...DATASET,
        artist_snapshots: [],
        track_snapshots: [],
      });
    } finally {
      await runtime.close();
    }
  });

  afterAll(() => {
    if (lake) rmSync(lake, { recursive: true, force: true });
  });

  it('--list before any refresh: every insight, its description and availability', async () => {
    const text = await insights(['--list', '--lake', lake]);
    const lines = text.trimEnd().split('\n');
    for (const name of INSIGHT_NAMES) expect(lines.some((l) => l.startsWith(`${name} `))).toBe(true);
    expect(lines[0]).toBe("18 of 21 insights can be filled in the development tier with this lake's data.");
    expect(text).toMatch(
      /^playlist_movers +entries, exits and real climbs and falls .*\[available, not written yet\]\n +answers: What entered, left and really moved/m,
    );
    expect(text).toMatch(
      /^rising_artists .*\[unavailable, extended tier\]\n +answers: .*\n +needs popularity and followers/m,
    );
    expect(INSIGHT_NAMES.length).toBeGreaterThanOrEqual(20);
  });

  it('refreshes by default and prints one line per insight', async () => {
    const text = await insights(['--lake', lake]);
    expect(text).toMatch(/^insights: 18 written, 3 unavailable in /);
    expect(text).toMatch(
      new RegExp(`playlist_movers +${EXPECTED.playlist_movers!.length} rows \\(insight_playlist_movers\\)`),
    );
    expect(text).toMatch(
      /rising_artists +unavailable: needs popularity and followers, which development-mode apps/,
    );
  });

  it('--json --only: the refresh result of the chosen insights for scripts', async () => {
    const out = JSON.parse(
      await insights(['--json', '--only', 'taste_drift,content_mix', '--lake', lake]),
    ) as {
      ok: boolean;
      insights: Array<{ name: string; rows: number; status: string }>;
      durationMs: number;
    };
    expect(out.ok).toBe(true);
    expect(out.insights.map((i) => [i.name, i.status, i.rows])).toEqual([
      ['taste_drift', 'written', EXPECTED.taste_drift!.length],
      ['content_mix', 'written', EXPECTED.content_mix!.length],
    ]);
    expect(typeof out.durationMs).toBe('number');
  });

  it('--list --json after a refresh: the row counts of the written tables', async () => {
    const out = JSON.parse(await insights(['--list', '--json', '--lake', lake])) as {
      insights: Array<{ name: string; available: boolean; rows?: number; reason?: string }>;
    };
    expect(out.insights.find((i) => i.name === 'discovery_rate')).toMatchObject({
      available: true,
      rows: EXPECTED.discovery_rate!.length,
    });
    expect(out.insights.find((i) => i.name === 'rising_artists')).toMatchObject({ available: false });
  });

  it('rejects an unknown insight name', async () => {
    await expect(insights(['--only', 'nope', '--lake', lake])).rejects.toThrow(/unknown insight\(s\) nope/);
  });
});
