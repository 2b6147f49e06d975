import { describe, expect, it } from 'vitest';
import { TunelakeError } from '../../src/errors.js';
import {
  createOpenApiContract,
  DEVELOPMENT_TIER_REMOVED_FIELDS,
  formatErrors,
  loadOpenApiDocument,
  OPENAPI_FIXES,
} from './openapi.js';

// Objects from the reference (/work/shared/reference/spotify-web-api.md §5), real ids from the SDK fixtures.
const katatonia = {
  external_urls: { spotify: 'https://open.spotify.com/artist/2CWWgbxApjbyByxBBCvGTm' },
  href: 'https://api.spotify.com/v1/artists/2CWWgbxApjbyByxBBCvGTm',
  id: '2CWWgbxApjbyByxBBCvGTm',
  name: 'Katatonia',
  type: 'artist',
  uri: 'spotify:artist:2CWWgbxApjbyByxBBCvGTm',
};

const simplifiedAlbum = {
  album_type: 'album',
  total_tracks: 11,
  available_markets: ['SE', 'US'],
  external_urls: { spotify: 'https://open.spotify.com/album/4EcfbzCtbJDk2wMwhT4D1h' },
  href: 'https://api.spotify.com/v1/albums/4EcfbzCtbJDk2wMwhT4D1h',
  id: '4EcfbzCtbJDk2wMwhT4D1h',
  images: [
    { url: 'https://i.scdn.co/image/ab67616d0000b2731465df104ab9c7772fe0da9b', height: 640, width: 640 },
    { url: 'https://i.scdn.co/image/ab67616d00001e021465df104ab9c7772fe0da9b', height: 300, width: 300 },
  ],
  name: 'Sky Void of Stars',
  release_date: '2023-01-20',
  release_date_precision: 'day',
  type: 'album',
  uri: 'spotify:album:4EcfbzCtbJDk2wMwhT4D1h',
  artists: [katatonia],
};

const track = {
  album: simplifiedAlbum,
  artists: [katatonia],
  available_markets: ['AR', 'AU', 'SE', 'US'],
  disc_number: 1,
  duration_ms: 221200,
  explicit: false,
  external_ids: { isrc: 'ATN262320801' },
  external_urls: { spotify: 'https://open.spotify.com/track/2RM5Lx7VIp6GrLRsg2yXwW' },
  href: 'https://api.spotify.com/v1/tracks/2RM5Lx7VIp6GrLRsg2yXwW',
  id: '2RM5Lx7VIp6GrLRsg2yXwW',
  is_local: false,
  name: 'Austerity',
  popularity: 47,
  preview_url: null,
  track_number: 1,
  type: 'track',
  uri: 'spotify:track:2RM5Lx7VIp6GrLRsg2yXwW',
};

const { album: _album, external_ids: _ids, popularity: _popularity, ...simplifiedTrack } = track;

const album = {
  ...simplifiedAlbum,
  tracks: {
    href: 'https://api.spotify.com/v1/albums/4EcfbzCtbJDk2wMwhT4D1h/tracks?offset=0&limit=50',
    items: [simplifiedTrack],
    limit: 50,
    next: null,
    offset: 0,
    previous: null,
    total: 11,
  },
  copyrights: [
    { text: '2023 Napalm Records', type: 'C' },
    { text: '2023 Napalm Records', type: 'P' },
  ],
  external_ids: { upc: '840588171390' },
  genres: [],
  label: 'Napalm Records',
  popularity: 55,
};

const artist = {
  ...katatonia,
  followers: { href: null, total: 327891 },
  genres: ['doom metal', 'gothic metal', 'swedish metal'],
  images: [
    { url: 'https://i.scdn.co/image/ab6761610000e5eba65f5211ef06d534018b7a11', height: 640, width: 640 },
  ],
  popularity: 57,
};

const smedjan = {
  external_urls: { spotify: 'https://open.spotify.com/user/smedjan' },
  href: 'https://api.spotify.com/v1/users/smedjan',
  id: 'smedjan',
  type: 'user',
  uri: 'spotify:user:smedjan',
};

