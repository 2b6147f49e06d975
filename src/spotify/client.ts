// The Spotify Web API client: the `SpotifyApi` port the extract stage calls. It works unchanged
// against api.spotify.com and tunelake's emulator; only `config.spotify.accountsUrl` and `apiUrl`
// differ. Each method knows its endpoint's limits in both access tiers (tiers.ts) and falls back
// where development mode removed an endpoint (batch lookups become one request per id).
//
// Tokens: `/me/**` always uses the user token (and fails at once, without a request, when no refresh
// token is configured). Playlists use the user token when there is one, because in development mode
// only the user's own and collaborative playlists are readable; everything else uses the app token.
import { z } from 'zod';
import type { Config } from '../config.js';
import { isTunelakeError, TunelakeError } from '../errors.js';
import { createAppTokenProvider, createUserTokenProvider, type SaveRefreshToken } from './auth.js';
import {
  type ClientStats,
  createHttp,
  createStats,
  createTransport,
  resolveDeps,
  type SpotifyDeps,
  userTokenRequired,
} from './http.js';
import { isSpotifyId, parseSpotifyId } from './ids.js';
import { iterateItems, type Pageable, paginate, withoutNulls } from './paging.js';
import {
  type Album,
  AlbumSchema,
  type Artist,
  type ArtistDiscographyAlbum,
  ArtistDiscographyAlbumSchema,
  ArtistSchema,
  type CursorPage,
  cursorPagingSchema,
  type Page,
  type PlayHistory,
  PlayHistorySchema,
  type Playlist,
  type PlaylistFields,
  PlaylistFieldsSchema,
  type PlaylistItem,
  PlaylistItemSchema,
  PlaylistSchema,
  type PrivateUser,
  PrivateUserSchema,
  pagingSchema,
  type SavedTrack,
  SavedTrackSchema,
  type SearchItemTypes,
  SearchResultsSchema,
  type SearchType,
  type SimplifiedAlbum,
  SimplifiedAlbumSchema,
  type SimplifiedPlaylist,
  SimplifiedPlaylistSchema,
  type SimplifiedTrack,
  SimplifiedTrackSchema,
  STORED_ITEM_TYPES,
  type Track,
  TrackSchema,
} from './schemas.js';
import {
  type AccessTier,
  TIER_PROBE_ARTIST_ID,
  TIERS,
  type TierProfile,
  tierFromProbeStatus,
} from './tiers.js';

export type { ClientStats, SpotifyDeps };

export type TimeRange = 'short_term' | 'medium_term' | 'long_term';
export type IncludeGroup = 'album' | 'single' | 'compilation' | 'appears_on';

export interface GetOptions {
  /** Send the user token (default: only for `/me/**` paths). */
  user?: boolean;
  query?: Record<string, string | number | undefined>;
}

/** The port the rest of tunelake depends on; `createSpotifyClient` is its only implementation. */
export interface SpotifyApi {
  /** The access tier the client plans requests for (from config, or from `detectTier()`). */
  readonly tier: AccessTier;
  readonly profile: TierProfile;
  readonly stats: ClientStats;
  readonly hasUserToken: boolean;
  /**
   * Page sizes learnt from `400 Invalid limit` (this run or, through `usePageSizes`, earlier runs):
   * smaller than the tier's and used instead of it. Empty until Spotify refuses a size.
   */
  readonly pageSizes: Readonly<PageSizes>;
  /** Starts from page sizes an earlier run learnt (the extract keeps them in the lake's state). */
  usePageSizes(sizes: Readonly<PageSizes>): void;

