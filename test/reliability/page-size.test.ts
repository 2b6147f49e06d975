// Page-size limits (#14 item 4): Spotify's OpenAPI (2026.5.31) caps search and artist albums at 10
// with no tier exception and development-mode apps get `400 Invalid limit` above it (spotipy#1231);
// nobody has published how extended-quota apps behave. With the emulator's strictPageSize knob on in
// the extended tier, the extract falls back to 10, lands everything, and keeps the smaller size in the
// lake's state so the next run does not ask for 50 again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, type Sources } from '../../src/config.js';
import { Emulator } from '../../src/emulator/server.js';
import { extract } from '../../src/extract/extract.js';
import { loadState } from '../../src/extract/state.js';
import { silentLogger } from '../../src/log.js';
import { createRuntime } from '../../src/runtime.js';

describe('extract(runtime) against an extended-tier emulator with strict page sizes', () => {
  it('falls back to 10 on 400 Invalid limit, lands every source, and remembers the size in the lake', async () => {
    const emu = await Emulator.create({
      port: 0,
      tier: 'extended',
      seed: 9,
      prolificArtists: 1,
      faults: { strictPageSize: true },
    });
    const lake = mkdtempSync(join(tmpdir(), 'tunelake-page-size-'));
    const artistId = emu.world.artistIds[0]!;
    const sources: Sources = {
      playlists: [],
      artists: [artistId],
      artistIncludeGroups: ['album', 'single'],
      search: [{ q: 'tag:new', type: 'album', limit: 30 }],
      me: { recentlyPlayed: false, topItems: false, savedTracks: false, playlists: false },
    };
    const config = loadConfig(
      { lake, tier: 'extended', sources, rateLimit: 5000, concurrency: 4 },
      { TUNELAKE_CREDENTIALS: '/nonexistent/credentials.json' },
    );
    try {
      const first = await createRuntime(config, { emulator: emu, logger: silentLogger });
      try {
        const info = await extract(first, { now: first.now });
        expect(info.errors).toEqual([]);
        expect(first.spotify.pageSizes).toEqual({ artistAlbums: 10, search: 10 });
        // The whole discography landed, at 10 a page.
        const artist = emu.world.artists.get(artistId)!;
        const wanted = artist.albumIds.filter((id) =>
          ['album', 'single'].includes(emu.world.albums.get(id)!.albumType),
        );
        expect(info.records.artist_albums).toBe(wanted.length);
        expect(info.records.search_results).toBeGreaterThan(0);
        // One refusal per listing kind, not one per request.
        expect(emu.stats().byStatus['400']).toBe(2);
        expect((await loadState(first.store)).state.pageSizes).toEqual({ artistAlbums: 10, search: 10 });
      } finally {
        await first.close();
      }

      // A later run (a new client) starts at 10: no refusal at all.
      emu.resetStats();
      emu.advanceDay(1);
      const second = await createRuntime(config, { emulator: emu, logger: silentLogger });
      try {
        const info = await extract(second, { now: second.now });
        expect(info.errors).toEqual([]);
        expect(emu.stats().byStatus['400'] ?? 0).toBe(0);
      } finally {
        await second.close();
      }
    } finally {
      await emu.close();
      rmSync(lake, { recursive: true, force: true });
    }
  }, 60_000);
});
