// headlineInsights() lines that the golden lake's last day does not tell (src/insights/refresh.test.ts
// checks those): new releases of the week, on the golden lake moved back to 2026-10-24, and a pre-release
// that must not count. The noteworthy line is checked in noteworthy.test.ts, on its longer series.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DATASET, TABLE_SCHEMAS } from '../../test/golden/insights/dataset.js';
import { loadConfig } from '../config.js';
import { silentLogger } from '../log.js';
import { createRuntime } from '../runtime.js';
import { headlineInsights } from './headlines.js';
import { refreshInsights } from './refresh.js';
import { type FixtureRow, writeFixtureLake } from './test-support/fixture-lake.js';

const ENV = { TUNELAKE_CREDENTIALS: '/nonexistent/credentials.json' };
const lakes: string[] = [];
afterAll(() => {
  for (const lake of lakes) rmSync(lake, { recursive: true, force: true });
});

async function headlinesOf(dataset: Record<string, FixtureRow[]>, only: string[]): Promise<string[]> {
  const lake = mkdtempSync(join(tmpdir(), 'tunelake-headlines-'));
  lakes.push(lake);
  const runtime = await createRuntime(loadConfig({ lake, tier: 'extended' }, ENV), {
    spotify: false,
    logger: silentLogger,
  });
  try {
    await writeFixtureLake(runtime.store, runtime.catalog, TABLE_SCHEMAS, dataset);
    await refreshInsights(runtime, { only });
    return await headlineInsights(runtime);
  } finally {
    await runtime.close();
  }
}

/** The golden lake, last seeing its artists on `day`: new_releases' as_of_date. */
function artistsSeenOn(day: string): FixtureRow[] {
  return DATASET.artists!.map((a) => ({ ...a, last_seen_at: `${day} 08:00:00` }));
}

const release = (album_id: string, artist_id: string, album_name: string, date: string): FixtureRow => ({
  album_id,
  artist_id,
  source: 'watchlist',
  album_name,
  album_type: 'album',
  album_group: 'album',
  release_date_start: date,
  first_seen_date: date,
});

describe('headlineInsights(runtime) for new_releases', () => {
  it('names the releases of the 7 days up to as_of_date, newest first, and leaves out announced ones', async () => {
    // As of 10-24: Second Wind (10-20) is 4 days old; Cleo's al_n1 (10-18) 6 days: both in the week.
    // al_n2 (10-17, 7 days) is not; al_n3 (10-30) is announced, not out yet.
    const lines = await headlinesOf(
      {
        ...DATASET,
        artists: artistsSeenOn('2026-10-24'),
        releases: [
          ...DATASET.releases!,
          release('al_n1', 'ar_c', 'Night Bus', '2026-10-18'),
          release('al_n2', 'ar_c', 'Last Week', '2026-10-17'),
          release('al_n3', 'ar_a', 'Soon', '2026-10-30'),
        ],
      },
      ['new_releases'],
    );
    expect(lines).toEqual([
      'New this week (7 days to 2026-10-24): 2 releases by watched artists: Bruno, "Second Wind" (single, ' +
        '2026-10-20); Cleo, "Night Bus" (album, 2026-10-18).',
    ]);
  });

  it('lists three and counts the rest', async () => {
    const lines = await headlinesOf(
      {
        ...DATASET,
        artists: artistsSeenOn('2026-10-24'),
        releases: [
          ...DATASET.releases!,
          release('al_n1', 'ar_c', 'A', '2026-10-21'),
          release('al_n2', 'ar_c', 'B', '2026-10-22'),
          release('al_n3', 'ar_a', 'C', '2026-10-22'),
        ],
      },
      ['new_releases'],
    );
    // 10-22: Alma (ar_a) before Cleo (ar_c); then 10-21; Bruno's 10-20 is the one counted.
    expect(lines).toEqual([
      'New this week (7 days to 2026-10-24): 4 releases by watched artists: Alma, "C" (album, 2026-10-22); ' +
        'Cleo, "B" (album, 2026-10-22); Cleo, "A" (album, 2026-10-21); and 1 more.',
    ]);
  });

  it('gives no line when nothing came out in the week (the golden lake as of 12-01: 42 days)', async () => {
    expect(await headlinesOf(DATASET, ['new_releases'])).toEqual([]);
  });
});

describe('headlineInsights(runtime) for chart_history', () => {
  const day = (date: string, tracks: string[]): FixtureRow[] =>
    tracks.map((track_id, position) => ({
      playlist_id: 'pl_x',
      position,
      item_type: 'track',
      track_id,
      snapshot_id: `s-${date}`,
      snapshot_date: date,
    }));

  it('tells no new peak for a track only pushed up by an exit above it (a shift, not a climb)', async () => {
    // t1 leaves from #1: t2 and t3 each gain a place and reach their best, without overtaking anyone.
    const lines = await headlinesOf(
      {
        ...DATASET,
        playlist_items: [...day('2026-11-01', ['t1', 't2', 't3']), ...day('2026-11-02', ['t2', 't3'])],
      },
      ['chart_history', 'playlist_movers'],
    );
    expect(lines).toEqual([
      'Playlist changes on 2026-11-02: 0 entries and 1 exit across 1 watched playlist.',
    ]);
  });

  it('tells the new peak of a track that overtook another', async () => {
    const lines = await headlinesOf(
      {
        ...DATASET,
        playlist_items: [...day('2026-11-01', ['t1', 't2', 't3']), ...day('2026-11-02', ['t1', 't3', 't2'])],
      },
      ['chart_history', 'playlist_movers'],
    );
    expect(lines).toContain(
      'New peak on 2026-11-02: "Three" by Bruno reached #2 in "Morning Mix" (from #3), its best in 2 observed days there.',
    );
  });
});