const me = {
  ...smedjan,
  country: 'SE',
  display_name: 'smedjan',
  email: 'smedjan@example.com',
  explicit_content: { filter_enabled: false, filter_locked: false },
  followers: { href: null, total: 12 },
  images: [],
  product: 'premium',
};

const show = {
  available_markets: ['SE'],
  copyrights: [],
  description: 'A show.',
  html_description: '<p>A show.</p>',
  explicit: false,
  external_urls: { spotify: 'https://open.spotify.com/show/38bS44xjbVVZ3No3ByF1dJ' },
  href: 'https://api.spotify.com/v1/shows/38bS44xjbVVZ3No3ByF1dJ',
  id: '38bS44xjbVVZ3No3ByF1dJ',
  images: [],
  is_externally_hosted: false,
  languages: ['en'],
  media_type: 'audio',
  name: 'A show',
  publisher: 'Someone',
  total_episodes: 10,
  type: 'show',
  uri: 'spotify:show:38bS44xjbVVZ3No3ByF1dJ',
};

const episode = {
  audio_preview_url: null,
  description: 'An episode.',
  html_description: '<p>An episode.</p>',
  duration_ms: 1686230,
  explicit: false,
  external_urls: { spotify: 'https://open.spotify.com/episode/512ojhOuo1ktJprKbVcKyQ' },
  href: 'https://api.spotify.com/v1/episodes/512ojhOuo1ktJprKbVcKyQ',
  id: '512ojhOuo1ktJprKbVcKyQ',
  images: [],
  is_externally_hosted: false,
  is_playable: true,
  languages: ['en'],
  name: 'An episode',
  release_date: '1981-12-15',
  release_date_precision: 'day',
  type: 'episode',
  uri: 'spotify:episode:512ojhOuo1ktJprKbVcKyQ',
  show,
};

function playlistItem(item: unknown) {
  return { added_at: '2024-03-01T12:00:00Z', added_by: smedjan, is_local: false, item, track: item };
}

function page(items: unknown[]) {
  return {
    href: 'https://api.spotify.com/v1/playlists/3cEYpjA9oz9GiPac4AsH4n/items?offset=0&limit=20',
    items,
    limit: 20,
    next: null,
    offset: 0,
    previous: null,
    total: items.length,
  };
}

function without<T extends object>(value: T, ...keys: string[]): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([k]) => !keys.includes(k))) as Partial<T>;
}

const extended = createOpenApiContract('extended');
const development = createOpenApiContract('development');

describe('createOpenApiContract(tier).validateSchema(name, value)', () => {
  it.each([extended, development])('accepts the reference objects ($tier)', (contract) => {
    expect(contract.validateSchema('TrackObject', track).errors).toEqual([]);
    expect(contract.validateSchema('SimplifiedTrackObject', simplifiedTrack).errors).toEqual([]);
    expect(contract.validateSchema('SimplifiedAlbumObject', simplifiedAlbum).errors).toEqual([]);
    expect(contract.validateSchema('AlbumObject', album).errors).toEqual([]);
    expect(contract.validateSchema('ArtistObject', artist).errors).toEqual([]);
    expect(contract.validateSchema('PrivateUserObject', me).errors).toEqual([]);
    expect(contract.validateSchema('EpisodeObject', episode).errors).toEqual([]);
  });

  it.each([extended, development])('rejects a TrackObject missing id ($tier)', (contract) => {
    const result = contract.validateSchema('TrackObject', without(track, 'id'));
    expect(result.valid).toBe(false);
    expect(result.errors).toEqual(['/ must have required properties: id']);
  });

  it.each([extended, development])('rejects a TrackObject with duration_ms "x" ($tier)', (contract) => {
    const result = contract.validateSchema('TrackObject', { ...track, duration_ms: 'x' });
    expect(result.valid).toBe(false);
    expect(result.errors).toEqual(['/duration_ms must be integer; got "x"']);
  });

  it('reports nested paths and enum choices', () => {
    const broken = {
      ...track,
      album: { ...simplifiedAlbum, album_type: 'ep', images: [{ url: 'x', height: 1 }] },
    };
    expect(extended.validateSchema('TrackObject', broken).errors).toEqual([
      '/album/album_type must be equal to one of the allowed values: "album", "single", "compilation"; got "ep"',
      '/album/images/0 must have required properties: width',
    ]);
  });

  it('accepts null where the OpenAPI says nullable (ImageObject sizes, preview_url, followers.href)', () => {
    const nulls = {
      ...track,
      album: { ...simplifiedAlbum, images: [{ url: 'x', height: null, width: null }] },
    };
    expect(extended.validateSchema('TrackObject', nulls).errors).toEqual([]);
    expect(extended.validateSchema('TrackObject', { ...track, name: null }).errors).toEqual([
      '/name must be string; got null',
    ]);
  });

  it('throws a TunelakeError for an unknown schema name', () => {
    expect(() => extended.validateSchema('NoSuchObject', {})).toThrow(TunelakeError);
  });
});

