// The golden dataset of the insight tests: a tiny lake small enough to compute every insight by hand
// (expected.ts). Tables have exactly the columns and types the transform writes (TABLE_SCHEMAS, checked
// against a real pipeline run in src/insights/e2e.test.ts); a column a row leaves out is NULL.
//
// The story:
// - Artists Alma (ar_a), Bruno (ar_b), Cleo (ar_c), Dax (ar_d, featured on t2 only) and Eve (ar_e).
// - Two watched playlists. pl_x "Morning Mix" is observed on four days: 2026-11-01 (D1), 11-02 (D2),
//   11-08 (D3 = D1 + 7) and 12-01 (D4 = D1 + 30). pl_y "Night Shift" only on D1 and D3 (a gap), and
//   holds a local file, an episode and t4 twice.
// - Nine plays across two ISO weeks (from Monday 10-26 and 11-02) and two months, one of a track the lake
//   knows nothing about (tX).
// - Top lists fetched on D1; artist snapshots on D1, D2, D3, D4 (Alma) and D1, D3 (Bruno); track
//   snapshots of t3 and t5.
// - Items carry added_at / added_by (curators ana and ben on pl_x, cara on pl_y); albums carry labels
//   (extended tier). t7 (Bruno featuring Alma) is in no playlist and never played: a collaboration.
import type { FixtureRow, FixtureTableSchema } from '../../../src/insights/test-support/fixture-lake.js';

const V = 'VARCHAR';
const TS = 'TIMESTAMP';
const SEEN: Array<[string, string]> = [
  ['first_seen_at', TS],
  ['last_seen_at', TS],
];