  /** Playlist metadata (snapshot_id...). With `fields`, only the fields asked for come back. */
  playlist(id: string): Promise<Playlist>;
  playlist(id: string, options: { fields: string }): Promise<PlaylistFields>;
  /** `GET /playlists/{id}/items`, 50 per page, tracks and episodes; `item` is set from `item ?? track`. */
  playlistItems(id: string): AsyncIterable<Page<PlaylistItem | null>>;
  /** Deduplicated, in input order; unknown ids give null. Batches of 50, or one by one in development. */
  tracks(ids: readonly string[]): Promise<Array<Track | null>>;
  /** Batches of 20, or one by one in development. */
  albums(ids: readonly string[]): Promise<Array<Album | null>>;
  /** Batches of 50, or one by one in development. */
  artists(ids: readonly string[]): Promise<Array<Artist | null>>;
  albumTracks(albumId: string): AsyncIterable<Page<SimplifiedTrack>>;
  /** Page size is the tier's maximum (10 in development, 50 in extended). */
  artistAlbums(
    artistId: string,
    includeGroups: readonly string[],
  ): AsyncIterable<Page<ArtistDiscographyAlbum>>;
  /** Pages of up to the tier's maximum; stops after `maxResults` items (default 1000) or at offset 1000. */
  search<K extends SearchType>(
    q: string,
    type: K,
    options?: { maxResults?: number },
  ): AsyncIterable<Page<SearchItemTypes[K] | null>>;
  me(): Promise<PrivateUser>;
  /**
   * The user's recent plays, 50 per page. Without `after`, follows `next` (a `before` cursor) back in
   * time. With `after` (Unix ms), pages forward: each request asks for plays after the previous page's
   * `cursors.after`, until a page comes back short or the cursor stops moving.
   */
  recentlyPlayed(options?: { after?: number }): AsyncIterable<CursorPage<PlayHistory>>;
  topItems(kind: 'artists', timeRange: TimeRange): AsyncIterable<Page<Artist>>;
  topItems(kind: 'tracks', timeRange: TimeRange): AsyncIterable<Page<Track>>;
  topItems(kind: 'artists' | 'tracks', timeRange: TimeRange): AsyncIterable<Page<Artist> | Page<Track>>;
  /** The user's saved tracks, newest first. */
  savedTracks(): AsyncIterable<Page<SavedTrack>>;
  /** The user's playlists; Spotify-owned entries come back as null. */
  myPlaylists(): AsyncIterable<Page<SimplifiedPlaylist | null>>;
  /** Extended tier only: in development it throws SPOTIFY_FORBIDDEN without a request. */
  newReleases(): AsyncIterable<Page<SimplifiedAlbum>>;
  /** Extended tier only: in development it throws SPOTIFY_FORBIDDEN without a request. */
  artistTopTracks(artistId: string, market: string): Promise<Track[]>;
  /** Probes a batch endpoint (403 -> development, 200 -> extended) and plans requests for that tier. */
  detectTier(): Promise<AccessTier>;
  /** The non-null items of `pages`; nulls are counted in `stats.nullItemsSkipped`. */
  items<T>(pages: AsyncIterable<Pageable<T | null>>): AsyncIterable<T>;
  /** Escape hatch: any GET, validated with `schema`. */
  get<T>(pathOrUrl: string, schema: z.ZodType<T>, options?: GetOptions): Promise<T>;
}

export type SpotifyClient = SpotifyApi;

/** Listings whose `limit` Spotify may refuse above 10 (OpenAPI 2026.5.31; spotipy#1231). */
export interface PageSizes {
  artistAlbums?: number;
  search?: number;
}

/** What a listing falls back to on `400 Invalid limit`: the OpenAPI's maximum for both. */
export const FALLBACK_PAGE_SIZE = 10;

export function isInvalidLimit(error: unknown): boolean {
  if (!isTunelakeError(error, 'SPOTIFY_BAD_REQUEST')) return false;
  return /invalid limit/i.test(String(error.details.spotifyMessage ?? error.message));
}

export interface SpotifyClientDeps extends SpotifyDeps {
  /** Where a refresh token that Spotify rotated is persisted; without it, a warning says it was not. */
  saveRefreshToken?: SaveRefreshToken;
}