describe('createOpenApiContract(tier): development-tier removals', () => {
  const removedTrack = without(track, 'available_markets', 'popularity');
  const removedAlbum = without(album, 'available_markets', 'label', 'popularity');
  const removedArtist = without(artist, 'followers', 'popularity');
  const removedMe = without(me, 'country', 'email', 'explicit_content', 'followers', 'product');
  const strippedTrack = { ...removedTrack, album: without(simplifiedAlbum, 'available_markets') };

  it('development accepts objects without the removed fields', () => {
    expect(development.validateSchema('TrackObject', strippedTrack).errors).toEqual([]);
    expect(development.validateSchema('AlbumObject', removedAlbum).errors).toEqual([]);
    expect(development.validateSchema('ArtistObject', removedArtist).errors).toEqual([]);
    expect(development.validateSchema('PrivateUserObject', removedMe).errors).toEqual([]);
  });

  it('extended rejects the same objects, naming each removed field', () => {
    expect(extended.validateSchema('TrackObject', strippedTrack).errors).toEqual([
      '/ must have required properties: available_markets, popularity',
      '/album must have required properties: available_markets',
    ]);
    expect(extended.validateSchema('AlbumObject', removedAlbum).errors).toEqual([
      '/ must have required properties: available_markets, label, popularity',
    ]);
    expect(extended.validateSchema('ArtistObject', removedArtist).errors).toEqual([
      '/ must have required properties: followers, popularity',
    ]);
    expect(extended.validateSchema('PrivateUserObject', removedMe).errors).toEqual([
      '/ must have required properties: country, email, explicit_content, followers, product',
    ]);
  });

  it('development still type-checks a removed field when it is present', () => {
    expect(development.validateSchema('TrackObject', { ...track, popularity: 'high' }).errors).toEqual([
      '/popularity must be integer; got "high"',
    ]);
  });

  it('drops exactly the named fields, from the schemas that declare them, plus the documented fixes', () => {
    const names = Object.keys((loadOpenApiDocument().components as { schemas: object }).schemas);
    const dropped: Record<string, string[]> = {};
    for (const name of names) {
      const kept = new Set(development.requiredOf(name));
      const gone = extended.requiredOf(name).filter((f) => !kept.has(f));
      if (gone.length > 0) dropped[name] = gone;
    }
    // available_markets is declared on AlbumBase, which every album schema composes.
    expect(dropped).toEqual({
      TrackObject: ['available_markets', 'popularity'],
      AlbumBase: ['available_markets'],
      AlbumObject: ['label', 'popularity'],
      ArtistObject: ['followers', 'popularity'],
      PrivateUserObject: ['country', 'email', 'explicit_content', 'followers', 'product'],
      ShowBase: ['available_markets', 'publisher'],
    });
    const named = new Set(Object.values(DEVELOPMENT_TIER_REMOVED_FIELDS).flat());
    const fixed = OPENAPI_FIXES.filter(
      (f) => f.tiers?.includes('development') && f.at === '/components/schemas/ShowBase',
    );
    expect(fixed).toHaveLength(1);
    for (const [name, fields] of Object.entries(dropped)) {
      for (const f of fields) expect(name === 'ShowBase' || named.has(f), `${name}.${f}`).toBe(true);
    }
    expect(development.adjustments).toContain(
      'development: AlbumBase.required -= available_markets (for AlbumObject, SimplifiedAlbumObject, ArtistDiscographyAlbumObject)',
    );
    expect(extended.adjustments.some((line) => line.startsWith('development:'))).toBe(false);
  });

  it('development (only) accepts an artist album without album_group, per the documented fix', () => {
    const discography = without(
      { ...simplifiedAlbum, album_group: 'album' },
      'available_markets',
      'album_group',
    );
    expect(development.validateSchema('ArtistDiscographyAlbumObject', discography).errors).toEqual([]);
    expect(
      extended.validateSchema('ArtistDiscographyAlbumObject', { ...simplifiedAlbum, album_group: 'album' })
        .errors,
    ).toEqual([]);
    expect(extended.validateSchema('ArtistDiscographyAlbumObject', { ...simplifiedAlbum }).errors).toEqual([
      '/ must have required properties: album_group',
    ]);
  });
});

