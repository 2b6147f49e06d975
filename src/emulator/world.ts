// The emulator's generated world: artists, albums, tracks, users, playlists, a demo user's
// listening history, and how all of it changes from one simulated day to the next.
//
// State at day N is a pure function of (seed, scale, N): `createWorld` builds day 0 and then
// replays `evolveDay` for days 1..N, and `advanceWorld` runs the very same `evolveDay` calls, so
// starting at day N and advancing to it give identical worlds. Each day draws from its own seeded
// stream. Popularity and follower counts drift as pure functions of (id, day) instead of being
// stored, so advancing a day never has to touch every track.
//
// Simulated time is day-based: day 0 is 2026-11-01 (UTC) and "now" on day N is the last
// millisecond of day N. Everything timestamped in responses (played_at, added_at, release dates,
// `tag:new`) uses this clock, never the wall clock.
import { createHash } from 'node:crypto';
import { createRandom, deriveSeed, hashNoise, hashString, type Random } from './random.js';
import {
  artistName,
  displayName,
  EDITORIAL_NAMES,
  GENRE_FAMILIES,
  ISRC_COUNTRIES,
  LABELS,
  MARKETS,
  playlistName,
  titleName,
  userHandle,
} from './words.js';

export const EPOCH_MS = Date.UTC(2026, 10, 1);
export const DAY_MS = 86_400_000;
/** How far back the generated listening history reaches before day 0 (long_term top items). */
export const HISTORY_DAYS = 365;
export const DEMO_USER_ID = 'tunelake-demo-user';
export const DEMO_USER_NAME = 'Demo Listener';
export const SPOTIFY_USER_ID = 'spotify';
export const TOP_50_GLOBAL_ID = '37i9dQZEVXbNG2KDcFcKOF';
/** Spotify-owned editorial and algorithmic playlists all have ids with this prefix. */
export const EDITORIAL_ID_PREFIX = '37i9dQZ';
const MAX_PLAYLIST_SIZE = 220;
const MIN_PLAYLIST_SIZE = 5;

export type AlbumType = 'album' | 'single' | 'compilation';
export type DatePrecision = 'year' | 'month' | 'day';

export interface Artist {
  id: string;
  name: string;
  genres: string[];
  /** Index into GENRE_FAMILIES; playlists pick tracks by family so they sound coherent. */
  family: number;
  basePopularity: number;
  baseFollowers: number;
  imageKey: string;
  /** Albums where this artist is the (first) album artist, in creation order. */
  albumIds: string[];
  /** Other artists' albums on which this artist is featured. */
  appearsOnAlbumIds: string[];
}

export interface Album {
  id: string;
  name: string;
  albumType: AlbumType;
  artistIds: string[];
  releaseDate: string;
  releaseDatePrecision: DatePrecision;
  /** Days since the epoch of the first day of the release period (negative before day 0). */
  releaseDay: number;
  upc: string;
  label: string;
  copyrights: Array<{ text: string; type: 'C' | 'P' }>;
  trackIds: string[];
  basePopularity: number;
  imageKey: string;
  markets: string[];
}

export interface Track {
  id: string;
  name: string;
  albumId: string;
  artistIds: string[];
  discNumber: number;
  trackNumber: number;
  durationMs: number;
  explicit: boolean;
  isrc: string;
  basePopularity: number;
}

export interface User {
  id: string;
  displayName: string | null;
  followers: number;
  imageKey: string | null;
  country: string;
  product: 'premium' | 'free';
  email: string;
}

export interface Show {
  id: string;
  name: string;
  publisher: string;
  description: string;
  imageKey: string;
  episodeIds: string[];
  languages: string[];
  explicit: boolean;
}

export interface Episode {
  id: string;
  showId: string;
  name: string;
  description: string;
  durationMs: number;
  releaseDate: string;
  explicit: boolean;
  imageKey: string;
  language: string;
}

export interface LocalFile {
  artist: string;
  album: string;
  title: string;
  durationMs: number;
}

/**
 * One row of a playlist. `unavailable` rows are tracks that were taken down (the API returns
 * `item: null`); `local` rows are the owner's local files (`is_local: true`, no id).
 */
export interface PlaylistEntry {
  kind: 'track' | 'episode' | 'local' | 'unavailable';
  /** Track id, episode id, or (unavailable) the id the track used to have; '' for local files. */
  ref: string;
  local?: LocalFile;
  addedAt: number;
  /** null on some very old playlists, as on Spotify. */
  addedBy: string | null;
}

export interface Playlist {
  id: string;
  name: string;
  description: string | null;
  ownerId: string;
  collaborative: boolean;
  public: boolean;
  collaborators: string[];
  entries: PlaylistEntry[];
  snapshotId: string;
  baseFollowers: number;
  imageStyle: 'mosaic' | 'uploaded' | 'editorial' | 'none';
  imageKey: string;
  editorial: boolean;
}

export interface PlayContext {
  type: 'playlist' | 'album' | 'artist';
  id: string;
}

export interface Play {
  trackId: string;
  playedAt: number;
  context: PlayContext | null;
}

export interface SavedTrack {
  trackId: string;
  addedAt: number;
}

