// Catalogue records -> Spotify's JSON objects (TrackObject, AlbumObject, PlaylistObject, ...),
// shaped after the official OpenAPI schemas, with the tier's removed fields taken out. `href`s and
// paging links are absolute URLs on the emulator's own API base so that clients can follow them;
// `external_urls` point at open.spotify.com as on the real service.

import { hashString } from './random.js';
import { strip, type TierRules } from './tiers.js';
import {
  type Album,
  type Artist,
  type Episode,
  followersAt,
  type Playlist,
  type PlaylistEntry,
  popularityAt,
  type Show,
  type Track,
  type User,
  type World,
} from './world.js';

export interface RenderContext {
  world: World;
  rules: TierRules;
  /** e.g. http://127.0.0.1:8787/v1 */
  apiUrl: string;
  /** The market to apply Track Relinking for (adds `is_playable`), if the request named one. */
  market?: string;
}

type Json = Record<string, unknown>;

interface Image {
  url: string;
  height: number | null;
  width: number | null;
}

export interface Page<T> {
  href: string;
  items: T[];
  limit: number;
  next: string | null;
  offset: number;
  previous: string | null;
  total: number;
}

/** A page URL: `offset` and `limit` first (as Spotify writes them), then the other query params. */
export function pageUrl(
  ctx: RenderContext,
  path: string,
  query: URLSearchParams,
  offset: number,
  limit: number,
): string {
  const params = new URLSearchParams();
  params.set('offset', String(offset));
  params.set('limit', String(limit));
  for (const [key, value] of query) if (key !== 'offset' && key !== 'limit') params.append(key, value);
  return `${ctx.apiUrl}${path}?${params}`;
}

/** A paging object over `all` (already in order): renders only the requested slice. */
export function paging<S, T>(
  ctx: RenderContext,
  path: string,
  query: URLSearchParams,
  all: readonly S[],
  offset: number,
  limit: number,
  render: (item: S) => T,
): Page<T> {
  const total = all.length;
  return {
    href: pageUrl(ctx, path, query, offset, limit),
    items: all.slice(offset, offset + limit).map(render),
    limit,
    next: offset + limit < total ? pageUrl(ctx, path, query, offset + limit, limit) : null,
    offset,
    previous: offset > 0 ? pageUrl(ctx, path, query, Math.max(0, offset - limit), limit) : null,
    total,
  };
}

const openUrl = (type: string, id: string) => ({ spotify: `https://open.spotify.com/${type}/${id}` });

function images(prefixes: Array<[string, number]>, key: string): Image[] {
  return prefixes.map(([prefix, size]) => ({
    url: `https://i.scdn.co/image/${prefix}${key}`,
    height: size,
    width: size,
  }));
}

const ALBUM_IMAGES: Array<[string, number]> = [
  ['ab67616d0000b273', 640],
  ['ab67616d00001e02', 300],
  ['ab67616d00004851', 64],
];
const ARTIST_IMAGES: Array<[string, number]> = [
  ['ab6761610000e5eb', 640],
  ['ab67616100005174', 320],
  ['ab6761610000f178', 160],
];
const USER_IMAGES: Array<[string, number]> = [
  ['ab6775700000ee85', 300],
  ['ab67757000003b82', 64],
];
const SHOW_IMAGES: Array<[string, number]> = [
  ['ab6765630000ba8a', 640],
  ['ab67656300005f1f', 300],
  ['ab6765630000f68d', 64],
];

export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function simplifiedArtist(ctx: RenderContext, id: string): Json {
  const artist = ctx.world.artists.get(id)!;
  return {
    external_urls: openUrl('artist', id),
    href: `${ctx.apiUrl}/artists/${id}`,
    id,
    name: artist.name,
    type: 'artist',
    uri: `spotify:artist:${id}`,
  };
}

export function artistObject(ctx: RenderContext, artist: Artist): Json {
  const day = ctx.world.day;
  return strip(
    {
      external_urls: openUrl('artist', artist.id),
      followers: { href: null, total: followersAt(artist.baseFollowers, artist.id, day) },
      genres: artist.genres.slice(),
      href: `${ctx.apiUrl}/artists/${artist.id}`,
      id: artist.id,
      images: images(ARTIST_IMAGES, artist.imageKey),
      name: artist.name,
      popularity: popularityAt(artist.basePopularity, artist.id, day),
      type: 'artist',
      uri: `spotify:artist:${artist.id}`,
    },
    ctx.rules.removed.artist,
  );
}

