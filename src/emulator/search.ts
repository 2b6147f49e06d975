// `GET /search` over the generated catalogue. Plain words must all appear (case- and
// accent-insensitive) in the item's name or, for tracks and albums, its artists' or album's
// names. Field filters follow Spotify's rules for which types they apply to; a filter that does
// not apply to a type leaves that type with no results.
//   https://developer.spotify.com/documentation/web-api/reference/search
import { type Album, followersAt, popularityAt, type World } from './world.js';

export type SearchType = 'album' | 'artist' | 'playlist' | 'track';
export const SEARCH_TYPES: readonly string[] = [
  'album',
  'artist',
  'playlist',
  'track',
  'show',
  'episode',
  'audiobook',
];

type FilterName = 'artist' | 'album' | 'track' | 'year' | 'genre' | 'isrc' | 'upc' | 'tag';
const FILTERS: readonly FilterName[] = ['artist', 'album', 'track', 'year', 'genre', 'isrc', 'upc', 'tag'];

/** Which filters each type understands (Spotify's `q` documentation). */
const APPLIES: Record<SearchType, readonly FilterName[]> = {
  track: ['artist', 'album', 'track', 'year', 'genre', 'isrc'],
  album: ['artist', 'album', 'year', 'upc', 'tag'],
  artist: ['artist', 'year', 'genre'],
  playlist: [],
};

export interface SearchQuery {
  words: string[];
  filters: Array<{ name: FilterName; value: string }>;
}

export function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

export function parseSearchQuery(q: string): SearchQuery {
  const query: SearchQuery = { words: [], filters: [] };
  const token = /([A-Za-z]+):"([^"]*)"|([A-Za-z]+):(\S+)|"([^"]*)"|(\S+)/gu;
  for (const m of q.matchAll(token)) {
    const field = (m[1] ?? m[3])?.toLowerCase();
    const value = m[2] ?? m[4];
    if (field !== undefined && value !== undefined && (FILTERS as readonly string[]).includes(field)) {
      query.filters.push({ name: field as FilterName, value: fold(value) });
    } else {
      const text = m[5] ?? m[0];
      for (const word of fold(text).split(/\s+/)) if (word !== '') query.words.push(word);
    }
  }
  return query;
}

function yearRange(value: string): [number, number] | null {
  const m = /^(\d{4})(?:-(\d{4}))?$/.exec(value);
  if (!m) return null;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  return [Math.min(from, to), Math.max(from, to)];
}

const foldCache = new WeakMap<World, Map<string, string>>();

/** Folded names, cached per catalogue (names never change once generated). */
function folded(world: World, key: string, name: () => string): string {
  let cache = foldCache.get(world);
  if (!cache) {
    cache = new Map();
    foldCache.set(world, cache);
  }
  let value = cache.get(key);
  if (value === undefined) {
    value = fold(name());
    cache.set(key, value);
  }
  return value;
}

const artistName = (c: World, id: string) => folded(c, `a${id}`, () => c.artists.get(id)!.name);
const albumName = (c: World, id: string) => folded(c, `l${id}`, () => c.albums.get(id)!.name);
const trackName = (c: World, id: string) => folded(c, `t${id}`, () => c.tracks.get(id)!.name);
const playlistName = (c: World, id: string) => folded(c, `p${id}`, () => c.playlists.get(id)!.name);

const inYear = (album: Album, range: [number, number] | null) => {
  const year = Number(album.releaseDate.slice(0, 4));
  return range !== null && year >= range[0] && year <= range[1];
};

/** Ids of the matching items of one type, best first. */
export function searchWorld(world: World, query: SearchQuery, type: SearchType): string[] {
  if (query.filters.some((f) => !APPLIES[type].includes(f.name))) return [];
  if (query.words.length === 0 && query.filters.length === 0) return [];
  const day = world.day;
  const has = (haystacks: string[], needle: string) => haystacks.some((h) => h.includes(needle));

  if (type === 'track') {
    const hits: string[] = [];
    for (const id of world.trackIds) {
      const track = world.tracks.get(id)!;
      const album = world.albums.get(track.albumId)!;
      const artists = track.artistIds.map((a) => artistName(world, a));
      const name = trackName(world, id);
      const words = [name, albumName(world, album.id), ...artists];
      if (!query.words.every((w) => has(words, w))) continue;
      const ok = query.filters.every((f) => {
        switch (f.name) {
          case 'artist':
            return has(artists, f.value);
          case 'album':
            return albumName(world, album.id).includes(f.value);
          case 'track':
            return name.includes(f.value);
          case 'year':
            return inYear(album, yearRange(f.value));
          case 'genre':
            return track.artistIds.some((a) => world.artists.get(a)!.genres.some((g) => g.includes(f.value)));
          case 'isrc':
            return track.isrc.toLowerCase() === f.value;
          default:
            return false;
        }
      });
      if (ok) hits.push(id);
    }
    return byScore(hits, (id) => popularityAt(world.tracks.get(id)!.basePopularity, id, day));
  }

  if (type === 'album') {
    const hits: string[] = [];
    let newest = false;
    for (const id of world.albumIds) {
      const album = world.albums.get(id)!;
      if (album.releaseDay > day) continue;
      const artists = album.artistIds.map((a) => artistName(world, a));
      const name = albumName(world, id);
      if (!query.words.every((w) => has([name, ...artists], w))) continue;
      const ok = query.filters.every((f) => {
        switch (f.name) {
          case 'artist':
            return has(artists, f.value);
          case 'album':
            return name.includes(f.value);
          case 'year':
            return inYear(album, yearRange(f.value));
          case 'upc':
            return album.upc === f.value;
          case 'tag':
            if (f.value === 'new') {
              newest = true;
              // "Albums released in the past two weeks", on the simulated clock.
              return album.releaseDatePrecision === 'day' && album.releaseDay > day - 14;
            }
            if (f.value === 'hipster') return popularityAt(album.basePopularity, id, day) <= 10;
            return false;
          default:
            return false;
        }
      });
      if (ok) hits.push(id);
    }
    if (newest) return byScore(hits, (id) => world.albums.get(id)!.releaseDay);
    return byScore(hits, (id) => popularityAt(world.albums.get(id)!.basePopularity, id, day));
  }

  if (type === 'artist') {
    const hits: string[] = [];
    for (const id of world.artistIds) {
      const artist = world.artists.get(id)!;
      const name = artistName(world, id);
      if (!query.words.every((w) => name.includes(w))) continue;
      const ok = query.filters.every((f) => {
        switch (f.name) {
          case 'artist':
            return name.includes(f.value);
          case 'genre':
            return artist.genres.some((g) => g.includes(f.value));
          case 'year': {
            const range = yearRange(f.value);
            return artist.albumIds.some((a) => inYear(world.albums.get(a)!, range));
          }
          default:
            return false;
        }
      });
      if (ok) hits.push(id);
    }
    return byScore(hits, (id) => popularityAt(world.artists.get(id)!.basePopularity, id, day));
  }

  const hits = world.playlistIds.filter((id) => {
    const playlist = world.playlists.get(id)!;
    if (!playlist.public) return false;
    const name = playlistName(world, id);
    return query.words.every((w) => name.includes(w));
  });
  return byScore(hits, (id) => followersAt(world.playlists.get(id)!.baseFollowers, id, day));
}

function byScore(ids: string[], score: (id: string) => number): string[] {
  const scores = new Map(ids.map((id) => [id, score(id)]));
  return ids.sort((a, b) => scores.get(b)! - scores.get(a)! || (a < b ? -1 : a > b ? 1 : 0));
}
