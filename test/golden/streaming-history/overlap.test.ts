// An export that overlaps what the API already polled: a lake built by the pipeline against the
// emulator (recently played), then an export whose streams coincide with some of those plays, then
// the next run (which fetches the export's unseen tracks). Nothing may be counted twice.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Sources } from '../../../src/config.js';
import { Emulator } from '../../../src/emulator/server.js';
import { importStreamingHistory } from '../../../src/import/streaming-history.js';
import { silentLogger } from '../../../src/log.js';
import { run } from '../../../src/pipeline.js';
import { createRuntime, type Runtime } from '../../../src/runtime.js';
import { readTable } from '../../../src/transform/test-support/fixture-lake.js';

type Row = Record<string, unknown>;

const iso = (duckTs: unknown, plusMs: number) =>
  new Date(Date.parse(`${String(duckTs).replace(' ', 'T')}Z`) + plusMs).toISOString();

function stream(ts: string, trackId: string, name: string, msPlayed = 180000): Row {
  return {
    ts,
    username: 'someone',
    platform: 'Android OS 14 API 34 (Google, Pixel 8)',
    ms_played: msPlayed,
    conn_country: 'DE',
    ip_addr: '192.0.2.1',
    master_metadata_track_name: name,
    master_metadata_album_artist_name: 'Someone',
    master_metadata_album_album_name: 'Something',
    spotify_track_uri: `spotify:track:${trackId}`,
    reason_start: 'trackdone',
    reason_end: 'trackdone',
    shuffle: false,
    skipped: false,
    offline: false,
    incognito_mode: false,
  };
}

describe('importStreamingHistory() over a lake the pipeline filled from the emulator (development tier)', () => {
  let emu: Emulator;
  let runtime: Runtime;
  let lake: string;
  let exportDir: string;
  let plays: Row[];
  let unseen: string[];
  let listens: Row[];
  let tracksAfter: Row[];
  let trackLookups: number;

  beforeAll(async () => {
    emu = await Emulator.create({ port: 0, tier: 'development', seed: 11 });
    lake = mkdtempSync(join(tmpdir(), 'tunelake-overlap-'));
    exportDir = mkdtempSync(join(tmpdir(), 'tunelake-overlap-export-'));
    const sources: Sources = {
      playlists: [],
      artists: [],
      artistIncludeGroups: ['album', 'single'],
      search: [],
      me: { recentlyPlayed: true, topItems: false, savedTracks: false, playlists: false },
    };
    const config = loadConfig(
      { lake, tier: 'development', sources, rateLimit: 5000, concurrency: 4 },
      { TUNELAKE_CREDENTIALS: '/nonexistent/credentials.json' },
    );
    runtime = await createRuntime(config, { emulator: emu, logger: silentLogger });
    await run(runtime, { crawlRaw: false });
    plays = await readTable(lake, 'plays');
    const known = new Set((await readTable(lake, 'tracks')).map((t) => String(t.id)));
    unseen = emu.world.trackIds.filter((id) => !known.has(id)).slice(0, 2);

    // Streams 0-2 are plays 0-2, ending 3 s after played_at (the same listen); stream 3 is play 3's
    // track again, 11 s later (outside the 10 s window: another listen); streams 4-5 are tracks the lake
    // has never seen, years back.
    const [p0, p1, p2, p3] = plays;
    const name = (id: unknown) => emu.world.tracks.get(String(id))?.name ?? 'x';
    const records = [
      stream(iso(p0!.played_at, 3000), String(p0!.track_id), name(p0!.track_id)),
      stream(iso(p1!.played_at, -2000), String(p1!.track_id), name(p1!.track_id)),
      stream(iso(p2!.played_at, 9000), String(p2!.track_id), name(p2!.track_id)),
      stream(iso(p3!.played_at, 11_000), String(p3!.track_id), name(p3!.track_id)),
      stream('2019-04-01T10:00:00Z', unseen[0]!, name(unseen[0])),
      stream('2019-04-01T10:04:00Z', unseen[1]!, name(unseen[1])),
    ];
    writeFileSync(
      join(exportDir, 'Streaming_History_Audio_2019-2026_0.json'),
      JSON.stringify(records, null, 2),
    );
    // On the emulator's clock, as the runs: an import stamped with the real date would be a committed
    // run after the next one, which would then stop on clock skew (#17).
    await importStreamingHistory(runtime, [exportDir], {}, { now: runtime.now });
    emu.resetStats();
    await run(runtime, { crawlRaw: false });
    trackLookups = emu.stats().byRoute['GET /v1/tracks/{id}'] ?? 0;
    listens = await readTable(lake, 'listens');
    tracksAfter = await readTable(lake, 'tracks');
  }, 60_000);

  afterAll(async () => {
    await runtime?.close();
    await emu?.close();
    for (const dir of [lake, exportDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('has polled plays to overlap', () => {
    expect(plays.length).toBeGreaterThanOrEqual(4);
  });

  it('merges a play and a stream of the same track ending within 10 s into one listen', async () => {
    const playsNow = await readTable(lake, 'plays');
    const streams = await readTable(lake, 'streams');
    expect(streams).toHaveLength(6);
    expect(listens).toHaveLength(playsNow.length + streams.length - 3);
    const merged = listens.filter((l) => l.source === 'export-extended+api');
    expect(merged.map((l) => l.track_id).sort()).toEqual(
      plays
        .slice(0, 3)
        .map((p) => p.track_id)
        .sort(),
    );
    for (const l of merged) {
      expect(l.stream_key).not.toBeNull();
      expect(l.played_at).not.toBeNull();
      expect(l.ms_played).toBe(180000);
    }
    // 11 s apart: two listens of play 3's track, one from the API and one from the export.
    const p3 = plays[3]!;
    const sameTrack = listens.filter((l) => l.track_id === p3.track_id);
    expect(sameTrack.map((l) => l.source).sort()).toEqual(expect.arrayContaining(['api', 'export-extended']));
    // Every play is in the timeline exactly once.
    const playKeys = listens.filter((l) => l.played_at !== null).map((l) => `${l.played_at} ${l.track_id}`);
    expect(new Set(playKeys).size).toBe(playKeys.length);
    expect(playKeys).toHaveLength(playsNow.length);
  });

  it('the next run fetched the tracks the export named and the lake lacked, so their names join', () => {
    expect(trackLookups).toBeGreaterThanOrEqual(2);
    const ids = new Set(tracksAfter.map((t) => t.id));
    for (const id of unseen) expect(ids.has(id)).toBe(true);
    const old = listens.filter((l) => String(l.listened_at).startsWith('2019-04-01'));
    expect(old).toHaveLength(2);
  });

  it('importing the same export again and running again changes no listen', async () => {
    const again = await importStreamingHistory(runtime, [exportDir], {}, { now: runtime.now });
    expect(again).toMatchObject({ runId: undefined, new: 0, duplicates: 6 });
    await run(runtime, { crawlRaw: false });
    const after = await readTable(lake, 'listens');
    const key = (rows: Row[]) => rows.filter((l) => l.stream_key !== null);
    expect(key(after)).toEqual(key(listens));
    expect(after.filter((l) => l.source === 'export-extended+api')).toHaveLength(3);
  });
});