/** SimplifiedAlbumObject; with `albumGroup` it is the ArtistDiscographyAlbumObject of artist albums. */
export function simplifiedAlbum(ctx: RenderContext, album: Album, albumGroup?: string): Json {
  const out: Json = {
    album_type: album.albumType,
    total_tracks: album.trackIds.length,
    available_markets: album.markets.slice(),
    external_urls: openUrl('album', album.id),
    href: `${ctx.apiUrl}/albums/${album.id}`,
    id: album.id,
    images: images(ALBUM_IMAGES, album.imageKey),
    name: album.name,
    release_date: album.releaseDate,
    release_date_precision: album.releaseDatePrecision,
    type: 'album',
    uri: `spotify:album:${album.id}`,
    artists: album.artistIds.map((id) => simplifiedArtist(ctx, id)),
  };
  if (albumGroup !== undefined) out.album_group = albumGroup;
  if (ctx.market !== undefined) out.is_playable = album.markets.includes(ctx.market);
  return strip(out, ctx.rules.removed.album);
}

export function albumObject(ctx: RenderContext, album: Album): Json {
  const query = new URLSearchParams(ctx.market ? { market: ctx.market } : {});
  const tracks = album.trackIds.map((id) => ctx.world.tracks.get(id)!);
  return strip(
    {
      ...simplifiedAlbum(ctx, album),
      tracks: paging(ctx, `/albums/${album.id}/tracks`, query, tracks, 0, 50, (t) => simplifiedTrack(ctx, t)),
      copyrights: album.copyrights.map((c) => ({ ...c })),
      external_ids: { upc: album.upc },
      genres: [],
      label: album.label,
      popularity: popularityAt(album.basePopularity, album.id, ctx.world.day),
    },
    ctx.rules.removed.album,
  );
}

function trackCore(ctx: RenderContext, track: Track): Json {
  const album = ctx.world.albums.get(track.albumId)!;
  const out: Json = {
    artists: track.artistIds.map((id) => simplifiedArtist(ctx, id)),
    available_markets: album.markets.slice(),
    disc_number: track.discNumber,
    duration_ms: track.durationMs,
    explicit: track.explicit,
    external_urls: openUrl('track', track.id),
    href: `${ctx.apiUrl}/tracks/${track.id}`,
    id: track.id,
    is_local: false,
    name: track.name,
    preview_url: null,
    track_number: track.trackNumber,
    type: 'track',
    uri: `spotify:track:${track.id}`,
  };
  if (ctx.market !== undefined) out.is_playable = album.markets.includes(ctx.market);
  return out;
}

export function simplifiedTrack(ctx: RenderContext, track: Track): Json {
  return strip(trackCore(ctx, track), ctx.rules.removed.track);
}

export function trackObject(ctx: RenderContext, track: Track): Json {
  const album = ctx.world.albums.get(track.albumId)!;
  return strip(
    {
      album: simplifiedAlbum(ctx, album),
      ...trackCore(ctx, track),
      external_ids: { isrc: track.isrc },
      popularity: popularityAt(track.basePopularity, track.id, ctx.world.day),
    },
    ctx.rules.removed.track,
  );
}

/**
 * A local file as the Web API returns it (developer.spotify.com, Web API concepts, playlists, "Local
 * Files"): track-shaped, null ids, a spotify:local URI, empty strings for unknown tags, and an album
 * without `artists`, `release_date` or `release_date_precision` keys. Captures vary, so one file in
 * three carries `artists: []` on its album (tekore#200) and one in three has no tags at all.
 */
export function localTrackObject(ctx: RenderContext, entry: PlaylistEntry): Json {
  const local = entry.local!;
  const variant = hashString(`${local.title}|${local.durationMs}`) % 3;
  const artist = variant === 2 ? '' : local.artist;
  const albumName = variant === 2 ? '' : local.album;
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  const seconds = Math.round(local.durationMs / 1000);
  const album: Json = {
    album_type: null,
    total_tracks: 0,
    available_markets: [],
    external_urls: {},
    href: null,
    id: null,
    images: [],
    name: albumName,
    type: 'album',
    uri: null,
  };
  if (variant === 1) album.artists = [];
  return strip(
    {
      album: strip(album, ctx.rules.removed.album),
      artists: [{ external_urls: {}, href: null, id: null, name: artist, type: 'artist', uri: null }],
      available_markets: [],
      disc_number: 0,
      duration_ms: local.durationMs,
      explicit: false,
      external_ids: {},
      external_urls: {},
      href: null,
      id: null,
      is_local: true,
      name: local.title,
      popularity: 0,
      preview_url: null,
      track_number: 0,
      type: 'track',
      uri: `spotify:local:${enc(artist)}:${enc(albumName)}:${enc(local.title)}:${seconds}`,
    },
    ctx.rules.removed.track,
  );
}

