// The tables the transform builds, in build order, each from one SQL file under tables/. Before
// them, macros.sql defines the shared SQL macros, raw-input.ts loads the raw zone and objects.sql
// gathers its records into typed object tables and views (track_objects, album_objects,
// playlist_item_objects, play_objects).
//
// A table file either has two stages separated by a `-- @final` line, or only the final stage:
// - the candidates stage creates `<table>__candidates`, one row per object found in the raw zone, with
//   the columns the table's checks read and the bookkeeping columns `_rid` (row id in the raw table of
//   `_dataset`), `_path` (JSON path of the object in the record's data), `_dataset`, `_dt`, `_run_id`,
//   `_fetched_at`;
// - the checks (quality.ts) turn it into `<table>__passed` and fill the quarantine;
// - the final stage creates `<table>`: its output columns (the partition column included), plus
//   `_dt`, `_run_id`, `_dataset` and `_fetched_at` of the record each row came from;
// - an optional carry stage, after a `-- @carry` line: one query over `<table>__passed` that keeps the
//   rows a later transform needs to build the same table from the new runs alone (the incremental
//   transform, transform.ts). Every value the final stage takes from a chosen row (latest, first,
//   arg_max) must come out the same from the kept rows plus any later rows as from all rows; keeping
//   more rows than needed is always safe. After it, an optional `-- @archive` query: rows leaving the
//   carried ones that are kept apart, read only when needed (playlist_items).
// Columns whose names start with `_` are never written.
import { readFileSync } from 'node:fs';
import { TunelakeError } from '../errors.js';
import { CHECKS, type Check, QUARANTINE_TABLE } from './quality.js';

export interface TableSpec {
  name: string;
  /** The Hive partition column (its values are strings: 'YYYY-MM-DD'); absent for unpartitioned tables. */
  partitionKey?: string;
  /** Unique in the table (in a partitioned table, the partition column is part of it). */
  key: string[];
  checks: Check[];
  /**
   * Which partitions a transform rewrites: those of the new runs' ingestion dates (`run-dates`), those
   * from the earliest of them on (`from-first-run-date`, for carried-forward history), or the values a
   * SQL expression yields over the new runs' rows that passed the checks (`passed`).
   */
  affected?: 'run-dates' | 'from-first-run-date' | { passed: string };
  /** For humans (README, --help). */
  description: string;
}

/** The streaming-history import counts the same failures (src/import/stream-record.ts). */
const STREAM_CHECKS: Check[] = [
  {
    rule: 'is_stream',
    description: 'not a streaming-history record: expected an object with ts or endTime',
    passes: '_is_stream',
  },
  {
    rule: 'ended_at_valid',
    description: 'ts (or endTime) is missing or not a timestamp',
    passes: 'NOT _is_stream OR ended_at IS NOT NULL',
  },
  {
    rule: 'ms_played_valid',
    description: 'ms_played (or msPlayed) is missing or negative',
    passes: 'NOT _is_stream OR ms_played >= 0',
  },
];

export const TABLES: readonly TableSpec[] = [
  { name: 'tracks', key: ['id'], checks: CHECKS.tracks!, description: 'tracks, latest known state' },
  { name: 'albums', key: ['id'], checks: CHECKS.albums!, description: 'albums, latest known state' },
  { name: 'artists', key: ['id'], checks: CHECKS.artists!, description: 'artists, latest known state' },
  {
    name: 'track_artists',
    key: ['track_id', 'position'],
    checks: [],
    description: "each track's own artists, in order",
  },
  {
    name: 'episodes',
    key: ['id'],
    checks: CHECKS.episodes!,
    description: 'podcast episodes found in playlists',
  },
  { name: 'playlists', key: ['id'], checks: CHECKS.playlists!, description: 'playlists, latest known state' },
  {
    name: 'playlist_items',
    partitionKey: 'snapshot_date',
    key: ['snapshot_date', 'playlist_id', 'position'],
    checks: CHECKS.playlist_items!,
    affected: 'from-first-run-date',
    description: 'the items of each watched playlist on each day it was observed',
  },
  {
    name: 'plays',
    partitionKey: 'played_date',
    key: ['played_at', 'track_id'],
    checks: CHECKS.plays!,
    affected: { passed: "strftime(played_at, '%Y-%m-%d')" },
    description: 'listening history (recently played)',
  },
  {
    name: 'streams',
    partitionKey: 'ended_month',
    key: ['ended_month', 'stream_key'],
    checks: STREAM_CHECKS,
    affected: { passed: "strftime(date_trunc('month', ended_at), '%Y-%m-%d')" },
    description: 'imported streaming history (tunelake import streaming-history), one row per stream',
  },
  {
    name: 'listens',
    key: ['listen_id'],
    checks: [],
    description: 'the whole listening timeline: imported streams and polled plays, each listen once',
  },
  {
    name: 'top_items',
    partitionKey: 'snapshot_date',
    key: ['snapshot_date', 'kind', 'time_range', 'rank'],
    checks: CHECKS.top_items!,
    affected: 'run-dates',
    description: 'top artists and tracks per time range, per day',
  },
  {
    name: 'artist_snapshots',
    partitionKey: 'snapshot_date',
    key: ['snapshot_date', 'artist_id'],
    checks: [],
    affected: 'run-dates',
    description: 'artist popularity and followers per day (when the tier provides them)',
  },
  {
    name: 'track_snapshots',
    partitionKey: 'snapshot_date',
    key: ['snapshot_date', 'track_id'],
    checks: [],
    affected: 'run-dates',
    description: 'track popularity per day (when the tier provides it)',
  },
  {
    name: 'releases',
    key: ['album_id', 'artist_id', 'source'],
    checks: [],
    description: 'album releases seen via the artist watchlist and tag:new searches',
  },
];

