import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccessTier, loadConfig, type Sources } from '../../src/config.js';
import { Emulator } from '../../src/emulator/server.js';
import { worldNowMs, worldSummary } from '../../src/emulator/world.js';
import { isTunelakeError } from '../../src/errors.js';
import { extract } from '../../src/extract/extract.js';
import { withRunLock } from '../../src/lock.js';
import { silentLogger } from '../../src/log.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { fingerprint, readRawRecords } from '../support/lake.js';

const NO_CREDENTIALS_FILE = { TUNELAKE_CREDENTIALS: '/nonexistent/credentials.json' };

async function runtimeFor(emu: Emulator, sources: Sources | undefined, lake?: string): Promise<Runtime> {
  const dir = lake ?? mkdtempSync(join(tmpdir(), 'tunelake-extract-'));
  const config = loadConfig(
    { lake: dir, tier: emu.tier, sources, rateLimit: 5000, concurrency: 4 },
    NO_CREDENTIALS_FILE,
  );
  return createRuntime(config, { emulator: emu, logger: silentLogger });
}

function watchedSources(emu: Emulator): Sources {
  const summary = worldSummary(emu.world);
  return {
    playlists: [...summary.playlists.owned, ...summary.playlists.collaborative].map((p) => p.id),
    artists: summary.artists.slice(0, 5).map((a) => a.id),
    artistIncludeGroups: ['album', 'single'],
    search: [{ q: 'tag:new', type: 'album', limit: 30 }],
    me: { recentlyPlayed: true, topItems: true, savedTracks: true, playlists: true },
  };
}

function countBy(records: Array<{ dataset: string }>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) out[r.dataset] = (out[r.dataset] ?? 0) + 1;
  return out;
}

describe.each<AccessTier>(['development', 'extended'])(
  'extract(runtime) against the emulator, %s tier',
  (tier) => {
    let emu: Emulator;
    let runtime: Runtime;
    let sources: Sources;

    beforeAll(async () => {
      emu = await Emulator.create({ port: 0, tier, seed: 11 });
      sources = watchedSources(emu);
      runtime = await runtimeFor(emu, sources);
    });
    afterAll(async () => {
      await runtime?.close();
      await emu?.close();
    });

    it('lands every configured source on a cold run', async () => {
      const info = await extract(runtime, { now: runtime.now });
      expect(info.errors).toEqual([]);
      const records = await readRawRecords(runtime.store);
      const counts = countBy(records);
      for (const dataset of [
        'playlists',
        'playlist_items',
        'artists',
        'artist_albums',
        'albums',
        'album_tracks',
        'search_results',
        'recently_played',
        'top_items',
        'saved_tracks',
        'my_playlists',
        'me',
      ]) {
        expect(counts[dataset], dataset).toBeGreaterThan(0);
      }
      expect(counts.playlists).toBe(sources.playlists.length);
      expect(info.records).toEqual(counts);

      // Every readable item of every watched playlist, in position order, with its request context.
      for (const id of sources.playlists) {
        const playlist = emu.world.playlists.get(id)!;
        const landed = records.filter((r) => r.dataset === 'playlist_items' && r.context.playlist_id === id);
        // Every position lands, an unavailable track's entry too (its `item` is null, as Spotify sends it).
        expect(landed.length, `items of ${id}`).toBe(playlist.entries.length);
        expect(new Set(landed.map((r) => r.context.position)).size).toBe(landed.length);
        expect(landed.every((r) => r.context.snapshot_id === playlist.snapshotId)).toBe(true);
      }
    });

    it('makes at most one request per source on a second run the same day, and lands nothing twice', async () => {
      const before = await readRawRecords(runtime.store);
      const info = await extract(runtime, { now: runtime.now });
      expect(info.errors).toEqual([]);
      const myPlaylistPages = Math.max(1, Math.ceil(worldSummary(emu.world).playlists.owned.length / 50));
      const meFeeds =
        1 /* profile */ + 1 /* recently played */ + 6 /* top items */ + 1 /* saved */ + myPlaylistPages;
      // One discography listing per followed group per artist (#14: groups are listed one by one).
      const artistListings = sources.artists.length * sources.artistIncludeGroups.length;
      const budget = sources.playlists.length + artistListings + sources.search.length + meFeeds;
      expect(info.requests).toBeLessThanOrEqual(budget);
      expect(info.records).toEqual({});
      expect(info.skipped).toEqual(expect.arrayContaining(sources.playlists));
      const after = await readRawRecords(runtime.store);
      expect(after.length).toBe(before.length);
    });

    it('re-reads only the playlists that changed after the world moves on a day', async () => {
      const snapshots = new Map(sources.playlists.map((id) => [id, emu.world.playlists.get(id)!.snapshotId]));
      emu.advanceDay(1);
      const changed = sources.playlists.filter(
        (id) => emu.world.playlists.get(id)!.snapshotId !== snapshots.get(id),
      );
      const info = await extract(runtime, { now: runtime.now });
      expect(info.errors).toEqual([]);
      const records = (await readRawRecords(runtime.store)).filter((r) => r.runId === info.runId);
      const reread = new Set(
        records.filter((r) => r.dataset === 'playlist_items').map((r) => r.context.playlist_id),
      );
      expect([...reread].sort()).toEqual([...changed].sort());
      expect(info.skipped).toEqual(
        expect.arrayContaining(sources.playlists.filter((id) => !changed.includes(id))),
      );
      // A new day: every playlist's metadata lands once more (followers and descriptions drift).
      expect(records.filter((r) => r.dataset === 'playlists')).toHaveLength(sources.playlists.length);
      // The run's partition follows the simulated day.
      expect(info.dt).toBe(new Date(worldNowMs(emu.world)).toISOString().slice(0, 10));
    });
  },
);

