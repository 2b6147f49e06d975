import { describe, expect, it } from 'vitest';
import { finalReads, TABLES } from './tables.js';
import { changedTables } from './transform.js';

const ALL = TABLES.map((t) => t.name);
const previous = new Set(ALL);

describe('finalReads(name)', () => {
  it('names the tables a final stage reads, finished or as passed rows', () => {
    expect(finalReads('listens').sort()).toEqual(['plays', 'streams', 'tracks']);
    expect(finalReads('playlist_items')).toEqual(['playlists']);
    expect(finalReads('releases')).toEqual(['albums']);
    expect(finalReads('tracks')).toEqual([]);
  });
});

describe('changedTables(fresh, previous)', () => {
  it('rebuilds every table on a full rebuild', () => {
    const { changed, needed } = changedTables(new Map(), undefined);
    expect([...changed]).toEqual(ALL);
    expect([...needed]).toEqual(ALL);
  });

  it('rebuilds nothing when the runs read brought no row', () => {
    const { changed, needed } = changedTables(new Map(ALL.map((t) => [t, 0])), previous);
    expect(changed.size).toBe(0);
    expect(needed.size).toBe(0);
  });

  it('rebuilds the tables that read a changed one, and builds unwritten what a rebuilt table reads', () => {
    const { changed, needed } = changedTables(new Map([['plays', 3]]), previous);
    expect([...changed].sort()).toEqual(['listens', 'plays']);
    // listens reads tracks and streams: built, not written.
    expect([...needed].sort()).toEqual(['listens', 'plays', 'streams', 'tracks']);
  });

  it('rebuilds the dependents of a dimension: playlist items follow playlists', () => {
    const { changed } = changedTables(new Map([['playlists', 1]]), previous);
    expect([...changed].sort()).toEqual(['playlist_items', 'playlists']);
    const tracks = changedTables(new Map([['tracks', 1]]), previous).changed;
    expect([...tracks].sort()).toEqual(['listens', 'track_artists', 'track_snapshots', 'tracks']);
  });

  it('rebuilds a table the previous state does not hold', () => {
    const { changed } = changedTables(new Map(), new Set(ALL.filter((t) => t !== 'releases')));
    expect([...changed]).toEqual(['releases']);
  });
});
