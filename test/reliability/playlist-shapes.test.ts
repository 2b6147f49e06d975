// Odd playlist items (#14 item 2), through the real pipeline (extract -> transform): local files in
// every documented and reported shape (an album without `artists`, `release_date` and
// `release_date_precision` keys, `artists: []`, empty strings, null ids), items whose `added_by` key is
// absent (old playlists), and an item of a type tunelake does not store (an audiobook `chapter`). The
// playlist lands every other item and flags the local files; the odd type is counted and skipped.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AccessTier, loadConfig, type Sources } from '../../src/config.js';
import { Emulator } from '../../src/emulator/server.js';
import { get, userToken } from '../../src/emulator/test-support/http.js';
import { silentLogger } from '../../src/log.js';
import { run } from '../../src/pipeline.js';
import { createRuntime } from '../../src/runtime.js';
import { readTable } from '../../src/transform/test-support/fixture-lake.js';

describe.each<AccessTier>(['development', 'extended'])(
  'run(runtime) over playlists with odd items (%s tier)',
  (tier) => {
    it('lands every stored item, flags the local files, and counts and skips the chapter', async () => {
      const emu = await Emulator.create({ port: 0, tier, seed: 42, faults: { chapterItems: true } });
      const lake = mkdtempSync(join(tmpdir(), 'tunelake-playlist-shapes-'));
      const byName = (name: string) => [...emu.world.playlists.values()].find((p) => p.name === name)!;
      const locals = byName('Late Night Drive');
      const old = byName('Old School Mixtape');
      // Development mode reads only the user's own playlists: the old one is readable in extended only.
      const watched = tier === 'extended' ? [locals, old] : [locals];
      const sources: Sources = {
        playlists: watched.map((p) => p.id),
        artists: [],
        artistIncludeGroups: ['album'],
        search: [],
        me: { recentlyPlayed: false, topItems: false, savedTracks: false, playlists: false },
      };
      const config = loadConfig(
        { lake, tier, sources, rateLimit: 5000, concurrency: 4 },
        { TUNELAKE_CREDENTIALS: '/nonexistent/credentials.json' },
      );
      const runtime = await createRuntime(config, { emulator: emu, logger: silentLogger });
      try {
        // The emulator sends the shapes this test is about.
        const token = await userToken(emu);
        const page = (await get(emu, `/playlists/${locals.id}/items?limit=50`, token)).body as {
          items: Array<{ is_local: boolean; item: { type: string; album?: object } | null }>;
        };
        const localAlbums = page.items.filter((i) => i.is_local).map((i) => i.item?.album);
        expect(localAlbums.length).toBe(2);
        for (const album of localAlbums) {
          expect(album).not.toHaveProperty('release_date');
          expect(album).not.toHaveProperty('release_date_precision');
        }
        expect(page.items.some((i) => i.item?.type === 'chapter')).toBe(true);
        if (tier === 'extended') {
          const oldItems = (await get(emu, `/playlists/${old.id}/items?limit=50`, token)).body.items;
          expect(oldItems.some((i: object) => !('added_by' in i))).toBe(true);
        }

        const info = await run(runtime, { crawlRaw: false, insights: false });
        expect(info.extract.errors).toEqual([]);
        const chapters = watched.flatMap((p) => p.entries).filter((e) => e.kind === 'episode').length;
        expect(chapters).toBeGreaterThan(0);
        expect(runtime.spotify.stats.unknownItemsSkipped).toBe(chapters);
        const stored = watched.flatMap((p) => p.entries).length - chapters;
        expect(info.extract.records.playlist_items).toBe(stored);

        const rows = await readTable(lake, 'playlist_items');
        const ofLocals = rows.filter((r) => r.playlist_id === locals.id);
        expect(ofLocals).toHaveLength(locals.entries.length - 1);
        expect(ofLocals.filter((r) => r.is_local === true)).toHaveLength(2);
        expect(ofLocals.filter((r) => r.is_local === true).every((r) => r.track_id === null)).toBe(true);
        if (tier === 'extended') {
          const ofOld = rows.filter((r) => r.playlist_id === old.id);
          expect(ofOld).toHaveLength(old.entries.length);
          expect(ofOld.filter((r) => r.added_by === null).length).toBeGreaterThanOrEqual(6);
        }
      } finally {
        await runtime.close();
        await emu.close();
        rmSync(lake, { recursive: true, force: true });
      }
    }, 60_000);
  },
);