describe('extract(runtime) request plan', () => {
  it.each<AccessTier>(['development', 'extended'])(
    'makes exactly the planned minimum of requests on a cold run (%s tier)',
    async (tier) => {
      const emu = await Emulator.create({ port: 0, tier, seed: 5 });
      const summary = worldSummary(emu.world);
      const sources: Sources = {
        playlists: [...summary.playlists.owned, ...summary.playlists.collaborative].map((p) => p.id),
        artists: summary.artists.slice(0, 6).map((a) => a.id),
        artistIncludeGroups: ['album', 'single'],
        search: [],
        me: { recentlyPlayed: false, topItems: false, savedTracks: false, playlists: false },
      };
      const runtime = await runtimeFor(emu, sources);
      try {
        const info = await extract(runtime, { now: runtime.now });
        expect(info.errors).toEqual([]);
        const plan = plannedRequests(emu, sources, tier);
        expect(info.requests).toBe(plan);
        expect(emu.stats().total - emu.stats().tokenRequests).toBe(plan);
      } finally {
        await runtime.close();
        await emu.close();
      }
    },
  );
});

/**
 * The fewest requests that land these sources, computed from the emulator's catalogue: per playlist
 * its metadata plus its item pages (50 per page); per artist its object (batched by 50 in extended)
 * and, per followed group, its discography pages (10 per page in development, 50 in extended); per new album its object
 * (batched by 20 in extended) plus a page per 50 tracks beyond the first 50; then, in extended, the
 * batch enrichment of every track, album and artist seen only in simplified form, and in development
 * one request per artist never fetched before.
 */