/** The whole generated world at one simulated day. Mutated only by `advanceWorld`. */
export interface World {
  seed: number;
  scale: number;
  day: number;
  /** How many artists (the first in `artistIds`) have large discographies (see `addDiscography`). */
  prolificArtists: number;
  /** Bumped on every change; caches key on it. */
  version: number;
  artists: Map<string, Artist>;
  albums: Map<string, Album>;
  tracks: Map<string, Track>;
  users: Map<string, User>;
  shows: Map<string, Show>;
  episodes: Map<string, Episode>;
  playlists: Map<string, Playlist>;
  /** Ids in creation order: generation and evolution iterate these, never the maps' keys. */
  artistIds: string[];
  albumIds: string[];
  trackIds: string[];
  userIds: string[];
  playlistIds: string[];
  demoUserId: string;
  /** The demo user's favourite artists, most loved first (drives plays, top items, saves). */
  favouriteArtistIds: string[];
  followedArtistIds: string[];
  followedPlaylistIds: string[];
  /** The demo user's plays, oldest first, strictly increasing `playedAt`. */
  plays: Play[];
  /** The demo user's saved tracks, oldest first. */
  savedTracks: SavedTrack[];
  /** Tracks by genre family, for coherent playlists. */
  tracksByFamily: string[][];
}

export interface WorldOptions {
  seed: number;
  scale: number;
  day: number;
  /**
   * The first N artists get large discographies (dozens of albums, singles, compilations and
   * appearances) and keep releasing, some of it back catalogue, as the days pass. Default 0: the
   * world is then exactly what it was before this knob existed. Spotify lists a discography by
   * group first and newest first only within a group (spotify/web-api#1002, #1431), so a listing
   * of such an artist puts a new single after every album.
   */
  prolificArtists?: number;
}

export interface PlaylistSummary {
  id: string;
  name: string;
  owner: string;
  total: number;
}

export interface WorldSummary {
  seed: number;
  scale: number;
  day: number;
  now: string;
  demoUserId: string;
  counts: {
    artists: number;
    albums: number;
    tracks: number;
    users: number;
    playlists: number;
    plays: number;
    savedTracks: number;
  };
  playlists: {
    owned: PlaylistSummary[];
    collaborative: PlaylistSummary[];
    followed: PlaylistSummary[];
    editorial: PlaylistSummary[];
    other: PlaylistSummary[];
  };
  artists: Array<{ id: string; name: string }>;
  newReleases: Array<{ id: string; name: string; releaseDate: string }>;
}

export function dayStartMs(day: number): number {
  return EPOCH_MS + day * DAY_MS;
}

/** The simulated "now": the last millisecond of the catalogue's current day. */
export function worldNowMs(world: World): number {
  return dayStartMs(world.day + 1) - 1;
}

export function dayOf(ms: number): number {
  return Math.floor((ms - EPOCH_MS) / DAY_MS);
}

/** Popularity drifts a few points around its base, smoothly, as a pure function of (key, day). */
export function popularityAt(base: number, key: string, day: number): number {
  const week = Math.floor(day / 7);
  const t = (day - week * 7) / 7;
  const drift = hashNoise(key, week) * (1 - t) + hashNoise(key, week + 1) * t;
  return Math.max(0, Math.min(100, Math.round(base + 5 * drift)));
}

/** Followers grow slowly with a little daily noise, as a pure function of (key, day). */
export function followersAt(base: number, key: string, day: number): number {
  const growth = (hashString(key) % 1000) / 1_000_000;
  const noise = hashNoise(key, day) * base * 0.0005;
  return Math.max(0, Math.round(base * (1 + growth * Math.max(0, day)) + noise));
}

export function createWorld(options: WorldOptions): World {
  const world = generateBase(options.seed, options.scale);
  addDiscographies(world, options.prolificArtists ?? 0);
  for (let d = 1; d <= options.day; d++) evolveDay(world, d);
  return world;
}

/** Moves the world forward by `days` simulated days (the same steps as `createWorld`). */
export function advanceWorld(world: World, days: number): void {
  const target = world.day + days;
  for (let d = world.day + 1; d <= target; d++) evolveDay(world, d);
}

// ---------------------------------------------------------------------------------------------
// Day 0

function generateBase(seed: number, scale: number): World {
  const count = (base: number, min = 1) => Math.max(min, Math.round(base * scale));
  const world: World = {
    seed,
    scale,
    day: 0,
    prolificArtists: 0,
    version: 0,
    artists: new Map(),
    albums: new Map(),
    tracks: new Map(),
    users: new Map(),
    shows: new Map(),
    episodes: new Map(),
    playlists: new Map(),
    artistIds: [],
    albumIds: [],
    trackIds: [],
    userIds: [],
    playlistIds: [],
    demoUserId: DEMO_USER_ID,
    favouriteArtistIds: [],
    followedArtistIds: [],
    followedPlaylistIds: [],
    plays: [],
    savedTracks: [],
    tracksByFamily: GENRE_FAMILIES.map(() => []),
  };
  const stream = (name: string) => createRandom(deriveSeed(seed, 'base', scale, name));

  const artistRng = stream('artists');
  for (let i = 0; i < count(60, 4); i++) addArtist(world, artistRng);

  const albumRng = stream('albums');
  for (const artistId of world.artistIds) {
    const albums = albumRng.int(1, 5);
    for (let i = 0; i < albums; i++) addAlbum(world, albumRng, artistId, pastRelease(albumRng));
  }
  // A few releases in the last two weeks before day 0, so `tag:new` has answers from the start.
  for (let i = 0; i < count(3); i++) {
    const day = -albumRng.int(0, 12);
    addAlbum(world, albumRng, albumRng.pick(world.artistIds), dayRelease(day));
  }

  addUsers(world, stream('users'), count(12, 3));
  addShows(world, stream('shows'));

  const tasteRng = stream('taste');
  world.favouriteArtistIds = tasteRng.sample(world.artistIds, Math.min(world.artistIds.length, 15));
  world.followedArtistIds = world.favouriteArtistIds
    .concat(tasteRng.sample(world.artistIds, count(8)))
    .filter((id, i, all) => all.indexOf(id) === i);

  addPlaylists(world, stream('playlists'), {
    editorial: count(5, 2),
    owned: count(4, 4),
    collaborative: count(1),
    other: count(15, 3),
  });
  addSavedTracks(world, stream('saved'), count(60, 10));

  for (let d = -HISTORY_DAYS; d <= 0; d++) addPlaysForDay(world, d);
  return world;
}

