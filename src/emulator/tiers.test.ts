import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emulator } from './server.js';
import { appToken, get, userToken } from './test-support/http.js';
import { TOP_50_GLOBAL_ID, worldSummary } from './world.js';

const FORBIDDEN = { error: { status: 403, message: 'Forbidden' } };
const NOT_FOUND = { error: { status: 404, message: 'Resource not found' } };

let dev: Emulator;
let ext: Emulator;
const tokens = { devUser: '', devApp: '', extUser: '', extApp: '' };

beforeAll(async () => {
  [dev, ext] = await Promise.all([
    Emulator.create({ tier: 'development' }),
    Emulator.create({ tier: 'extended' }),
  ]);
  tokens.devUser = await userToken(dev);
  tokens.devApp = await appToken(dev);
  tokens.extUser = await userToken(ext);
  tokens.extApp = await appToken(ext);
});
afterAll(async () => {
  await Promise.all([dev?.close(), ext?.close()]);
});

function ids(emu: Emulator) {
  const c = emu.world;
  const summary = worldSummary(c);
  const featured = c.trackIds.find((id) => c.tracks.get(id)!.artistIds.length > 1)!;
  return {
    track: c.trackIds[0]!,
    album: c.albumIds[0]!,
    artist: c.artistIds[0]!,
    featuredArtist: c.tracks.get(featured)!.artistIds[1]!,
    owned: summary.playlists.owned[0]!.id,
    collaborative: summary.playlists.collaborative[0]!.id,
    other: summary.playlists.other[0]!.id,
    user: summary.playlists.other[0]!.owner,
  };
}

describe('Emulator.create({ tier: "development" }): the February 2026 rules', () => {
  it('answers 403 Forbidden on the removed endpoints', async () => {
    const x = ids(dev);
    for (const path of [
      `/tracks?ids=${x.track}`,
      `/albums?ids=${x.album}`,
      `/artists?ids=${x.artist}`,
      `/artists/${x.artist}/top-tracks?market=SE`,
      '/browse/new-releases',
      `/playlists/${x.owned}/tracks`,
      `/users/${x.user}`,
      '/audio-features?ids=' + x.track,
    ]) {
      const reply = await get(dev, path, tokens.devUser);
      expect(reply.status, path).toBe(403);
      expect(reply.body, path).toEqual(FORBIDDEN);
    }
    expect((await get(dev, '/recommendations?seed_artists=' + x.artist, tokens.devUser)).status).toBe(404);
  });

  it('leaves out the removed fields but keeps external_ids, genres and a null preview_url', async () => {
    const x = ids(dev);
    const track = (await get(dev, `/tracks/${x.track}`, tokens.devApp)).body;
    for (const key of ['available_markets', 'linked_from', 'popularity'])
      expect(track).not.toHaveProperty(key);
    for (const key of ['available_markets', 'label', 'popularity'])
      expect(track.album).not.toHaveProperty(key);
    expect(track.external_ids.isrc).toMatch(/^[A-Z]{2}/);
    expect(track.preview_url).toBeNull();
    const album = (await get(dev, `/albums/${x.album}`, tokens.devApp)).body;
    for (const key of ['available_markets', 'label', 'popularity']) expect(album).not.toHaveProperty(key);
    expect(album.external_ids.upc).toMatch(/^\d{12,13}$/);
    expect(album.genres).toEqual([]);
    const artist = (await get(dev, `/artists/${x.artist}`, tokens.devApp)).body;
    expect(artist).not.toHaveProperty('followers');
    expect(artist).not.toHaveProperty('popularity');
    expect(artist.genres.length).toBeGreaterThan(0);
    const me = (await get(dev, '/me', tokens.devUser)).body;
    for (const key of ['country', 'email', 'explicit_content', 'followers', 'product'])
      expect(me).not.toHaveProperty(key);
    const albums = (await get(dev, `/artists/${x.artist}/albums`, tokens.devApp)).body;
    expect(albums.items.length).toBeGreaterThan(0);
    for (const item of albums.items) expect(item).not.toHaveProperty('album_group');
  });

  it('hides Spotify-owned editorial playlists (404), and lists them as null in /me/playlists', async () => {
    expect((await get(dev, `/playlists/${TOP_50_GLOBAL_ID}`, tokens.devUser)).body).toEqual(NOT_FOUND);
    expect((await get(dev, `/playlists/${TOP_50_GLOBAL_ID}/items`, tokens.devApp)).body).toEqual(NOT_FOUND);
    const mine = (await get(dev, '/me/playlists?limit=50', tokens.devUser)).body;
    expect(mine.items).toContain(null);
    expect(
      mine.items
        .filter((p: unknown) => p !== null)
        .every((p: { owner: { id: string } }) => p.owner.id !== 'spotify'),
    ).toBe(true);
  });

  it('returns playlist items only to owners and collaborators', async () => {
    const x = ids(dev);
    const owned = (await get(dev, `/playlists/${x.owned}`, tokens.devUser)).body;
    expect(owned.items.total).toBe(dev.world.playlists.get(x.owned)!.entries.length);
    expect(owned.tracks).toEqual(owned.items);
    expect((await get(dev, `/playlists/${x.owned}/items`, tokens.devUser)).status).toBe(200);
    expect((await get(dev, `/playlists/${x.collaborative}/items`, tokens.devUser)).status).toBe(200);

    const other = await get(dev, `/playlists/${x.other}`, tokens.devUser);
    expect(other.status).toBe(200);
    expect(other.body.name).toBe(dev.world.playlists.get(x.other)!.name);
    expect(other.body).not.toHaveProperty('items');
    expect(other.body).not.toHaveProperty('tracks');
    expect((await get(dev, `/playlists/${x.other}/items`, tokens.devUser)).body).toEqual(FORBIDDEN);
    // An app token is nobody's: no items at all.
    expect((await get(dev, `/playlists/${x.owned}/items`, tokens.devApp)).body).toEqual(FORBIDDEN);
    expect(await get(dev, `/playlists/${x.owned}`, tokens.devApp)).not.toHaveProperty('body.items');
  });

  it('caps search and artist-albums limits at 10 (default 5)', async () => {
    const x = ids(dev);
    const search = (await get(dev, '/search?q=a&type=track', tokens.devApp)).body;
    expect(search.tracks.limit).toBe(5);
    expect((await get(dev, '/search?q=a&type=track&limit=10', tokens.devApp)).status).toBe(200);
    expect((await get(dev, '/search?q=a&type=track&limit=11', tokens.devApp)).body).toEqual({
      error: { status: 400, message: 'Invalid limit' },
    });
    expect((await get(dev, `/artists/${x.artist}/albums`, tokens.devApp)).body.limit).toBe(5);
    expect((await get(dev, `/artists/${x.artist}/albums?limit=11`, tokens.devApp)).status).toBe(400);
  });
});

