// playlist_movers on the cases that made the old version tell the wrong story (issue #18): a track
// pushed by entries or exits above it has not moved.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DATASET, TABLE_SCHEMAS } from '../../test/golden/insights/dataset.js';
import { loadConfig } from '../config.js';
import { silentLogger } from '../log.js';
import { createQueryEngine, createRuntime } from '../runtime.js';
import { refreshInsights } from './refresh.js';
import type { FixtureRow } from './test-support/fixture-lake.js';
import { writeFixtureLake } from './test-support/fixture-lake.js';

const ENV = { TUNELAKE_CREDENTIALS: '/nonexistent/credentials.json' };
const lakes: string[] = [];
afterAll(() => {
  for (const dir of lakes) rmSync(dir, { recursive: true, force: true });
});

function day(playlistId: string, date: string, trackIds: string[]): FixtureRow[] {
  return trackIds.map((track_id, position) => ({
    playlist_id: playlistId,
    position,
    item_type: 'track',
    track_id,
    snapshot_id: `${playlistId}-${date}`,
    snapshot_date: date,
  }));
}

/** Writes a lake whose only playlist items are these, refreshes playlist_movers, returns its rows. */
async function movers(items: FixtureRow[]): Promise<Array<Record<string, unknown>>> {
  const lake = mkdtempSync(join(tmpdir(), 'tunelake-movers-'));
  lakes.push(lake);
  const runtime = await createRuntime(loadConfig({ lake }, ENV), { spotify: false, logger: silentLogger });
  try {
    await writeFixtureLake(runtime.store, runtime.catalog, TABLE_SCHEMAS, {
      ...DATASET,
      playlist_items: items,
    });
    await refreshInsights(runtime, { only: ['playlist_movers'] });
    const engine = await createQueryEngine(runtime.config, {
      store: runtime.store,
      catalog: runtime.catalog,
      readOnly: true,
    });
    try {
      const { rows } = await engine.query(
        'SELECT track_id, move, from_position, to_position, delta, rank_change FROM insight_playlist_movers',
      );
      return rows;
    } finally {
      await engine.close();
    }
  } finally {
    await runtime.close();
  }
}

const TRACKS = Array.from({ length: 25 }, (_, i) => `k${String(i + 1).padStart(2, '0')}`);

describe('refreshInsights(runtime) writes playlist_movers with real moves only', () => {
  it('one track added at the top of a 25-track playlist: exactly 1 entry, no climbs or falls', async () => {
    const rows = await movers([
      ...day('pl_z', '2026-11-01', TRACKS),
      ...day('pl_z', '2026-11-02', ['new', ...TRACKS.slice(0, 24)]),
    ]);
    // k25 was pushed off the end: an exit. The 24 tracks pushed down one place have not moved.
    expect(rows).toEqual([
      { track_id: 'new', move: 'entry', from_position: null, to_position: 1, delta: null, rank_change: null },
      { track_id: 'k25', move: 'exit', from_position: 25, to_position: null, delta: null, rank_change: null },
    ]);
  });

  it('one exit near the top: no climbs for the tracks below it', async () => {
    const rows = await movers([
      ...day('pl_z', '2026-11-01', TRACKS),
      ...day(
        'pl_z',
        '2026-11-02',
        TRACKS.filter((t) => t !== 'k02'),
      ),
    ]);
    expect(rows).toEqual([
      { track_id: 'k02', move: 'exit', from_position: 2, to_position: null, delta: null, rank_change: null },
    ]);
  });

  it('a real move among entries and exits: rank_change counts the tracks overtaken, delta the raw places', async () => {
    // Day 2: an entry at the top, k02 leaves, and k10 jumps above k03..k09 (7 tracks): raw 10 -> 3.
    // k03..k09 each lose one rank, but only because k10 passed them: no row for them.
    const day2 = ['new', 'k01', 'k10', ...TRACKS.slice(2, 9), ...TRACKS.slice(10)];
    const rows = await movers([...day('pl_z', '2026-11-01', TRACKS), ...day('pl_z', '2026-11-02', day2)]);
    expect(rows).toEqual([
      { track_id: 'k10', move: 'climb', from_position: 10, to_position: 3, delta: 7, rank_change: 7 },
      { track_id: 'new', move: 'entry', from_position: null, to_position: 1, delta: null, rank_change: null },
      { track_id: 'k02', move: 'exit', from_position: 2, to_position: null, delta: null, rank_change: null },
    ]);
  });

  it('one track dropped from the top to the bottom: 1 fall, not 24 climbs of 1', async () => {
    const rows = await movers([
      ...day('pl_z', '2026-11-01', TRACKS),
      ...day('pl_z', '2026-11-02', [...TRACKS.slice(1), 'k01']),
    ]);
    expect(rows).toEqual([
      { track_id: 'k01', move: 'fall', from_position: 1, to_position: 25, delta: -24, rank_change: -24 },
    ]);
  });

  it('two tracks swapping places: both moved', async () => {
    const swapped = [...TRACKS];
    [swapped[4], swapped[5]] = [swapped[5]!, swapped[4]!];
    const rows = await movers([...day('pl_z', '2026-11-01', TRACKS), ...day('pl_z', '2026-11-02', swapped)]);
    expect(rows).toEqual([
      { track_id: 'k06', move: 'climb', from_position: 6, to_position: 5, delta: 1, rank_change: 1 },
      { track_id: 'k05', move: 'fall', from_position: 5, to_position: 6, delta: -1, rank_change: -1 },
    ]);
  });
});