function addArtist(world: World, rng: Random): Artist {
  const family = rng.int(0, GENRE_FAMILIES.length - 1);
  const genres = rng.sample(GENRE_FAMILIES[family]!, rng.int(1, 3));
  if (rng.chance(0.1)) genres.push(rng.pick(rng.pick(GENRE_FAMILIES)));
  const basePopularity = Math.round(5 + 90 * rng.next() ** 1.3);
  const artist: Artist = {
    id: rng.base62(22),
    name: artistName(rng),
    genres: genres.filter((g, i) => genres.indexOf(g) === i),
    family,
    basePopularity,
    baseFollowers: Math.round(10 ** (2 + (basePopularity / 100) * 5.3) * (0.5 + rng.next())),
    imageKey: rng.hex(24),
    albumIds: [],
    appearsOnAlbumIds: [],
  };
  world.artists.set(artist.id, artist);
  world.artistIds.push(artist.id);
  return artist;
}

interface Release {
  releaseDay: number;
  releaseDate: string;
  precision: DatePrecision;
}

function pastRelease(rng: Random): Release {
  const year = 2026 - Math.floor(rng.next() ** 1.8 * 61);
  let ms = Date.UTC(year, rng.int(0, 11), rng.int(1, 28));
  const latest = EPOCH_MS - 20 * DAY_MS;
  if (ms > latest) ms = latest - rng.int(0, 300) * DAY_MS;
  const date = new Date(ms);
  const r = rng.next();
  const old = date.getUTCFullYear() < 1990;
  const precision: DatePrecision = r < (old ? 0.3 : 0.03) ? 'year' : r < (old ? 0.5 : 0.08) ? 'month' : 'day';
  const iso = date.toISOString().slice(0, 10);
  if (precision === 'year') {
    return {
      releaseDay: dayOf(Date.UTC(date.getUTCFullYear(), 0, 1)),
      releaseDate: iso.slice(0, 4),
      precision,
    };
  }
  if (precision === 'month') {
    const first = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
    return { releaseDay: dayOf(first), releaseDate: iso.slice(0, 7), precision };
  }
  return { releaseDay: dayOf(ms), releaseDate: iso, precision };
}

function dayRelease(day: number): Release {
  return {
    releaseDay: day,
    releaseDate: new Date(dayStartMs(day)).toISOString().slice(0, 10),
    precision: 'day',
  };
}

function addAlbum(world: World, rng: Random, artistId: string, release: Release, type?: AlbumType): Album {
  const artist = world.artists.get(artistId)!;
  const albumType: AlbumType =
    type ?? (['album', 'single', 'compilation'] as const)[rng.weightedIndex([50, 35, 15])]!;
  const nTracks =
    albumType === 'single' ? rng.int(1, 3) : albumType === 'compilation' ? rng.int(10, 14) : rng.int(6, 14);
  const year = release.releaseDate.slice(0, 4);
  const label = rng.pick(LABELS);
  const name =
    albumType === 'compilation'
      ? rng.pick([`The Best of ${artist.name}`, 'Greatest Hits', `${titleName(rng)} (Deluxe Edition)`])
      : titleName(rng);
  const albumPopularity = clamp(artist.basePopularity + rng.int(-15, 10), 0, 100);
  const album: Album = {
    id: rng.base62(22),
    name,
    albumType,
    artistIds: [artistId],
    releaseDate: release.releaseDate,
    releaseDatePrecision: release.precision,
    releaseDay: release.releaseDay,
    upc: rng.chance(0.5) ? rng.digits(12) : `${rng.int(1, 9)}${rng.digits(12)}`,
    label,
    copyrights: [
      { text: `© ${year} ${label}`, type: 'C' },
      { text: `℗ ${year} ${label}`, type: 'P' },
    ],
    trackIds: [],
    basePopularity: albumPopularity,
    imageKey: rng.hex(24),
    markets: rng.chance(0.85) ? MARKETS.slice() : rng.sample(MARKETS, rng.int(5, 25)).sort(),
  };
  const discs = nTracks >= 12 && rng.chance(0.2) ? 2 : 1;
  const perDisc = Math.ceil(nTracks / discs);
  for (let i = 0; i < nTracks; i++) {
    const artistIds = [artistId];
    let trackName = albumType === 'single' && i === 0 ? name : titleName(rng);
    if (rng.chance(0.15) && world.artistIds.length > 1) {
      let featured = rng.pick(world.artistIds);
      if (featured === artistId)
        featured = world.artistIds[(world.artistIds.indexOf(featured) + 1) % world.artistIds.length]!;
      artistIds.push(featured);
      const feat = world.artists.get(featured)!;
      if (!feat.appearsOnAlbumIds.includes(album.id)) feat.appearsOnAlbumIds.push(album.id);
      if (rng.chance(0.5)) trackName = `${trackName} (feat. ${feat.name})`;
    }
    const track: Track = {
      id: rng.base62(22),
      name: trackName,
      albumId: album.id,
      artistIds,
      discNumber: Math.floor(i / perDisc) + 1,
      trackNumber: (i % perDisc) + 1,
      durationMs: rng.int(95_000, 380_000),
      explicit: rng.chance(0.2),
      isrc: `${rng.pick(ISRC_COUNTRIES)}${rng.base62(3).toUpperCase()}${year.slice(2)}${rng.digits(5)}`,
      basePopularity: clamp(albumPopularity + rng.int(-12, 12), 0, 100),
    };
    album.trackIds.push(track.id);
    world.tracks.set(track.id, track);
    world.trackIds.push(track.id);
    world.tracksByFamily[artist.family]!.push(track.id);
  }
  world.albums.set(album.id, album);
  world.albumIds.push(album.id);
  artist.albumIds.push(album.id);
  return album;
}