describe('createOpenApiContract(tier): local files', () => {
  // Spotify's "Local Files" guide: track-shaped, no ids.
  const local = {
    album: {
      album_type: null,
      total_tracks: 0,
      available_markets: [],
      external_urls: {},
      href: null,
      id: null,
      images: [],
      name: 'Demo Tapes',
      release_date: null,
      release_date_precision: null,
      type: 'album',
      uri: null,
      artists: [],
    },
    artists: [{ external_urls: {}, href: null, id: null, name: 'Garage Band', type: 'artist', uri: null }],
    available_markets: [],
    disc_number: 0,
    duration_ms: 183000,
    explicit: false,
    external_ids: {},
    external_urls: {},
    href: null,
    id: null,
    is_local: true,
    name: 'First Take',
    popularity: 0,
    preview_url: null,
    track_number: 0,
    type: 'track',
    uri: 'spotify:local:Garage+Band:Demo+Tapes:First+Take:183',
  };

  it.each([extended, development])('accepts a local file with null ids ($tier)', (contract) => {
    expect(contract.validateSchema('TrackObject', local).errors).toEqual([]);
    const body = page([{ ...playlistItem(local), is_local: true }]);
    expect(contract.validateResponse('get', '/playlists/{playlist_id}/items', 200, body).errors).toEqual([]);
  });

  it('still type-checks a local file, and still rejects null ids on a Spotify track', () => {
    expect(extended.validateSchema('TrackObject', { ...local, name: 7 }).errors).toEqual([
      '/name must be string; got 7',
    ]);
    expect(
      extended.validateSchema('TrackObject', { ...local, album: { ...local.album, album_type: 'ep' } })
        .errors,
    ).toEqual([
      '/album/album_type must be equal to one of the allowed values: "album", "single", "compilation"; got "ep"',
    ]);
    expect(extended.validateSchema('TrackObject', { ...track, id: null }).errors).toEqual([
      '/id must be string; got null',
    ]);
    expect(
      extended.validateSchema('TrackObject', { ...track, album: { ...simplifiedAlbum, release_date: null } })
        .errors,
    ).toEqual(['/album/release_date must be string; got null']);
  });
});

