import { describe, expect, it } from 'vitest';
import { isTunelakeError } from '../errors.js';
import { isSpotifyId, parseSpotifyId, spotifyUri, spotifyUrl } from './ids.js';

describe('parseSpotifyId(input, type)', () => {
  it.each([
    ['3cEYpjA9oz9GiPac4AsH4n', '3cEYpjA9oz9GiPac4AsH4n'],
    ['  3cEYpjA9oz9GiPac4AsH4n ', '3cEYpjA9oz9GiPac4AsH4n'],
    ['spotify:playlist:3cEYpjA9oz9GiPac4AsH4n', '3cEYpjA9oz9GiPac4AsH4n'],
    ['https://open.spotify.com/playlist/3cEYpjA9oz9GiPac4AsH4n', '3cEYpjA9oz9GiPac4AsH4n'],
    ['https://open.spotify.com/playlist/3cEYpjA9oz9GiPac4AsH4n?si=1f2e3d', '3cEYpjA9oz9GiPac4AsH4n'],
    ['https://open.spotify.com/intl-fr/playlist/3cEYpjA9oz9GiPac4AsH4n', '3cEYpjA9oz9GiPac4AsH4n'],
  ])('accepts %j', (input, id) => {
    expect(parseSpotifyId(input, 'playlist')).toBe(id);
  });

  it.each([
    ['', 'expected a 22-character'],
    ['3cEYpjA9oz9GiPac4AsH4', 'expected a 22-character'],
    ['3cEYpjA9oz9GiPac4AsH4n!', 'expected a 22-character'],
    ['spotify:album:4EcfbzCtbJDk2wMwhT4D1h', 'names a album'],
    ['https://open.spotify.com/track/2RM5Lx7VIp6GrLRsg2yXwW', 'names a track'],
    ['https://example.com/playlist/3cEYpjA9oz9GiPac4AsH4n', 'expected a 22-character'],
    ['spotify:playlist:short', 'not 22 base-62'],
  ])('rejects %j with a clear INVALID_ARGUMENT', (input, fragment) => {
    try {
      parseSpotifyId(input, 'playlist');
      expect.unreachable();
    } catch (error) {
      expect(isTunelakeError(error, 'INVALID_ARGUMENT')).toBe(true);
      expect((error as Error).message).toContain(fragment);
      expect((error as Error).message).toContain(input.trim() === '' ? '""' : input);
    }
  });

  it('builds URIs and URLs', () => {
    expect(isSpotifyId('2CWWgbxApjbyByxBBCvGTm')).toBe(true);
    expect(spotifyUri('artist', '2CWWgbxApjbyByxBBCvGTm')).toBe('spotify:artist:2CWWgbxApjbyByxBBCvGTm');
    expect(spotifyUrl('album', '4EcfbzCtbJDk2wMwhT4D1h')).toBe(
      'https://open.spotify.com/album/4EcfbzCtbJDk2wMwhT4D1h',
    );
  });
});