function addUsers(world: World, rng: Random, n: number): void {
  const add = (user: User) => {
    world.users.set(user.id, user);
    world.userIds.push(user.id);
  };
  add({
    id: DEMO_USER_ID,
    displayName: DEMO_USER_NAME,
    followers: 12,
    imageKey: rng.hex(24),
    country: 'SE',
    product: 'premium',
    email: 'demo.listener@tunelake.invalid',
  });
  add({
    id: SPOTIFY_USER_ID,
    displayName: 'Spotify',
    followers: 0,
    imageKey: null,
    country: 'SE',
    product: 'premium',
    email: 'noreply@spotify.invalid',
  });
  for (let i = 0; i < n - 1; i++) {
    let id = userHandle(rng, i);
    while (world.users.has(id)) id = `${id}${rng.int(0, 9)}`;
    add({
      id,
      displayName: rng.chance(0.1) ? null : displayName(rng),
      followers: rng.int(0, 900),
      imageKey: rng.chance(0.7) ? rng.hex(24) : null,
      country: rng.pick(MARKETS),
      product: rng.chance(0.6) ? 'premium' : 'free',
      email: `${id.replace(/[^a-z0-9]/gi, '')}@example.invalid`,
    });
  }
}

function addShows(world: World, rng: Random): void {
  const specs = [
    { name: 'Liner Notes', publisher: 'Tunelake Audio', language: 'en' },
    { name: 'Samtal om musik', publisher: 'Fjärran Media', language: 'sv' },
  ];
  for (const spec of specs) {
    const show: Show = {
      id: rng.base62(22),
      name: spec.name,
      publisher: spec.publisher,
      description: `${spec.name}: conversations about records, the people who make them and why they matter.`,
      imageKey: rng.hex(24),
      episodeIds: [],
      languages: [spec.language],
      explicit: false,
    };
    for (let i = 0; i < 5; i++) {
      const episode: Episode = {
        id: rng.base62(22),
        showId: show.id,
        name: `#${i + 1}: ${titleName(rng)}`,
        description: `Episode ${i + 1} of ${spec.name}.`,
        durationMs: rng.int(900_000, 4_200_000),
        releaseDate: new Date(dayStartMs(-7 * (5 - i) - rng.int(0, 3))).toISOString().slice(0, 10),
        explicit: false,
        imageKey: rng.hex(24),
        language: spec.language,
      };
      show.episodeIds.push(episode.id);
      world.episodes.set(episode.id, episode);
    }
    world.shows.set(show.id, show);
  }
}

interface PlaylistCounts {
  editorial: number;
  owned: number;
  collaborative: number;
  other: number;
}