function plannedRequests(emu: Emulator, sources: Sources, tier: AccessTier): number {
  const c = emu.world;
  const extended = tier === 'extended';
  let n = 0;
  const fullTracks = new Set<string>();
  const seenAlbums = new Set<string>();
  const seenArtists = new Set<string>();
  const seenTracks = new Set<string>();
  for (const id of sources.playlists) {
    const p = c.playlists.get(id)!;
    n += 1 + Math.max(1, Math.ceil(p.entries.length / 50));
    for (const e of p.entries) {
      if (e.kind !== 'track') continue;
      const t = c.tracks.get(e.ref)!;
      fullTracks.add(t.id);
      seenAlbums.add(t.albumId);
      for (const a of t.artistIds) seenArtists.add(a);
      for (const a of c.albums.get(t.albumId)!.artistIds) seenArtists.add(a);
    }
  }
  n += extended ? Math.ceil(sources.artists.length / 50) : sources.artists.length;
  const pageSize = extended ? 50 : 10;
  const albums = new Set<string>();
  for (const artistId of sources.artists) {
    // One listing per followed group, each read to its end on a cold run.
    for (const group of sources.artistIncludeGroups) {
      const artist = c.artists.get(artistId)!;
      const listed =
        group === 'appears_on'
          ? artist.appearsOnAlbumIds
          : artist.albumIds.filter((albumId) => c.albums.get(albumId)!.albumType === group);
      n += Math.max(1, Math.ceil(listed.length / pageSize));
      for (const albumId of listed) albums.add(albumId);
    }
  }
  n += extended ? Math.ceil(albums.size / 20) : albums.size;
  for (const albumId of albums) {
    const album = c.albums.get(albumId)!;
    n += Math.max(0, Math.ceil(album.trackIds.length / 50) - 1);
    for (const a of album.artistIds) seenArtists.add(a);
    for (const t of album.trackIds) {
      seenTracks.add(t);
      for (const a of c.tracks.get(t)!.artistIds) seenArtists.add(a);
    }
  }
  for (const a of sources.artists) seenArtists.delete(a);
  if (extended) {
    const tracks = [...seenTracks].filter((t) => !fullTracks.has(t));
    const enrichAlbums = [...seenAlbums].filter((a) => !albums.has(a));
    n +=
      Math.ceil(tracks.length / 50) + Math.ceil(enrichAlbums.length / 20) + Math.ceil(seenArtists.size / 50);
  } else {
    n += seenArtists.size;
  }
  return n;
}

