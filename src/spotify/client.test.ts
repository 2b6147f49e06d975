// The client's endpoints against the emulator over real HTTP, in both access tiers.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Emulator } from '../emulator/server.js';
import type { World } from '../emulator/world.js';
import { isTunelakeError, type TunelakeError } from '../errors.js';
import { createSpotifyClient, type SpotifyClient } from './client.js';
import { collectItems } from './paging.js';
import {
  countRoutes,
  createFakeTime,
  type EmulatorConfigOptions,
  emulatorConfig,
} from './test-support/clock-and-logger.js';

let dev: Emulator;
let ext: Emulator;

beforeAll(async () => {
  [dev, ext] = await Promise.all([
    Emulator.create({ port: 0, tier: 'development', seed: 42 }),
    Emulator.create({ port: 0, tier: 'extended', seed: 42 }),
  ]);
});
afterAll(async () => {
  await Promise.all([dev?.close(), ext?.close()]);
});
beforeEach(() => {
  dev.resetStats();
  ext.resetStats();
});

function clientOf(emu: Emulator, options: EmulatorConfigOptions = {}): SpotifyClient {
  return createSpotifyClient(
    emulatorConfig(emu, { tier: emu === ext ? 'extended' : 'development', ...options }),
  );
}

async function failure(promise: Promise<unknown>): Promise<TunelakeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isTunelakeError(error)) throw new Error(`expected a TunelakeError, got ${String(error)}`);
  return error;
}

async function allPages<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

function demoPlaylists(catalog: World) {
  const all = catalog.playlistIds.map((id) => catalog.playlists.get(id)!);
  const owned = all.filter((p) => p.ownerId === catalog.demoUserId);
  const other = all.filter(
    (p) => !p.editorial && p.ownerId !== catalog.demoUserId && !p.collaborators.includes(catalog.demoUserId),
  );
  return { owned, other };
}

describe('tracks(ids)', () => {
  it('looks tracks up one by one in development, aligned with the input and deduplicated', async () => {
    const ids = dev.world.trackIds.slice(0, 7);
    const unknown = '0000000000000000000000';
    const input = [ids[3]!, ...ids, unknown, ids[0]!];
    const tracks = await clientOf(dev).tracks(input);
    expect(tracks.map((t) => t?.id ?? null)).toEqual([ids[3], ...ids, null, ids[0]]);
    const stats = dev.stats();
    expect(countRoutes(stats.byRoute, /^GET \/v1\/tracks\/\{id\}$/)).toBe(8);
    expect(countRoutes(stats.byRoute, /^GET \/v1\/tracks$/)).toBe(0);
    // Development mode strips popularity and available_markets.
    expect(tracks[0]).not.toHaveProperty('popularity');
  });

  it('uses ceil(N/50) batch requests in extended mode', async () => {
    const ids = ext.world.trackIds.slice(0, 120);
    const tracks = await clientOf(ext).tracks(ids);
    expect(tracks.map((t) => t?.id)).toEqual(ids);
    const stats = ext.stats();
    expect(countRoutes(stats.byRoute, /^GET \/v1\/tracks$/)).toBe(3);
    expect(countRoutes(stats.byRoute, /^GET \/v1\/tracks\/\{id\}$/)).toBe(0);
    expect(typeof tracks[0]?.popularity).toBe('number');
  });

  it('passes SPOTIFY_MARKET as market, so track relinking applies', async () => {
    const [withMarket] = await clientOf(dev, { market: 'SE' }).tracks([dev.world.trackIds[0]!]);
    const [without] = await clientOf(dev).tracks([dev.world.trackIds[0]!]);
    expect(typeof withMarket?.is_playable).toBe('boolean');
    expect(without).not.toHaveProperty('is_playable');
  });

  it('refuses malformed ids with INVALID_ARGUMENT before any request', async () => {
    const client = clientOf(dev);
    const error = await failure(client.tracks(['not-an-id']));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(client.stats.requests).toBe(0);
  });
});