/** An audiobook chapter where a playlist had an episode (the `chapterItems` knob): a type tunelake does not store. */
function chapterObject(ctx: RenderContext, episode: Episode): Json {
  return {
    id: episode.id,
    name: episode.name,
    type: 'chapter',
    uri: `spotify:chapter:${episode.id}`,
    href: `${ctx.apiUrl}/chapters/${episode.id}`,
    duration_ms: episode.durationMs,
    chapter_number: 1,
    explicit: episode.explicit,
    external_urls: openUrl('chapter', episode.id),
    images: [],
    languages: [episode.language],
    release_date: episode.releaseDate,
    release_date_precision: 'day',
  };
}

export function simplifiedShow(ctx: RenderContext, show: Show): Json {
  return strip(
    {
      available_markets: ['SE', 'US', 'GB', 'DE'],
      copyrights: [],
      description: show.description,
      html_description: `<p>${show.description}</p>`,
      explicit: show.explicit,
      external_urls: openUrl('show', show.id),
      href: `${ctx.apiUrl}/shows/${show.id}`,
      id: show.id,
      images: images(SHOW_IMAGES, show.imageKey),
      is_externally_hosted: false,
      languages: show.languages.slice(),
      media_type: 'audio',
      name: show.name,
      publisher: show.publisher,
      total_episodes: show.episodeIds.length,
      type: 'show',
      uri: `spotify:show:${show.id}`,
    },
    ctx.rules.removed.show,
  );
}

export function episodeObject(ctx: RenderContext, episode: Episode): Json {
  const show = ctx.world.shows.get(episode.showId)!;
  return {
    audio_preview_url: null,
    description: episode.description,
    html_description: `<p>${episode.description}</p>`,
    duration_ms: episode.durationMs,
    explicit: episode.explicit,
    external_urls: openUrl('episode', episode.id),
    href: `${ctx.apiUrl}/episodes/${episode.id}`,
    id: episode.id,
    images: images(SHOW_IMAGES, episode.imageKey),
    is_externally_hosted: false,
    is_playable: true,
    language: episode.language,
    languages: [episode.language],
    name: episode.name,
    release_date: episode.releaseDate,
    release_date_precision: 'day',
    type: 'episode',
    uri: `spotify:episode:${episode.id}`,
    show: simplifiedShow(ctx, show),
  };
}

export function playlistUser(ctx: RenderContext, userId: string): Json {
  return {
    external_urls: openUrl('user', userId),
    href: `${ctx.apiUrl}/users/${userId}`,
    id: userId,
    type: 'user',
    uri: `spotify:user:${userId}`,
  };
}

function playlistOwner(ctx: RenderContext, userId: string): Json {
  return { display_name: ctx.world.users.get(userId)?.displayName ?? null, ...playlistUser(ctx, userId) };
}

/**
 * PlaylistTrackObject: `item` and its deprecated alias `track` carry the same object. An entry without
 * an adder (very old playlists) has `added_by: null` or, on half of them, no `added_by` key at all.
 */
export function playlistItem(
  ctx: RenderContext,
  entry: PlaylistEntry,
  includeEpisodes: boolean,
  chapters = false,
): Json {
  let item: Json | null = null;
  if (entry.kind === 'track') item = trackObject(ctx, ctx.world.tracks.get(entry.ref)!);
  else if (entry.kind === 'local') item = localTrackObject(ctx, entry);
  else if (entry.kind === 'episode' && chapters)
    item = chapterObject(ctx, ctx.world.episodes.get(entry.ref)!);
  else if (entry.kind === 'episode' && includeEpisodes)
    item = episodeObject(ctx, ctx.world.episodes.get(entry.ref)!);
  const out: Json = { added_at: isoSeconds(entry.addedAt) };
  if (entry.addedBy !== null) out.added_by = playlistUser(ctx, entry.addedBy);
  else if (Math.floor(entry.addedAt / 1000) % 2 === 0) out.added_by = null;
  return { ...out, is_local: entry.kind === 'local', item, track: item };
}

