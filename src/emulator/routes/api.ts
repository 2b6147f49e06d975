// The Web API (api.spotify.com/v1) routes. Authentication, rate limiting and faults happen before
// a handler runs (app.ts); a handler validates its parameters, applies the tier's rules and
// returns the 200 body, or throws `fail(status, message)` with Spotify's wording.
import type { Grant } from '../auth.js';
import { filterFields } from '../fields.js';
import { importedTrack } from '../imported.js';
import type { EmulatorState } from '../instance.js';
import {
  albumObject,
  artistObject,
  type Page,
  paging,
  playlistItem,
  playlistObject,
  privateUserObject,
  publicUserObject,
  type RenderContext,
  simplifiedAlbum,
  simplifiedPlaylist,
  simplifiedTrack,
  trackObject,
} from '../objects.js';
import { fail } from '../responses.js';
import { parseSearchQuery, SEARCH_TYPES, type SearchType, searchWorld } from '../search.js';
import type { LimitRule } from '../tiers.js';
import {
  type Album,
  DAY_MS,
  HISTORY_DAYS,
  type Play,
  type Playlist,
  popularityAt,
  worldNowMs,
} from '../world.js';

export interface ApiContext {
  state: EmulatorState;
  query: URLSearchParams;
  params: Record<string, string>;
  grant: Grant;
  render: RenderContext;
}

export interface ApiRoute {
  /** Route template, also the key in stats().byRoute (after the method). */
  path: string;
  /** Needs a user token (403 "This request requires user authentication." for app tokens). */
  user?: boolean;
  scope?: string;
  /** Gone for development-mode apps since February 2026: 403 Forbidden there. */
  legacy?: boolean;
  handle(ctx: ApiContext): unknown;
}

const ID_RE = /^[0-9A-Za-z]{22}$/;
const DEFAULT_LIMIT: LimitRule = { max: 50, default: 20 };

function id(value: string | undefined): string {
  if (value === undefined || !ID_RE.test(value)) throw fail(400, 'invalid id');
  return value;
}

const notFound = () => fail(404, 'Resource not found');
const forbidden = () => fail(403, 'Forbidden');

function integer(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  const value = /^-?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) throw fail(400, `Invalid ${name}`);
  return value;
}

const limitOf = (ctx: ApiContext, rule: LimitRule = DEFAULT_LIMIT) =>
  integer(ctx.query, 'limit', rule.default, 1, rule.max);

/** The 2026-05 OpenAPI caps search and artist albums at 10 in every tier; `strictPageSize` applies it. */
const STRICT_LIMIT: LimitRule = { max: 10, default: 5 };
const strictLimitOf = (ctx: ApiContext, rule: LimitRule) =>
  limitOf(ctx, ctx.state.faults.options.strictPageSize && rule.max > STRICT_LIMIT.max ? STRICT_LIMIT : rule);
const offsetOf = (ctx: ApiContext, max = 100_000) => integer(ctx.query, 'offset', 0, 0, max);

function idsOf(ctx: ApiContext, max: number): string[] {
  const raw = ctx.query.get('ids');
  if (raw === null || raw.trim() === '') throw fail(400, 'invalid id');
  const ids = raw.split(',').map((s) => s.trim());
  if (ids.length > max) throw fail(400, 'Too many ids requested');
  return ids.map((value) => id(value));
}

function includesEpisodes(ctx: ApiContext): boolean {
  return (ctx.query.get('additional_types') ?? '').split(',').some((t) => t.trim() === 'episode');
}

const track = (ctx: ApiContext, trackId: string) =>
  ctx.state.world.tracks.get(trackId) ??
  (ctx.state.resolveImportedTracks ? importedTrack(ctx.state.world, trackId) : undefined);
const album = (ctx: ApiContext, albumId: string) => ctx.state.world.albums.get(albumId);
const artist = (ctx: ApiContext, artistId: string) => ctx.state.world.artists.get(artistId);

