import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emulator } from './server.js';
import { appToken, collectPages, get, type JsonReply, userToken } from './test-support/http.js';
import { dayStartMs, worldSummary } from './world.js';

/** A playlist row as parsed JSON (read field by field). */
type Row = JsonReply['body'];

let emu: Emulator;
let user: string;
let app: string;

beforeAll(async () => {
  emu = await Emulator.create({ port: 0, tier: 'development', seed: 42 });
  user = await userToken(emu);
  app = await appToken(emu);
});
afterAll(async () => {
  await emu?.close();
});

const summary = () => worldSummary(emu.world);

describe('request validation on /v1', () => {
  it('answers 400 "invalid id" for malformed ids and 404 "Resource not found" for unknown ones', async () => {
    for (const path of [
      '/tracks/abc',
      '/albums/abc!',
      '/artists/1234567890123456789012345',
      '/playlists/short',
    ]) {
      expect((await get(emu, path, app)).body, path).toEqual({
        error: { status: 400, message: 'invalid id' },
      });
    }
    const unknown = 'zzzzzzzzzzzzzzzzzzzzzz';
    for (const path of [
      `/tracks/${unknown}`,
      `/albums/${unknown}`,
      `/artists/${unknown}`,
      `/playlists/${unknown}`,
    ]) {
      expect((await get(emu, path, app)).body, path).toEqual({
        error: { status: 404, message: 'Resource not found' },
      });
    }
  });

  it('answers 400 "Invalid limit" / "Invalid offset" out of range, and 404 "Service not found" off the map', async () => {
    const owned = summary().playlists.owned[0]!.id;
    for (const limit of ['0', '51', 'ten', '-1', '2.5']) {
      const reply = await get(emu, `/playlists/${owned}/items?limit=${limit}`, user);
      expect(reply.body, limit).toEqual({ error: { status: 400, message: 'Invalid limit' } });
    }
    expect((await get(emu, `/playlists/${owned}/items?offset=-3`, user)).body).toEqual({
      error: { status: 400, message: 'Invalid offset' },
    });
    expect((await get(emu, '/search?q=a&type=track&offset=1001', app)).body.error.message).toBe(
      'Invalid offset',
    );
    expect((await get(emu, '/no/such/thing', app)).body).toEqual({
      error: { status: 404, message: 'Service not found' },
    });
  });

  it("sends Spotify's headers on JSON answers", async () => {
    const reply = await get(emu, `/tracks/${emu.world.trackIds[0]}`, app);
    expect(reply.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(reply.headers.get('cache-control')).toBe('private, max-age=0');
  });
});

describe('GET /v1/playlists/{id}/items', () => {
  it('pages with absolute next/previous links that keep the other params, through every item', async () => {
    const big = summary().playlists.owned.find((p) => p.total > 100)!;
    const first = await get(
      emu,
      `/playlists/${big.id}/items?limit=50&market=SE&additional_types=episode`,
      user,
    );
    expect(first.body).toMatchObject({ limit: 50, offset: 0, previous: null, total: big.total });
    const next = new URL(first.body.next);
    expect(`${next.origin}${next.pathname}`).toBe(`${emu.apiUrl}/playlists/${big.id}/items`);
    expect(Object.fromEntries(next.searchParams)).toEqual({
      offset: '50',
      limit: '50',
      market: 'SE',
      additional_types: 'episode',
    });
    const second = await get(emu, first.body.next, user);
    expect(second.body.offset).toBe(50);
    expect(new URL(second.body.previous).searchParams.get('offset')).toBe('0');
    const all = await collectPages(emu, `/playlists/${big.id}/items?limit=50`, user);
    expect(all).toHaveLength(big.total);
  });

  it('returns local files, taken-down tracks as null, and episodes only when asked for', async () => {
    const withLocals = summary().playlists.owned[1]!.id;
    const plain = (await collectPages(emu, `/playlists/${withLocals}/items?limit=50`, user)) as Row[];
    const local = plain.find((row) => row.is_local);
    expect(local.item.id).toBeNull();
    expect(local.item.uri).toMatch(/^spotify:local:[^:]*:[^:]*:[^:]*:\d+$/);
    expect(local.track).toEqual(local.item);
    const rowsWithNull = plain.filter((row) => row.item === null);
    expect(rowsWithNull.length).toBeGreaterThanOrEqual(1);
    const withEpisodes = (await collectPages(
      emu,
      `/playlists/${withLocals}/items?additional_types=track,episode`,
      user,
    )) as Row[];
    const episode = withEpisodes.find((row) => row.item?.type === 'episode');
    expect(episode.item.show.type).toBe('show');
    expect(withEpisodes.filter((row) => row.item === null).length).toBe(rowsWithNull.length - 1);

    const everything = summary().playlists.owned[0]!.id;
    const rows = (await collectPages(emu, `/playlists/${everything}/items?limit=50`, user)) as Row[];
    expect(rows.filter((row) => row.item === null && !row.is_local).length).toBeGreaterThanOrEqual(2);
    for (const row of rows.filter((r) => r.item !== null)) {
      expect(row.added_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(row.item).toEqual(row.track);
    }
  });

  it('applies the fields filter', async () => {
    const owned = summary().playlists.owned[0]!.id;
    const reply = await get(
      emu,
      `/playlists/${owned}/items?limit=2&fields=total,items(added_at,item(name,album(name)))`,
      user,
    );
    expect(Object.keys(reply.body)).toEqual(['items', 'total']);
    expect(Object.keys(reply.body.items[0])).toEqual(['added_at', 'item']);
    expect(Object.keys(reply.body.items[0].item)).toEqual(['album', 'name']);
    expect(Object.keys(reply.body.items[0].item.album)).toEqual(['name']);
    const playlist = await get(emu, `/playlists/${owned}?fields=name,snapshot_id,items.total`, user);
    expect(playlist.body).toEqual({
      name: emu.world.playlists.get(owned)!.name,
      snapshot_id: emu.world.playlists.get(owned)!.snapshotId,
      items: { total: emu.world.playlists.get(owned)!.entries.length },
    });
    expect((await get(emu, `/playlists/${owned}?fields=items(name`, user)).status).toBe(400);
  });
});

describe('GET /v1/search', () => {
  it('matches words and field filters, with one paging object per requested type', async () => {
    const track = emu.world.tracks.get(emu.world.trackIds[5]!)!;
    const artist = emu.world.artists.get(track.artistIds[0]!)!;
    const reply = await get(
      emu,
      `/search?q=${encodeURIComponent(`isrc:${track.isrc}`)}&type=track,album`,
      app,
    );
    expect(reply.body.tracks.items.map((t: { id: string }) => t.id)).toEqual([track.id]);
    expect(reply.body.albums.total).toBe(0);
    expect(Object.keys(reply.body).sort()).toEqual(['albums', 'tracks']);

    const byArtist = await collectPages(
      emu,
      `/search?q=${encodeURIComponent(`artist:"${artist.name}"`)}&type=album&limit=10`,
      app,
      'albums',
    );
    expect(byArtist.length).toBeGreaterThanOrEqual(artist.albumIds.length);
    const album = emu.world.albums.get(artist.albumIds[0]!)!;
    const byUpc = (await get(emu, `/search?q=upc:${album.upc}&type=album`, app)).body;
    expect(byUpc.albums.items[0].id).toBe(album.id);
    const year = album.releaseDate.slice(0, 4);
    const ranged = (
      await get(
        emu,
        `/search?q=${encodeURIComponent(`artist:"${artist.name}" year:${year}-${year}`)}&type=album&limit=10`,
        app,
      )
    ).body;
    expect(ranged.albums.items.every((a: { release_date: string }) => a.release_date.startsWith(year))).toBe(
      true,
    );
    const genre = artist.genres[0]!;
    const byGenre = (
      await get(emu, `/search?q=${encodeURIComponent(`genre:"${genre}"`)}&type=artist&limit=10`, app)
    ).body;
    expect(byGenre.artists.total).toBeGreaterThan(0);
  });

  it('keeps q and type in next links, and answers 400 for a missing q or a bad type', async () => {
    const reply = (await get(emu, '/search?q=a&type=track&limit=2', app)).body;
    expect(reply.tracks.total).toBeGreaterThan(2);
    const next = new URL(reply.tracks.next);
    expect(next.searchParams.get('q')).toBe('a');
    expect(next.searchParams.get('type')).toBe('track');
    expect(next.searchParams.get('offset')).toBe('2');
    expect((await get(emu, '/search?type=track', app)).status).toBe(400);
    expect((await get(emu, '/search?q=a&type=podcast', app)).status).toBe(400);
  });

  it('finds albums released in the last two weeks of simulated time with tag:new', async () => {
    const reply = (await get(emu, '/search?q=tag:new&type=album&limit=10', app)).body;
    expect(reply.albums.total).toBeGreaterThan(0);
    const earliest = dayStartMs(emu.day - 13);
    for (const album of reply.albums.items) {
      expect(album.release_date_precision).toBe('day');
      expect(Date.parse(`${album.release_date}T00:00:00Z`)).toBeGreaterThanOrEqual(earliest);
    }
  });
});

describe('GET /v1/me/...', () => {
  it('recently-played: newest first, ms timestamps, string cursors, next by before, at most 50 reachable', async () => {
    const first = (await get(emu, '/me/player/recently-played?limit=20', user)).body;
    expect(first.items).toHaveLength(20);
    const times = first.items.map((p: { played_at: string }) => Date.parse(p.played_at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(first.items[0].played_at).toMatch(/\.\d{3}Z$/);
    expect(first.cursors).toEqual({ after: String(times[0]), before: String(times[19]) });
    expect(new URL(first.next).searchParams.get('before')).toBe(String(times[19]));
    const all = await collectPages(emu, '/me/player/recently-played?limit=20', user);
    expect(all).toHaveLength(50);
    const after = (await get(emu, `/me/player/recently-played?after=${times[5]}`, user)).body;
    expect(after.items.map((p: { played_at: string }) => Date.parse(p.played_at))).toEqual(times.slice(0, 5));
    expect((await get(emu, `/me/player/recently-played?after=1&before=2`, user)).status).toBe(400);
    expect(Date.parse(first.items[0].played_at)).toBeLessThan(dayStartMs(emu.day + 1));
  });

  it('top artists and tracks per time range, saved tracks newest first, and the user playlists', async () => {
    const short = (await get(emu, '/me/top/artists?time_range=short_term&limit=5', user)).body;
    const long = (await get(emu, '/me/top/tracks?time_range=long_term&limit=50', user)).body;
    expect(short.items).toHaveLength(5);
    expect(long.items).toHaveLength(50);
    expect(long.total).toBeGreaterThan(50);
    expect((await get(emu, '/me/top/artists?time_range=forever', user)).status).toBe(400);
    const saved = (await get(emu, '/me/tracks?limit=50', user)).body;
    expect(saved.total).toBe(emu.world.savedTracks.length);
    const added = saved.items.map((s: { added_at: string }) => Date.parse(s.added_at));
    expect([...added].sort((a, b) => b - a)).toEqual(added);
    expect(saved.items[0].track.type).toBe('track');
    const playlists = (await get(emu, '/me/playlists?limit=50', user)).body;
    const owned = summary().playlists.owned.map((p) => p.id);
    const listed = playlists.items.filter((p: unknown) => p !== null).map((p: { id: string }) => p.id);
    for (const id of owned) expect(listed).toContain(id);
    expect(playlists.items.find((p: { id: string } | null) => p?.id === owned[0]).items.href).toBe(
      `${emu.apiUrl}/playlists/${owned[0]}/items`,
    );
  });
});

describe('Emulator stats() and the control endpoints', () => {
  it('counts requests by route template and status, and token requests', async () => {
    emu.resetStats();
    await get(emu, `/tracks/${emu.world.trackIds[0]}`, app);
    await get(emu, `/tracks/${emu.world.trackIds[1]}`, app);
    await get(emu, '/tracks/bad', app);
    await appToken(emu);
    await fetch(`${emu.url}/_emulator/stats`);
    const stats = emu.stats();
    expect(stats.byRoute).toEqual({ 'GET /v1/tracks/{id}': 3, 'POST /api/token': 1 });
    expect(stats.byStatus).toEqual({ '200': 3, '400': 1 });
    expect(stats.total).toBe(4);
    expect(stats.tokenRequests).toBe(1);
    const overHttp = await (await fetch(`${emu.url}/_emulator/stats`)).json();
    expect(overHttp).toEqual(stats);
    await fetch(`${emu.url}/_emulator/stats/reset`, { method: 'POST' });
    expect(emu.stats().total).toBe(0);
  });

  it('moves the simulated day over HTTP, changing snapshots and adding releases', async () => {
    const start = emu.day;
    const owned = summary().playlists.owned.map((p) => p.id);
    const before = new Map(owned.map((id) => [id, emu.world.playlists.get(id)!.snapshotId]));
    const albumsBefore = emu.world.albums.size;
    const reply = await fetch(`${emu.url}/_emulator/day`, {
      method: 'POST',
      body: JSON.stringify({ advance: 3 }),
    });
    expect(await reply.json()).toMatchObject({ day: start + 3 });
    expect(emu.day).toBe(start + 3);
    expect(emu.world.albums.size).toBeGreaterThan(albumsBefore);
    for (const id of owned) {
      const body = (await get(emu, `/playlists/${id}?fields=snapshot_id`, user)).body;
      expect(body.snapshot_id).toBe(emu.world.playlists.get(id)!.snapshotId);
    }
    expect(owned.some((id) => emu.world.playlists.get(id)!.snapshotId !== before.get(id))).toBe(true);
    const fresh = (await get(emu, '/search?q=tag:new&type=album&limit=1', app)).body.albums.items[0];
    expect(fresh.release_date).toBe(new Date(dayStartMs(start + 3)).toISOString().slice(0, 10));
    await fetch(`${emu.url}/_emulator/day`, { method: 'POST', body: JSON.stringify({ day: start }) });
    expect(emu.day).toBe(start);
    for (const id of owned) expect(emu.world.playlists.get(id)!.snapshotId).toBe(before.get(id));
    expect((await fetch(`${emu.url}/_emulator/day`, { method: 'POST', body: '{"day":-1}' })).status).toBe(
      400,
    );
  });

  it('issues a demo-user refresh token and a catalogue summary over HTTP', async () => {
    const { refresh_token } = await (
      await fetch(`${emu.url}/_emulator/refresh-token`, { method: 'POST' })
    ).json();
    expect(refresh_token).toMatch(/^AQ/);
    const summaryOverHttp = await (await fetch(`${emu.url}/_emulator/catalog/summary`)).json();
    expect(summaryOverHttp).toEqual(JSON.parse(JSON.stringify(summary())));
    expect(summaryOverHttp.playlists.editorial.map((p: { id: string }) => p.id)).toContain(
      '37i9dQZEVXbNG2KDcFcKOF',
    );
  });
});

describe('Emulator.fetch (in process)', () => {
  it('answers like the HTTP server, without a socket, whatever the host in the URL', async () => {
    const id = emu.world.trackIds[0]!;
    const overHttp = await get(emu, `/tracks/${id}`, app);
    const res = await emu.fetch(`https://api.spotify.com/v1/tracks/${id}`, {
      headers: { authorization: `Bearer ${app}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(overHttp.body);
  });

  it('serves the accounts endpoints too, returning redirects instead of following them', async () => {
    const token = await emu.fetch(`${emu.url}/api/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'tunelake-demo',
        client_secret: 'tunelake-demo-secret',
      }),
    });
    expect((await token.json()).token_type).toBe('Bearer');
    const redirect = await emu.fetch(
      `${emu.url}/authorize?client_id=tunelake-demo&response_type=code&redirect_uri=${encodeURIComponent('http://127.0.0.1:5555/cb')}`,
    );
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toMatch(/^http:\/\/127\.0\.0\.1:5555\/cb\?code=/);
  });
});

describe('Emulator.create(options)', () => {
  it('gives byte-identical responses for the same seed, scale and day (up to the base URL)', async () => {
    const a = await Emulator.create({ seed: 7, day: 2 });
    const b = await Emulator.create({ seed: 7 });
    try {
      b.advanceDay(2);
      const id = summaryOf(a).playlists.owned[0]!.id;
      const [ta, tb] = await Promise.all([userToken(a), userToken(b)]);
      const bodyA = await (
        await a.fetch(`${a.apiUrl}/playlists/${id}`, { headers: { authorization: `Bearer ${ta}` } })
      ).text();
      const bodyB = await (
        await b.fetch(`${b.apiUrl}/playlists/${id}`, { headers: { authorization: `Bearer ${tb}` } })
      ).text();
      expect(bodyA.replaceAll(a.url, 'BASE')).toBe(bodyB.replaceAll(b.url, 'BASE'));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('rejects bad options with INVALID_ARGUMENT naming each of them', async () => {
    await expect(Emulator.create({ scale: 0, day: -1, tier: 'nope' as 'extended' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/tier.*scale.*day/),
    });
  });
});

function summaryOf(e: Emulator) {
  return worldSummary(e.world);
}