describe('albums(ids) and artists(ids)', () => {
  it('batch 20 albums and 50 artists per request in extended mode', async () => {
    const client = clientOf(ext);
    const albumIds = ext.world.albumIds.slice(0, 45);
    const artistIds = ext.world.artistIds.slice(0, 60);
    const [albums, artists] = await Promise.all([client.albums(albumIds), client.artists(artistIds)]);
    expect(albums.map((a) => a?.id)).toEqual(albumIds);
    expect(artists.map((a) => a?.id)).toEqual(artistIds);
    const stats = ext.stats();
    expect(countRoutes(stats.byRoute, /^GET \/v1\/albums$/)).toBe(3);
    expect(countRoutes(stats.byRoute, /^GET \/v1\/artists$/)).toBe(2);
  });

  it('fall back to single lookups in development', async () => {
    const client = clientOf(dev);
    const [albums, artists] = await Promise.all([
      client.albums(dev.world.albumIds.slice(0, 3)),
      client.artists(dev.world.artistIds.slice(0, 4)),
    ]);
    expect(albums.every((a) => a !== null && a.tracks.items.length > 0)).toBe(true);
    expect(artists.every((a) => a !== null && !('followers' in a))).toBe(true);
    const stats = dev.stats();
    expect(countRoutes(stats.byRoute, /^GET \/v1\/albums\/\{id\}$/)).toBe(3);
    expect(countRoutes(stats.byRoute, /^GET \/v1\/artists\/\{id\}$/)).toBe(4);
  });

  it('a client that believes it is extended gets SPOTIFY_FORBIDDEN explaining batch endpoints', async () => {
    const client = clientOf(dev, { tier: 'extended' });
    const error = await failure(client.artists(dev.world.artistIds.slice(0, 2)));
    expect(error.code).toBe('SPOTIFY_FORBIDDEN');
    expect(error.message).toContain('batch endpoints are not available to development-mode apps');
    expect(error.message).toContain('SPOTIFY_ACCESS_TIER=development');
  });
});

describe('detectTier()', () => {
  it('answers development for a development-mode app and switches the client to it', async () => {
    const client = clientOf(dev, { tier: 'extended' });
    expect(await client.detectTier()).toBe('development');
    expect(client.tier).toBe('development');
    const artists = await client.artists(dev.world.artistIds.slice(0, 2));
    expect(artists.every((a) => a !== null)).toBe(true);
  });

  it('answers extended for an extended-quota app', async () => {
    const client = clientOf(ext, { tier: 'development' });
    expect(await client.detectTier()).toBe('extended');
    expect(client.profile.limits.batchTracks).toBe(50);
  });
});

