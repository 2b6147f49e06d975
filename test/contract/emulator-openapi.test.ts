// The emulator against Spotify's own OpenAPI definition: every endpoint tunelake calls, in both access
// tiers, over real HTTP, with ids taken from the emulator's catalog. A failure here means the emulator
// (not the test) drifted from the contract; see test/support/openapi.ts for the few documented
// adjustments to the YAML.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emulator } from '../../src/emulator/server.js';
import {
  createOpenApiContract,
  DEVELOPMENT_TIER_REMOVED_FIELDS,
  type OpenApiContract,
  type Tier,
} from '../support/openapi.js';

const BASIC = `Basic ${Buffer.from('tunelake-demo:tunelake-demo-secret').toString('base64')}`;
const EDITORIAL_PLAYLIST = '37i9dQZEVXbNG2KDcFcKOF';
/** Well-formed (22 base-62 characters) but in no catalogue. */
const UNKNOWN_ID = '0000000000000000000000';
const TIME_RANGES = ['short_term', 'medium_term', 'long_term'] as const;

interface Reply {
  status: number;
  headers: Headers;
  body: unknown;
}

type Json = Record<string, unknown>;

/**
 * Fields the development tier must not send, by the `type` the objects carry, so they can be looked for
 * anywhere in a body: the brief's list, plus album_group and the show fields that OPENAPI_FIXES relaxes
 * for that tier (a relaxation must not hide an emulator that sends them anyway).
 */
const REMOVED_BY_TYPE: Readonly<Record<string, readonly string[]>> = {
  track: DEVELOPMENT_TIER_REMOVED_FIELDS.TrackObject ?? [],
  album: [
    ...new Set([
      ...(DEVELOPMENT_TIER_REMOVED_FIELDS.AlbumObject ?? []),
      ...(DEVELOPMENT_TIER_REMOVED_FIELDS.SimplifiedAlbumObject ?? []),
      ...(DEVELOPMENT_TIER_REMOVED_FIELDS.ArtistDiscographyAlbumObject ?? []),
      'album_group',
    ]),
  ],
  artist: DEVELOPMENT_TIER_REMOVED_FIELDS.ArtistObject ?? [],
  user: DEVELOPMENT_TIER_REMOVED_FIELDS.PrivateUserObject ?? [],
  show: ['available_markets', 'publisher'],
};

function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every object in a body with its JSON path, depth first. */
function* walk(value: unknown, path = ''): Generator<{ path: string; value: Json }> {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) yield* walk(v, `${path}/${i}`);
  } else if (isJson(value)) {
    yield { path: path || '/', value };
    for (const [k, v] of Object.entries(value)) yield* walk(v, `${path}/${k}`);
  }
}

function isPage(value: Json): boolean {
  return ['href', 'items', 'limit', 'next'].every((k) => k in value);
}