describe('extract(runtime) failures', () => {
  it('reports a forbidden and a missing playlist, lands the rest, and does not ask again while unchanged', async () => {
    const emu = await Emulator.create({ port: 0, tier: 'development', seed: 3 });
    const summary = worldSummary(emu.world);
    const owned = summary.playlists.owned[0]!.id;
    const other = summary.playlists.other[0]!.id;
    const editorial = '37i9dQZEVXbNG2KDcFcKOF';
    const runtime = await runtimeFor(emu, {
      playlists: [owned, other, editorial],
      artists: [],
      artistIncludeGroups: ['album'],
      search: [],
      me: { recentlyPlayed: false, topItems: false, savedTracks: false, playlists: false },
    });
    try {
      const first = await extract(runtime, { now: runtime.now });
      const bySource = Object.fromEntries(first.errors.map((e) => [e.source, e]));
      expect(Object.keys(bySource).sort()).toEqual([`playlist:${editorial}`, `playlist:${other}`].sort());
      expect(bySource[`playlist:${other}`]!.code).toBe('SPOTIFY_FORBIDDEN');
      expect(bySource[`playlist:${other}`]!.message).toMatch(/owns or collaborates/);
      expect(bySource[`playlist:${editorial}`]!.code).toBe('SPOTIFY_NOT_FOUND');
      expect(bySource[`playlist:${editorial}`]!.message).toMatch(/2024-11-27/);
      expect(first.records.playlist_items).toBe(emu.world.playlists.get(owned)!.entries.length);

      emu.resetStats();
      const second = await extract(runtime, { now: runtime.now });
      // One metadata request each; the forbidden playlist's items are not asked for again.
      expect(emu.stats().byRoute['GET /v1/playlists/{id}/items'] ?? 0).toBe(0);
      expect(second.requests).toBe(3);
    } finally {
      await runtime.close();
      await emu.close();
    }
  });

  it('says how to log in when `me` sources have no user token, and lands the other sources', async () => {
    // Extended tier: there an app token may read any public playlist's items.
    const emu = await Emulator.create({ port: 0, tier: 'extended', seed: 3 });
    const dir = mkdtempSync(join(tmpdir(), 'tunelake-extract-'));
    const owned = worldSummary(emu.world).playlists.owned[0]!.id;
    const config = loadConfig(
      {
        lake: dir,
        accountsUrl: emu.url,
        apiUrl: emu.apiUrl,
        clientId: 'tunelake-demo',
        tier: 'extended',
        sources: { playlists: [owned], me: { recentlyPlayed: true } },
      },
      { ...NO_CREDENTIALS_FILE, SPOTIFY_CLIENT_SECRET: 'tunelake-demo-secret' },
    );
    const runtime = await createRuntime(config, { logger: silentLogger, now: () => new Date() });
    try {
      const info = await extract(runtime);
      expect(info.errors).toHaveLength(1);
      expect(info.errors[0]!.code).toBe('AUTH_USER_TOKEN_REQUIRED');
      expect(info.errors[0]!.message).toContain('tunelake login');
      expect(info.records.playlist_items).toBeGreaterThan(0);
    } finally {
      await runtime.close();
      await emu.close();
    }
  });

  it('lets exactly one of two concurrent runs proceed', async () => {
    const emu = await Emulator.create({ port: 0, tier: 'development', seed: 3, faults: { latencyMs: 20 } });
    const dir = mkdtempSync(join(tmpdir(), 'tunelake-extract-'));
    const sources = watchedSources(emu);
    const a = await runtimeFor(emu, sources, dir);
    const b = await runtimeFor(emu, sources, dir);
    try {
      // Each starts its work the way the commands do: under the lake's run lock.
      const results = await Promise.allSettled([
        withRunLock(a.store, 'a', () => extract(a, { now: a.now })),
        withRunLock(b.store, 'b', () => extract(b, { now: b.now })),
      ]);
      const ok = results.filter((r) => r.status === 'fulfilled');
      const failed = results.filter((r) => r.status === 'rejected');
      expect(ok).toHaveLength(1);
      expect(failed).toHaveLength(1);
      const reason = (failed[0] as PromiseRejectedResult).reason;
      expect(isTunelakeError(reason, 'RUN_IN_PROGRESS')).toBe(true);
      expect((reason as Error).message).toContain('Another run is in progress');
      // The loser left nothing behind: every raw object belongs to the winner's committed run.
      const records = await readRawRecords(a.store);
      expect(new Set(records.map((r) => r.runId)).size).toBe(1);
    } finally {
      await a.close();
      await b.close();
      await emu.close();
    }
  });
});

describe('extract(runtime) under a fault storm', () => {
  it('lands the same raw content as a clean run despite 429s, 5xx, truncated bodies, resets and expired tokens', async () => {
    const emu = await Emulator.create({ port: 0, tier: 'development', seed: 17 });
    const sources = watchedSources(emu);
    const clean = await runtimeFor(emu, sources);
    const stormy = await runtimeFor(emu, sources);
    try {
      const cleanInfo = await extract(clean, { now: clean.now });
      emu.setFaults({
        rate429: 0.03,
        retryAfterSeconds: 1,
        rate5xx: 0.05,
        rateTruncated: 0.03,
        rateReset: 0.03,
        rateTokenExpiry: 0.03,
      });
      const info = await extract(stormy, { now: stormy.now });
      const injected = emu.stats().injected;
      console.log(
        `fault storm: ${info.retries} retries ${JSON.stringify(stormy.spotify.stats.retries)}, injected ${JSON.stringify(injected)}`,
      );
      expect(info.errors).toEqual([]);
      expect(info.retries).toBeGreaterThan(0);
      expect(info.records).toEqual(cleanInfo.records);
      expect(fingerprint(await readRawRecords(stormy.store))).toEqual(
        fingerprint(await readRawRecords(clean.store)),
      );
    } finally {
      emu.setFaults({ rate429: 0, rate5xx: 0, rateTruncated: 0, rateReset: 0, rateTokenExpiry: 0 });
      await clean.close();
      await stormy.close();
      await emu.close();
    }
  }, 90_000);
});
