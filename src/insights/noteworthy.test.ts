// noteworthy on a series long enough for its robust z-score (the golden dataset is too short: its
// expected table is empty): ten days of one playlist and of plays, the tenth day a spike.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASET, TABLE_SCHEMAS } from '../../test/golden/insights/dataset.js';
import { loadConfig } from '../config.js';
import { silentLogger } from '../log.js';
import type { Row } from '../query/engine.js';
import { createQueryEngine, createRuntime } from '../runtime.js';
import { headlineInsights } from './headlines.js';
import { insightSql } from './insights.js';
import { refreshInsights } from './refresh.js';
import { type FixtureRow, writeFixtureLake } from './test-support/fixture-lake.js';

const ENV = { TUNELAKE_CREDENTIALS: '/nonexistent/credentials.json' };

const dayOf = (n: number) => `2026-11-${String(n).padStart(2, '0')}`;

// Alma's places per day (t1 listed that many times: each listing is a place), then 8 on day 10.
// Trailing window of day 10: 1, 2, 3, 1, 2, 3, 1, 2, 3 -> median 2; deviations 1, 0, 1, ... -> MAD 1;
// z = (8 - 2) / 1.4826 = 4.05. Bruno (t3) holds 1 place every day: z 0. Days 8 and 9 have 7 and 8
// days behind them, but z 0 and (3 - 2) / 1.4826 = 0.67: no row.
const ALMA_PLACES = [1, 2, 3, 1, 2, 3, 1, 2, 3, 8];
// Bruno's plays (t3): 1 a day, then 5 on day 10. Median 1, MAD 0: the scale is 1, z = 4.
const BRUNO_PLAYS = [1, 1, 1, 1, 1, 1, 1, 1, 1, 5];

function playlistItems(): FixtureRow[] {
  const rows: FixtureRow[] = [];
  ALMA_PLACES.forEach((places, i) => {
    const tracks = ['t3', ...Array.from({ length: places }, () => 't1')];
    for (const [position, track_id] of tracks.entries()) {
      rows.push({
        playlist_id: 'pl_x',
        position,
        item_type: 'track',
        track_id,
        snapshot_id: `s${i}`,
        snapshot_date: dayOf(i + 1),
      });
    }
  });
  return rows;
}

function listens(): FixtureRow[] {
  const rows: FixtureRow[] = [];
  BRUNO_PLAYS.forEach((plays, i) => {
    for (let k = 0; k < plays; k++) {
      const at = `${dayOf(i + 1)} 1${k}:00:00`;
      rows.push({
        listen_id: `api:${at}`,
        listened_at: at,
        item_type: 'track',
        track_id: 't3',
        source: 'api',
      });
    }
  });
  return rows;
}

describe('refreshInsights(runtime) writes noteworthy: spikes above their own trend', () => {
  let lake: string;
  let rows: Row[];
  let headlines: string[];

  beforeAll(async () => {
    lake = mkdtempSync(join(tmpdir(), 'tunelake-noteworthy-'));
    const runtime = await createRuntime(loadConfig({ lake }, ENV), { spotify: false, logger: silentLogger });
    try {
      await writeFixtureLake(runtime.store, runtime.catalog, TABLE_SCHEMAS, {
        ...DATASET,
        playlist_items: playlistItems(),
        listens: listens(),
      });
      await refreshInsights(runtime, { only: ['noteworthy'] });
      const engine = await createQueryEngine(runtime.config, {
        store: runtime.store,
        catalog: runtime.catalog,
        readOnly: true,
      });
      try {
        rows = (await engine.query('SELECT * FROM insight_noteworthy')).rows;
        headlines = await headlineInsights(runtime, { engine });
        // The same rows from the Athena SQL (the same file: no dialect variant is needed).
        expect(insightSql('noteworthy', 'athena')).toBe(insightSql('noteworthy', 'duckdb'));
      } finally {
        await engine.close();
      }
    } finally {
      await runtime.close();
    }
  });
  afterAll(() => {
    if (lake) rmSync(lake, { recursive: true, force: true });
  });

  it('ranks the day-10 spikes of both signals, with median, MAD and z computed by hand', () => {
    expect(rows).toEqual([
      {
        snapshot_date: '2026-11-10',
        signal: 'playlist_positions',
        artist_id: 'ar_a',
        artist_name: 'Alma',
        value: 8,
        baseline_median: 2,
        baseline_mad: 1,
        robust_z: 4.05,
        window_days: 9,
        rank: 1,
      },
      {
        snapshot_date: '2026-11-10',
        signal: 'plays',
        artist_id: 'ar_b',
        artist_name: 'Bruno',
        value: 5,
        baseline_median: 1,
        baseline_mad: 0,
        robust_z: 4,
        window_days: 9,
        rank: 2,
      },
    ]);
  });

  it('headlineInsights() tells the strongest spike of the latest day with one (rank 1)', () => {
    expect(headlines).toEqual([
      'Noteworthy on 2026-11-10: Alma held 8 places in the watched playlists, against a usual 2 (robust z 4.05).',
    ]);
  });
});
