// A record over the record size limit (#17: one oversized record committed, then blocked every later
// run). The emulator's playlistDescriptionBytes knob makes one playlist's metadata record 40 MB, larger
// than the transform's JSON reader takes: the record must be quarantined, not landed; the run exits 10
// naming it; the playlist's items and everything else land; the next run exits 0.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { worldSummary } from '../../src/emulator/world.js';
import { startWorld, tableRows, tunelake, type World } from './support.js';

describe('tunelake run with a record over TUNELAKE_MAX_RECORD_BYTES', () => {
  let world: World;
  let playlist: string;
  let artist: string;
  let dir: string;

  beforeAll(async () => {
    world = await startWorld({
      seed: 73,
      faults: { playlistDescriptionBytes: 40_000_000 },
      sources: (emulator) => {
        const summary = worldSummary(emulator.world);
        playlist = summary.playlists.owned[0]!.id;
        artist = summary.artists[0]!.id;
        return {
          playlists: [playlist],
          artists: [artist],
          artistIncludeGroups: ['album', 'single'],
          search: [],
          me: { recentlyPlayed: false, topItems: false, savedTracks: false, playlists: false },
        };
      },
    });
    dir = mkdtempSync(join(tmpdir(), 'tunelake-record-size-'));
  }, 60_000);
  afterAll(async () => {
    await world?.close();
  });

  it('quarantines the record (exit 10, named, counted in --json), lands the rest, and the next run exits 0', async () => {
    const lake = join(dir, 'lake');
    const env = { ...world.env, TUNELAKE_LAKE: lake, TUNELAKE_CONFIG: join(dir, 'sources.json') };
    writeFileSync(join(dir, 'sources.json'), JSON.stringify({ sources: world.sources }));

    const first = await tunelake(['run', '--json'], dir, env);
    expect(first.code, first.stderr).toBe(10);
    const info = JSON.parse(first.stdout) as {
      extract: {
        runId: string;
        records: Record<string, number>;
        quarantined: Array<{ dataset: string; id: string; bytes: number; limit: number; source: string }>;
        quarantineKey: string;
        errors: Array<{ source: string; code: string; message: string }>;
      };
    };
    expect(info.extract.quarantined).toEqual([
      expect.objectContaining({
        dataset: 'playlists',
        id: playlist,
        limit: 10_000_000,
        source: `playlist:${playlist}`,
      }),
    ]);
    expect(info.extract.quarantined[0]!.bytes).toBeGreaterThan(40_000_000);
    expect(info.extract.errors).toEqual([
      expect.objectContaining({ source: `playlist:${playlist}`, code: 'RECORD_TOO_LARGE' }),
    ]);
    expect(info.extract.errors[0]!.message).toMatch(/over the 10000000-byte record size limit: quarantined/);
    expect(first.stderr).toMatch(/quarantined, not landed/);
    // The quarantine object lists it; the raw zone has no playlists record at all.
    const listed = JSON.parse(readFileSync(join(lake, info.extract.quarantineKey), 'utf8'));
    expect(info.extract.quarantineKey).toMatch(/^quarantine\/raw\/dt=\d{4}-\d{2}-\d{2}\/run=.*\.json$/);
    expect(listed.records).toEqual(info.extract.quarantined);
    expect(info.extract.records.playlists ?? 0).toBe(0);
    expect(existsSync(join(lake, 'raw', 'playlists'))).toBe(false);
    // Everything else landed: the playlist's items, the artist and its albums.
    const tables = await tableRows(lake);
    expect(tables.get('tables/playlist_items')!.length).toBeGreaterThan(0);
    expect(tables.get('tables/artists')!.some((row) => row.includes(artist))).toBe(true);
    expect(tables.get('tables/albums')!.length).toBeGreaterThan(0);

    // The next run is not blocked: the playlist is unchanged and its metadata was seen today.
    const second = await tunelake(['run'], dir, env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/run complete/);
    expect(readdirSync(join(lake, 'runs')).filter((n) => n.endsWith('.json'))).toHaveLength(2);
  }, 240_000);
});