describe('createOpenApiContract(tier).validateResponse(method, path, status, body)', () => {
  it('validates GET /playlists/{playlist_id}/items pages with tracks, episodes and null items', () => {
    const body = page([playlistItem(track), playlistItem(episode), playlistItem(null)]);
    expect(extended.validateResponse('get', '/playlists/{playlist_id}/items', 200, body).errors).toEqual([]);
  });

  it('checks an item against the schema its type names, not every oneOf branch', () => {
    const body = page([playlistItem({ ...track, type: 'episode' })]);
    const errors = extended.validateResponse('get', '/playlists/{playlist_id}/items', 200, body).errors;
    expect(errors[0]).toMatch(
      /^\/items\/0\/item must have required properties: .*is_externally_hosted.*show$/,
    );
    expect(errors.join('\n')).not.toMatch(/album/);
  });

  it('rejects an item whose type is neither track nor episode', () => {
    const body = page([playlistItem({ ...track, type: 'podcast' })]);
    const errors = extended.validateResponse('get', '/playlists/{playlist_id}/items', 200, body).errors;
    expect(errors).toContain(
      '/items/0/item/type must be equal to one of the allowed values: "track", "episode"; got "podcast"',
    );
  });

  it('requires every PagingObject field, with next/previous nullable', () => {
    const body = without(page([]), 'next');
    expect(extended.validateResponse('get', '/playlists/{playlist_id}/items', 200, body).errors).toEqual([
      '/ must have required properties: next',
    ]);
  });

  it('accepts null slots in batch lookups (GET /tracks?ids=)', () => {
    expect(extended.validateResponse('get', '/tracks', 200, { tracks: [track, null] }).errors).toEqual([]);
    expect(
      extended.validateResponse('get', '/tracks', 200, { tracks: [{ ...track, id: 7 }] }).errors,
    ).toEqual(['/tracks/0/id must be string; got 7']);
  });

  it('validates GET /albums/{id} in both tiers', () => {
    expect(extended.validateResponse('get', '/albums/{id}', 200, album).errors).toEqual([]);
    expect(development.validateResponse('get', '/albums/{id}', 200, without(album, 'label')).errors).toEqual(
      [],
    );
    expect(extended.validateResponse('get', '/albums/{id}', 200, without(album, 'label')).errors).toEqual([
      '/ must have required properties: label',
    ]);
  });

  it('throws a TunelakeError naming the known templates for an unknown path', () => {
    expect(() => extended.validateResponse('get', '/playlists/{id}', 200, {})).toThrow(
      /\/playlists\/\{playlist_id\}/,
    );
  });

  it('throws for a status the operation does not declare', () => {
    expect(() => extended.validateResponse('get', '/tracks/{id}', 404, {})).toThrow(
      /declares 200, 401, 403, 429/,
    );
  });
});

describe('createOpenApiContract(tier).validateError(status, body)', () => {
  it('accepts the regular error body, with or without reason', () => {
    expect(
      extended.validateError(404, { error: { status: 404, message: 'Resource not found' } }).errors,
    ).toEqual([]);
    const quota = { error: { status: 429, message: 'Too many requests', reason: 'QUOTA_EXCEEDED' } };
    expect(extended.validateError(429, quota).errors).toEqual([]);
  });

  it('rejects a body without message, the OAuth shape, and a status that disagrees with HTTP', () => {
    expect(extended.validateError(403, { error: { status: 403 } }).errors).toEqual([
      '/error must have required properties: message',
    ]);
    expect(
      extended.validateError(400, { error: 'invalid_client', error_description: 'Invalid client' }).errors,
    ).toEqual(['/error must be object; got "invalid_client"']);
    expect(extended.validateError(400, { error: { status: 404, message: 'invalid id' } }).errors).toEqual([
      '/error/status is 404 but the HTTP status is 400',
    ]);
  });

  it('throws for a status without an error response', () => {
    expect(() => extended.validateError(418, {})).toThrow(TunelakeError);
  });
});

describe('formatErrors(errors)', () => {
  it('keeps the first ten lines and counts the rest', () => {
    const manyBad = Object.fromEntries(Object.keys(track).map((k) => [k, true]));
    const errors = extended.validateSchema('TrackObject', { ...manyBad, type: 'track' }).errors;
    expect(errors).toHaveLength(11);
    expect(errors[10]).toMatch(/^\.\.\. and \d+ more$/);
    expect(formatErrors([])).toEqual([]);
  });
});
