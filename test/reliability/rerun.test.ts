// "Fail half-way, then rerun the same day", once per source kind (#17 item 1). A source whose
// listing landed but whose implied fetches failed (albums of a search, tracks of an album, the
// enrichment of what a playlist or a feed names, imported tracks) must not be skipped by the next
// run of the day: the rerun without faults must end with every table equal to a never-faulted
// lake's, row for row. The faults hit only the routes a source implies (faultRoutes): null bodies
// (schema failures), 404s for listed objects, truncated bodies.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sources } from '../../src/config.js';
import type { FaultOptions } from '../../src/emulator/server.js';
import { importStreamingHistory } from '../../src/import/streaming-history.js';
import { createLocalObjectStore } from '../../src/storage/local.js';
import {
  type ChildResult,
  diffTables,
  runPipelineChild,
  startWorld,
  tableRows,
  type World,
  watchedSources,
} from './support.js';

const NONE: Sources['me'] = { recentlyPlayed: false, topItems: false, savedTracks: false, playlists: false };

interface Trial {
  kind: string;
  sources: (all: Sources) => Sources;
  /** Routes the faults hit: what the source implies, not (only) its own listing. */
  routes: string[];
  /** An imported streaming history naming this many catalogue tracks, landed before every run. */
  imported?: number;
}

const TRIALS: Trial[] = [
  {
    kind: 'playlists',
    sources: (all) => ({ ...all, artists: [], search: [], me: NONE }),
    routes: ['/v1/playlists/{id}/items', '/v1/artists/{id}'],
  },
  {
    kind: 'artists',
    sources: (all) => ({ ...all, playlists: [], search: [], me: NONE }),
    routes: ['/v1/artists/{id}/albums', '/v1/albums/{id}', '/v1/albums/{id}/tracks', '/v1/artists/{id}'],
  },
  {
    kind: 'search',
    sources: (all) => ({ ...all, playlists: [], artists: [], me: NONE }),
    routes: ['/v1/albums/{id}', '/v1/albums/{id}/tracks', '/v1/artists/{id}'],
  },
  {
    kind: 'me feeds',
    sources: (all) => ({ ...all, playlists: [], artists: [], search: [] }),
    routes: [
      '/v1/me/player/recently-played',
      '/v1/me/top/{type}',
      '/v1/me/tracks',
      '/v1/me/playlists',
      '/v1/artists/{id}',
    ],
  },
  {
    kind: 'imported-track enrichment',
    sources: (all) => ({ ...all, playlists: [], artists: [], search: [], me: NONE }),
    routes: ['/v1/tracks/{id}', '/v1/artists/{id}'],
    imported: 30,
  },
];

const FAULTS: Partial<FaultOptions> = { rateNulls: 0.3, rate404: 0.3, rateTruncated: 0.2 };

/** A streaming-history export (extended format) whose plays name the given catalogue tracks. */
function historyFile(dir: string, trackIds: string[]): string {
  const path = join(dir, 'Streaming_History_Audio_2026_0.json');
  const records = trackIds.map((id, i) => ({
    ts: new Date(Date.UTC(2026, 0, 1, 8, i)).toISOString().replace('.000', ''),
    ms_played: 180_000,
    conn_country: 'DE',
    master_metadata_track_name: `Track ${i}`,
    master_metadata_album_artist_name: 'Someone',
    master_metadata_album_album_name: 'Something',
    spotify_track_uri: `spotify:track:${id}`,
    episode_name: null,
    episode_show_name: null,
    spotify_episode_uri: null,
    reason_start: 'trackdone',
    reason_end: 'trackdone',
    shuffle: false,
    skipped: false,
    offline: false,
    incognito_mode: false,
  }));
  writeFileSync(path, JSON.stringify(records));
  return path;
}

describe('run(runtime) failing half-way on the routes a source implies, then rerun the same day', () => {
  const worlds: World[] = [];
  afterAll(async () => {
    await Promise.all(worlds.map((w) => w.close()));
  });

  for (const [index, trial] of TRIALS.entries()) {
    describe(trial.kind, () => {
      let world: World;
      let history: string | undefined;

      const newLake = async (name: string): Promise<string> => {
        const lake = mkdtempSync(join(tmpdir(), `tunelake-rerun-${name}-`));
        if (history) {
          const store = createLocalObjectStore({ root: lake });
          // On the world's simulated clock, as the pipeline children: an import stamped with the real
          // date would be a committed run after theirs, and their runs would stop on clock skew (#17).
          await importStreamingHistory(
            { store },
            [history],
            {},
            { now: () => new Date(world.childArgs.baseMs - 60_000) },
          );
          await store.close();
        }
        return lake;
      };

      beforeAll(async () => {
        world = await startWorld({ seed: 70 + index, sources: (emu) => trial.sources(watchedSources(emu)) });
        worlds.push(world);
        if (trial.imported) {
          const dir = mkdtempSync(join(tmpdir(), 'tunelake-rerun-export-'));
          history = historyFile(dir, world.emulator.world.trackIds.slice(0, trial.imported));
        }
      }, 60_000);

      it('the faulted run fails a source, the rerun without faults leaves 0 rows missing', async () => {
        const clean = await newLake('clean');
        const ok = await runPipelineChild({ ...world.childArgs, lake: clean });
        expect(ok.code, ok.stderr).toBe(0);
        const expected = await tableRows(clean);

        const lake = await newLake('faulted');
        world.emulator.setFaults({ ...FAULTS, faultRoutes: trial.routes });
        let faulted: ChildResult;
        try {
          faulted = await runPipelineChild({ ...world.childArgs, lake });
        } finally {
          world.emulator.setFaults({ rateNulls: 0, rate404: 0, rateTruncated: 0, faultRoutes: [] });
        }
        expect(faulted.code, faulted.stderr).toBe(0);
        const first = JSON.parse(faulted.stdout) as { ok: boolean; errors: unknown[] };
        // The faults really made the first run fail half-way.
        expect(first.errors.length, JSON.stringify(first)).toBeGreaterThan(0);

        const rerun = await runPipelineChild({ ...world.childArgs, lake });
        expect(rerun.code, rerun.stderr).toBe(0);
        const second = JSON.parse(rerun.stdout) as { ok: boolean; errors: unknown[] };
        expect(second.errors).toEqual([]);
        const diffs = diffTables(expected, await tableRows(lake));
        console.log(
          `rerun trial "${trial.kind}": faulted run ${first.errors.length} source errors; after the rerun ` +
            `${diffs.length === 0 ? 'tables equal' : JSON.stringify(diffs.map((d) => [d.table, d.lost, d.extra]))}`,
        );
        expect(diffs).toEqual([]);
      }, 120_000);
    });
  }
});