function addPlaylists(world: World, rng: Random, counts: PlaylistCounts): void {
  const others = world.userIds.filter((id) => id !== DEMO_USER_ID && id !== SPOTIFY_USER_ID);
  const episodes = [...world.episodes.keys()];
  const make = (fields: Partial<Playlist> & { name: string; ownerId: string }): Playlist => {
    const playlist: Playlist = {
      id: fields.id ?? rng.base62(22),
      name: fields.name,
      description: fields.description ?? (rng.chance(0.5) ? '' : rng.chance(0.5) ? null : `${fields.name} ♫`),
      ownerId: fields.ownerId,
      collaborative: fields.collaborative ?? false,
      public: fields.public ?? true,
      collaborators: fields.collaborators ?? [],
      entries: [],
      snapshotId: '',
      baseFollowers: fields.baseFollowers ?? rng.int(0, 400),
      imageStyle: fields.imageStyle ?? (rng.chance(0.8) ? 'mosaic' : 'uploaded'),
      imageKey: rng.hex(24),
      editorial: fields.editorial ?? false,
    };
    world.playlists.set(playlist.id, playlist);
    world.playlistIds.push(playlist.id);
    return playlist;
  };
  const finish = (playlist: Playlist) => {
    playlist.snapshotId = snapshotOf(playlist);
    if (playlist.entries.length === 0) playlist.imageStyle = 'none';
  };

  // Editorial: Top 50 - Global first (its id is the real one, used in docs and tests).
  const top = make({
    id: TOP_50_GLOBAL_ID,
    name: 'Top 50 - Global',
    description: 'Your daily update of the most played tracks right now - Global.',
    ownerId: SPOTIFY_USER_ID,
    editorial: true,
    imageStyle: 'editorial',
    baseFollowers: 18_000_000,
  });
  top.entries = topTracks(world, 0, world.trackIds).map((ref) => ({
    kind: 'track',
    ref,
    addedAt: dayStartMs(0) - rng.int(0, 6) * DAY_MS - rng.int(0, DAY_MS - 1),
    addedBy: SPOTIFY_USER_ID,
  }));
  finish(top);
  for (let i = 1; i < counts.editorial; i++) {
    const name = EDITORIAL_NAMES[(i - 1) % EDITORIAL_NAMES.length]!;
    const playlist = make({
      id: `${EDITORIAL_ID_PREFIX}F1DX${rng.base62(11)}`,
      name: i > EDITORIAL_NAMES.length ? `${name} ${Math.ceil(i / EDITORIAL_NAMES.length)}` : name,
      description: `${name}. Cover: ${world.artists.get(rng.pick(world.artistIds))!.name}`,
      ownerId: SPOTIFY_USER_ID,
      editorial: true,
      imageStyle: 'editorial',
      baseFollowers: rng.int(100_000, 12_000_000),
    });
    fillEntries(world, rng, playlist, rng.int(30, 100), -60, 0);
    finish(playlist);
  }

  // The demo user's own playlists. The first few are fixed so tests and docs can rely on them:
  // one over 100 items (paging) with unavailable tracks, one with local files and an episode,
  // one private, one small.
  const owned: Array<{ name: string; size: number; public: boolean }> = [
    { name: 'Everything I Love', size: 150, public: true },
    { name: 'Late Night Drive', size: 42, public: true },
    { name: 'Private Stash', size: 18, public: false },
    { name: 'Gym 2026', size: 9, public: true },
  ];
  for (let i = 0; i < counts.owned; i++) {
    const spec = owned[i] ?? { name: playlistName(rng), size: rng.int(5, 80), public: rng.chance(0.8) };
    const playlist = make({ name: spec.name, ownerId: DEMO_USER_ID, public: spec.public });
    fillEntries(world, rng, playlist, spec.size, -900, 0, world.favouriteArtistIds);
    if (i === 0) {
      insertEntry(playlist, 40, { kind: 'unavailable', ref: rng.base62(22) });
      insertEntry(playlist, 90, { kind: 'unavailable', ref: rng.base62(22) });
    }
    if (i === 1) {
      insertEntry(playlist, 5, { kind: 'local', ref: '', local: localFile(rng) });
      insertEntry(playlist, 20, { kind: 'local', ref: '', local: localFile(rng) });
      insertEntry(playlist, 30, { kind: 'episode', ref: rng.pick(episodes) });
    }
    finish(playlist);
  }

  // Collaborative playlists owned by someone else, with the demo user as a collaborator.
  for (let i = 0; i < counts.collaborative; i++) {
    const ownerId = rng.pick(others);
    const friend = rng.pick(others);
    const playlist = make({
      name: i === 0 ? 'Road Trip (collab)' : `${playlistName(rng)} (collab)`,
      ownerId,
      collaborative: true,
      public: false,
      collaborators: friend === ownerId ? [DEMO_USER_ID] : [DEMO_USER_ID, friend],
    });
    fillEntries(world, rng, playlist, rng.int(15, 40), -200, 0);
    finish(playlist);
  }

  // Everyone else's. One is very old (its first items have no `added_by`), one has an episode and
  // a taken-down track, and a few are big enough to need several pages.
  for (let i = 0; i < counts.other; i++) {
    const big = i % 5 === 2;
    const playlist = make({
      name: i === 0 ? 'Old School Mixtape' : playlistName(rng),
      ownerId: rng.pick(others),
      public: rng.chance(0.9) || i < 3,
    });
    const size = big ? rng.int(100, 200) : rng.int(5, 60);
    fillEntries(world, rng, playlist, size, i === 0 ? -5400 : -700, 0);
    if (i === 0) {
      for (const entry of playlist.entries.slice(0, 6)) entry.addedBy = null;
    }
    if (i === 1) {
      insertEntry(playlist, 3, { kind: 'episode', ref: rng.pick(episodes) });
      insertEntry(playlist, 4, { kind: 'unavailable', ref: rng.base62(22) });
    }
    finish(playlist);
  }

  const publicOthers = world.playlistIds
    .map((id) => world.playlists.get(id)!)
    .filter((p) => !p.editorial && p.public && p.ownerId !== DEMO_USER_ID && !p.collaborative);
  world.followedPlaylistIds = [
    TOP_50_GLOBAL_ID,
    ...publicOthers.slice(0, Math.max(2, Math.round(2 * world.scale))).map((p) => p.id),
  ];
}

function localFile(rng: Random): LocalFile {
  return {
    artist: artistName(rng),
    album: titleName(rng),
    title: titleName(rng),
    durationMs: rng.int(120, 300) * 1000,
  };
}

/** Adds a special entry at `position` (clamped), dated like its neighbour. */
function insertEntry(
  playlist: Playlist,
  position: number,
  entry: Omit<PlaylistEntry, 'addedAt' | 'addedBy'>,
): void {
  const at = Math.min(position, playlist.entries.length);
  const neighbour = playlist.entries[Math.max(0, at - 1)];
  playlist.entries.splice(at, 0, {
    ...entry,
    addedAt: neighbour ? neighbour.addedAt + 1000 : dayStartMs(-30),
    addedBy: neighbour ? neighbour.addedBy : playlist.ownerId,
  });
}

/**
 * Fills a playlist with `size` tracks added between `fromDay` and `toDay` (never before the
 * track's release), oldest first. Tracks come mostly from one or two genre families, or from
 * `preferredArtists` when given.
 */
function fillEntries(
  world: World,
  rng: Random,
  playlist: Playlist,
  size: number,
  fromDay: number,
  toDay: number,
  preferredArtists?: readonly string[],
): void {
  const families = rng.sample(
    GENRE_FAMILIES.map((_, i) => i).filter((i) => world.tracksByFamily[i]!.length > 0),
    rng.int(1, 2),
  );
  const preferredTracks = preferredArtists
    ? preferredArtists.flatMap((id) =>
        world.artists.get(id)!.albumIds.flatMap((a) => world.albums.get(a)!.trackIds),
      )
    : [];
  const chosen = new Set<string>();
  const entries: PlaylistEntry[] = [];
  const adders = [playlist.ownerId, ...playlist.collaborators];
  for (let attempts = 0; entries.length < size && attempts < size * 20; attempts++) {
    const r = rng.next();
    const pool =
      preferredTracks.length > 0 && r < 0.6
        ? preferredTracks
        : r < 0.85 && families.length > 0
          ? world.tracksByFamily[rng.pick(families)]!
          : world.trackIds;
    const trackId = rng.pick(pool);
    if (chosen.has(trackId)) continue;
    const releaseDay = world.albums.get(world.tracks.get(trackId)!.albumId)!.releaseDay;
    if (releaseDay > toDay) continue;
    chosen.add(trackId);
    const from = Math.max(fromDay, releaseDay);
    const addedAt = dayStartMs(from) + Math.floor(rng.next() * (toDay - from + 1) * DAY_MS);
    entries.push({
      kind: 'track',
      ref: trackId,
      addedAt: Math.min(addedAt, dayStartMs(toDay + 1) - 1),
      addedBy: rng.pick(adders),
    });
  }
  entries.sort((a, b) => a.addedAt - b.addedAt || (a.ref < b.ref ? -1 : 1));
  playlist.entries.push(...entries);
}

