// Spotify ids, URIs and open.spotify.com URLs. An id is 22 base-62 characters; a URI is
// `spotify:{type}:{id}`; a URL is `https://open.spotify.com/{type}/{id}` (optionally with an
// `intl-xx/` segment and a query string, as the share menu produces them).
import { TunelakeError } from '../errors.js';

export type EntityType = 'track' | 'album' | 'artist' | 'playlist' | 'show' | 'episode' | 'user';

const ID_RE = /^[0-9A-Za-z]{22}$/;

export function isSpotifyId(value: string): boolean {
  return ID_RE.test(value);
}

/**
 * Accepts an id, a `spotify:{type}:{id}` URI or an open.spotify.com URL and returns the bare id.
 * Throws INVALID_ARGUMENT naming what was received and what was expected.
 */
export function parseSpotifyId(input: string, type: EntityType): string {
  const value = input.trim();
  if (ID_RE.test(value)) return value;
  const uri = /^spotify:([a-z]+):([0-9A-Za-z]+)$/.exec(value);
  if (uri) return checked(uri[1]!, uri[2]!, input, type);
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url && (url.hostname === 'open.spotify.com' || url.hostname === 'play.spotify.com')) {
    const parts = url.pathname.split('/').filter((p) => p.length > 0 && !p.startsWith('intl-'));
    if (parts.length >= 2) return checked(parts[0]!, parts[1]!, input, type);
  }
  throw new TunelakeError(
    'INVALID_ARGUMENT',
    `Invalid Spotify ${type} "${input}": expected a 22-character base-62 id, a spotify:${type}:<id> URI ` +
      `or an https://open.spotify.com/${type}/<id> URL.`,
    { details: { input, type } },
  );
}

function checked(foundType: string, id: string, input: string, type: EntityType): string {
  if (foundType !== type) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Invalid Spotify ${type} "${input}": it names a ${foundType}, expected a ${type}.`,
      { details: { input, type, foundType } },
    );
  }
  if (!ID_RE.test(id)) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Invalid Spotify ${type} "${input}": the id "${id}" is not 22 base-62 characters.`,
      { details: { input, type } },
    );
  }
  return id;
}

export function spotifyUri(type: EntityType, id: string): string {
  return `spotify:${type}:${id}`;
}

export function spotifyUrl(type: EntityType, id: string): string {
  return `https://open.spotify.com/${type}/${id}`;
}