describe('Emulator.create({ tier: "extended" }): the full legacy contract', () => {
  it('serves the batch endpoints with null slots for unknown ids and 400s for bad input', async () => {
    const x = ids(ext);
    const unknown = '0000000000000000000000';
    const tracks = (await get(ext, `/tracks?ids=${x.track},${unknown}`, tokens.extApp)).body;
    expect(tracks.tracks).toHaveLength(2);
    expect(tracks.tracks[0].id).toBe(x.track);
    expect(tracks.tracks[1]).toBeNull();
    expect((await get(ext, `/albums?ids=${x.album}`, tokens.extApp)).body.albums[0].id).toBe(x.album);
    expect((await get(ext, `/artists?ids=${x.artist}`, tokens.extApp)).body.artists[0].id).toBe(x.artist);
    const tooMany = ext.world.albumIds.slice(0, 21).join(',');
    expect((await get(ext, `/albums?ids=${tooMany}`, tokens.extApp)).body).toEqual({
      error: { status: 400, message: 'Too many ids requested' },
    });
    expect((await get(ext, `/artists?ids=${x.artist},bad`, tokens.extApp)).body).toEqual({
      error: { status: 400, message: 'invalid id' },
    });
    const top = (await get(ext, `/artists/${x.artist}/top-tracks?market=SE`, tokens.extApp)).body;
    expect(top.tracks.length).toBeGreaterThan(0);
    expect(top.tracks.length).toBeLessThanOrEqual(10);
    const releases = (await get(ext, '/browse/new-releases?limit=3', tokens.extApp)).body;
    expect(releases.albums.items).toHaveLength(3);
  });

  it('includes every legacy field', async () => {
    const x = ids(ext);
    const track = (await get(ext, `/tracks/${x.track}`, tokens.extApp)).body;
    expect(track.available_markets.length).toBeGreaterThan(0);
    expect(track.popularity).toBeGreaterThanOrEqual(0);
    expect(track.album.available_markets.length).toBeGreaterThan(0);
    const album = (await get(ext, `/albums/${x.album}`, tokens.extApp)).body;
    expect(album).toMatchObject({ label: expect.any(String), popularity: expect.any(Number) });
    const artist = (await get(ext, `/artists/${x.artist}`, tokens.extApp)).body;
    expect(artist.followers).toEqual({ href: null, total: expect.any(Number) });
    expect(artist.popularity).toEqual(expect.any(Number));
    const me = (await get(ext, '/me', tokens.extUser)).body;
    expect(me).toMatchObject({ country: 'SE', product: 'premium', email: expect.stringContaining('@') });
    const albums = (
      await get(ext, `/artists/${x.featuredArtist}/albums?include_groups=appears_on`, tokens.extApp)
    ).body;
    expect(albums.items.length).toBeGreaterThan(0);
    expect(albums.items.every((a: { album_group: string }) => a.album_group === 'appears_on')).toBe(true);
  });

  it('lets an app token read any playlist, editorial ones and the legacy /tracks (limit up to 100) included', async () => {
    const x = ids(ext);
    const top = (await get(ext, `/playlists/${TOP_50_GLOBAL_ID}`, tokens.extApp)).body;
    expect(top.owner.id).toBe('spotify');
    expect(top.items.total).toBe(50);
    expect((await get(ext, `/playlists/${x.other}/items`, tokens.extApp)).status).toBe(200);
    const legacy = (await get(ext, `/playlists/${x.owned}/tracks?limit=100`, tokens.extApp)).body;
    expect(legacy.items).toHaveLength(100);
    expect((await get(ext, `/playlists/${x.owned}/tracks?limit=101`, tokens.extApp)).status).toBe(400);
    expect((await get(ext, `/playlists/${x.owned}/items?limit=51`, tokens.extApp)).status).toBe(400);
    expect((await get(ext, '/search?q=a&type=track', tokens.extApp)).body.tracks.limit).toBe(20);
    expect((await get(ext, '/search?q=a&type=track&limit=50', tokens.extApp)).status).toBe(200);
  });

  it('still refuses the 2024-11 endpoints (403), as the emulator has no audio features', async () => {
    expect((await get(ext, `/audio-features/${ids(ext).track}`, tokens.extApp)).body).toEqual(FORBIDDEN);
    expect((await get(ext, '/recommendations', tokens.extApp)).body).toEqual(FORBIDDEN);
  });
});