// --- playlists -----------------------------------------------------------------------------------

function playlistOf(ctx: ApiContext): Playlist {
  const playlist = ctx.state.world.playlists.get(id(ctx.params.id));
  // Spotify-owned editorial and algorithmic playlists are hidden from new apps since 2024-11.
  if (!playlist || (playlist.editorial && !ctx.state.rules.editorialVisible)) throw notFound();
  return playlist;
}

/** Development mode shows items only to the playlist's owner and collaborators. */
function canSeeItems(ctx: ApiContext, playlist: Playlist): boolean {
  if (!ctx.state.rules.itemsForOwnersOnly) return true;
  const user = ctx.grant.userId;
  return user !== null && (playlist.ownerId === user || playlist.collaborators.includes(user));
}

function embeddedQuery(ctx: ApiContext): URLSearchParams {
  const query = new URLSearchParams();
  for (const key of ['market', 'additional_types']) {
    const value = ctx.query.get(key);
    if (value !== null) query.set(key, value);
  }
  return query;
}

function playlistItems(ctx: ApiContext, path: string, max: number, fallback: number): unknown {
  const playlist = playlistOf(ctx);
  if (!canSeeItems(ctx, playlist)) throw forbidden();
  const limit = limitOf(ctx, { max, default: fallback });
  const offset = offsetOf(ctx);
  const episodes = includesEpisodes(ctx);
  const page = paging(
    ctx.render,
    `/playlists/${playlist.id}/${path}`,
    ctx.query,
    playlist.entries,
    offset,
    limit,
    (e) => playlistItem(ctx.render, e, episodes, ctx.state.faults.options.chapterItems),
  );
  return filterFields(page, ctx.query.get('fields'));
}

// --- listening history ---------------------------------------------------------------------------

const TIME_RANGES: Record<string, number> = {
  short_term: 28,
  medium_term: 182,
  long_term: HISTORY_DAYS + 100_000,
};
const topCache = new WeakMap<object, { version: number; ranked: Map<string, string[]> }>();

function playsOf(ctx: ApiContext): readonly Play[] {
  return ctx.grant.userId === ctx.state.world.demoUserId ? ctx.state.world.plays : [];
}

/** Top artists or tracks over a time range, ranked by play count in the window (ties by id). */
function topIds(ctx: ApiContext, type: 'artists' | 'tracks', range: string): string[] {
  const world = ctx.state.world;
  let cache = topCache.get(world);
  if (!cache || cache.version !== world.version) {
    cache = { version: world.version, ranked: new Map() };
    topCache.set(world, cache);
  }
  const key = `${ctx.grant.userId}|${type}|${range}`;
  const cached = cache.ranked.get(key);
  if (cached) return cached;
  const since = worldNowMs(world) - TIME_RANGES[range]! * DAY_MS;
  const counts = new Map<string, number>();
  for (const play of playsOf(ctx)) {
    if (play.playedAt < since) continue;
    const keys = type === 'tracks' ? [play.trackId] : world.tracks.get(play.trackId)!.artistIds;
    for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const ranked = [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)! || (a < b ? -1 : 1));
  cache.ranked.set(key, ranked);
  return ranked;
}

function contextObject(ctx: ApiContext, context: Play['context']): unknown {
  if (context === null) return null;
  return {
    type: context.type,
    href: `${ctx.render.apiUrl}/${context.type}s/${context.id}`,
    external_urls: { spotify: `https://open.spotify.com/${context.type}/${context.id}` },
    uri: `spotify:${context.type}:${context.id}`,
  };
}

