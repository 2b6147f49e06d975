import { describe, expect, it } from 'vitest';
import { createRandom, deriveSeed } from './random.js';
import {
  advanceWorld,
  catalogDigest,
  createWorld,
  DAY_MS,
  DEMO_USER_ID,
  dayStartMs,
  EDITORIAL_ID_PREFIX,
  EPOCH_MS,
  popularityAt,
  TOP_50_GLOBAL_ID,
  type World,
  worldNowMs,
  worldSummary,
} from './world.js';

const ID = /^[0-9A-Za-z]{22}$/;

function playlists(world: World) {
  return world.playlistIds.map((id) => world.playlists.get(id)!);
}

describe('createRandom(seed)', () => {
  it('repeats for the same seed and differs for another', () => {
    const draw = (seed: number) => {
      const rng = createRandom(seed);
      return [rng.next(), rng.int(1, 6), rng.base62(22)];
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    expect(deriveSeed(42, 'day', 1)).not.toBe(deriveSeed(42, 'day', 2));
  });

  it('keeps int() within its inclusive bounds and base62() to the id alphabet', () => {
    const rng = createRandom(1);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(rng.int(3, 5));
    expect([...seen].sort()).toEqual([3, 4, 5]);
    expect(rng.base62(22)).toMatch(ID);
  });
});

describe('createWorld({ seed, scale, day })', () => {
  const base = createWorld({ seed: 42, scale: 1, day: 0 });

  it('is deterministic: the same seed gives the same ids and the same digest', () => {
    const again = createWorld({ seed: 42, scale: 1, day: 0 });
    expect(again.trackIds).toEqual(base.trackIds);
    expect(again.playlistIds).toEqual(base.playlistIds);
    expect(catalogDigest(again)).toBe(catalogDigest(base));
    const other = createWorld({ seed: 43, scale: 1, day: 0 });
    expect(other.trackIds[0]).not.toBe(base.trackIds[0]);
    expect(catalogDigest(other)).not.toBe(catalogDigest(base));
  });

  it('generates the scale-1 world the brief describes', () => {
    expect(base.artists.size).toBe(60);
    expect(base.albums.size).toBeGreaterThan(120);
    expect(base.users.size).toBeGreaterThanOrEqual(12);
    expect(base.playlists.size).toBe(25);
    for (const id of [...base.artistIds, ...base.albumIds, ...base.trackIds, ...base.playlistIds])
      expect(id).toMatch(ID);
    const all = playlists(base);
    const editorial = all.filter((p) => p.editorial);
    expect(editorial.length).toBe(5);
    expect(editorial.every((p) => p.id.startsWith(EDITORIAL_ID_PREFIX) && p.ownerId === 'spotify')).toBe(
      true,
    );
    expect(base.playlists.get(TOP_50_GLOBAL_ID)!.name).toBe('Top 50 - Global');
    expect(base.playlists.get(TOP_50_GLOBAL_ID)!.entries).toHaveLength(50);
    expect(all.filter((p) => p.ownerId === DEMO_USER_ID).length).toBeGreaterThanOrEqual(3);
    expect(
      all.some(
        (p) => p.collaborative && p.ownerId !== DEMO_USER_ID && p.collaborators.includes(DEMO_USER_ID),
      ),
    ).toBe(true);
    const sizes = all.map((p) => p.entries.length);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(5);
    expect(Math.max(...sizes)).toBeGreaterThan(100);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(220);
    const entries = all.flatMap((p) => p.entries);
    expect(entries.filter((e) => e.kind === 'local').length).toBeGreaterThanOrEqual(2);
    expect(entries.filter((e) => e.kind === 'episode').length).toBeGreaterThanOrEqual(1);
    expect(entries.filter((e) => e.kind === 'unavailable').length).toBeGreaterThanOrEqual(2);
    expect(entries.some((e) => e.addedBy === null)).toBe(true);
  });

  it('makes realistic records: ISRC, UPC, release-date precisions, featured artists, unicode and commas', () => {
    const tracks = base.trackIds.map((id) => base.tracks.get(id)!);
    const albums = base.albumIds.map((id) => base.albums.get(id)!);
    for (const t of tracks) {
      expect(t.isrc).toMatch(/^[A-Z]{2}[A-Z0-9]{3}\d{2}\d{5}$/);
      expect(t.trackNumber).toBeGreaterThanOrEqual(1);
    }
    for (const a of albums) {
      expect(a.upc).toMatch(/^\d{12,13}$/);
      expect(a.trackIds.length).toBeGreaterThanOrEqual(1);
      expect(a.trackIds.length).toBeLessThanOrEqual(14);
      const pattern = { year: /^\d{4}$/, month: /^\d{4}-\d{2}$/, day: /^\d{4}-\d{2}-\d{2}$/ }[
        a.releaseDatePrecision
      ];
      expect(a.releaseDate).toMatch(pattern);
    }
    expect(new Set(albums.map((a) => a.releaseDatePrecision)).size).toBeGreaterThanOrEqual(2);
    expect(new Set(albums.map((a) => a.albumType))).toEqual(new Set(['album', 'single', 'compilation']));
    expect(tracks.some((t) => t.artistIds.length > 1)).toBe(true);
    const names = base.artistIds.map((id) => base.artists.get(id)!.name);
    expect(names.some((n) => n.includes(','))).toBe(true);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching anything outside ASCII on purpose
    expect(names.some((n) => /[^\u0000-\u007f]/.test(n))).toBe(true);
  });

  it('keeps the listening history on the simulated clock, strictly increasing, ending within day 0', () => {
    const plays = base.plays;
    expect(plays.length).toBeGreaterThan(1000);
    for (let i = 1; i < plays.length; i++) expect(plays[i]!.playedAt).toBeGreaterThan(plays[i - 1]!.playedAt);
    expect(plays[plays.length - 1]!.playedAt).toBeLessThanOrEqual(worldNowMs(base));
    expect(plays[plays.length - 1]!.playedAt).toBeGreaterThanOrEqual(EPOCH_MS);
    expect(base.savedTracks.every((s) => s.addedAt < EPOCH_MS)).toBe(true);
    expect(plays.some((p) => p.context === null)).toBe(true);
    expect(new Set(plays.map((p) => p.context?.type))).toEqual(
      new Set(['playlist', 'album', 'artist', undefined]),
    );
  });

  it('reaches the same day-N world whether started there or advanced to it in steps', () => {
    const direct = createWorld({ seed: 42, scale: 1, day: 9 });
    const stepped = createWorld({ seed: 42, scale: 1, day: 0 });
    advanceWorld(stepped, 4);
    advanceWorld(stepped, 1);
    advanceWorld(stepped, 4);
    expect(stepped.day).toBe(9);
    expect(catalogDigest(stepped)).toBe(catalogDigest(direct));
    expect(worldSummary(stepped)).toEqual(worldSummary(direct));
  });

  it('generates scale 50 with 50 times the artists and playlists', () => {
    const big = createWorld({ seed: 42, scale: 50, day: 0 });
    expect(big.artists.size).toBe(3000);
    expect(big.playlists.size).toBe(1250);
    expect(big.tracks.size).toBeGreaterThan(40_000);
  });
});

describe('advanceWorld(world, days)', () => {
  it('changes a snapshot_id exactly when that playlist changed, and keeps the others', () => {
    const world = createWorld({ seed: 42, scale: 1, day: 0 });
    let changed = 0;
    let unchanged = 0;
    for (let day = 1; day <= 6; day++) {
      const before = new Map(
        playlists(world).map((p) => [p.id, { snapshot: p.snapshotId, content: JSON.stringify(p.entries) }]),
      );
      advanceWorld(world, 1);
      for (const p of playlists(world)) {
        const old = before.get(p.id)!;
        const contentChanged = JSON.stringify(p.entries) !== old.content;
        expect(p.snapshotId !== old.snapshot, `${p.id} on day ${day}`).toBe(contentChanged);
        if (contentChanged) changed++;
        else unchanged++;
      }
    }
    expect(changed).toBeGreaterThan(0);
    expect(unchanged).toBeGreaterThan(0);
  });

  it('releases new albums dated the new day, and dates new playlist rows and plays within it', () => {
    const world = createWorld({ seed: 42, scale: 1, day: 0 });
    const albumsBefore = new Set(world.albumIds);
    const playsBefore = world.plays.length;
    const rowsBefore = new Set(
      playlists(world).flatMap((p) => p.entries.map((e) => `${p.id}|${e.ref}|${e.addedAt}`)),
    );
    advanceWorld(world, 1);
    const fresh = world.albumIds.filter((id) => !albumsBefore.has(id)).map((id) => world.albums.get(id)!);
    expect(fresh.length).toBeGreaterThanOrEqual(1);
    for (const album of fresh) {
      expect(album.releaseDate).toBe('2026-11-02');
      expect(album.releaseDay).toBe(1);
    }
    const dayStart = dayStartMs(1);
    const newRows = playlists(world).flatMap((p) =>
      p.entries.filter((e) => !rowsBefore.has(`${p.id}|${e.ref}|${e.addedAt}`)),
    );
    expect(newRows.length).toBeGreaterThan(0);
    for (const row of newRows) {
      expect(row.addedAt).toBeGreaterThanOrEqual(dayStart);
      expect(row.addedAt).toBeLessThan(dayStart + DAY_MS);
    }
    const newPlays = world.plays.slice(playsBefore);
    expect(newPlays.length).toBeGreaterThan(0);
    for (const play of newPlays) {
      expect(play.playedAt).toBeGreaterThanOrEqual(dayStart);
      expect(play.playedAt).toBeLessThan(dayStart + DAY_MS);
    }
  });
});

describe('popularityAt(base, key, day)', () => {
  it('drifts a few points, stays within 0..100, and is a pure function of its inputs', () => {
    const values = Array.from({ length: 60 }, (_, day) => popularityAt(50, 'track-x', day));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(45);
    expect(Math.max(...values)).toBeLessThanOrEqual(55);
    expect(new Set(values).size).toBeGreaterThan(1);
    expect(popularityAt(50, 'track-x', 17)).toBe(values[17]);
    expect(popularityAt(99, 'y', 3)).toBeLessThanOrEqual(100);
    expect(popularityAt(1, 'y', 3)).toBeGreaterThanOrEqual(0);
  });
});