export const TABLE_SCHEMAS: Record<string, FixtureTableSchema> = {
  tracks: {
    columns: [
      ['id', V],
      ['name', V],
      ['album_id', V],
      ['artist_ids', 'VARCHAR[]'],
      ['duration_ms', 'BIGINT'],
      ['explicit', 'BOOLEAN'],
      ['disc_number', 'INTEGER'],
      ['track_number', 'INTEGER'],
      ['isrc', V],
      ['popularity', 'INTEGER'],
      ['is_local', 'BOOLEAN'],
      ['url', V],
      ['uri', V],
      ...SEEN,
    ],
  },
  albums: {
    columns: [
      ['id', V],
      ['name', V],
      ['album_type', V],
      ['total_tracks', 'INTEGER'],
      ['release_date', V],
      ['release_date_precision', V],
      ['release_date_start', 'DATE'],
      ['label', V],
      ['upc', V],
      ['popularity', 'INTEGER'],
      ['image_url', V],
      ['artist_ids', 'VARCHAR[]'],
      ['url', V],
      ['uri', V],
      ...SEEN,
    ],
  },
  artists: {
    columns: [
      ['id', V],
      ['name', V],
      ['genres', 'VARCHAR[]'],
      ['followers', 'BIGINT'],
      ['popularity', 'INTEGER'],
      ['image_url', V],
      ['url', V],
      ['uri', V],
      ...SEEN,
    ],
  },
  track_artists: {
    columns: [
      ['track_id', V],
      ['position', 'INTEGER'],
      ['artist_id', V],
    ],
  },
  episodes: {
    columns: [
      ['id', V],
      ['name', V],
      ['show_id', V],
      ['show_name', V],
      ['duration_ms', 'BIGINT'],
      ['explicit', 'BOOLEAN'],
      ['release_date', V],
      ['release_date_precision', V],
      ['release_date_start', 'DATE'],
      ['language', V],
      ['url', V],
      ['uri', V],
      ...SEEN,
    ],
  },
  playlists: {
    columns: [
      ['id', V],
      ['name', V],
      ['description', V],
      ['owner_id', V],
      ['owner_name', V],
      ['collaborative', 'BOOLEAN'],
      ['public', 'BOOLEAN'],
      ['snapshot_id', V],
      ['followers', 'BIGINT'],
      ['total', 'INTEGER'],
      ['image_url', V],
      ['url', V],
      ['uri', V],
      ...SEEN,
    ],
  },
  playlist_items: {
    columns: [
      ['playlist_id', V],
      ['position', 'INTEGER'],
      ['item_type', V],
      ['track_id', V],
      ['episode_id', V],
      ['item_name', V],
      ['item_uri', V],
      ['added_at', TS],
      ['added_by', V],
      ['is_local', 'BOOLEAN'],
      ['snapshot_id', V],
    ],
    partitionKey: 'snapshot_date',
  },
  plays: {
    columns: [
      ['played_at', TS],
      ['track_id', V],
      ['context_type', V],
      ['context_uri', V],
    ],
    partitionKey: 'played_date',
  },
  // Imported streaming history (src/import/, tables/streams.sql) and the merged timeline (tables/listens.sql).
  streams: {
    columns: [
      ['ended_at', TS],
      ['started_at', TS],
      ['ms_played', 'BIGINT'],
      ['item_type', V],
      ['track_id', V],
      ['track_uri', V],
      ['track_name', V],
      ['artist_name', V],
      ['album_name', V],
      ['episode_id', V],
      ['episode_uri', V],
      ['episode_name', V],
      ['show_name', V],
      ['audiobook_uri', V],
      ['audiobook_title', V],
      ['audiobook_chapter_uri', V],
      ['audiobook_chapter_title', V],
      ['platform', V],
      ['platform_family', V],
      ['country', V],
      ['reason_start', V],
      ['reason_end', V],
      ['shuffle', 'BOOLEAN'],
      ['skipped', 'BOOLEAN'],
      ['offline', 'BOOLEAN'],
      ['offline_timestamp', 'BIGINT'],
      ['incognito', 'BOOLEAN'],
      ['user_pseudonym', V],
      ['ip_pseudonym', V],
      ['user_agent_pseudonym', V],
      ['extra_fields', V],
      ['source', V],
      ['stream_key', V],
      ['source_file', V],
      ['source_index', 'BIGINT'],
    ],
    partitionKey: 'ended_month',
  },
  listens: {
    columns: [
      ['listen_id', V],
      ['listened_at', TS],
      ['started_at', TS],
      ['ms_played', 'BIGINT'],
      ['item_type', V],
      ['track_id', V],
      ['episode_id', V],
      ['track_name', V],
      ['artist_name', V],
      ['album_name', V],
      ['episode_name', V],
      ['show_name', V],
      ['skipped', 'BOOLEAN'],
      ['reason_start', V],
      ['reason_end', V],
      ['shuffle', 'BOOLEAN'],
      ['platform_family', V],
      ['country', V],
      ['played_at', TS],
      ['context_type', V],
      ['context_uri', V],
      ['stream_key', V],
      ['source', V],
    ],
  },
  top_items: {
    columns: [
      ['kind', V],
      ['time_range', V],
      ['rank', 'INTEGER'],
      ['id', V],
      ['name', V],
    ],
    partitionKey: 'snapshot_date',
  },
  artist_snapshots: {
    columns: [
      ['artist_id', V],
      ['popularity', 'INTEGER'],
      ['followers', 'BIGINT'],
    ],
    partitionKey: 'snapshot_date',
  },
  track_snapshots: {
    columns: [
      ['track_id', V],
      ['popularity', 'INTEGER'],
    ],
    partitionKey: 'snapshot_date',
  },
  releases: {
    columns: [
      ['album_id', V],
      ['artist_id', V],
      ['source', V],
      ['query', V],
      ['album_name', V],
      ['album_type', V],
      ['album_group', V],
      ['release_date', V],
      ['release_date_precision', V],
      ['release_date_start', 'DATE'],
      ['first_seen_date', 'DATE'],
      ['first_seen_at', TS],
      ['days_after_release', 'INTEGER'],
    ],
  },
};

const D1 = '2026-11-01';
const D2 = '2026-11-02';
const D3 = '2026-11-08';
const D4 = '2026-12-01';

/**
 * When and by whom each track was added to pl_x (the same on every day it is listed). Update days:
 * Fri 06-05, Fri 10-23, Mon 11-02. t5 was added before its release (11-05): a pre-save.
 */