function playlistImages(playlist: Playlist): Image[] {
  const key = playlist.imageKey;
  switch (playlist.imageStyle) {
    case 'none':
      return [];
    case 'uploaded':
      return [
        {
          url: `https://image-cdn-ak.spotifycdn.com/image/ab67706c0000da84${key}`,
          height: null,
          width: null,
        },
      ];
    case 'editorial':
      return [{ url: `https://i.scdn.co/image/ab67706f00000002${key}`, height: null, width: null }];
    default:
      return [640, 300, 60].map((size) => ({
        url: `https://mosaic.scdn.co/${size}/ab67616d00001e02${key}ab67616d00001e02${key.split('').reverse().join('')}`,
        height: size,
        width: size,
      }));
  }
}

function playlistCore(ctx: RenderContext, playlist: Playlist): Json {
  return {
    collaborative: playlist.collaborative,
    description: playlist.description,
    external_urls: openUrl('playlist', playlist.id),
    href: `${ctx.apiUrl}/playlists/${playlist.id}`,
    id: playlist.id,
    images: playlistImages(playlist),
    name: playlist.name,
    owner: playlistOwner(ctx, playlist.ownerId),
    public: playlist.public,
    snapshot_id: playlist.snapshotId,
  };
}

export function simplifiedPlaylist(ctx: RenderContext, playlist: Playlist): Json {
  const total = playlist.entries.length;
  return {
    ...playlistCore(ctx, playlist),
    // SimplifiedPlaylistObject.description is a plain string; Spotify sends "" when there is none.
    description: playlist.description ?? '',
    items: { href: `${ctx.apiUrl}/playlists/${playlist.id}/items`, total },
    tracks: { href: `${ctx.apiUrl}/playlists/${playlist.id}/tracks`, total },
    type: 'playlist',
    uri: `spotify:playlist:${playlist.id}`,
  };
}

export interface PlaylistRenderOptions {
  /** Whether the token may see the items (development mode: owners and collaborators only). */
  withItems: boolean;
  includeEpisodes: boolean;
  /** Query params the embedded pages' links keep (market, additional_types). */
  query: URLSearchParams;
}

/**
 * PlaylistObject. The embedded `items` page follows `/items` (limit 50). In the extended tier the
 * deprecated `tracks` key is the legacy 100-item page on `/tracks`; in development mode, where
 * `/tracks` is gone, it repeats the `items` page. Without item access both keys are absent.
 */
export function playlistObject(ctx: RenderContext, playlist: Playlist, options: PlaylistRenderOptions): Json {
  const out: Json = {
    ...playlistCore(ctx, playlist),
    followers: { href: null, total: followersAt(playlist.baseFollowers, playlist.id, ctx.world.day) },
  };
  if (options.withItems) {
    const render = (e: PlaylistEntry) => playlistItem(ctx, e, options.includeEpisodes);
    const base = `/playlists/${playlist.id}`;
    const items = paging(ctx, `${base}/items`, options.query, playlist.entries, 0, 50, render);
    out.items = items;
    out.tracks = ctx.rules.legacyEndpoints
      ? paging(ctx, `${base}/tracks`, options.query, playlist.entries, 0, 100, render)
      : items;
  }
  out.type = 'playlist';
  out.uri = `spotify:playlist:${playlist.id}`;
  return out;
}

export function privateUserObject(ctx: RenderContext, user: User, scopes: ReadonlySet<string>): Json {
  const out: Json = {
    account_id: accountId(user.id),
    display_name: user.displayName,
    external_urls: openUrl('user', user.id),
    followers: { href: null, total: user.followers },
    href: `${ctx.apiUrl}/users/${user.id}`,
    id: user.id,
    images: user.imageKey ? images(USER_IMAGES, user.imageKey) : [],
    type: 'user',
    uri: `spotify:user:${user.id}`,
  };
  if (scopes.has('user-read-private')) {
    out.country = user.country;
    out.explicit_content = { filter_enabled: false, filter_locked: false };
    out.product = user.product;
  }
  if (scopes.has('user-read-email')) out.email = user.email;
  return strip(out, ctx.rules.removed.user);
}

export function publicUserObject(ctx: RenderContext, user: User): Json {
  return {
    display_name: user.displayName,
    external_urls: openUrl('user', user.id),
    followers: { href: null, total: user.followers },
    href: `${ctx.apiUrl}/users/${user.id}`,
    id: user.id,
    images: user.imageKey ? images(USER_IMAGES, user.imageKey) : [],
    type: 'user',
    uri: `spotify:user:${user.id}`,
  };
}

/** The immutable account id added to /me in May 2026: derived from the user id, 10 base-36 chars. */
function accountId(userId: string): string {
  return hashString(userId, 7).toString(36).padStart(10, '0').slice(-10);
}