function addSavedTracks(world: World, rng: Random, n: number): void {
  const favourites = world.favouriteArtistIds.flatMap((id) =>
    world.artists.get(id)!.albumIds.flatMap((a) => world.albums.get(a)!.trackIds),
  );
  const chosen = new Set<string>();
  for (let attempts = 0; chosen.size < n && attempts < n * 20; attempts++) {
    const trackId =
      rng.chance(0.7) && favourites.length > 0 ? rng.pick(favourites) : rng.pick(world.trackIds);
    if (chosen.has(trackId)) continue;
    chosen.add(trackId);
    const releaseDay = world.albums.get(world.tracks.get(trackId)!.albumId)!.releaseDay;
    const from = Math.max(-1100, releaseDay);
    const addedAt = dayStartMs(from) + Math.floor(rng.next() * (0 - from) * DAY_MS);
    world.savedTracks.push({ trackId, addedAt: Math.floor(addedAt / 1000) * 1000 });
  }
  world.savedTracks.sort((a, b) => a.addedAt - b.addedAt || (a.trackId < b.trackId ? -1 : 1));
}

// ---------------------------------------------------------------------------------------------
// Listening history

/** The demo user's plays for one day: a few per waking hour, from playlists, albums or nowhere. */
function addPlaysForDay(world: World, day: number): void {
  const rng = createRandom(deriveSeed(world.seed, 'plays', world.scale, day));
  const weights = world.favouriteArtistIds.map((_, i) => 1 / (i + 1));
  const listenable = [...world.followedPlaylistIds, ...demoPlaylistIds(world)].filter((id) => {
    const p = world.playlists.get(id);
    return p?.entries.some((e) => e.kind === 'track') ?? false;
  });
  const plays: Play[] = [];
  for (let hour = 0; hour < 24; hour++) {
    const n = hour < 7 ? rng.int(0, 1) : rng.int(0, 4);
    for (let i = 0; i < n; i++) {
      const playedAt = dayStartMs(day) + hour * 3_600_000 + rng.int(0, 3_599_999);
      const r = rng.next();
      let play: Play | undefined;
      if (r < 0.4 && listenable.length > 0) {
        const playlist = world.playlists.get(rng.pick(listenable))!;
        const tracks = playlist.entries.filter((e) => e.kind === 'track');
        play = { trackId: rng.pick(tracks).ref, playedAt, context: { type: 'playlist', id: playlist.id } };
      } else if (weights.length > 0 && r < 0.9) {
        const artist = world.artists.get(world.favouriteArtistIds[rng.weightedIndex(weights)]!)!;
        const albums = artist.albumIds.filter((id) => world.albums.get(id)!.releaseDay <= day);
        if (albums.length > 0) {
          const album = world.albums.get(rng.pick(albums))!;
          const context: PlayContext | null =
            r < 0.7 ? { type: 'album', id: album.id } : r < 0.75 ? { type: 'artist', id: artist.id } : null;
          play = { trackId: rng.pick(album.trackIds), playedAt, context };
        }
      }
      if (!play) {
        const trackId = rng.pick(world.trackIds);
        if (world.albums.get(world.tracks.get(trackId)!.albumId)!.releaseDay <= day) {
          play = { trackId, playedAt, context: null };
        }
      }
      if (play) plays.push(play);
    }
  }
  plays.sort((a, b) => a.playedAt - b.playedAt);
  // played_at is the cursor for recently-played paging: keep it strictly increasing.
  let last =
    world.plays.length > 0 ? world.plays[world.plays.length - 1]!.playedAt : Number.NEGATIVE_INFINITY;
  for (const play of plays) {
    if (play.playedAt <= last) play.playedAt = last + 1;
    last = play.playedAt;
    world.plays.push(play);
  }
}

/** Playlists the demo user owns or collaborates on, in creation order. */
export function demoPlaylistIds(world: World): string[] {
  return world.playlistIds.filter((id) => {
    const p = world.playlists.get(id)!;
    return p.ownerId === world.demoUserId || p.collaborators.includes(world.demoUserId);
  });
}

// ---------------------------------------------------------------------------------------------
// Day N -> N+1