const ADDED_X: Record<string, FixtureRow> = {
  t1: { added_at: '2026-06-05 09:00:00', added_by: 'ana' },
  t2: { added_at: '2026-06-05 09:00:00', added_by: 'ana' },
  t3: { added_at: '2026-10-23 09:00:00', added_by: 'ana' },
  t4: { added_at: '2026-06-05 09:00:00', added_by: 'ana' },
  t5: { added_at: '2026-11-02 07:00:00', added_by: 'ben' },
};

/** A playlist's items on a day, from a list of tracks (or other items) in position order. */
function items(playlistId: string, day: string, entries: Array<string | FixtureRow>): FixtureRow[] {
  return entries.map((entry, position) => ({
    playlist_id: playlistId,
    position,
    ...(typeof entry === 'string'
      ? { item_type: 'track', track_id: entry, ...(playlistId === 'pl_x' ? ADDED_X[entry] : {}) }
      : entry),
    snapshot_id: `${playlistId}-${day}`,
    snapshot_date: day,
  }));
}

/** A track of pl_y with when and by whom it was added (added_by absent: null, as on old playlists). */
function trackY(trackId: string, addedAt: string, addedBy: string | null): FixtureRow {
  return { item_type: 'track', track_id: trackId, added_at: addedAt, added_by: addedBy };
}

// pl_y's update days: Fri 04-10, Fri 10-16, Thu 11-05 (the episode), all by cara.
const LOCAL_FILE: FixtureRow = {
  item_type: 'local',
  item_name: 'demo tape.mp3',
  is_local: true,
  added_at: '2026-04-10 20:00:00',
  added_by: 'cara',
};
const EPISODE: FixtureRow = {
  item_type: 'episode',
  episode_id: 'ep1',
  added_at: '2026-11-05 20:00:00',
  added_by: 'cara',
};

