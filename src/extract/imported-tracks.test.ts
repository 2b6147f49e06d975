// The backlog of an imported streaming history's tracks, end to end: an export naming 60 tracks the
// emulator's catalogue does not have, imported into a lake, then runs against the emulator with
// `resolveImportedTracks` (as `tunelake demo` starts it) in the development tier: 50 lookups a run.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeBacklog } from '../cli/extract-command.js';
import { loadConfig } from '../config.js';
import { Emulator } from '../emulator/server.js';
import { dayStartMs } from '../emulator/world.js';
import { importStreamingHistory } from '../import/streaming-history.js';
import { silentLogger } from '../log.js';
import { createRuntime, type Runtime } from '../runtime.js';
import { extract } from './extract.js';
import { IMPORTED_TRACKS_PER_RUN } from './imported-tracks.js';
import { readManifest } from './manifest.js';

const ENV = { TUNELAKE_CREDENTIALS: '/nonexistent/credentials.json' };
const TRACKS = 60;
const trackId = (i: number) => `Imp${String(i).padStart(3, '0')}AbCdEfGhIjKlMnOp`;

function writeExport(dir: string): void {
  const records = Array.from({ length: TRACKS }, (_, i) => ({
    ts: `2025-03-01T${String(8 + Math.floor(i / 10)).padStart(2, '0')}:${String((i % 10) * 5).padStart(2, '0')}:00Z`,
    platform: 'linux',
    ms_played: 180_000,
    conn_country: 'DE',
    master_metadata_track_name: `Imported ${i}`,
    master_metadata_album_artist_name: 'Someone Real',
    master_metadata_album_album_name: 'A Real Album',
    spotify_track_uri: `spotify:track:${trackId(i)}`,
    episode_name: null,
    episode_show_name: null,
    spotify_episode_uri: null,
    reason_start: 'trackdone',
    reason_end: 'trackdone',
    shuffle: false,
    skipped: false,
    offline: false,
    offline_timestamp: null,
    incognito_mode: false,
  }));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Streaming_History_Audio_2025_0.json'), JSON.stringify(records));
}

describe('extract(runtime) after an import: enrichImportedTracks and its backlog', () => {
  let dir: string;
  let emulator: Emulator;
  let runtime: Runtime;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tunelake-imported-tracks-'));
    writeExport(join(dir, 'export'));
    emulator = await Emulator.create({ port: 0, tier: 'development', resolveImportedTracks: true });
    runtime = await createRuntime(
      loadConfig({ lake: join(dir, 'lake'), rateLimit: 5000, concurrency: 4 }, ENV),
      { emulator, logger: silentLogger },
    );
    // Before the first run on the emulator's clock (noon of day 0; the runs come at 23:45): run ids
    // order the lake's manifests, and recovery rolls the extract state forward to the newest one.
    const imported = await importStreamingHistory(
      { store: runtime.store },
      [join(dir, 'export')],
      {},
      {
        now: () => new Date(dayStartMs(0) + 12 * 3_600_000),
      },
    );
    expect(imported.new).toBe(TRACKS);
  }, 60_000);
  afterAll(async () => {
    await runtime?.close();
    await emulator?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('fetches one slice a run and says how many runs are left, in the info, the manifest and the run output', async () => {
    const perRun = IMPORTED_TRACKS_PER_RUN.development;
    const first = await extract(runtime, { now: runtime.now });
    expect(first.importedTracks).toEqual({ tracks: TRACKS, fetched: perRun, perRun, runsToGo: 1 });
    expect(first.records.tracks).toBeGreaterThanOrEqual(perRun);
    expect((await readManifest(runtime.store, first.runId)).importedTracks).toEqual(first.importedTracks);
    expect(describeBacklog(first.importedTracks!, first.tier)).toBe(
      `imported history: ${perRun} of ${TRACKS} tracks fetched, 1 run to go ` +
        `(${perRun} a run in the development tier; each \`tunelake run\` fetches the next ones).`,
    );

    emulator.advanceDay();
    const second = await extract(runtime, { now: runtime.now });
    expect(second.importedTracks).toEqual({ tracks: TRACKS, fetched: TRACKS, perRun, runsToGo: 0 });
    expect(describeBacklog(second.importedTracks!, second.tier)).toBe(
      `imported history: ${TRACKS} of ${TRACKS} tracks fetched, all in the catalogue tables.`,
    );
  });
});