describe.each(['development', 'extended'] as const)(
  'Emulator.create({ tier: %s }) against the OpenAPI',
  (tier: Tier) => {
    const contract: OpenApiContract = createOpenApiContract(tier);
    let emu: Emulator;
    let api: string;
    let appToken: string;
    let userToken: string;

    async function request(url: string, init: RequestInit = {}): Promise<Reply> {
      const response = await fetch(url, init);
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Left as text: the caller's assertion shows what came back.
      }
      return { status: response.status, headers: response.headers, body };
    }

    async function token(form: Record<string, string>): Promise<string> {
      const reply = await request(`${emu.url}/api/token`, {
        method: 'POST',
        headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
      });
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      const accessToken = isJson(reply.body) ? reply.body.access_token : undefined;
      expect(typeof accessToken).toBe('string');
      return accessToken as string;
    }

    function get(pathAndQuery: string, bearer: string | null = userToken): Promise<Reply> {
      const url = pathAndQuery.startsWith('http') ? pathAndQuery : `${api}${pathAndQuery}`;
      return request(url, bearer === null ? {} : { headers: { authorization: `Bearer ${bearer}` } });
    }

    /**
     * GET, expect 200, validate against the operation's 200 schema, check every page's links point at
     * the emulator, and (development) that no removed field leaked anywhere in the body.
     */
    async function expectContract(
      template: string,
      pathAndQuery: string,
      bearer: string = userToken,
    ): Promise<Json> {
      const reply = await get(pathAndQuery, bearer);
      expect(reply.status, `${pathAndQuery}: ${JSON.stringify(reply.body).slice(0, 300)}`).toBe(200);
      expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
      expect(contract.validateResponse('get', template, 200, reply.body).errors, pathAndQuery).toEqual([]);
      expectLinksOnEmulator(reply.body, pathAndQuery);
      if (tier === 'development') expectRemovedFieldsAbsent(reply.body, pathAndQuery);
      return reply.body as Json;
    }

    function expectLinksOnEmulator(body: unknown, where: string): void {
      for (const { path, value } of walk(body)) {
        if (!isPage(value)) continue;
        for (const key of ['href', 'next', 'previous'] as const) {
          const link = value[key];
          if (link === null || link === undefined) continue;
          expect(typeof link, `${where} ${path}/${key}`).toBe('string');
          expect(link as string, `${where} ${path}/${key}`).toMatch(new RegExp(`^${escapeRegExp(api)}/`));
          expect(() => new URL(link as string), `${where} ${path}/${key}`).not.toThrow();
        }
      }
    }

    function expectRemovedFieldsAbsent(body: unknown, where: string): void {
      const leaked: string[] = [];
      for (const { path, value } of walk(body)) {
        const removed = typeof value.type === 'string' ? REMOVED_BY_TYPE[value.type] : undefined;
        for (const field of removed ?? [])
          if (field in value) leaked.push(`${path === '/' ? '' : path}/${field}`);
      }
      expect(leaked, `${where}: fields the development tier removed`).toEqual([]);
    }

    function expectErrorShape(reply: Reply, status: number, where: string): void {
      expect(reply.status, `${where}: ${JSON.stringify(reply.body)}`).toBe(status);
      expect(contract.validateError(status, reply.body).errors, where).toEqual([]);
    }

    /** GETs `first`, then follows `next` verbatim, validating every page; returns all items. */
    async function followPages(
      template: string,
      first: string,
      bearer: string = userToken,
    ): Promise<unknown[]> {
      const items: unknown[] = [];
      let url: string | null = first;
      let start: number | undefined;
      let total: unknown;
      for (let pages = 0; url !== null; pages++) {
        expect(pages, `${first}: more pages than items`).toBeLessThan(500);
        const page: Json = await expectContract(template, url, bearer);
        expect(Array.isArray(page.items)).toBe(true);
        start ??= page.offset as number;
        total ??= page.total;
        expect(page.total, `${url}: total changed between pages`).toBe(total);
        // Pages must join up: each starts where the previous one ended.
        expect(page.offset, `${url}: offset`).toBe(start + items.length);
        if (page.offset !== 0) expect(typeof page.previous, `${url}: previous`).toBe('string');
        items.push(...(page.items as unknown[]));
        url = page.next as string | null;
      }
      expect(items).toHaveLength((total as number) - (start ?? 0));
      return items;
    }

    const catalog = () => emu.world;
    const demo = () => catalog().demoUserId;
    const playlists = () => catalog().playlistIds.map((id) => catalog().playlists.get(id)!);
    const ownedPlaylists = () =>
      playlists().filter((p) => p.ownerId === demo() || p.collaborators.includes(demo()));
    const otherPlaylist = () =>
      playlists().find(
        (p) => !p.editorial && p.public && p.ownerId !== demo() && !p.collaborators.includes(demo()),
      )!;
    const firstTrackId = () => catalog().trackIds[0]!;
    const firstAlbumId = () => catalog().albumIds[0]!;
    const favouriteArtistId = () => catalog().favouriteArtistIds[0]!;

    beforeAll(async () => {
      emu = await Emulator.create({ port: 0, tier, seed: 42 });
      api = emu.apiUrl;
      appToken = await token({ grant_type: 'client_credentials' });
      userToken = await token({ grant_type: 'refresh_token', refresh_token: emu.issueRefreshToken() });
      console.log(`[${tier}] OpenAPI adjustments:\n  ${contract.adjustments.join('\n  ')}`);
    });

    afterAll(async () => {
      await emu?.close();
    });

    it('GET /tracks/{id}', async () => {
      const track = await expectContract('/tracks/{id}', `/tracks/${firstTrackId()}`, appToken);
      expect(track.id).toBe(firstTrackId());
      const album = track.album as Json;
      if (tier === 'extended') {
        expect(Object.keys(track)).toEqual(expect.arrayContaining(['available_markets', 'popularity']));
        expect(Object.keys(album)).toContain('available_markets');
      } else {
        for (const field of ['available_markets', 'popularity', 'linked_from'])
          expect(track).not.toHaveProperty(field);
        expect(album).not.toHaveProperty('available_markets');
      }
    });

    it('the contract bites: the same real track without id, or with duration_ms "x", fails', async () => {
      const reply = await get(`/tracks/${firstTrackId()}`, appToken);
      const { id: _id, ...withoutId } = reply.body as Json;
      expect(contract.validateResponse('get', '/tracks/{id}', 200, withoutId).errors).toEqual([
        '/ must have required properties: id',
      ]);
      const retyped = { ...(reply.body as Json), duration_ms: 'x' };
      expect(contract.validateResponse('get', '/tracks/{id}', 200, retyped).errors).toEqual([
        '/duration_ms must be integer; got "x"',
      ]);
    });

    it('GET /albums/{id}', async () => {
      const album = await expectContract('/albums/{id}', `/albums/${firstAlbumId()}`, appToken);
      expect(album.id).toBe(firstAlbumId());
      for (const field of ['available_markets', 'label', 'popularity']) {
        if (tier === 'extended') expect(album).toHaveProperty(field);
        else expect(album).not.toHaveProperty(field);
      }
    });

    it('GET /albums/{id}/tracks, every page', async () => {
      const album = catalog().albums.get(firstAlbumId())!;
      const items = await followPages('/albums/{id}/tracks', `/albums/${album.id}/tracks?limit=3`, appToken);
      expect(items.map((t) => (t as Json).id)).toEqual(album.trackIds);
    });

    it('GET /artists/{id}', async () => {
      const artist = await expectContract('/artists/{id}', `/artists/${favouriteArtistId()}`, appToken);
      expect(artist.id).toBe(favouriteArtistId());
      for (const field of ['followers', 'popularity']) {
        if (tier === 'extended') expect(artist).toHaveProperty(field);
        else expect(artist).not.toHaveProperty(field);
      }
    });

    it('GET /artists/{id}/albums, every page', async () => {
      const items = await followPages(
        '/artists/{id}/albums',
        `/artists/${favouriteArtistId()}/albums?include_groups=album,single,compilation,appears_on&limit=2`,
        appToken,
      );
      expect(items.length).toBeGreaterThan(0);
    });

    describe.each(['album', 'artist', 'track', 'playlist'] as const)('GET /search?type=%s', (type) => {
      it('validates a page of results and the page after it', async () => {
        const name = {
          album: () => catalog().albums.get(firstAlbumId())!.name,
          artist: () => catalog().artists.get(favouriteArtistId())!.name,
          track: () => catalog().tracks.get(firstTrackId())!.name,
          playlist: () => otherPlaylist().name,
        }[type]();
        const word = name.split(/\s+/).sort((a, b) => b.length - a.length)[0]!;
        const body = await expectContract(
          '/search',
          `/search?${new URLSearchParams({ q: word, type })}`,
          appToken,
        );
        expect(Object.keys(body)).toEqual([`${type}s`]);
        const page = body[`${type}s`] as Json;
        expect((page.items as unknown[]).length).toBeGreaterThan(0);
        if (typeof page.next === 'string') await expectContract('/search', page.next, appToken);
      });
    });

    it('GET /me', async () => {
      const me = await expectContract('/me', '/me');
      expect(me.id).toBe(demo());
      for (const field of DEVELOPMENT_TIER_REMOVED_FIELDS.PrivateUserObject ?? []) {
        if (tier === 'extended') expect(me).toHaveProperty(field);
        else expect(me).not.toHaveProperty(field);
      }
    });

    it('GET /me/player/recently-played, first page and the one before it', async () => {
      const page = await expectContract('/me/player/recently-played', '/me/player/recently-played?limit=20');
      expect((page.items as unknown[]).length).toBe(20);
      expect(typeof page.next).toBe('string');
      await expectContract('/me/player/recently-played', page.next as string);
    });

    describe.each(TIME_RANGES)('GET /me/top/{artists,tracks}?time_range=%s', (range) => {
      it('artists', async () => {
        const page = await expectContract('/me/top/artists', `/me/top/artists?time_range=${range}&limit=50`);
        expect((page.items as unknown[]).length).toBeGreaterThan(0);
      });
      it('tracks', async () => {
        const page = await expectContract('/me/top/tracks', `/me/top/tracks?time_range=${range}&limit=50`);
        expect((page.items as unknown[]).length).toBeGreaterThan(0);
      });
    });

    it('GET /me/tracks, every page', async () => {
      const items = await followPages('/me/tracks', '/me/tracks?limit=50');
      expect(items.length).toBe(catalog().savedTracks.length);
    });

    it('GET /me/playlists, every page', async () => {
      const items = await followPages('/me/playlists', '/me/playlists?limit=10');
      expect(items.length).toBeGreaterThan(0);
    });

    it('GET /playlists/{playlist_id} (owned)', async () => {
      const owned = ownedPlaylists()[0]!;
      const playlist = await expectContract(
        '/playlists/{playlist_id}',
        `/playlists/${owned.id}?additional_types=track,episode`,
      );
      expect(playlist.id).toBe(owned.id);
      expect((playlist.items as Json).total).toBe(owned.entries.length);
    });

    it('GET /playlists/{playlist_id} (not owned)', async () => {
      const other = otherPlaylist();
      const playlist = await expectContract('/playlists/{playlist_id}', `/playlists/${other.id}`);
      expect(playlist.id).toBe(other.id);
      if (tier === 'extended') {
        expect((playlist.items as Json).total).toBe(other.entries.length);
      } else {
        // Development mode: metadata only. The OpenAPI does not require items/tracks, so absence is valid.
        expect(playlist).not.toHaveProperty('items');
        expect(playlist).not.toHaveProperty('tracks');
      }
    });

    it('GET /playlists/{playlist_id}/items over every owned playlist: tracks, episodes, local files, null items', async () => {
      const seen = { track: 0, episode: 0, local: 0, null: 0 };
      for (const playlist of ownedPlaylists()) {
        const items = await followPages(
          '/playlists/{playlist_id}/items',
          `/playlists/${playlist.id}/items?additional_types=track,episode&limit=50`,
        );
        for (const entry of items as Json[]) {
          const item = entry.item as Json | null;
          expect(entry.track).toEqual(item);
          if (item === null) seen.null++;
          else if (entry.is_local === true) seen.local++;
          else if (item.type === 'episode') seen.episode++;
          else seen.track++;
        }
      }
      expect(seen.track).toBeGreaterThan(0);
      expect(seen.episode).toBeGreaterThan(0);
      expect(seen.local).toBeGreaterThan(0);
      expect(seen.null).toBeGreaterThan(0);
    });

    it('following next from the first page of a >100-item playlist reaches total', async () => {
      const big = ownedPlaylists().find((p) => p.entries.length > 100)!;
      expect(big).toBeDefined();
      const first = await expectContract('/playlists/{playlist_id}/items', `/playlists/${big.id}/items`);
      expect(first.previous).toBeNull();
      expect(first.total).toBe(big.entries.length);
      const items = await followPages('/playlists/{playlist_id}/items', first.next as string);
      expect((first.items as unknown[]).length + items.length).toBe(big.entries.length);
    });

    if (tier === 'extended') {
      it('GET /tracks?ids= (with an unknown id: a null slot)', async () => {
        const ids = [...catalog().trackIds.slice(0, 3), UNKNOWN_ID];
        const body = await expectContract('/tracks', `/tracks?ids=${ids.join(',')}`, appToken);
        expect((body.tracks as unknown[]).at(-1)).toBeNull();
      });

      it('GET /albums?ids= (with an unknown id: a null slot)', async () => {
        const ids = [...catalog().albumIds.slice(0, 3), UNKNOWN_ID];
        const body = await expectContract('/albums', `/albums?ids=${ids.join(',')}`, appToken);
        expect(body.albums as unknown[]).toHaveLength(4);
        expect((body.albums as unknown[]).at(-1)).toBeNull();
      });

      it('GET /artists?ids= (with an unknown id: a null slot)', async () => {
        const ids = [...catalog().artistIds.slice(0, 3), UNKNOWN_ID];
        const body = await expectContract('/artists', `/artists?ids=${ids.join(',')}`, appToken);
        expect(body.artists as unknown[]).toHaveLength(4);
        expect((body.artists as unknown[]).at(-1)).toBeNull();
      });

      it('GET /artists/{id}/top-tracks', async () => {
        const body = await expectContract(
          '/artists/{id}/top-tracks',
          `/artists/${favouriteArtistId()}/top-tracks?market=SE`,
          appToken,
        );
        expect((body.tracks as unknown[]).length).toBeGreaterThan(0);
      });

      it('GET /browse/new-releases, first page and the next', async () => {
        const body = await expectContract('/browse/new-releases', '/browse/new-releases?limit=5', appToken);
        const page = body.albums as Json;
        expect((page.items as unknown[]).length).toBeGreaterThan(0);
        if (typeof page.next === 'string') await expectContract('/browse/new-releases', page.next, appToken);
      });

      it('GET /playlists/{playlist_id}/tracks (legacy), every page', async () => {
        const big = ownedPlaylists().find((p) => p.entries.length > 100)!;
        const items = await followPages(
          '/playlists/{playlist_id}/tracks',
          `/playlists/${big.id}/tracks?additional_types=track,episode`,
        );
        expect(items).toHaveLength(big.entries.length);
      });

      it(`GET /playlists/${EDITORIAL_PLAYLIST} (editorial; extended apps still see it)`, async () => {
        const playlist = await expectContract('/playlists/{playlist_id}', `/playlists/${EDITORIAL_PLAYLIST}`);
        expect(playlist.id).toBe(EDITORIAL_PLAYLIST);
      });

      it('GET /playlists/{playlist_id}/items of a playlist the user does not own', async () => {
        await followPages(
          '/playlists/{playlist_id}/items',
          `/playlists/${otherPlaylist().id}/items?limit=50`,
        );
      });
    } else {
      it.each([
        ['/tracks?ids=', () => `/tracks?ids=${catalog().trackIds.slice(0, 2).join(',')}`],
        ['/albums?ids=', () => `/albums?ids=${catalog().albumIds.slice(0, 2).join(',')}`],
        ['/artists?ids=', () => `/artists?ids=${catalog().artistIds.slice(0, 2).join(',')}`],
        ['/artists/{id}/top-tracks', () => `/artists/${favouriteArtistId()}/top-tracks?market=SE`],
        ['/browse/new-releases', () => '/browse/new-releases'],
        ['/playlists/{id}/tracks', () => `/playlists/${ownedPlaylists()[0]!.id}/tracks`],
      ])('GET %s is 403 with the error body', async (_name, path) => {
        const reply = await get(path(), appToken);
        expectErrorShape(reply, 403, path());
      });

      it('GET /playlists/{id}/items of a playlist the user does not own is 403 with the error body', async () => {
        expectErrorShape(await get(`/playlists/${otherPlaylist().id}/items`), 403, 'items of another user');
      });

      it(`GET /playlists/${EDITORIAL_PLAYLIST} (editorial) is 404 with the error body`, async () => {
        expectErrorShape(await get(`/playlists/${EDITORIAL_PLAYLIST}`), 404, 'editorial playlist');
      });
    }

    it('400 on an invalid id, with the error body', async () => {
      expectErrorShape(await get('/tracks/not-a-spotify-id', appToken), 400, '/tracks/not-a-spotify-id');
      expectErrorShape(await get('/albums/abc', appToken), 400, '/albums/abc');
    });

    it('404 on an unknown id, with the error body', async () => {
      expectErrorShape(await get(`/tracks/${UNKNOWN_ID}`, appToken), 404, 'unknown track');
    });

    it('400 on an over-limit limit, with the error body', async () => {
      expectErrorShape(await get('/me/tracks?limit=51'), 400, '/me/tracks?limit=51');
      const tierMax = tier === 'extended' ? 50 : 10;
      expectErrorShape(
        await get(`/search?q=a&type=track&limit=${tierMax + 1}`, appToken),
        400,
        'search limit',
      );
      expectErrorShape(
        await get(`/artists/${favouriteArtistId()}/albums?limit=${tierMax + 1}`, appToken),
        400,
        'artist albums limit',
      );
    });

    it('401 without a token or with an unknown one, with the error body', async () => {
      expectErrorShape(await get(`/tracks/${firstTrackId()}`, null), 401, 'no token');
      expectErrorShape(await get(`/tracks/${firstTrackId()}`, 'not-a-token'), 401, 'unknown token');
    });

    it('POST /api/token errors are OAuth-shaped {error, error_description}', async () => {
      const post = (form: Record<string, string>, authorization?: string) =>
        request(`${emu.url}/api/token`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            ...(authorization === undefined ? {} : { authorization }),
          },
          body: new URLSearchParams(form).toString(),
        });
      const badSecret = `Basic ${Buffer.from('tunelake-demo:wrong').toString('base64')}`;
      const cases: Array<[Reply, string]> = [
        [await post({ grant_type: 'client_credentials' }, badSecret), 'invalid_client'],
        [await post({ grant_type: 'client_credentials' }), 'invalid_client'],
        [await post({ grant_type: 'refresh_token', refresh_token: 'nope' }, BASIC), 'invalid_grant'],
        [await post({}, BASIC), 'unsupported_grant_type'],
      ];
      for (const [reply, code] of cases) {
        expect(reply.status, JSON.stringify(reply.body)).toBe(400);
        expect(isJson(reply.body)).toBe(true);
        const body = reply.body as Json;
        expect(body.error).toBe(code);
        expect(contract.validateError(400, body).valid, 'not the API error shape').toBe(false);
        expect(Object.keys(body).every((k) => k === 'error' || k === 'error_description')).toBe(true);
        if ('error_description' in body) expect(typeof body.error_description).toBe('string');
      }
      expect((cases[0]![0].body as Json).error_description).toBe('Invalid client secret');
    });
  },
);

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