export const DATASET: Record<string, FixtureRow[]> = {
  artists: [
    // as_of_date of discography_cadence is the latest last_seen_at: 2026-12-01.
    { id: 'ar_a', name: 'Alma', last_seen_at: '2026-12-01 08:00:00' },
    { id: 'ar_b', name: 'Bruno', last_seen_at: '2026-11-30 08:00:00' },
    { id: 'ar_c', name: 'Cleo', last_seen_at: '2026-11-08 08:00:00' },
    { id: 'ar_d', name: 'Dax', last_seen_at: '2026-11-08 08:00:00' },
    { id: 'ar_e', name: 'Eve', last_seen_at: '2026-11-08 08:00:00' },
  ],
  albums: [
    {
      id: 'al_1',
      name: 'First Light',
      album_type: 'album',
      release_date: '2020-01-15',
      release_date_precision: 'day',
      release_date_start: '2020-01-15',
      label: 'North Records',
      total_tracks: 10,
      artist_ids: ['ar_a'],
    },
    {
      id: 'al_2',
      name: 'Second Wind',
      album_type: 'single',
      release_date: '2026-10-20',
      release_date_precision: 'day',
      release_date_start: '2026-10-20',
      label: 'North Records',
      total_tracks: 2,
      artist_ids: ['ar_b'],
    },
    {
      id: 'al_3',
      name: 'Old Gold',
      album_type: 'album',
      release_date: '1999',
      release_date_precision: 'year',
      release_date_start: '1999-01-01',
      label: 'Gold Vault',
      total_tracks: 12,
      artist_ids: ['ar_c'],
    },
    {
      id: 'al_4',
      name: 'Fresh Cut',
      album_type: 'single',
      release_date: '2026-11-05',
      release_date_precision: 'day',
      release_date_start: '2026-11-05',
      label: 'Indie Co',
      total_tracks: 1,
      artist_ids: ['ar_e'],
    },
    // Spotify's "0000" placeholder: no usable date.
    {
      id: 'al_5',
      name: 'Lost Tapes',
      album_type: 'album',
      release_date: '0000',
      release_date_precision: 'year',
      release_date_start: null,
      label: 'Gold Vault',
      total_tracks: 8,
      artist_ids: ['ar_c'],
    },
    {
      id: 'al_6',
      name: 'Early Days',
      album_type: 'single',
      release_date: '2018-03-10',
      release_date_precision: 'day',
      release_date_start: '2018-03-10',
      artist_ids: ['ar_a'],
    },
    {
      id: 'al_7',
      name: 'B-Sides',
      album_type: 'compilation',
      release_date: '2025-12-01',
      release_date_precision: 'day',
      release_date_start: '2025-12-01',
      artist_ids: ['ar_b'],
    },
    {
      id: 'al_8',
      name: 'Guest Spot',
      album_type: 'album',
      release_date: '2026-06-01',
      release_date_precision: 'day',
      release_date_start: '2026-06-01',
      artist_ids: ['ar_x'],
    },
  ],
  tracks: [
    { id: 't1', name: 'One', album_id: 'al_1', artist_ids: ['ar_a'], duration_ms: 200000, explicit: false },
    {
      id: 't2',
      name: 'Two',
      album_id: 'al_1',
      artist_ids: ['ar_a', 'ar_d'],
      duration_ms: 180000,
      explicit: true,
    },
    { id: 't3', name: 'Three', album_id: 'al_2', artist_ids: ['ar_b'], duration_ms: 240000, explicit: false },
    { id: 't4', name: 'Four', album_id: 'al_3', artist_ids: ['ar_c'], duration_ms: 300000, explicit: true },
    { id: 't5', name: 'Five', album_id: 'al_4', artist_ids: ['ar_e'], duration_ms: 150000, explicit: false },
    { id: 't6', name: 'Six', album_id: 'al_5', artist_ids: ['ar_c'], duration_ms: 210000, explicit: false },
    // Bruno featuring Alma, on his single: in no playlist and never played (collaborations only).
    {
      id: 't7',
      name: 'Seven',
      album_id: 'al_2',
      artist_ids: ['ar_b', 'ar_a'],
      duration_ms: 190000,
      explicit: false,
    },
  ],
  track_artists: [
    { track_id: 't1', position: 0, artist_id: 'ar_a' },
    { track_id: 't2', position: 0, artist_id: 'ar_a' },
    { track_id: 't2', position: 1, artist_id: 'ar_d' },
    { track_id: 't3', position: 0, artist_id: 'ar_b' },
    { track_id: 't4', position: 0, artist_id: 'ar_c' },
    { track_id: 't5', position: 0, artist_id: 'ar_e' },
    { track_id: 't6', position: 0, artist_id: 'ar_c' },
    { track_id: 't7', position: 0, artist_id: 'ar_b' },
    { track_id: 't7', position: 1, artist_id: 'ar_a' },
  ],
  episodes: [
    {
      id: 'ep1',
      name: 'Pod One',
      show_id: 'sh1',
      show_name: 'The Show',
      duration_ms: 1800000,
      explicit: true,
    },
  ],
  playlists: [
    { id: 'pl_x', name: 'Morning Mix', owner_id: 'me' },
    { id: 'pl_y', name: 'Night Shift', owner_id: 'me' },
  ],
  playlist_items: [
    ...items('pl_x', D1, ['t1', 't2', 't3', 't4']),
    ...items('pl_x', D2, ['t3', 't1', 't2', 't5']),
    ...items('pl_x', D3, ['t3', 't1', 't2', 't5']),
    ...items('pl_x', D4, ['t5', 't3', 't1']),
    ...items('pl_y', D1, [
      trackY('t4', '2026-04-10 20:00:00', 'cara'),
      LOCAL_FILE,
      trackY('t6', '2026-10-16 20:00:00', 'cara'),
      trackY('t4', '2026-10-16 20:00:00', null),
    ]),
    ...items('pl_y', D3, [
      trackY('t6', '2026-10-16 20:00:00', 'cara'),
      EPISODE,
      trackY('t4', '2026-04-10 20:00:00', 'cara'),
    ]),
  ],
  plays: [
    { played_at: '2026-10-30 21:10:00', track_id: 't1', played_date: '2026-10-30' }, // Fri
    { played_at: '2026-10-30 21:40:00', track_id: 't1', played_date: '2026-10-30' }, // Fri
    { played_at: '2026-10-31 09:00:00', track_id: 't3', played_date: '2026-10-31' }, // Sat
    { played_at: '2026-11-01 23:30:00', track_id: 't3', played_date: '2026-11-01' }, // Sun: week of 10-26, month 11
    { played_at: '2026-11-02 21:05:00', track_id: 't3', played_date: '2026-11-02' }, // Mon
    { played_at: '2026-11-06 21:15:00', track_id: 't5', played_date: '2026-11-06' }, // Fri
    { played_at: '2026-11-06 21:50:00', track_id: 't1', played_date: '2026-11-06' }, // Fri
    { played_at: '2026-11-07 10:30:00', track_id: 't4', played_date: '2026-11-07' }, // Sat
    { played_at: '2026-11-07 10:45:00', track_id: 'tX', played_date: '2026-11-07' }, // Sat, unknown track
  ],
  // Two imported streams, both skips under 30 s (not plays): they count for sessions and completion only.
  streams: [
    {
      ended_at: '2026-10-30 21:12:00',
      started_at: '2026-10-30 21:11:48',
      ms_played: 12000,
      item_type: 'track',
      track_id: 't2',
      track_name: 'Two',
      artist_name: 'Alma',
      skipped: true,
      reason_end: 'fwdbtn',
      source: 'export-extended',
      stream_key: 'k_t2',
      ended_month: '2026-10-01',
    },
    {
      ended_at: '2026-11-07 10:46:00',
      started_at: '2026-11-07 10:45:40',
      ms_played: 20000,
      item_type: 'track',
      track_id: 't6',
      track_name: 'Six',
      artist_name: 'Cleo',
      skipped: null,
      reason_end: 'trackdone',
      source: 'export-extended',
      stream_key: 'k_t6',
      ended_month: '2026-11-01',
    },
  ],
  // The nine plays (no stream of the export matches them) and the two streams. A play starts its
  // track's length before played_at (tX: length unknown, so at played_at).
  listens: [
    ...(
      [
        ['2026-10-30 21:10:00', '2026-10-30 21:06:40', 't1', 'One'],
        ['2026-10-30 21:40:00', '2026-10-30 21:36:40', 't1', 'One'],
        ['2026-10-31 09:00:00', '2026-10-31 08:56:00', 't3', 'Three'],
        ['2026-11-01 23:30:00', '2026-11-01 23:26:00', 't3', 'Three'],
        ['2026-11-02 21:05:00', '2026-11-02 21:01:00', 't3', 'Three'],
        ['2026-11-06 21:15:00', '2026-11-06 21:12:30', 't5', 'Five'],
        ['2026-11-06 21:50:00', '2026-11-06 21:46:40', 't1', 'One'],
        ['2026-11-07 10:30:00', '2026-11-07 10:25:00', 't4', 'Four'],
        ['2026-11-07 10:45:00', '2026-11-07 10:45:00', 'tX', null],
      ] as Array<[string, string, string, string | null]>
    ).map(([at, start, track, name]) => ({
      listen_id: `api:${at}:${track}`,
      listened_at: at,
      started_at: start,
      item_type: 'track',
      track_id: track,
      track_name: name,
      played_at: at,
      source: 'api',
    })),
    {
      listen_id: 'k_t2',
      listened_at: '2026-10-30 21:12:00',
      started_at: '2026-10-30 21:11:48',
      ms_played: 12000,
      item_type: 'track',
      track_id: 't2',
      track_name: 'Two',
      artist_name: 'Alma',
      skipped: true,
      reason_end: 'fwdbtn',
      stream_key: 'k_t2',
      source: 'export-extended',
    },
    {
      listen_id: 'k_t6',
      listened_at: '2026-11-07 10:46:00',
      started_at: '2026-11-07 10:45:40',
      ms_played: 20000,
      item_type: 'track',
      track_id: 't6',
      track_name: 'Six',
      artist_name: 'Cleo',
      skipped: null,
      reason_end: 'trackdone',
      stream_key: 'k_t6',
      source: 'export-extended',
    },
  ],
  top_items: [
    { kind: 'artists', time_range: 'short_term', rank: 1, id: 'ar_a', name: 'Alma', snapshot_date: D1 },
    { kind: 'artists', time_range: 'short_term', rank: 2, id: 'ar_e', name: 'Eve', snapshot_date: D1 },
    { kind: 'artists', time_range: 'medium_term', rank: 1, id: 'ar_a', name: 'Alma', snapshot_date: D1 },
    { kind: 'artists', time_range: 'medium_term', rank: 2, id: 'ar_b', name: 'Bruno', snapshot_date: D1 },
    { kind: 'artists', time_range: 'long_term', rank: 1, id: 'ar_b', name: 'Bruno', snapshot_date: D1 },
    { kind: 'artists', time_range: 'long_term', rank: 2, id: 'ar_a', name: 'Alma', snapshot_date: D1 },
    { kind: 'tracks', time_range: 'short_term', rank: 1, id: 't5', name: 'Five', snapshot_date: D1 },
    { kind: 'tracks', time_range: 'medium_term', rank: 1, id: 't3', name: 'Three', snapshot_date: D1 },
    { kind: 'tracks', time_range: 'long_term', rank: 1, id: 't1', name: 'One', snapshot_date: D1 },
  ],
  artist_snapshots: [
    { artist_id: 'ar_a', popularity: 50, followers: 1000, snapshot_date: D1 },
    { artist_id: 'ar_a', popularity: 52, followers: 1100, snapshot_date: D2 },
    { artist_id: 'ar_a', popularity: 55, followers: 1500, snapshot_date: D3 },
    { artist_id: 'ar_a', popularity: 60, followers: 3000, snapshot_date: D4 },
    { artist_id: 'ar_b', popularity: 40, followers: 0, snapshot_date: D1 },
    { artist_id: 'ar_b', popularity: 38, followers: 10, snapshot_date: D3 },
  ],
  // Extended tier: track popularity. t3 on D1, D2, D3, D4; t5 on D2, D3.
  track_snapshots: [
    { track_id: 't3', popularity: 30, snapshot_date: D1 },
    { track_id: 't3', popularity: 33, snapshot_date: D2 },
    { track_id: 't3', popularity: 40, snapshot_date: D3 },
    { track_id: 't3', popularity: 45, snapshot_date: D4 },
    { track_id: 't5', popularity: 10, snapshot_date: D2 },
    { track_id: 't5', popularity: 20, snapshot_date: D3 },
  ],
  releases: [
    {
      album_id: 'al_1',
      artist_id: 'ar_a',
      source: 'watchlist',
      album_type: 'album',
      album_group: 'album',
      release_date_start: '2020-01-15',
    },
    {
      album_id: 'al_6',
      artist_id: 'ar_a',
      source: 'watchlist',
      album_type: 'single',
      album_group: 'single',
      release_date_start: '2018-03-10',
    },
    {
      album_id: 'al_2',
      artist_id: 'ar_b',
      source: 'watchlist',
      album_name: 'Second Wind',
      album_type: 'single',
      album_group: 'single',
      release_date_start: '2026-10-20',
      first_seen_date: '2026-10-21',
      days_after_release: 1,
    },
    {
      album_id: 'al_7',
      artist_id: 'ar_b',
      source: 'watchlist',
      album_type: 'compilation',
      album_group: 'compilation',
      release_date_start: '2025-12-01',
    },
    // Another artist's record Bruno appears on: never his release.
    {
      album_id: 'al_8',
      artist_id: 'ar_b',
      source: 'watchlist',
      album_type: 'album',
      album_group: 'appears_on',
      release_date_start: '2026-06-01',
    },
    // Development mode strips album_group: still Cleo's release.
    {
      album_id: 'al_3',
      artist_id: 'ar_c',
      source: 'watchlist',
      album_type: 'album',
      album_group: null,
      release_date_start: '1999-01-01',
    },
    // No usable date: left out.
    {
      album_id: 'al_5',
      artist_id: 'ar_c',
      source: 'watchlist',
      album_type: 'album',
      album_group: null,
      release_date_start: null,
    },
    // Found by a tag:new search, not the watchlist: Eve is not a watched artist.
    {
      album_id: 'al_4',
      artist_id: 'ar_e',
      source: 'search',
      query: 'tag:new',
      album_type: 'single',
      release_date_start: '2026-11-05',
    },
  ],
};
