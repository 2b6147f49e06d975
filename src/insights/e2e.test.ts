import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE_SCHEMAS } from '../../test/golden/insights/dataset.js';
import { TABLES_DATABASE } from '../catalog/catalog.js';
import { type AccessTier, loadConfig, type Sources } from '../config.js';
import { Emulator } from '../emulator/server.js';
import { worldSummary } from '../emulator/world.js';
import { silentLogger } from '../log.js';
import { run } from '../pipeline.js';
import { createQueryEngine, createRuntime, type Runtime } from '../runtime.js';
import { headlineInsights } from './headlines.js';
import { INSIGHT_NAMES } from './insights.js';
import { type InsightsInfo, refreshInsights } from './refresh.js';
import { HIVE_TYPE_OF } from './test-support/fixture-lake.js';

// Seed 13 edits some of the demo user's playlists on each of the two simulated days (entries and
// exits both), so that the comparison below has something to compare.
const SEED = 13;
const DAYS = 3;

/** playlist id -> the track ids of its track entries, as the emulator holds them today. */
type Snapshot = Map<string, Set<string>>;

describe.each<AccessTier>(['development', 'extended'])(
  'refreshInsights(runtime) after %s-tier pipeline runs on 3 simulated days against the emulator',
  (tier) => {
    let emu: Emulator;
    let runtime: Runtime;
    let sources: Sources;
    let info: InsightsInfo;
    let lake: string;
    const days: Array<{ dt: string; tracks: Snapshot }> = [];

    beforeAll(async () => {
      emu = await Emulator.create({ port: 0, tier, seed: SEED });
      const summary = worldSummary(emu.world);
      sources = {
        // Development mode reads the items of owned and collaborative playlists only.
        playlists: [
          ...summary.playlists.owned,
          ...summary.playlists.collaborative,
          ...(tier === 'extended' ? summary.playlists.other.slice(0, 3) : []),
        ].map((p) => p.id),
        artists: summary.artists.slice(0, 6).map((a) => a.id),
        artistIncludeGroups: ['album', 'single'],
        search: [{ q: 'tag:new', type: 'album', limit: 20 }],
        me: { recentlyPlayed: true, topItems: true, savedTracks: true, playlists: true },
      };
      lake = mkdtempSync(join(tmpdir(), 'tunelake-insights-e2e-'));
      const config = loadConfig(
        { lake, tier, sources, rateLimit: 5000, concurrency: 4 },
        { TUNELAKE_CREDENTIALS: '/nonexistent/credentials.json' },
      );
      runtime = await createRuntime(config, { emulator: emu, logger: silentLogger });
      for (let day = 0; day < DAYS; day++) {
        if (day > 0) emu.advanceDay();
        const tracks: Snapshot = new Map(
          sources.playlists.map((id) => [
            id,
            new Set(
              emu.world.playlists
                .get(id)!
                .entries.filter((e) => e.kind === 'track')
                .map((e) => e.ref),
            ),
          ]),
        );
        const result = await run(runtime, { crawlRaw: false });
        expect(result.extract.errors).toEqual([]);
        days.push({ dt: result.extract.dt, tracks });
      }
      info = await refreshInsights(runtime);
    });
    afterAll(async () => {
      await runtime?.close();
      await emu?.close();
      if (lake) rmSync(lake, { recursive: true, force: true });
    });

    it('writes rows for every insight the tier supports, and says why for the others', () => {
      expect(new Set(days.map((d) => d.dt)).size).toBe(DAYS);
      expect(info.insights.map((i) => i.name)).toEqual(INSIGHT_NAMES);
      for (const result of info.insights) {
        if (
          tier === 'development' &&
          ['rising_artists', 'label_share', 'track_momentum'].includes(result.name)
        ) {
          expect(result.status).toBe('unavailable');
          expect(result.reason).toContain('development-mode apps no longer receive');
          continue;
        }
        // A robust z-score needs 7 observed days behind the day: 3 days give none.
        if (result.name === 'noteworthy') {
          expect(result).toMatchObject({ status: 'written', rows: 0 });
          continue;
        }
        // These runs import no streaming history: play lengths and skips are unknown.
        if (result.name === 'listening_completion') {
          expect(result.status).toBe('unavailable');
          expect(result.reason).toContain('needs an imported streaming history');
          continue;
        }
        expect(result, result.name).toMatchObject({ status: 'written' });
        expect(result.rows, result.name).toBeGreaterThan(0);
      }
    });

    it("lists as entries and exits exactly what the emulator's playlists gained and lost each day", async () => {
      const engine = await createQueryEngine(runtime.config, {
        store: runtime.store,
        catalog: runtime.catalog,
        readOnly: true,
      });
      try {
        const { rows } = await engine.query(
          "SELECT snapshot_date, playlist_id, move, track_id FROM insight_playlist_movers WHERE move IN ('entry', 'exit')",
        );
        const actual = new Set(
          rows.map((r) => `${r.snapshot_date} ${r.playlist_id} ${r.move} ${r.track_id}`),
        );
        const expected = new Set<string>();
        for (let d = 1; d < DAYS; d++) {
          const before = days[d - 1]!;
          const after = days[d]!;
          for (const id of sources.playlists) {
            const was = before.tracks.get(id)!;
            const is = after.tracks.get(id)!;
            for (const track of is) if (!was.has(track)) expected.add(`${after.dt} ${id} entry ${track}`);
            for (const track of was) if (!is.has(track)) expected.add(`${after.dt} ${id} exit ${track}`);
          }
        }
        expect([...expected].some((e) => e.includes(' entry '))).toBe(true);
        expect([...expected].some((e) => e.includes(' exit '))).toBe(true);
        expect([...actual].sort()).toEqual([...expected].sort());
      } finally {
        await engine.close();
      }
    });

    it('reads tables with the columns and types the golden dataset declares', async () => {
      for (const [name, schema] of Object.entries(TABLE_SCHEMAS)) {
        const table = await runtime.catalog.getTable(TABLES_DATABASE, name);
        expect(table, name).toBeDefined();
        expect(
          table!.StorageDescriptor.Columns.map((c) => [c.Name, c.Type]),
          name,
        ).toEqual(schema.columns.map(([c, type]) => [c, HIVE_TYPE_OF[type]]));
        expect(
          table!.PartitionKeys.map((k) => [k.Name, k.Type]),
          name,
        ).toEqual(schema.partitionKey ? [[schema.partitionKey, 'string']] : []);
      }
    });

    it('headlineInsights() has a line for the playlists, the releases and the listening', async () => {
      const lines = await headlineInsights(runtime);
      expect(lines.some((l) => l.startsWith('Most present artist on '))).toBe(true);
      expect(lines.some((l) => l.startsWith('Playlist changes on '))).toBe(true);
      expect(lines.some((l) => l.startsWith('Latest release among watched artists: '))).toBe(true);
      expect(lines.some((l) => l.startsWith('Listening peak: '))).toBe(true);
      expect(lines.some((l) => l.startsWith('Fastest-rising artist: '))).toBe(tier === 'extended');
    });
  },
);