function recentlyPlayed(ctx: ApiContext): unknown {
  const { query, render } = ctx;
  const limit = limitOf(ctx);
  const after = query.get('after');
  const before = query.get('before');
  if (after !== null && before !== null) throw fail(400, 'Only one of after and before may be given');
  const cursor = (name: string, raw: string) => {
    if (!/^\d+$/.test(raw)) throw fail(400, `Invalid ${name}`);
    return Number(raw);
  };
  // Only the 50 most recent plays are reachable, newest first.
  const all = playsOf(ctx);
  const pool = all.slice(Math.max(0, all.length - 50)).reverse();
  let candidates = pool;
  let items: Play[];
  if (before !== null) {
    const t = cursor('before', before);
    candidates = pool.filter((p) => p.playedAt < t);
    items = candidates.slice(0, limit);
  } else if (after !== null) {
    const t = cursor('after', after);
    candidates = pool.filter((p) => p.playedAt > t);
    items = candidates.slice(Math.max(0, candidates.length - limit));
  } else {
    items = pool.slice(0, limit);
  }
  const oldest = items[items.length - 1];
  const hrefQuery = new URLSearchParams(query);
  if (!hrefQuery.has('limit')) hrefQuery.set('limit', String(limit));
  const base = `${render.apiUrl}/me/player/recently-played`;
  return {
    href: `${base}?${hrefQuery}`,
    items: items.map((p) => ({
      track: trackObject(render, ctx.state.world.tracks.get(p.trackId)!),
      played_at: new Date(p.playedAt).toISOString(),
      context: contextObject(ctx, p.context),
    })),
    limit,
    next:
      oldest && pool.some((p) => p.playedAt < oldest.playedAt)
        ? `${base}?before=${oldest.playedAt}&limit=${limit}`
        : null,
    cursors: oldest ? { after: String(items[0]!.playedAt), before: String(oldest.playedAt) } : null,
    total: candidates.length,
  };
}

// --- the user's library ----------------------------------------------------------------------------

function myPlaylists(ctx: ApiContext): Playlist[] {
  const world = ctx.state.world;
  const user = ctx.grant.userId!;
  const scopes = ctx.grant.scopes;
  const own: Playlist[] = [];
  const collaborating: Playlist[] = [];
  for (const pid of world.playlistIds) {
    const p = world.playlists.get(pid)!;
    if (p.ownerId === user) own.push(p);
    else if (p.collaborators.includes(user)) collaborating.push(p);
  }
  const followed =
    user === world.demoUserId ? world.followedPlaylistIds.map((pid) => world.playlists.get(pid)!) : [];
  // Private and collaborative playlists are listed only with the matching scopes.
  return [...own, ...collaborating, ...followed].filter((p) => {
    if (p.collaborative) return scopes.has('playlist-read-collaborative');
    if (!p.public && p.ownerId === user) return scopes.has('playlist-read-private');
    return true;
  });
}

/** In development mode Spotify-owned playlists come back as `null` in lists (since 2024-12). */
function listedPlaylist(ctx: ApiContext, playlist: Playlist): unknown {
  if (playlist.editorial && !ctx.state.rules.editorialVisible) return null;
  return simplifiedPlaylist(ctx.render, playlist);
}

function artistAlbums(ctx: ApiContext): unknown {
  const a = artist(ctx, id(ctx.params.id));
  if (!a) throw notFound();
  const groups = (ctx.query.get('include_groups') ?? 'album,single,compilation,appears_on')
    .split(',')
    .map((g) => g.trim())
    .filter((g) => g !== '');
  const known = ['album', 'single', 'compilation', 'appears_on'];
  if (groups.length === 0 || groups.some((g) => !known.includes(g)))
    throw fail(400, 'Invalid include_groups');
  const limit = strictLimitOf(ctx, ctx.state.rules.artistAlbumsLimit);
  const offset = offsetOf(ctx);
  const world = ctx.state.world;
  const newestFirst = (x: Album, y: Album) => y.releaseDay - x.releaseDay || (x.id < y.id ? -1 : 1);
  const rows: Array<{ album: Album; group: string }> = [];
  for (const group of known) {
    if (!groups.includes(group)) continue;
    const ids = group === 'appears_on' ? a.appearsOnAlbumIds : a.albumIds;
    const albums = ids
      .map((x) => world.albums.get(x)!)
      .filter((x) => group === 'appears_on' || x.albumType === group);
    for (const x of albums.sort(newestFirst)) rows.push({ album: x, group });
  }
  return paging(ctx.render, `/artists/${a.id}/albums`, ctx.query, rows, offset, limit, (r) =>
    simplifiedAlbum(ctx.render, r.album, r.group),
  );
}