describe('playlist(id) and playlistItems(id)', () => {
  it('pages through each owned playlist to the end: items counted equal total', async () => {
    const { owned } = demoPlaylists(dev.world);
    expect(owned.some((p) => p.entries.length > 50)).toBe(true);
    const client = clientOf(dev, { refreshToken: true });
    const kinds = { unavailable: 0, local: 0, episode: 0 };
    for (const playlist of owned) {
      const meta = await client.playlist(playlist.id);
      expect(meta.snapshot_id).toBe(playlist.snapshotId);
      const pages = await allPages(client.playlistItems(playlist.id));
      const items = pages.flatMap((p) => p.items);
      expect(items).toHaveLength(pages[0]!.total);
      expect(items).toHaveLength(playlist.entries.length);
      expect(pages).toHaveLength(Math.max(1, Math.ceil(playlist.entries.length / 50)));
      // `item` is normalised; a track that is gone is `item: null`, a local file has a null id.
      for (const entry of items) {
        expect(entry).not.toBeNull();
        if (entry!.item === null) kinds.unavailable++;
        else if (entry!.is_local) {
          expect(entry!.item.id).toBeNull();
          kinds.local++;
        } else if (entry!.item.type === 'episode') kinds.episode++;
      }
    }
    const expected = (kind: string) => owned.flatMap((p) => p.entries).filter((e) => e.kind === kind).length;
    expect(kinds).toEqual({
      unavailable: expected('unavailable'),
      local: expected('local'),
      episode: expected('episode'),
    });
    expect(kinds.unavailable + kinds.local + kinds.episode).toBeGreaterThan(0);
  });

  it('reads only the fields asked for', async () => {
    const { owned } = demoPlaylists(dev.world);
    const client = clientOf(dev, { refreshToken: true });
    const meta = await client.playlist(owned[0]!.id, { fields: 'snapshot_id,name' });
    expect(Object.keys(meta).sort()).toEqual(['name', 'snapshot_id']);
  });

  it('explains the ownership rule when development mode refuses another user’s playlist items', async () => {
    const { other } = demoPlaylists(dev.world);
    const client = clientOf(dev, { refreshToken: true });
    const error = await failure(allPages(client.playlistItems(other[0]!.id)));
    expect(error.code).toBe('SPOTIFY_FORBIDDEN');
    expect(error.message).toContain('only of playlists the authorised user owns or collaborates on');
    expect(error.details.spotifyMessage).toBeTruthy();
  });

  it('explains editorial playlists when they are hidden (404)', async () => {
    const error = await failure(clientOf(dev).playlist('37i9dQZEVXbNG2KDcFcKOF'));
    expect(error.code).toBe('SPOTIFY_NOT_FOUND');
    expect(error.message).toContain(
      'Spotify-owned editorial and algorithmic playlists are not readable by apps created after 2024-11-27',
    );
  });

  it('reads an editorial playlist in extended mode with the app token', async () => {
    const client = clientOf(ext);
    const playlist = await client.playlist('37i9dQZEVXbNG2KDcFcKOF');
    expect(playlist.id).toBe('37i9dQZEVXbNG2KDcFcKOF');
    const items = await collectItems(client.playlistItems(playlist.id));
    expect(items.length).toBeGreaterThan(0);
  });
});

describe('artistAlbums(artistId, includeGroups)', () => {
  it('pages 10 at a time in development and 50 in extended, to the end', async () => {
    const artist = dev.world.artistIds
      .map((id) => dev.world.artists.get(id)!)
      .find((a) => a.albumIds.length + a.appearsOnAlbumIds.length > 12)!;
    const groups = ['album', 'single', 'compilation', 'appears_on'];
    const devPages = await allPages(clientOf(dev).artistAlbums(artist.id, groups));
    const extPages = await allPages(clientOf(ext).artistAlbums(artist.id, groups));
    const total = devPages[0]!.total;
    expect(devPages.flatMap((p) => p.items)).toHaveLength(total);
    expect(extPages.flatMap((p) => p.items)).toHaveLength(total);
    expect(devPages.length).toBe(Math.ceil(total / 10));
    expect(extPages.length).toBe(Math.ceil(total / 50));
    expect(devPages[0]!.items[0]).not.toHaveProperty('album_group');
    expect(extPages[0]!.items[0]).toHaveProperty('album_group');
  });
});

describe('albumTracks(albumId)', () => {
  it('yields every track of the album', async () => {
    const album = dev.world.albums.get(dev.world.albumIds[0]!)!;
    const tracks = await collectItems(clientOf(dev).albumTracks(album.id));
    expect(tracks.map((t) => t.id)).toEqual(album.trackIds);
  });
});

describe('search(q, type, options)', () => {
  it('pages with the tier’s limit and stops at maxResults', async () => {
    const client = clientOf(dev);
    const pages = await allPages(client.search('a', 'track', { maxResults: 25 }));
    expect(pages.every((p) => p.limit <= 10)).toBe(true);
    expect(pages.flatMap((p) => p.items)).toHaveLength(25);
    expect(countRoutes(dev.stats().byRoute, /^GET \/v1\/search$/)).toBe(3);
  });

  it('keeps null playlist results in the pages; items() skips and counts them', async () => {
    // In development mode Spotify-owned playlists come back as null in search results.
    const client = clientOf(dev);
    const pages = await allPages(client.search('a', 'playlist', { maxResults: 100 }));
    const slots = pages.flatMap((p) => p.items);
    const nulls = slots.filter((p) => p === null).length;
    expect(nulls).toBeGreaterThan(0);
    expect(client.stats.nullItemsSkipped).toBe(0);
    const items = await allPages(client.items(client.search('a', 'playlist', { maxResults: 100 })));
    expect(items).toHaveLength(slots.length - nulls);
    expect(items.every((p) => p !== null && typeof p.id === 'string')).toBe(true);
    expect(client.stats.nullItemsSkipped).toBe(nulls);
  });
});

