// Discography completeness (#14 item 1): artists with dozens of albums, singles, compilations and
// appearances, releasing (and having old releases added) over 30 simulated days, watched in both
// tiers. Spotify lists a discography by group first and newest first only within a group
// (spotify/web-api#1002, #1431); an extract that stops at the first page with nothing new misses new
// singles of any artist with a page of albums. What every run lands is compared with the emulator's
// own discographies: 0 missing.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AccessTier, loadConfig, type Sources } from '../../src/config.js';
import { Emulator } from '../../src/emulator/server.js';
import { prolificArtistIds, type World } from '../../src/emulator/world.js';
import { extract } from '../../src/extract/extract.js';
import { silentLogger } from '../../src/log.js';
import { createRuntime } from '../../src/runtime.js';
import { readRunRecords } from '../support/lake.js';

const GROUPS = ['album', 'single', 'compilation', 'appears_on'] as const;
const DAYS = 30;

/** Every album the emulator lists for `artistId` in the followed groups. */
function discography(catalog: World, artistId: string, groups: readonly string[]): string[] {
  const artist = catalog.artists.get(artistId)!;
  const own = artist.albumIds.filter((id) => groups.includes(catalog.albums.get(id)!.albumType));
  const appears = groups.includes('appears_on') ? artist.appearsOnAlbumIds : [];
  return [...own, ...appears];
}

describe.each<AccessTier>(['development', 'extended'])(
  'extract(runtime) of watched artists with large discographies over 30 simulated days (%s tier)',
  (tier) => {
    it('lands every release of every watched artist: 0 missing after every day', async () => {
      const emu = await Emulator.create({ port: 0, tier, seed: 1414, prolificArtists: 2 });
      const lake = mkdtempSync(join(tmpdir(), 'tunelake-discography-'));
      const prolific = prolificArtistIds(emu.world);
      const sources: Sources = {
        playlists: [],
        // The two prolific artists and an ordinary one.
        artists: [...prolific, ...emu.world.artistIds.slice(2, 3)],
        artistIncludeGroups: [...GROUPS],
        search: [],
        me: { recentlyPlayed: false, topItems: false, savedTracks: false, playlists: false },
      };
      const config = loadConfig(
        { lake, tier, sources, rateLimit: 5000, concurrency: 4 },
        { TUNELAKE_CREDENTIALS: '/nonexistent/credentials.json' },
      );
      const runtime = await createRuntime(config, { emulator: emu, logger: silentLogger });
      try {
        // Big enough that a page of albums (50 in extended) hides the newest single in a combined listing.
        for (const id of prolific) {
          expect(discography(emu.world, id, ['album']).length).toBeGreaterThan(50);
        }
        const added = { releases: 0, backCatalogue: 0 };
        const landed = new Map<string, Set<string>>();
        let previous = new Set(sources.artists.flatMap((id) => discography(emu.world, id, GROUPS)));
        for (let day = 0; day <= DAYS; day++) {
          if (day > 0) {
            emu.advanceDay(1);
            const now = sources.artists.flatMap((id) => discography(emu.world, id, GROUPS));
            for (const id of now) {
              if (previous.has(id)) continue;
              if (emu.world.albums.get(id)!.releaseDay === emu.day) added.releases++;
              else added.backCatalogue++;
            }
            previous = new Set(now);
          }
          const info = await extract(runtime, { now: runtime.now });
          expect(info.errors).toEqual([]);
          for (const r of await readRunRecords(runtime.store, info.runId)) {
            if (r.dataset !== 'artist_albums') continue;
            const artistId = r.context.artist_id as string;
            if (!landed.has(artistId)) landed.set(artistId, new Set());
            landed.get(artistId)!.add(r.data.id as string);
          }
          const missing = sources.artists.flatMap((artistId) =>
            discography(emu.world, artistId, GROUPS)
              .filter((albumId) => !landed.get(artistId)?.has(albumId))
              .map((albumId) => `${artistId}/${albumId}`),
          );
          expect(missing, `missing on day ${day}`).toEqual([]);
        }
        // The 30 days did bring new releases and back-catalogue additions, or the test proves nothing.
        expect(added.releases).toBeGreaterThan(10);
        expect(added.backCatalogue).toBeGreaterThan(0);

        // An unchanged day (a second run the same day): one request per followed group per artist.
        emu.resetStats();
        const again = await extract(runtime, { now: runtime.now });
        expect(again.records).toEqual({});
        expect(emu.stats().byRoute['GET /v1/artists/{id}/albums']).toBe(
          sources.artists.length * GROUPS.length,
        );
        expect(again.requests).toBe(sources.artists.length * GROUPS.length);
      } finally {
        await runtime.close();
        await emu.close();
      }
    }, 120_000);
  },
);