/** The quarantine is written like a table: partitioned by the raw ingestion date of the records. */
export const QUARANTINE_SPEC: TableSpec = {
  name: QUARANTINE_TABLE,
  partitionKey: 'dt',
  key: [],
  checks: [],
  affected: 'run-dates',
  description: 'records that failed a data-quality check, with the rule and the reason',
};

export interface TableSql {
  /** Creates `<table>__candidates`; absent for tables built from other tables only. */
  candidates: string | undefined;
  final: string;
  /** A query over `<table>__passed`: the rows the next transform merges with; absent when it needs none. */
  carry: string | undefined;
  /**
   * A query over `<table>__recent` (the carried rows plus the rows of the runs read): rows that leave
   * the carried ones but that a later transform may still need, appended to the table's archive.
   */
  archive: string | undefined;
}

const FINAL_MARKER = /^-- @final\s*$/m;
const CARRY_MARKER = /^-- @carry\s*$/m;
const ARCHIVE_MARKER = /^-- @archive\s*$/m;

export function tableSql(name: string): TableSql {
  const text = readSql(new URL(`./tables/${name}.sql`, import.meta.url));
  const parts = text.split(FINAL_MARKER);
  if (parts.length > 2) {
    throw new TunelakeError('INTERNAL', `tables/${name}.sql has more than one "-- @final" line.`);
  }
  const [candidates, rest] = parts.length === 2 ? [parts[0]!, parts[1]!] : [undefined, text];
  const [final, carried, extra] = rest.split(CARRY_MARKER);
  const [carry, archive, more] = carried === undefined ? [] : carried.split(ARCHIVE_MARKER);
  if (extra !== undefined || more !== undefined) {
    throw new TunelakeError(
      'INTERNAL',
      `tables/${name}.sql has more than one "-- @carry" or "-- @archive" line.`,
    );
  }
  return {
    candidates,
    final: final!,
    carry: carry === undefined ? undefined : carryQuery(carry),
    archive: archive === undefined ? undefined : carryQuery(archive),
  };
}

/** The carry stage as one query (its comment lines and final semicolon removed), for COPY (...) TO. */
function carryQuery(text: string): string {
  return text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
    .trim()
    .replace(/;$/, '');
}

/**
 * The other tables a table's final stage reads, as finished tables or as `<table>__passed` rows:
 * every table name that occurs as a word in it (comments left out). Reading more is always safe: an
 * incremental transform rebuilds a table when one of these changed, and builds these (unwritten) when
 * a table that reads them is rebuilt.
 */
export function finalReads(name: string): string[] {
  const text = tableSql(name)
    .final.split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n');
  return TABLES.map((t) => t.name).filter(
    (other) => other !== name && new RegExp(`\\b${other}(__passed)?\\b`).test(text),
  );
}

export function macrosSql(): string {
  return readSql(new URL('./macros.sql', import.meta.url));
}

/** Parses the raw zone's records into the typed object tables the table files read. */
export function objectsSql(): string {
  return readSql(new URL('./objects.sql', import.meta.url));
}

function readSql(url: URL): string {
  try {
    return readFileSync(url, 'utf8');
  } catch (error) {
    throw new TunelakeError(
      'INTERNAL',
      `Cannot read ${url.pathname}: the transform's SQL files must ship next to its code (src/transform/).`,
      { cause: error },
    );
  }
}
