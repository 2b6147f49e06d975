// Random raw runs for the incremental-equals-full property test (incremental.test.ts): a small world
// of tracks, albums, artists and playlists that changes from run to run, landed the way extract
// lands it. Seeded, so a failing sequence replays from its seed. What it varies is what the tables'
// merge rules depend on: several runs a day, a run dated before the latest day, runs that never
// committed, renamed tracks, a tier that stops sending popularity, ties on fetched_at, playlists
// whose items change, stay, revert or cannot be read, plays that land twice, streams imported twice,
// and records the quarantine takes.
import type { FixtureRun } from './fixture-lake.js';

type Line = { context: Record<string, unknown>; data: unknown };

export interface RandomRun {
  run: FixtureRun;
  datasets: Record<string, Line[]>;
}

/** mulberry32: a small seeded PRNG. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const id = (prefix: string, n: number) => `${prefix}${n}`.padEnd(22, '0');
const TRACKS = 14;
const ALBUMS = 5;
const ARTISTS = 6;
const PLAYLISTS = 3;

/** `days` runs (some on the same day, one maybe dated earlier, some uncommitted), in landing order. */
export function randomRuns(seed: number, days: number): RandomRun[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const chance = (p: number) => random() < p;
  const snapshots = Array.from({ length: PLAYLISTS }, () => 0);
  const runs: RandomRun[] = [];
  let day = 0;
  for (let i = 0; i < days; i++) {
    // Mostly a new day; sometimes a second run the same day; rarely a run dated a day earlier.
    if (i > 0 && !chance(0.3)) day++;
    const runDay = i > 2 && chance(0.1) ? Math.max(0, day - 1) : day;
    const dt = `2026-11-${String(runDay + 1).padStart(2, '0')}`;
    const hour = String((6 + i) % 24).padStart(2, '0');
    const runId = `${dt.replace(/-/g, '')}T${hour}0000Z-${Math.floor(random() * 36 ** 6)
      .toString(36)
      .padStart(6, '0')}`;
    const tier = chance(0.5) ? 'extended' : 'development';
    const base = Date.parse(`${dt}T${hour}:00:00.000Z`);
    // Ties on fetched_at happen: several records of a run share a timestamp.
    const fetched = () => new Date(base + Math.floor(random() * 4) * 1000).toISOString();
    const ctx = (extra: Record<string, unknown> = {}) => ({ fetched_at: fetched(), run_id: runId, ...extra });

    const artistRef = (n: number) => ({
      id: id('ar', n),
      name: `Artist ${n}`,
      uri: `spotify:artist:${id('ar', n)}`,
    });
    const album = (n: number, full: boolean) => ({
      id: id('al', n),
      name: chance(0.2) ? `Album ${n} (remaster)` : `Album ${n}`,
      type: 'album',
      uri: `spotify:album:${id('al', n)}`,
      album_type: pick(['album', 'single', 'compilation']),
      total_tracks: 3 + (n % 4),
      release_date: pick(['2024', '2024-05', '2024-05-17']),
      release_date_precision: chance(0.5) ? undefined : null,
      images: [{ url: `https://i.example/${n}` }],
      artists: [artistRef(n % ARTISTS)],
      ...(full ? { label: pick(['Label A', 'Label B']), popularity: Math.floor(random() * 100) } : {}),
    });
    const track = (n: number, full: boolean) => ({
      id: id('tr', n),
      name: chance(0.15) ? `Track ${n} (edit)` : `Track ${n}`,
      type: 'track',
      uri: `spotify:track:${id('tr', n)}`,
      duration_ms: 180_000 + n * 1000,
      explicit: n % 3 === 0,
      disc_number: 1,
      track_number: 1 + (n % 5),
      artists: [artistRef(n % ARTISTS), ...(n % 4 === 0 ? [artistRef((n + 1) % ARTISTS)] : [])],
      ...(full
        ? {
            album: album(n % ALBUMS, false),
            external_ids: { isrc: `ISRC${n}` },
            ...(tier === 'extended' ? { popularity: Math.floor(random() * 100) } : {}),
          }
        : {}),
    });

    const datasets: Record<string, Line[]> = {};
    const add = (name: string, line: Line) => {
      datasets[name] ??= [];
      datasets[name].push(line);
    };
    for (let p = 0; p < PLAYLISTS; p++) {
      const playlistId = id('pl', p);
      const r = random();
      // Items change, revert to an earlier snapshot, or stay.
      if (r < 0.35) snapshots[p] = i + 1;
      else if (r < 0.45 && snapshots[p]! > 0) snapshots[p] = snapshots[p]! - 1;
      const snapshotId = `snap${p}-${snapshots[p]}`;
      const readable = p !== 2 || tier === 'extended';
      add('playlists', {
        context: ctx({ playlist_id: playlistId }),
        data: {
          id: playlistId,
          name: `Playlist ${p}`,
          uri: `spotify:playlist:${playlistId}`,
          owner: { id: 'me', display_name: 'Me' },
          collaborative: false,
          public: chance(0.5),
          snapshot_id: snapshotId,
          followers: { total: Math.floor(random() * 50) },
          items: { total: readable ? 4 : null },
        },
      });
      // Extract lands the items when the snapshot changed, and sometimes cannot.
      // A revert lands only now and then here: that day then needs the items archived earlier.
      const landed = r < 0.35 ? !chance(0.1) : r < 0.45 ? chance(0.5) : chance(0.15);
      if (readable && landed) {
        const count = 2 + Math.floor(random() * 4);
        for (let position = 0; position < count; position++) {
          const kind = random();
          const item =
            kind < 0.06
              ? null
              : kind < 0.1
                ? {
                    id: id('ep', 1),
                    name: 'Episode 1',
                    type: 'episode',
                    uri: `spotify:episode:${id('ep', 1)}`,
                    duration_ms: 60_000,
                    show: { id: id('sh', 1), name: 'Show' },
                  }
                : kind < 0.14
                  ? { name: 'Local song', type: 'track', uri: 'spotify:local:a:b:song:1', is_local: true }
                  : track(Math.floor(random() * TRACKS), true);
          const line: Line = {
            context: ctx({ playlist_id: playlistId, snapshot_id: snapshotId, position }),
            data: {
              added_at: chance(0.05) ? 'yesterday' : `${dt}T01:00:00Z`,
              added_by: { id: 'me' },
              is_local: false,
              item,
            },
          };
          add('playlist_items', line);
          if (chance(0.05)) add('playlist_items', line); // landed twice (a retried page)
        }
      }
    }
    for (let n = 0; n < 3; n++)
      add('tracks', { context: ctx(), data: track(Math.floor(random() * TRACKS), true) });
    const albumN = Math.floor(random() * ALBUMS);
    add('album_tracks', {
      context: ctx({ album_id: id('al', albumN) }),
      data: track(albumN + ALBUMS, false),
    });
    add('albums', { context: ctx({ album_id: id('al', albumN) }), data: album(albumN, true) });
    const watched = Math.floor(random() * ARTISTS);
    add('artist_albums', {
      context: ctx({ artist_id: id('ar', watched) }),
      data: { ...album(watched % ALBUMS, false), album_group: pick(['album', 'single', 'appears_on']) },
    });
    if (chance(0.5)) {
      add('search_results', {
        context: ctx({ q: 'tag:new', type: 'album', rank: 0 }),
        data: album(Math.floor(random() * ALBUMS), false),
      });
    }
    for (let n = 0; n < 2; n++) {
      const a = Math.floor(random() * ARTISTS);
      add('artists', {
        context: ctx({ artist_id: id('ar', a) }),
        data: {
          ...artistRef(a),
          genres: [pick(['rock', 'jazz'])],
          ...(tier === 'extended'
            ? { followers: { total: 1000 + a }, popularity: chance(0.1) ? 300 : 40 + a }
            : {}),
        },
      });
    }
    // Recently played overlaps the previous run's: the same plays land again.
    for (let n = 0; n < 3; n++) {
      const minutes = Math.floor(random() * 36) * 60;
      add('recently_played', {
        context: ctx(),
        data: {
          played_at: new Date(base - minutes * 60_000).toISOString(),
          context: chance(0.5) ? { type: 'playlist', uri: `spotify:playlist:${id('pl', 0)}` } : null,
          track: track(Math.floor(random() * TRACKS), true),
        },
      });
    }
    for (const [kind, n] of [
      ['tracks', Math.floor(random() * TRACKS)],
      ['artists', Math.floor(random() * ARTISTS)],
    ] as const) {
      for (let rank = 1; rank <= 2; rank++) {
        add('top_items', {
          context: ctx({ kind, time_range: pick(['short_term', 'long_term']), rank }),
          data:
            kind === 'tracks'
              ? track((n + rank) % TRACKS, true)
              : { ...artistRef((n + rank) % ARTISTS), genres: [] },
        });
      }
    }
    // Now and then an import of streaming history, overlapping earlier imports.
    if (chance(0.3)) {
      for (let n = 0; n < 3; n++) {
        const k = Math.floor(random() * 6);
        const ts = new Date(Date.parse('2026-10-01T00:00:00Z') + k * 86_400_000 * 9)
          .toISOString()
          .replace(/\.\d{3}/, '');
        add('streaming_history', {
          context: ctx({
            file: `Streaming_History_Audio_${i}.json`,
            index: n,
            format: 'extended',
            stream_key: `k${k}`,
          }),
          data: {
            ts,
            ms_played: 1000 * k,
            platform: 'android',
            master_metadata_track_name: `Track ${k}`,
            spotify_track_uri: `spotify:track:${id('tr', k)}`,
          },
        });
      }
    }
    runs.push({ run: { runId, dt, tier, committed: !chance(0.1) }, datasets });
  }
  return runs;
}