describe('/me endpoints', () => {
  it('throw AUTH_USER_TOKEN_REQUIRED at once, without any request, when no refresh token is set', async () => {
    const client = clientOf(dev);
    expect(client.hasUserToken).toBe(false);
    const calls = [
      client.me(),
      allPages(client.recentlyPlayed()),
      allPages(client.topItems('tracks', 'short_term')),
      allPages(client.savedTracks()),
      allPages(client.myPlaylists()),
    ];
    for (const call of calls) {
      const error = await failure(call);
      expect(error.code).toBe('AUTH_USER_TOKEN_REQUIRED');
      expect(error.message).toContain('SPOTIFY_REFRESH_TOKEN');
      expect(error.message).toContain('tunelake login');
    }
    expect(dev.stats().total).toBe(0);
    expect(dev.stats().tokenRequests).toBe(0);
    expect(client.stats.requests + client.stats.tokenRequests).toBe(0);
  });

  it('me() returns the demo user with the user token', async () => {
    const me = await clientOf(dev, { refreshToken: true }).me();
    expect(me.id).toBe(dev.world.demoUserId);
    expect(me).not.toHaveProperty('email');
  });

  it('savedTracks() pages newest first; myPlaylists() lists the user’s playlists', async () => {
    const client = clientOf(dev, { refreshToken: true });
    const saved = await collectItems(client.savedTracks());
    expect(saved).toHaveLength(dev.world.savedTracks.length);
    const times = saved.map((s) => Date.parse(s.added_at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const playlists = await allPages(client.items(client.myPlaylists()));
    expect(playlists.length).toBeGreaterThan(0);
    // A followed Spotify-owned playlist is listed as null in development mode: skipped, counted.
    expect(client.stats.nullItemsSkipped).toBeGreaterThan(0);
  });

  it('topItems() pages artists and tracks', async () => {
    const client = clientOf(dev, { refreshToken: true });
    const artists = await collectItems(client.topItems('artists', 'medium_term'));
    const tracks = await collectItems(client.topItems('tracks', 'long_term'));
    expect(artists.length).toBeGreaterThan(0);
    expect(tracks.every((t) => t.type === 'track')).toBe(true);
  });

  it('recentlyPlayed() pages back in time, and with after pages forward to the newest play', async () => {
    const client = clientOf(dev, { refreshToken: true });
    const all = await collectItems(client.recentlyPlayed());
    expect(all.length).toBeGreaterThan(0);
    const times = all.map((p) => Date.parse(p.played_at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const oldest = times.at(-1)!;
    const newer = await collectItems(client.recentlyPlayed({ after: oldest }));
    const newerTimes = newer.map((p) => Date.parse(p.played_at));
    expect(newerTimes.every((t) => t > oldest)).toBe(true);
    expect(new Set(newerTimes)).toEqual(new Set(times.filter((t) => t > oldest)));
  });
});

describe('extended-only endpoints', () => {
  it('newReleases() and artistTopTracks() throw SPOTIFY_FORBIDDEN in development without a request', async () => {
    const client = clientOf(dev);
    expect((await failure(allPages(client.newReleases()))).code).toBe('SPOTIFY_FORBIDDEN');
    expect((await failure(client.artistTopTracks(dev.world.artistIds[0]!, 'SE'))).code).toBe(
      'SPOTIFY_FORBIDDEN',
    );
    expect(dev.stats().total).toBe(0);
    expect(client.stats.requests).toBe(0);
  });

  it('work in extended mode', async () => {
    const client = clientOf(ext);
    const releases = await collectItems(client.newReleases());
    expect(releases.length).toBeGreaterThan(0);
    const top = await client.artistTopTracks(ext.world.artistIds[0]!, 'SE');
    expect(top.length).toBeGreaterThan(0);
    expect(top.length).toBeLessThanOrEqual(10);
  });
});

describe('token caching', () => {
  it('shares one token request between concurrent callers and reuses it', async () => {
    const client = clientOf(dev);
    await Promise.all(dev.world.trackIds.slice(0, 6).map((id) => client.tracks([id])));
    await client.tracks(dev.world.trackIds.slice(6, 8));
    expect(client.stats.tokenRequests).toBe(1);
    expect(dev.stats().tokenRequests).toBe(1);
  });

  it('renews the token shortly before it expires, by the injected clock', async () => {
    const emu = await Emulator.create({ port: 0, tier: 'development', seed: 7, tokenTtlSeconds: 600 });
    try {
      const time = createFakeTime();
      const client = createSpotifyClient(emulatorConfig(emu), time);
      const id = emu.world.trackIds[0]!;
      await client.tracks([id]);
      time.advance(530_000); // 70 s before expiry: still fresh
      await client.tracks([id]);
      expect(emu.stats().tokenRequests).toBe(1);
      time.advance(20_000); // 50 s before expiry: renewed ahead of time
      await client.tracks([id]);
      expect(emu.stats().tokenRequests).toBe(2);
      expect(client.stats.tokenRequests).toBe(2);
    } finally {
      await emu.close();
    }
  });
});

describe('user token (refresh_token grant)', () => {
  it('turns invalid_grant into AUTH_INVALID_GRANT telling the user to run tunelake login', async () => {
    const expired = dev.issueRefreshToken({ issuedAt: Date.now() - 200 * 86_400_000 });
    const error = await failure(clientOf(dev, { refreshToken: expired }).me());
    expect(error.code).toBe('AUTH_INVALID_GRANT');
    expect(error.message).toMatch(
      /^The Spotify refresh token was rejected \(invalid_grant: .+\)\. Refresh tokens expire/,
    );
    expect(error.message).toContain('run `tunelake login` again');
  });

  it('turns invalid_client into AUTH_INVALID_CLIENT naming the settings to check', async () => {
    const error = await failure(
      clientOf(dev, { clientSecret: 'wrong-secret-000000' }).tracks([dev.world.trackIds[0]!]),
    );
    expect(error.code).toBe('AUTH_INVALID_CLIENT');
    expect(error.message).toContain('SPOTIFY_CLIENT_ID');
    expect(error.message).toContain('SPOTIFY_CLIENT_SECRET');
  });
});

describe('the client-side rate limiter', () => {
  // The emulator and the client share one virtual clock, so a 30 s window passes without waiting.
  async function burst(clientBudget: number, emulatorBudget: number, requests: number) {
    const time = createFakeTime();
    const emu = await Emulator.create({
      port: 0,
      tier: 'development',
      seed: 3,
      rateLimit: emulatorBudget,
      now: time.now,
    });
    try {
      const client = createSpotifyClient(
        emulatorConfig(emu, { http: { rateLimit: clientBudget, concurrency: 8, maxRetryAfterSeconds: 60 } }),
        time,
      );
      const ids = emu.world.trackIds.slice(0, requests);
      const tracks = await client.tracks(ids);
      expect(tracks.map((t) => t?.id)).toEqual(ids);
      return { client, emu: emu.stats() };
    } finally {
      await emu.close();
    }
  }

  it('keeps a burst under the budget: the emulator never answers 429', async () => {
    const { client, emu } = await burst(15, 15, 40);
    expect(emu.byStatus['429'] ?? 0).toBe(0);
    expect(countRoutes(emu.byRoute, /^GET \/v1\/tracks\/\{id\}$/)).toBe(40);
    expect(client.stats.retries['429']).toBe(0);
    // 40 requests at 15 per 30 s: the client had to hold requests back for two windows.
    expect(client.stats.throttledWaitMs).toBeGreaterThanOrEqual(60_000);
  });

  it('without a budget under the limit the same burst meets 429s, which are waited out', async () => {
    const { client, emu } = await burst(1_000, 15, 40);
    expect(emu.byStatus['429']).toBeGreaterThan(0);
    expect(client.stats.retries['429']).toBe(emu.byStatus['429']);
    expect(client.stats.rateLimitedWaitMs).toBeGreaterThan(0);
  });
});