export function createSpotifyClient(
  config: Pick<Config, 'spotify' | 'http'>,
  deps: SpotifyClientDeps = {},
): SpotifyClient {
  const resolved = resolveDeps(deps);
  const { logger } = resolved;
  const stats = createStats();
  const transport = createTransport(config.http, resolved, stats);
  const authContext = {
    spotify: config.spotify,
    transport,
    now: resolved.now,
    logger,
    ...(deps.saveRefreshToken ? { saveRefreshToken: deps.saveRefreshToken } : {}),
  };
  const app = createAppTokenProvider(authContext);
  const user = createUserTokenProvider(authContext);
  const http = createHttp(config.spotify.apiUrl, transport, { app, user }, resolved);
  const market = config.spotify.market;
  /**
   * Playlists are read with the user token when there is one. In extended quota mode any public
   * playlist is readable with the app token too, so a rejected login (an expired refresh token)
   * falls back to it there; in development mode the playlist then fails with the login error.
   */
  const playlistAuth = async (): Promise<'user' | 'app'> => {
    if (!user) return 'app';
    if (tier !== 'extended') return 'user';
    try {
      await user.token();
      return 'user';
    } catch (error) {
      if (isTunelakeError(error, 'AUTH_INVALID_GRANT')) return 'app';
      throw error;
    }
  };
  let tier: AccessTier = config.spotify.tier;
  const pageSizes: PageSizes = {};

  /**
   * Runs a listing from its first page; when Spotify answers `400 Invalid limit` before any page
   * came, the smaller size is remembered and the listing starts again with it. Never fails the
   * source for the size alone.
   */
  async function* withPageSize<P>(
    kind: keyof PageSizes,
    tierSize: number,
    listing: (size: number) => AsyncIterable<P>,
  ): AsyncGenerator<P, void, undefined> {
    const size = Math.min(tierSize, pageSizes[kind] ?? tierSize);
    let started = false;
    try {
      for await (const page of listing(size)) {
        started = true;
        yield page;
      }
    } catch (error) {
      if (started || size <= FALLBACK_PAGE_SIZE || !isInvalidLimit(error)) throw error;
      pageSizes[kind] = FALLBACK_PAGE_SIZE;
      logger.warn('Spotify refused the page size; using 10 from now on', {
        listing: kind,
        refused: size,
        now: FALLBACK_PAGE_SIZE,
      });
      yield* listing(FALLBACK_PAGE_SIZE);
    }
  }

  const countNulls = (n: number) => {
    stats.nullItemsSkipped += n;
  };
  const requireUser = (what: string) => {
    if (!user) throw userTokenRequired(what);
  };
  const requireExtended = (what: string) => {
    if (tier !== 'extended') {
      throw new TunelakeError(
        'SPOTIFY_FORBIDDEN',
        `${what} is not available to development-mode apps (SPOTIFY_ACCESS_TIER=development): Spotify removed it in ` +
          'February 2026. It needs extended quota mode (SPOTIFY_ACCESS_TIER=extended).',
        { details: { tier, what } },
      );
    }
  };

  /** Pages from `path`, following `next`; `unwrap` digs the page out of a wrapper like `{albums: ...}`. */
  function pages<S extends z.ZodType, P extends Pageable<unknown>>(
    path: string,
    query: Record<string, string | number | undefined>,
    schema: S,
    auth: 'app' | 'user',
    unwrap: (body: z.output<S>) => P,
  ): AsyncGenerator<P, void, undefined> {
    const fetchPage = async (pathOrUrl: string, q?: typeof query) =>
      unwrap(await http.request({ pathOrUrl, query: q, schema: schema as z.ZodType<z.output<S>>, auth }));
    return paginate((async () => fetchPage(path, query))(), (url) => fetchPage(url));
  }

  async function* dropNulls<P extends Pageable<unknown>>(source: AsyncIterable<P>) {
    for await (const page of source) yield withoutNulls(page, countNulls);
  }

  type Lookup<T> = {
    kind: 'track' | 'album' | 'artist';
    path: string;
    key: string;
    batchSize: number;
    schema: z.ZodType<T>;
    query: Record<string, string | undefined>;
  };

  async function lookup<T>(ids: readonly string[], spec: Lookup<T>): Promise<Array<T | null>> {
    const bad = ids.filter((id) => !isSpotifyId(id));
    if (bad.length > 0) {
      throw new TunelakeError(
        'INVALID_ARGUMENT',
        `Invalid Spotify ${spec.kind} id${bad.length > 1 ? 's' : ''} ${bad
          .slice(0, 5)
          .map((id) => `"${id}"`)
          .join(', ')}: expected 22 base-62 characters.`,
        { details: { ids: bad.slice(0, 20) } },
      );
    }
    const unique = [...new Set(ids)];
    const found = new Map<string, T | null>();
    if (spec.batchSize > 0) {
      const chunks: string[][] = [];
      for (let i = 0; i < unique.length; i += spec.batchSize)
        chunks.push(unique.slice(i, i + spec.batchSize));
      const batchSchema = z.looseObject({ [spec.key]: z.array(spec.schema.nullable()) });
      await runPool(chunks, config.http.concurrency, async (chunk) => {
        const body = await http.request({
          pathOrUrl: spec.path,
          query: { ...spec.query, ids: chunk.join(',') },
          schema: batchSchema,
          auth: 'app',
        });
        const list = (body as Record<string, Array<T | null>>)[spec.key] ?? [];
        if (list.length !== chunk.length) {
          throw new TunelakeError(
            'SPOTIFY_BAD_RESPONSE',
            `Spotify answered GET ${spec.path} for ${chunk.length} ids with ${list.length} ${spec.key}; expected one per id.`,
            { retryable: false, details: { asked: chunk.length, got: list.length } },
          );
        }
        for (const [i, id] of chunk.entries()) found.set(id, list[i] ?? null);
      });
    } else {
      await runPool(unique, config.http.concurrency, async (id) => {
        try {
          found.set(
            id,
            await http.request({
              pathOrUrl: `${spec.path}/${id}`,
              query: spec.query,
              schema: spec.schema,
              auth: 'app',
            }),
          );
        } catch (error) {
          if (!isTunelakeError(error, 'SPOTIFY_NOT_FOUND')) throw error;
          found.set(id, null);
        }
      });
    }
    return ids.map((id) => found.get(id) ?? null);
  }

  const client: SpotifyClient = {
    get tier() {
      return tier;
    },
    get profile() {
      return TIERS[tier];
    },
    stats,
    hasUserToken: user !== undefined,
    get pageSizes() {
      return { ...pageSizes };
    },
    usePageSizes(sizes) {
      for (const kind of ['artistAlbums', 'search'] as const) {
        const size = sizes[kind];
        if (typeof size === 'number' && Number.isInteger(size) && size >= 1) pageSizes[kind] = size;
      }
    },

    playlist: (async (id: string, options?: { fields: string }) => {
      const playlistId = parseSpotifyId(id, 'playlist');
      const query = { market, fields: options?.fields, additional_types: 'track,episode' };
      const pathOrUrl = `/playlists/${playlistId}`;
      const auth = await playlistAuth();
      if (options?.fields !== undefined) {
        return http.request({ pathOrUrl, query, schema: PlaylistFieldsSchema, auth });
      }
      return http.request({ pathOrUrl, query, schema: PlaylistSchema, auth });
    }) as SpotifyApi['playlist'],

    async *playlistItems(id) {
      const playlistId = parseSpotifyId(id, 'playlist');
      const source = pages(
        `/playlists/${playlistId}/items`,
        { limit: TIERS[tier].limits.playlistItemsPage, additional_types: 'track,episode', market },
        pagingSchema(PlaylistItemSchema.nullable()),
        await playlistAuth(),
        (page) => page as Page<PlaylistItem | null>,
      );
      for await (const page of source) {
        // An item of a type tunelake does not store (e.g. an audiobook chapter) becomes null in place,
        // so the other items keep their positions; it is counted, never a reason to fail the page.
        const skipped: string[] = [];
        const items = page.items.map((entry) => {
          const type = (entry?.item as { type?: unknown } | null | undefined)?.type;
          if (typeof type !== 'string' || STORED_ITEM_TYPES.includes(type)) return entry;
          skipped.push(type);
          return null;
        });
        if (skipped.length > 0) {
          stats.unknownItemsSkipped += skipped.length;
          logger.warn('playlist items of a type tunelake does not store were skipped', {
            playlist: playlistId,
            types: [...new Set(skipped)],
            count: skipped.length,
          });
        }
        yield skipped.length > 0 ? { ...page, items } : page;
      }
    },

    tracks(ids) {
      return lookup(ids, {
        kind: 'track',
        path: '/tracks',
        key: 'tracks',
        batchSize: TIERS[tier].limits.batchTracks,
        schema: TrackSchema,
        query: { market },
      });
    },

    albums(ids) {
      return lookup(ids, {
        kind: 'album',
        path: '/albums',
        key: 'albums',
        batchSize: TIERS[tier].limits.batchAlbums,
        schema: AlbumSchema,
        query: { market },
      });
    },

    artists(ids) {
      return lookup(ids, {
        kind: 'artist',
        path: '/artists',
        key: 'artists',
        batchSize: TIERS[tier].limits.batchArtists,
        schema: ArtistSchema,
        query: {},
      });
    },

    async *albumTracks(albumId) {
      const id = parseSpotifyId(albumId, 'album');
      yield* dropNulls(
        pages(
          `/albums/${id}/tracks`,
          { limit: TIERS[tier].limits.albumTracksPage, market },
          pagingSchema(SimplifiedTrackSchema.nullable()),
          'app',
          (page) => page as Page<SimplifiedTrack | null>,
        ),
      );
    },

    async *artistAlbums(artistId, includeGroups) {
      const id = parseSpotifyId(artistId, 'artist');
      yield* withPageSize('artistAlbums', TIERS[tier].limits.artistAlbumsPage, (limit) =>
        dropNulls(
          pages(
            `/artists/${id}/albums`,
            {
              include_groups: includeGroups.length > 0 ? includeGroups.join(',') : undefined,
              limit,
              market,
            },
            pagingSchema(ArtistDiscographyAlbumSchema.nullable()),
            'app',
            (page) => page as Page<ArtistDiscographyAlbum | null>,
          ),
        ),
      );
    },

    async *search(q, type, options = {}) {
      const { searchPage, searchMaxOffset } = TIERS[tier].limits;
      const maxResults = Math.min(options.maxResults ?? searchMaxOffset, searchMaxOffset);
      if (maxResults <= 0) return;
      const key = `${type}s` as const;
      const unwrap = (body: z.output<typeof SearchResultsSchema>) => {
        const page = body[key];
        if (!page) {
          throw new TunelakeError(
            'SPOTIFY_BAD_RESPONSE',
            `Spotify's search answer has no "${key}" although type=${type} was asked for.`,
            { retryable: false, details: { type } },
          );
        }
        return page as Page<SearchItemTypes[typeof type] | null>;
      };
      const source = withPageSize('search', Math.min(searchPage, maxResults), (limit) =>
        pages('/search', { q, type, limit, market }, SearchResultsSchema, 'app', unwrap),
      );
      let seen = 0;
      for await (const page of source) {
        const room = maxResults - seen;
        const trimmed = page.items.length > room ? { ...page, items: page.items.slice(0, room) } : page;
        seen += trimmed.items.length;
        yield trimmed;
        if (seen >= maxResults || trimmed.items.length === 0 || !page.next) return;
        // Spotify refuses offset + limit beyond 1000; stop rather than ask for a page it will refuse.
        const next = new URL(page.next);
        if (Number(next.searchParams.get('offset') ?? 0) >= searchMaxOffset) return;
      }
    },

    me() {
      return (async () => {
        requireUser('GET /me');
        return http.request({ pathOrUrl: '/me', schema: PrivateUserSchema, auth: 'user' });
      })();
    },

    async *recentlyPlayed(options = {}) {
      requireUser('GET /me/player/recently-played');
      const limit = TIERS[tier].limits.mePage;
      const schema = cursorPagingSchema(PlayHistorySchema.nullable());
      const path = '/me/player/recently-played';
      if (options.after === undefined) {
        yield* dropNulls(
          pages(path, { limit }, schema, 'user', (page) => page as CursorPage<PlayHistory | null>),
        );
        return;
      }
      // `next` on an `after` query points back in time (a `before` cursor), so forward paging is done
      // by hand from `cursors.after`, the newest play of the page.
      let after = options.after;
      for (;;) {
        const page = (await http.request({
          pathOrUrl: path,
          query: { limit, after },
          schema,
          auth: 'user',
        })) as CursorPage<PlayHistory | null>;
        yield withoutNulls(page, countNulls);
        const cursor = Number(page.cursors?.after);
        if (page.items.length < limit || !Number.isFinite(cursor) || cursor <= after) return;
        after = cursor;
      }
    },

    topItems: async function* (kind: 'artists' | 'tracks', timeRange: TimeRange) {
      requireUser(`GET /me/top/${kind}`);
      const query = { time_range: timeRange, limit: TIERS[tier].limits.mePage };
      if (kind === 'artists') {
        yield* dropNulls(
          pages(
            '/me/top/artists',
            query,
            pagingSchema(ArtistSchema.nullable()),
            'user',
            (p) => p as Page<Artist | null>,
          ),
        );
      } else {
        yield* dropNulls(
          pages(
            '/me/top/tracks',
            query,
            pagingSchema(TrackSchema.nullable()),
            'user',
            (p) => p as Page<Track | null>,
          ),
        );
      }
    } as SpotifyApi['topItems'],

    async *savedTracks() {
      requireUser('GET /me/tracks');
      yield* dropNulls(
        pages(
          '/me/tracks',
          { limit: TIERS[tier].limits.mePage, market },
          pagingSchema(SavedTrackSchema.nullable()),
          'user',
          (page) => page as Page<SavedTrack | null>,
        ),
      );
    },

    async *myPlaylists() {
      requireUser('GET /me/playlists');
      yield* pages(
        '/me/playlists',
        { limit: TIERS[tier].limits.mePage },
        pagingSchema(SimplifiedPlaylistSchema.nullable()),
        'user',
        (page) => page as Page<SimplifiedPlaylist | null>,
      );
    },

    async *newReleases() {
      requireExtended('GET /browse/new-releases');
      const schema = z.looseObject({ albums: pagingSchema(SimplifiedAlbumSchema.nullable()) });
      yield* dropNulls(
        pages(
          '/browse/new-releases',
          { limit: TIERS[tier].limits.newReleasesPage },
          schema,
          'app',
          (body) => body.albums as Page<SimplifiedAlbum | null>,
        ),
      );
    },

    async artistTopTracks(artistId, topMarket) {
      requireExtended('GET /artists/{id}/top-tracks');
      const id = parseSpotifyId(artistId, 'artist');
      const body = await http.request({
        pathOrUrl: `/artists/${id}/top-tracks`,
        query: { market: topMarket },
        schema: z.looseObject({ tracks: z.array(TrackSchema.nullable()) }),
        auth: 'app',
      });
      return withoutNulls({ items: body.tracks, next: null }, countNulls).items;
    },

    async detectTier() {
      const path = '/artists';
      const result = await http.probe({ pathOrUrl: path, query: { ids: TIER_PROBE_ARTIST_ID }, auth: 'app' });
      const detected = tierFromProbeStatus(result.status);
      if (!detected) {
        throw new TunelakeError(
          'SPOTIFY_BAD_RESPONSE',
          `Could not tell the access tier: GET /artists?ids=${TIER_PROBE_ARTIST_ID} answered ${result.status} ` +
            '(expected 200 in extended quota mode or 403 in development mode).',
          { retryable: false, details: { status: result.status } },
        );
      }
      if (detected !== tier) logger.info('spotify access tier detected', { configured: tier, detected });
      tier = detected;
      return detected;
    },

    items(pageSource) {
      return iterateItems(pageSource, countNulls);
    },

    get(pathOrUrl, schema, options = {}) {
      const isMe = /^(\/?me(\/|$|\?))|^https?:\/\/[^/]+\/[^?]*?\/me(\/|$|\?)/.test(pathOrUrl);
      const auth = (options.user ?? isMe) ? 'user' : 'app';
      return http.request({ pathOrUrl, query: options.query, schema, auth });
    },
  };
  return client;
}

/** Runs `work` over `items` with at most `size` at once; the first failure stops the rest. */
async function runPool<T>(
  items: readonly T[],
  size: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(size, items.length) }, worker));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}