function evolveDay(world: World, day: number): void {
  const rng = createRandom(deriveSeed(world.seed, 'day', world.scale, day));

  // New releases, dated today.
  const releases: Album[] = [];
  const nReleases = 1 + rng.int(0, Math.max(1, Math.round(1.5 * world.scale)));
  for (let i = 0; i < nReleases; i++) {
    const type: AlbumType = rng.chance(0.6) ? 'single' : 'album';
    releases.push(addAlbum(world, rng, rng.pick(world.artistIds), dayRelease(day), type));
  }
  const todaysTracks = releases.flatMap((a) => a.trackIds);

  // Playlist edits. A playlist's snapshot_id is a hash of its content, so it changes exactly when
  // the content does.
  for (const id of world.playlistIds) {
    const playlist = world.playlists.get(id)!;
    let touched = false;
    if (id === TOP_50_GLOBAL_ID) {
      rerankTop50(world, rng, playlist, day, todaysTracks);
      touched = true;
    } else {
      const p = playlist.editorial ? 0.4 : playlist.ownerId === world.demoUserId ? 0.3 : 0.15;
      if (rng.chance(p)) {
        editPlaylist(world, rng, playlist, day, playlist.editorial ? todaysTracks : []);
        touched = true;
      }
    }
    if (!touched) continue;
    const snapshot = snapshotOf(playlist);
    if (snapshot !== playlist.snapshotId) {
      playlist.snapshotId = snapshot;
      if (playlist.entries.length > 0 && playlist.imageStyle === 'none') playlist.imageStyle = 'mosaic';
    }
  }

  const before = world.plays.length;
  addPlaysForDay(world, day);
  evolveDiscographies(world, day);

  // Now and then the demo user saves something they played today.
  if (rng.chance(0.5) && world.plays.length > before) {
    const play = world.plays[before + rng.int(0, world.plays.length - before - 1)]!;
    if (!world.savedTracks.some((s) => s.trackId === play.trackId)) {
      const addedAt = Math.min(play.playedAt + rng.int(1_000, 600_000), dayStartMs(day + 1) - 1);
      world.savedTracks.push({ trackId: play.trackId, addedAt: Math.floor(addedAt / 1000) * 1000 });
    }
  }

  world.day = day;
  world.version++;
}

function editPlaylist(world: World, rng: Random, playlist: Playlist, day: number, fresh: string[]): void {
  const entries = playlist.entries;
  const adders = [playlist.ownerId, ...playlist.collaborators];
  const at = () => dayStartMs(day) + rng.int(0, DAY_MS - 1);
  const r = rng.next();
  const op = entries.length >= MAX_PLAYLIST_SIZE ? 'remove' : r < 0.5 ? 'add' : r < 0.75 ? 'remove' : 'move';
  if (op === 'add' || entries.length <= MIN_PLAYLIST_SIZE) {
    const n = rng.int(1, 5);
    const present = new Set(entries.map((e) => e.ref));
    for (let i = 0; i < n; i++) {
      const trackId = fresh.length > 0 && rng.chance(0.7) ? rng.pick(fresh) : rng.pick(world.trackIds);
      if (present.has(trackId)) continue;
      present.add(trackId);
      const entry: PlaylistEntry = { kind: 'track', ref: trackId, addedAt: at(), addedBy: rng.pick(adders) };
      if (rng.chance(0.2)) entries.splice(rng.int(0, entries.length), 0, entry);
      else entries.push(entry);
    }
  } else if (op === 'remove') {
    const removable = entries.map((e, i) => (e.kind === 'track' ? i : -1)).filter((i) => i >= 0);
    const n = Math.min(rng.int(1, 3), entries.length - MIN_PLAYLIST_SIZE);
    for (const index of rng.sample(removable, n).sort((a, b) => b - a)) entries.splice(index, 1);
  } else if (entries.length >= 2) {
    const from = rng.int(0, entries.length - 1);
    let to = rng.int(0, entries.length - 2);
    if (to >= from) to++;
    const [moved] = entries.splice(from, 1);
    entries.splice(to, 0, moved!);
  }
}

/** Top 50 follows popularity: today's 50 most popular among the current list and some contenders. */
function rerankTop50(world: World, rng: Random, playlist: Playlist, day: number, fresh: string[]): void {
  const current = playlist.entries.map((e) => e.ref);
  const contenders = [...current, ...fresh];
  for (let i = 0; i < 50; i++) contenders.push(rng.pick(world.trackIds));
  const ranked = topTracks(world, day, contenders);
  const previous = new Map(playlist.entries.map((e) => [e.ref, e]));
  playlist.entries = ranked.map(
    (ref) =>
      previous.get(ref) ?? {
        kind: 'track',
        ref,
        addedAt: dayStartMs(day) + rng.int(0, DAY_MS - 1),
        addedBy: SPOTIFY_USER_ID,
      },
  );
}

function topTracks(world: World, day: number, candidates: readonly string[]): string[] {
  const unique = [...new Set(candidates)];
  const score = new Map(
    unique.map((id) => [id, popularityAt(world.tracks.get(id)!.basePopularity, id, day)]),
  );
  return unique.sort((a, b) => score.get(b)! - score.get(a)! || (a < b ? -1 : 1)).slice(0, 50);
}

function snapshotOf(playlist: Playlist): string {
  const hash = createHash('sha256').update(playlist.id);
  for (const e of playlist.entries) hash.update(`\n${e.kind}:${e.ref}:${e.addedAt}:${e.addedBy ?? ''}`);
  return hash.digest('base64').slice(0, 32).replace(/\+/g, 'x').replace(/\//g, 'Z');
}

function clamp(value: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, value));
}

// ---------------------------------------------------------------------------------------------
// Views for people and tests