function search(ctx: ApiContext): unknown {
  const q = ctx.query.get('q');
  if (q === null || q.trim() === '') throw fail(400, 'No search query');
  const typeParam = ctx.query.get('type');
  if (typeParam === null || typeParam.trim() === '') throw fail(400, 'Missing parameter type');
  const types = typeParam.split(',').map((t) => t.trim());
  for (const t of types) if (!SEARCH_TYPES.includes(t)) throw fail(400, `Bad search type field ${t}`);
  const limit = strictLimitOf(ctx, ctx.state.rules.searchLimit);
  const offset = offsetOf(ctx, 1000);
  const parsed = parseSearchQuery(q);
  const world = ctx.state.world;
  const out: Record<string, Page<unknown>> = {};
  for (const type of SEARCH_TYPES) {
    if (!types.includes(type)) continue;
    const key = `${type}s`;
    if (type !== 'album' && type !== 'artist' && type !== 'playlist' && type !== 'track') {
      // Shows, episodes and audiobooks are not generated: valid types with no results.
      out[key] = paging(ctx.render, '/search', ctx.query, [], offset, limit, (x) => x);
      continue;
    }
    const ids = searchWorld(world, parsed, type as SearchType);
    const render = (x: string): unknown => {
      if (type === 'track') return trackObject(ctx.render, world.tracks.get(x)!);
      if (type === 'album') return simplifiedAlbum(ctx.render, world.albums.get(x)!);
      if (type === 'artist') return artistObject(ctx.render, world.artists.get(x)!);
      return listedPlaylist(ctx, world.playlists.get(x)!);
    };
    out[key] = paging(ctx.render, '/search', ctx.query, ids, offset, limit, render);
  }
  return out;
}

function batch<T>(
  ctx: ApiContext,
  max: number,
  key: string,
  find: (x: string) => T | undefined,
  render: (x: T) => unknown,
) {
  const ids = idsOf(ctx, max);
  return {
    [key]: ids.map((x) => {
      const found = find(x);
      return found === undefined ? null : render(found);
    }),
  };
}

