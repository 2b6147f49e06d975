// The pieces the benchmarks' comparisons rest on: the generated playlists (the memory benchmark
// extracts them from the emulator) and the pandas baseline, whose dimensions must agree with
// tunelake's on the same raw zone for the comparison to mean anything.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorld } from '../../src/emulator/world.js';
import { createLocalObjectStore } from '../../src/storage/local.js';
import { transform } from '../../src/transform/transform.js';
import { PANDAS_INSTALL, pandasVersion, runPandasBaseline } from '../pandas-baseline.js';
import { addWatchedPlaylists, generatePlaylistLake, type PlaylistLakeInfo } from '../playlist-lake.js';

describe('addWatchedPlaylists(catalog, options)', () => {
  it('adds playlists holding exactly the asked-for number of items, with snapshots', () => {
    const catalog = createWorld({ seed: 7, scale: 1, day: 0 });
    const before = catalog.playlistIds.length;
    const version = catalog.version;
    const ids = addWatchedPlaylists(catalog, { records: 3_000, playlists: 12, seed: 7 });
    expect(ids).toHaveLength(12);
    expect(catalog.playlistIds.slice(before)).toEqual(ids);
    const playlists = ids.map((id) => catalog.playlists.get(id)!);
    expect(playlists.reduce((n, p) => n + p.entries.length, 0)).toBe(3_000);
    for (const p of playlists) expect(p.snapshotId).toMatch(/^[0-9A-Za-z]{32}$/);
    expect(catalog.version).toBeGreaterThan(version);
  });
});

describe('runPandasBaseline(python, paths, outDir)', () => {
  let dir: string;
  let info: PlaylistLakeInfo;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tunelake-bench-test-'));
    const store = createLocalObjectStore({ root: join(dir, 'lake') });
    info = await generatePlaylistLake(store, {
      records: 3_000,
      playlists: 20,
      runs: 2,
      seed: 11,
      changeProbability: 0.5,
      catalogScale: 1,
    });
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('flattens every track item and agrees with the tunelake transform on albums and artists', async () => {
    const found = await pandasVersion('python3');
    expect(found.version, `pandas is needed: ${PANDAS_INSTALL}`).toBe('2.3.3');
    const out = mkdtempSync(join(dir, 'csv-'));
    const result = await runPandasBaseline('python3', info.playlistItemPaths, out);

    // Local files, episodes and unavailable items are skipped; every track item is flattened once.
    expect(result.flattened.songs).toBe(info.itemKinds.track);
    expect(result.rows.songs).toBeLessThanOrEqual(result.flattened.songs);
    expect(result.maxRssBytes).toBeGreaterThan(0);
    const lines = (name: string) => readFileSync(join(out, name), 'utf8').trimEnd().split('\n');
    expect(lines('songs.csv')).toHaveLength(result.rows.songs + 1);
    expect(lines('albums.csv')[0]).toBe('album_id,name,release_date,total_tracks,url');
    expect(lines('albums.csv')).toHaveLength(result.rows.albums + 1);
    expect(lines('artists.csv')).toHaveLength(result.rows.artists + 1);

    const tables = await transform(
      { store: createLocalObjectStore({ root: join(dir, 'lake') }) },
      { full: true },
    );
    expect(result.rows.albums).toBe(tables.rows.albums);
    expect(result.rows.artists).toBe(tables.rows.artists);
  });
});