/** A hash of the whole state: equal digests mean equal worlds. */
export function catalogDigest(world: World): string {
  const hash = createHash('sha256');
  hash.update(`${world.seed}|${world.scale}|${world.day}\n`);
  for (const id of world.artistIds) {
    const a = world.artists.get(id)!;
    hash.update(
      `A${a.id}|${a.name}|${a.genres.join(',')}|${a.albumIds.join(',')}|${a.appearsOnAlbumIds.join(',')}\n`,
    );
  }
  for (const id of world.albumIds) {
    const a = world.albums.get(id)!;
    hash.update(`L${a.id}|${a.name}|${a.releaseDate}|${a.upc}|${a.trackIds.join(',')}\n`);
  }
  for (const id of world.trackIds) {
    const t = world.tracks.get(id)!;
    hash.update(`T${t.id}|${t.name}|${t.isrc}|${t.durationMs}|${t.artistIds.join(',')}\n`);
  }
  for (const id of world.playlistIds) {
    const p = world.playlists.get(id)!;
    hash.update(`P${p.id}|${p.name}|${p.snapshotId}|${p.entries.length}\n`);
  }
  for (const play of world.plays) {
    hash.update(`p${play.trackId}|${play.playedAt}|${play.context?.type ?? ''}|${play.context?.id ?? ''}\n`);
  }
  for (const s of world.savedTracks) hash.update(`s${s.trackId}|${s.addedAt}\n`);
  return hash.digest('hex');
}

export function worldSummary(world: World): WorldSummary {
  const LIST = 50;
  const describe = (p: Playlist): PlaylistSummary => ({
    id: p.id,
    name: p.name,
    owner: p.ownerId,
    total: p.entries.length,
  });
  const all = world.playlistIds.map((id) => world.playlists.get(id)!);
  const demo = world.demoUserId;
  const newest = world.albumIds
    .map((id) => world.albums.get(id)!)
    .filter((a) => a.releaseDay > world.day - 14)
    .sort((a, b) => b.releaseDay - a.releaseDay || (a.id < b.id ? -1 : 1))
    .slice(0, LIST);
  return {
    seed: world.seed,
    scale: world.scale,
    day: world.day,
    now: new Date(worldNowMs(world)).toISOString(),
    demoUserId: demo,
    counts: {
      artists: world.artists.size,
      albums: world.albums.size,
      tracks: world.tracks.size,
      users: world.users.size,
      playlists: world.playlists.size,
      plays: world.plays.length,
      savedTracks: world.savedTracks.length,
    },
    playlists: {
      owned: all
        .filter((p) => p.ownerId === demo)
        .slice(0, LIST)
        .map(describe),
      collaborative: all
        .filter((p) => p.collaborators.includes(demo))
        .slice(0, LIST)
        .map(describe),
      followed: world.followedPlaylistIds.slice(0, LIST).map((id) => describe(world.playlists.get(id)!)),
      editorial: all
        .filter((p) => p.editorial)
        .slice(0, LIST)
        .map(describe),
      other: all
        .filter((p) => !p.editorial && p.ownerId !== demo && !p.collaborators.includes(demo))
        .slice(0, LIST)
        .map(describe),
    },
    artists: world.artistIds.slice(0, LIST).map((id) => ({ id, name: world.artists.get(id)!.name })),
    newReleases: newest.map((a) => ({ id: a.id, name: a.name, releaseDate: a.releaseDate })),
  };
}

// ---------------------------------------------------------------------------------------------
// Large discographies (the `prolificArtists` knob)

/** Draws of its own stream, so the rest of the world is the same with the knob on or off. */
function addDiscographies(world: World, count: number): void {
  if (!Number.isInteger(count) || count <= 0) return;
  world.prolificArtists = Math.min(count, world.artistIds.length);
  const rng = createRandom(deriveSeed(world.seed, 'discographies', world.scale));
  for (const artistId of prolificArtistIds(world)) {
    for (const [type, min, max] of [
      // More albums than one extended-tier page (50), so a combined listing hides singles in both tiers.
      ['album', 52, 60],
      ['single', 18, 30],
      ['compilation', 4, 9],
    ] as const) {
      const n = rng.int(min, max);
      for (let i = 0; i < n; i++) addAlbum(world, rng, artistId, pastRelease(rng), type);
    }
    const appearances = rng.int(8, 14);
    for (let i = 0; i < appearances; i++) addAppearance(world, rng, artistId, pastRelease(rng));
  }
  world.version++;
}

export function prolificArtistIds(world: World): string[] {
  return world.artistIds.slice(0, world.prolificArtists);
}

/** Another artist's album with one track featuring `artistId`: it lists under appears_on. */
function addAppearance(world: World, rng: Random, artistId: string, release: Release): Album {
  let host = rng.pick(world.artistIds);
  if (host === artistId)
    host = world.artistIds[(world.artistIds.indexOf(host) + 1) % world.artistIds.length]!;
  const album = addAlbum(world, rng, host, release, rng.chance(0.5) ? 'single' : 'album');
  const track = world.tracks.get(album.trackIds[0]!)!;
  if (!track.artistIds.includes(artistId)) track.artistIds.push(artistId);
  const artist = world.artists.get(artistId)!;
  if (!artist.appearsOnAlbumIds.includes(album.id)) artist.appearsOnAlbumIds.push(album.id);
  return album;
}

/**
 * A prolific artist's day: sometimes a new album, single or compilation dated today, sometimes an
 * appearance on someone else's release, and now and then an old release added to the catalogue
 * (a reissue, dated years ago, so it sorts deep inside its group).
 */
function evolveDiscographies(world: World, day: number): void {
  if (world.prolificArtists <= 0) return;
  const rng = createRandom(deriveSeed(world.seed, 'discographies', world.scale, day));
  for (const artistId of prolificArtistIds(world)) {
    if (rng.chance(0.35)) {
      const type = (['album', 'single', 'compilation'] as const)[rng.weightedIndex([30, 55, 15])]!;
      addAlbum(world, rng, artistId, dayRelease(day), type);
    }
    if (rng.chance(0.15)) addAppearance(world, rng, artistId, dayRelease(day));
    if (rng.chance(0.08)) {
      const type = (['album', 'single', 'compilation'] as const)[rng.weightedIndex([40, 30, 30])]!;
      addAlbum(world, rng, artistId, pastRelease(rng), type);
    }
  }
}