export const API_ROUTES: readonly ApiRoute[] = [
  {
    path: '/v1/tracks/{id}',
    handle: (ctx) => {
      const t = track(ctx, id(ctx.params.id));
      if (!t) throw notFound();
      return trackObject(ctx.render, t);
    },
  },
  {
    path: '/v1/tracks',
    legacy: true,
    handle: (ctx) =>
      batch(
        ctx,
        50,
        'tracks',
        (x) => track(ctx, x),
        (t) => trackObject(ctx.render, t),
      ),
  },
  {
    path: '/v1/albums/{id}',
    handle: (ctx) => {
      const a = album(ctx, id(ctx.params.id));
      if (!a) throw notFound();
      return albumObject(ctx.render, a);
    },
  },
  {
    path: '/v1/albums/{id}/tracks',
    handle: (ctx) => {
      const a = album(ctx, id(ctx.params.id));
      if (!a) throw notFound();
      const limit = limitOf(ctx);
      const offset = offsetOf(ctx);
      const tracks = a.trackIds.map((x) => ctx.state.world.tracks.get(x)!);
      return paging(ctx.render, `/albums/${a.id}/tracks`, ctx.query, tracks, offset, limit, (t) =>
        simplifiedTrack(ctx.render, t),
      );
    },
  },
  {
    path: '/v1/albums',
    legacy: true,
    handle: (ctx) =>
      batch(
        ctx,
        20,
        'albums',
        (x) => album(ctx, x),
        (a) => albumObject(ctx.render, a),
      ),
  },
  {
    path: '/v1/artists/{id}',
    handle: (ctx) => {
      const a = artist(ctx, id(ctx.params.id));
      if (!a) throw notFound();
      return artistObject(ctx.render, a);
    },
  },
  {
    path: '/v1/artists',
    legacy: true,
    handle: (ctx) =>
      batch(
        ctx,
        50,
        'artists',
        (x) => artist(ctx, x),
        (a) => artistObject(ctx.render, a),
      ),
  },
  { path: '/v1/artists/{id}/albums', handle: artistAlbums },
  {
    path: '/v1/artists/{id}/top-tracks',
    legacy: true,
    handle: (ctx) => {
      const a = artist(ctx, id(ctx.params.id));
      if (!a) throw notFound();
      const world = ctx.state.world;
      const ids = a.albumIds.flatMap((x) => world.albums.get(x)!.trackIds);
      const score = (x: string) => popularityAt(world.tracks.get(x)!.basePopularity, x, world.day);
      const top = ids.sort((x, y) => score(y) - score(x) || (x < y ? -1 : 1)).slice(0, 10);
      return { tracks: top.map((x) => trackObject(ctx.render, world.tracks.get(x)!)) };
    },
  },
  {
    // Related artists went away for new apps in 2024-11: 404 in development mode, 403 otherwise.
    path: '/v1/artists/{id}/related-artists',
    handle: (ctx) => {
      throw ctx.state.rules.editorialVisible ? forbidden() : notFound();
    },
  },
  {
    path: '/v1/playlists/{id}',
    handle: (ctx) => {
      const playlist = playlistOf(ctx);
      const body = playlistObject(ctx.render, playlist, {
        withItems: canSeeItems(ctx, playlist),
        includeEpisodes: includesEpisodes(ctx),
        query: embeddedQuery(ctx),
      });
      return filterFields(body, ctx.query.get('fields'));
    },
  },
  { path: '/v1/playlists/{id}/items', handle: (ctx) => playlistItems(ctx, 'items', 50, 20) },
  {
    path: '/v1/playlists/{id}/tracks',
    legacy: true,
    handle: (ctx) => playlistItems(ctx, 'tracks', 100, 100),
  },
  { path: '/v1/search', handle: search },
  {
    path: '/v1/browse/new-releases',
    legacy: true,
    handle: (ctx) => {
      const limit = limitOf(ctx);
      const offset = offsetOf(ctx);
      const world = ctx.state.world;
      const recent = world.albumIds
        .map((x) => world.albums.get(x)!)
        .filter((a) => a.releaseDay > world.day - 60 && a.releaseDay <= world.day)
        .sort((x, y) => y.releaseDay - x.releaseDay || (x.id < y.id ? -1 : 1));
      return {
        albums: paging(ctx.render, '/browse/new-releases', ctx.query, recent, offset, limit, (a) =>
          simplifiedAlbum(ctx.render, a),
        ),
      };
    },
  },
  {
    path: '/v1/users/{user_id}',
    legacy: true,
    handle: (ctx) => {
      const user = ctx.state.world.users.get(ctx.params.user_id ?? '');
      if (!user) throw notFound();
      return publicUserObject(ctx.render, user);
    },
  },
  {
    path: '/v1/users/{user_id}/playlists',
    legacy: true,
    handle: (ctx) => {
      const world = ctx.state.world;
      const userId = ctx.params.user_id ?? '';
      if (!world.users.has(userId)) throw notFound();
      const limit = limitOf(ctx);
      const offset = offsetOf(ctx);
      const list = world.playlistIds
        .map((x) => world.playlists.get(x)!)
        .filter((p) => p.ownerId === userId && p.public);
      return paging(ctx.render, `/users/${userId}/playlists`, ctx.query, list, offset, limit, (p) =>
        simplifiedPlaylist(ctx.render, p),
      );
    },
  },
  {
    path: '/v1/me',
    user: true,
    handle: (ctx) =>
      privateUserObject(ctx.render, ctx.state.world.users.get(ctx.grant.userId!)!, ctx.grant.scopes),
  },
  {
    path: '/v1/me/player/recently-played',
    user: true,
    scope: 'user-read-recently-played',
    handle: recentlyPlayed,
  },
  {
    path: '/v1/me/top/{type}',
    user: true,
    scope: 'user-top-read',
    handle: (ctx) => {
      const type = ctx.params.type;
      if (type !== 'artists' && type !== 'tracks') throw fail(400, 'Invalid type');
      const range = ctx.query.get('time_range') ?? 'medium_term';
      if (!(range in TIME_RANGES)) throw fail(400, 'Invalid time_range');
      const limit = limitOf(ctx);
      const offset = offsetOf(ctx);
      const world = ctx.state.world;
      return paging(ctx.render, `/me/top/${type}`, ctx.query, topIds(ctx, type, range), offset, limit, (x) =>
        type === 'artists'
          ? artistObject(ctx.render, world.artists.get(x)!)
          : trackObject(ctx.render, world.tracks.get(x)!),
      );
    },
  },
  {
    path: '/v1/me/tracks',
    user: true,
    scope: 'user-library-read',
    handle: (ctx) => {
      const limit = limitOf(ctx);
      const offset = offsetOf(ctx);
      const world = ctx.state.world;
      const saved = ctx.grant.userId === world.demoUserId ? world.savedTracks.slice().reverse() : [];
      return paging(ctx.render, '/me/tracks', ctx.query, saved, offset, limit, (s) => ({
        added_at: new Date(s.addedAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        track: trackObject(ctx.render, world.tracks.get(s.trackId)!),
      }));
    },
  },
  {
    path: '/v1/me/playlists',
    user: true,
    handle: (ctx) => {
      const limit = limitOf(ctx);
      const offset = offsetOf(ctx);
      return paging(ctx.render, '/me/playlists', ctx.query, myPlaylists(ctx), offset, limit, (p) =>
        listedPlaylist(ctx, p),
      );
    },
  },
  {
    path: '/v1/me/following',
    user: true,
    scope: 'user-follow-read',
    handle: (ctx) => {
      if (ctx.query.get('type') !== 'artist') throw fail(400, "Invalid type: only 'artist' is supported");
      const limit = limitOf(ctx);
      const world = ctx.state.world;
      const all = ctx.grant.userId === world.demoUserId ? world.followedArtistIds : [];
      const after = ctx.query.get('after');
      const start = after === null ? 0 : all.indexOf(id(after)) + 1;
      const items = all.slice(start, start + limit);
      const last = items[items.length - 1];
      const base = `${ctx.render.apiUrl}/me/following`;
      return {
        artists: {
          href: `${base}?${ctx.query}`,
          items: items.map((x) => artistObject(ctx.render, world.artists.get(x)!)),
          limit,
          next:
            last !== undefined && start + limit < all.length
              ? `${base}?type=artist&after=${last}&limit=${limit}`
              : null,
          cursors: { after: last ?? null },
          total: all.length,
        },
      };
    },
  },
  // Deprecated for new apps in 2024-11 (audio features/analysis 403, recommendations 404). The
  // emulator answers 403 in the extended tier too: it has no audio features to give.
  {
    path: '/v1/audio-features',
    handle: () => {
      throw forbidden();
    },
  },
  {
    path: '/v1/audio-features/{id}',
    handle: () => {
      throw forbidden();
    },
  },
  {
    path: '/v1/audio-analysis/{id}',
    handle: () => {
      throw forbidden();
    },
  },
  {
    path: '/v1/recommendations',
    handle: (ctx) => {
      throw ctx.state.rules.editorialVisible ? forbidden() : notFound();
    },
  },
];
