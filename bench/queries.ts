// Benchmark of the query side of the lake and of a whole daily run (not a test: it measures and
// reports, it asserts nothing).
//
//   npx tsx bench/queries.ts            # 10M playlist_items rows (300 playlists x ~110 items x 300 days), 14 run days
//   npx tsx bench/queries.ts --quick    # 1M rows (30 days), 7 run days
//   npx tsx bench/queries.ts --days 100 --playlists 300 --items 110 --repetitions 3 --run-days 14
//   npx tsx bench/queries.ts --lake /tmp/tl-bench-queries   # keep the generated lake; reuse it next time
//   (--seed is the emulator's; the generated lake is the same for the same sizes)
//
// Part 1, insights and queries at scale. A lake of typed tables is built directly with DuckDB, with
// the pipeline's own table schemas (learnt from one real pipeline run against the emulator) and
// written by the transform's own writer and publisher (`writeTable` + `publish`: one zstd Parquet
// file per partition, rows in total order, `tables/<t>/<key>=<v>/part-00000.parquet`), then
// registered in the local catalog by the catalog stage (`register`). Generated: playlists whose
// slots change track every 10 to 59 days and shuffle a little every two weeks (entries, exits,
// climbs and falls every day), their tracks, albums, artists and credits, a few local files, episodes
// and unavailable items, a daily listening history, daily top lists and daily artist snapshots (so
// that every insight, rising_artists too, has data). Then, each in a child process of its own, so
// that each peak RSS is its own:
// - `refreshInsights({ store, catalog, config })`, repeated; its debug log gives the engine start-up
//   and each insight's time;
//   An insight that logs nothing for --insight-timeout seconds (default 60) is stopped, reported as
//   such, and left out of the repetitions, so that one runaway query does not hide the others;
// - `createQueryEngine(config, { store, catalog })`, repeated, then typical queries on one engine, a
//   replay of the engine's start-up steps to show where that time goes, and each insight's DuckDB
//   plan (EXPLAIN) with its join operators: a nested-loop join explains a runaway insight.
// Part 2, `run(runtime)` per simulated day against the emulator over real HTTP, the world moving on a
// day between runs; each day split into extract, transform, catalog (with the raw zone's crawl) and
// insights by the pipeline's progress events.
// Results go to bench/results/queries.json (queries-quick.json with --quick) and tables on stdout.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Catalog, RAW_DATABASE, TABLES_DATABASE } from '../src/catalog/catalog.js';
import { register } from '../src/catalog/register.js';
import { type Config, loadConfig } from '../src/config.js';
import { Emulator } from '../src/emulator/server.js';
import { INSIGHT_NAMES, insightSql } from '../src/insights/insights.js';
import { refreshInsights } from '../src/insights/refresh.js';
import { createLogger, silentLogger } from '../src/log.js';
import { run } from '../src/pipeline.js';
import { DuckDb } from '../src/query/duckdb.js';
import { sqlIdentifier, sqlString } from '../src/query/sql-text.js';
import { createCatalog, createObjectStore, createQueryEngine, createRuntime } from '../src/runtime.js';
import type { ObjectStore } from '../src/storage/store.js';
import { publish, writeTable } from '../src/transform/publish.js';
import type { ColumnInfo } from '../src/transform/state.js';
import { commitTransformState, emptyTransformState } from '../src/transform/state.js';
import type { TransformInfo, TransformTableInfo } from '../src/transform/transform.js';
import {
  formatTable,
  machineInfo,
  maxRssBytes,
  median,
  mib,
  optionChecker,
  sampleRss,
  writeResults,
} from './support.js';

// --- parameters -----------------------------------------------------------------------------------

interface LakeSpec {
  playlists: number;
  /** Average items per playlist (each playlist holds from half to one and a half times this). */
  items: number;
  /** snapshot_date partitions: one observation of every playlist per day. */
  days: number;
  /** The dimensions grow with the rows, so that tracks repeat across playlists as in real ones. */
  tracks: number;
  albums: number;
  artists: number;
  episodes: number;
  /** plays per day (the listening history). */
  playsPerDay: number;
  /** Artists with a daily popularity/followers snapshot (extended tier). */
  snapshotArtists: number;
  /** Watched artists: their albums are the releases. */
  watchedArtists: number;
  /** The last snapshot_date; the first is `days - 1` days earlier. */
  latest: string;
}

interface Params {
  quick: boolean;
  lake: LakeSpec;
  /** refreshInsights repetitions, each in a child process of its own. */
  repetitions: number;
  /** Query engine creations (the median is reported). */
  engineRepetitions: number;
  /** Runs of each query on one engine. */
  queryRepetitions: number;
  /** Simulated days of `run` against the emulator. */
  runDays: number;
  seed: number;
  lakeDir: string | undefined;
  /** A refresh that logs no insight for this long is stopped (the insight running is reported as too slow). */
  insightTimeoutMs: number;
  skipQueries: boolean;
  skipRun: boolean;
  out: string;
}

const USAGE =
  'Usage: npx tsx bench/queries.ts [--quick] [--playlists N] [--items N] [--days N] [--repetitions N] ' +
  '[--query-repetitions N] [--engine-repetitions N] [--run-days N] [--insight-timeout SECONDS] [--seed N] [--lake DIR] ' +
  '[--skip-queries] [--skip-run] [--out FILE]';

function parseParams(argv: string[]): Params {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      playlists: { type: 'string' },
      items: { type: 'string' },
      days: { type: 'string' },
      repetitions: { type: 'string' },
      'query-repetitions': { type: 'string' },
      'engine-repetitions': { type: 'string' },
      'run-days': { type: 'string' },
      'insight-timeout': { type: 'string' },
      seed: { type: 'string' },
      lake: { type: 'string' },
      'skip-queries': { type: 'boolean', default: false },
      'skip-run': { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const { num, finish } = optionChecker(USAGE);
  const quick = values.quick ?? false;
  const playlists = num('playlists', values.playlists, 300, 1, 100_000);
  const items = num('items', values.items, 110, 2, 10_000);
  const days = num('days', values.days, quick ? 30 : 300, 1, 3650);
  const rows = playlists * items * days;
  const tracks = Math.max(20_000, Math.min(200_000, Math.round(rows / 100)));
  const params: Params = {
    quick,
    lake: {
      playlists,
      items,
      days,
      tracks,
      albums: Math.ceil(tracks / 10),
      artists: Math.ceil(tracks / 20),
      episodes: 500,
      playsPerDay: 60,
      snapshotArtists: Math.min(2_000, Math.ceil(tracks / 20)),
      watchedArtists: 100,
      latest: '2026-11-01',
    },
    repetitions: num('repetitions', values.repetitions, 3, 1, 20),
    engineRepetitions: num('engine-repetitions', values['engine-repetitions'], 3, 1, 20),
    queryRepetitions: num('query-repetitions', values['query-repetitions'], 5, 1, 100),
    runDays: num('run-days', values['run-days'], quick ? 7 : 14, 1, 365),
    seed: num('seed', values.seed, 42, 0, 2 ** 32 - 1),
    lakeDir: values.lake === undefined ? undefined : resolve(values.lake),
    insightTimeoutMs: 1000 * num('insight-timeout', values['insight-timeout'], 60, 1, 7200),
    skipQueries: values['skip-queries'] ?? false,
    skipRun: values['skip-run'] ?? false,
    out: values.out ?? (quick ? 'bench/results/queries-quick.json' : 'bench/results/queries.json'),
  };
  finish();
  return params;
}

// --- child processes ------------------------------------------------------------------------------

type ChildJob =
  | { kind: 'generate'; lake: string; spec: LakeSpec; seed: number }
  | { kind: 'refresh'; lake: string; only: string[] }
  | { kind: 'query'; lake: string; latest: string; engineRepetitions: number; queryRepetitions: number }
  | { kind: 'run'; days: number; seed: number };

interface Measurement {
  /** Wall time of the measured call alone (process start-up and module loading excluded). */
  wallMs: number;
  /** CPU time over wall time: how many cores the work kept busy on average. */
  cpuCores: number;
  /** RSS just before the call (Node, tsx and the loaded modules). */
  rssBeforeBytes: number;
  /** The kernel's high-water mark for the child process (`resourceUsage().maxRSS`). */
  maxRssBytes: number;
  /** Peak RSS sampled every 50 ms during the call (a lower bound of the above). */
  sampledPeakRssBytes: number;
}

interface ChildResult<D> {
  measurement: Measurement;
  detail: D;
}

const SELF = fileURLToPath(import.meta.url);

/** A child stopped for making no progress: its progress lines so far. */
interface Stalled {
  stalled: true;
  progress: string[];
}

const PROGRESS = 'progress ';

/**
 * Runs a job in a child process; the last line of its stdout is the result. Lines starting with
 * `progress ` are progress marks: with `stallMs`, a child that has printed one and then prints none
 * for that long is killed, and its marks returned instead (start-up does not count).
 */
async function runChild<D>(job: ChildJob, stallMs: number): Promise<ChildResult<D> | Stalled>;
async function runChild<D>(job: ChildJob): Promise<ChildResult<D>>;
async function runChild<D>(job: ChildJob, stallMs?: number): Promise<ChildResult<D> | Stalled> {
  // The child's temp files (DuckDB's, the insights' output) go to a folder of its own, removed when it
  // ends: a child stopped with SIGKILL cannot clean up after itself.
  const scratch = mkdtempSync(join(tmpdir(), 'tunelake-bench-queries-child-'));
  try {
    return await runChildIn<D>(job, stallMs, scratch);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function runChildIn<D>(
  job: ChildJob,
  stallMs: number | undefined,
  scratch: string,
): Promise<ChildResult<D> | Stalled> {
  const child = spawn(process.execPath, [...process.execArgv, SELF, '--child'], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, TMPDIR: scratch },
  });
  child.stdin.end(JSON.stringify(job));
  let stdout = '';
  const progress: string[] = [];
  let stalled = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    if (stallMs === undefined) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      child.kill('SIGKILL');
    }, stallMs);
  };
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
    const lines = stdout.split('\n');
    for (const line of lines.slice(0, -1)) {
      if (line.startsWith(PROGRESS)) {
        progress.push(line.slice(PROGRESS.length));
        arm();
      }
    }
    stdout = lines.filter((line) => !line.startsWith(PROGRESS)).join('\n');
  });
  const code = await new Promise<number | null>((done, fail) => {
    child.on('error', fail);
    child.on('close', done);
  }).finally(() => clearTimeout(timer));
  if (stalled) return { stalled: true, progress };
  if (code !== 0) throw new Error(`the ${job.kind} child process exited with code ${code}`);
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as ChildResult<D>;
}

async function child(job: ChildJob): Promise<void> {
  let result: ChildResult<unknown>;
  if (job.kind === 'generate') result = await measureChild(() => generateLake(job.lake, job.spec, job.seed));
  else if (job.kind === 'refresh') result = await measureChild(() => refreshOnce(job.lake, job.only));
  else if (job.kind === 'query') result = await measureChild(() => queryLake(job));
  else result = await measureChild(() => runDays(job.days, job.seed));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function measureChild<D>(fn: () => Promise<D>): Promise<ChildResult<D>> {
  const rssBeforeBytes = process.memoryUsage.rss();
  const cpuBefore = process.cpuUsage();
  const sampler = sampleRss(50);
  const started = performance.now();
  const detail = await fn();
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    measurement: {
      wallMs: Math.round(wallMs),
      cpuCores: round((cpu.user + cpu.system) / 1000 / wallMs, 2),
      rssBeforeBytes,
      maxRssBytes: maxRssBytes(),
      sampledPeakRssBytes: sampler.stop().peakRssBytes,
    },
    detail,
  };
}

// --- the lake's adapters, as the CLI builds them --------------------------------------------------

interface Lake {
  store: ObjectStore;
  catalog: Catalog;
  config: Config;
}

function openLake(lake: string): Lake {
  const config = loadConfig({ lake }, { TUNELAKE_CREDENTIALS: '/nonexistent' });
  const store = createObjectStore({ lake, s3Endpoint: undefined, awsRegion: 'us-east-1' });
  const catalog = createCatalog(
    { catalog: 'local', lake, s3Endpoint: undefined, awsRegion: 'us-east-1' },
    { store },
  );
  return { store, catalog, config };
}

// --- part 1: generating the lake ------------------------------------------------------------------

interface TableSchema {
  name: string;
  columns: ColumnInfo[];
  partitionKeys: ColumnInfo[];
}

interface GeneratedTable {
  name: string;
  rows: number;
  files: number;
  bytes: number;
  /** Columns of the pipeline's schema the generator has no value for (written as NULL). */
  nullColumns: string[];
}

interface LakeInfo {
  tables: GeneratedTable[];
  playlistItemRows: number;
  partitions: number;
  firstDate: string;
  latestDate: string;
  /** One pipeline day against the emulator, for the tables' exact schemas (not part of the timings). */
  schemaMs: number;
  /** Generating and writing every table (writeTable + publish). */
  writeMs: number;
  /** register(): tables and partitions into the local catalog. */
  registerMs: number;
}

/** The tables and columns exactly as the pipeline writes them: one real run against the emulator. */
async function learnSchemas(seed: number): Promise<TableSchema[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tunelake-bench-schema-'));
  const emulator = await Emulator.create({ port: 0, tier: 'development', seed });
  try {
    const config = loadConfig({ lake: dir }, { TUNELAKE_CREDENTIALS: '/nonexistent' });
    const runtime = await createRuntime(config, { emulator, logger: silentLogger });
    try {
      const info = await run(runtime, { crawlRaw: false, insights: false });
      return info.transform.tables.map((t) => ({
        name: t.name,
        columns: t.columns,
        partitionKeys: t.partitionKeys,
      }));
    } finally {
      await runtime.close();
    }
  } finally {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Glue/Hive type -> the DuckDB type the transform writes for it (the inverse of its GLUE_TYPES). */
const DUCKDB_TYPES: Record<string, string> = {
  string: 'VARCHAR',
  bigint: 'BIGINT',
  int: 'INTEGER',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
  'array<string>': 'VARCHAR[]',
};

const MACROS = `
  CREATE MACRO sid(kind, i) AS substr(md5(kind || ':' || CAST(i AS VARCHAR)), 1, 22);
  CREATE MACRO u01(h) AS CAST(h % 1000003 AS DOUBLE) / 1000003.0;
  -- Skewed towards small indexes: the popular tracks and artists come up again and again.
  CREATE MACRO skewed(h, n, power) AS CAST(floor(n * pow(u01(h), power)) AS BIGINT);
  CREATE MACRO day_of(first, dd) AS first + CAST(dd AS INTEGER);
  CREATE MACRO at_second(first, dd, s) AS CAST(day_of(first, dd) AS TIMESTAMP) + to_seconds(CAST(s AS BIGINT));
`;

/**
 * The generator's SELECT for each table: more columns than the pipeline's may come out (they are
 * dropped), and a pipeline column missing here is written as NULL and reported.
 */
function sourceSql(spec: LakeSpec, first: string): Record<string, string> {
  const F = `DATE ${sqlString(first)}`;
  const L = `DATE ${sqlString(spec.latest)}`;
  const seen = `CAST(${F} AS TIMESTAMP) + INTERVAL 6 HOUR AS first_seen_at, CAST(${L} AS TIMESTAMP) + INTERVAL 6 HOUR AS last_seen_at`;
  const { tracks: T, albums: AL, artists: A, episodes: E, playlists: P, days: D } = spec;
  const albumArtist = (j: string) => `sid('artist', (${j} * 7919) % ${A})`;
  return {
    artists: `
      SELECT sid('artist', a) AS id, 'Artist ' || a AS name,
        [(['pop', 'rock', 'hip hop', 'indie', 'electronic', 'jazz', 'latin', 'k-pop'])[CAST(1 + hash(a, 'g') % 8 AS BIGINT)]] AS genres,
        100 + hash(a, 'f') % 5000000 AS followers, hash(a, 'p') % 100 AS popularity,
        'https://i.scdn.co/image/' || md5('artist:' || a) AS image_url,
        'https://open.spotify.com/artist/' || sid('artist', a) AS url, 'spotify:artist:' || sid('artist', a) AS uri,
        ${seen}
      FROM range(${A}) t(a)`,
    albums: `
      SELECT *, strftime(release_date_start, '%Y-%m-%d') AS release_date FROM (
        SELECT sid('album', j) AS id, 'Album ' || j AS name,
          CASE WHEN hash(j, 't') % 10 < 6 THEN 'album' WHEN hash(j, 't') % 10 < 9 THEN 'single' ELSE 'compilation' END AS album_type,
          10 AS total_tracks, 'day' AS release_date_precision,
          ${L} - CAST(skewed(hash(j, 'r'), 7300, 2.5) AS INTEGER) AS release_date_start,
          'Label ' || (j % 300) AS label, lpad(CAST(j AS VARCHAR), 12, '0') AS upc, hash(j, 'p') % 100 AS popularity,
          'https://i.scdn.co/image/' || md5('album:' || j) AS image_url, [${albumArtist('j')}] AS artist_ids,
          'https://open.spotify.com/album/' || sid('album', j) AS url, 'spotify:album:' || sid('album', j) AS uri,
          ${seen}, (j * 7919) % ${A} < ${spec.watchedArtists} AS watched
        FROM range(${AL}) t(j)
      )`,
    tracks: `
      SELECT sid('track', i) AS id, 'Track ' || i AS name, sid('album', i // 10) AS album_id,
        CASE WHEN hash(i, 'feat') % 4 = 0 THEN [${albumArtist('(i // 10)')}, sid('artist', hash(i, 'fa') % ${A})]
          ELSE [${albumArtist('(i // 10)')}] END AS artist_ids,
        90000 + hash(i, 'd') % 270000 AS duration_ms, hash(i, 'e') % 5 = 0 AS explicit, 1 AS disc_number,
        i % 10 + 1 AS track_number, 'QZ' || lpad(CAST(i AS VARCHAR), 10, '0') AS isrc, hash(i, 'p') % 100 AS popularity,
        false AS is_local, 'https://open.spotify.com/track/' || sid('track', i) AS url,
        'spotify:track:' || sid('track', i) AS uri, ${seen}
      FROM range(${T}) t(i)`,
    track_artists: `
      SELECT id AS track_id, unnest(range(len(artist_ids))) AS position, unnest(artist_ids) AS artist_id FROM tracks`,
    episodes: `
      SELECT sid('episode', e) AS id, 'Episode ' || e AS name, sid('show', e % 40) AS show_id,
        'Show ' || (e % 40) AS show_name, 600000 + hash(e, 'd') % 3000000 AS duration_ms, hash(e, 'x') % 10 = 0 AS explicit,
        strftime(${L} - CAST(e AS INTEGER), '%Y-%m-%d') AS release_date, 'day' AS release_date_precision,
        ${L} - CAST(e AS INTEGER) AS release_date_start, 'en' AS language,
        'https://open.spotify.com/episode/' || sid('episode', e) AS url, 'spotify:episode:' || sid('episode', e) AS uri,
        ${seen}
      FROM range(${E}) t(e)`,
    playlists: `
      SELECT sid('playlist', p) AS id, 'Playlist ' || p AS name, 'The best of ' || p AS description,
        sid('user', p % 40) AS owner_id, 'Curator ' || (p % 40) AS owner_name, false AS collaborative, true AS public,
        substr(md5('snapshot:' || p || ':' || ${D - 1}), 1, 32) AS snapshot_id, hash(p, 'f') % 1000000 AS followers,
        ${spec.items} // 2 + hash(p, 'size') % ${spec.items + 1} AS total,
        'https://i.scdn.co/image/' || md5('playlist:' || p) AS image_url,
        'https://open.spotify.com/playlist/' || sid('playlist', p) AS url, 'spotify:playlist:' || sid('playlist', p) AS uri,
        ${seen}
      FROM range(${P}) t(p)`,
    // Only the albums of watched artists, as the artist watchlist finds them.
    releases: `
      SELECT id AS album_id, artist_ids[1] AS artist_id, 'watchlist' AS source, NULL AS query, name AS album_name,
        album_type, album_type AS album_group, release_date, release_date_precision, release_date_start,
        greatest(release_date_start, ${F}) AS first_seen_date,
        CAST(greatest(release_date_start, ${F}) AS TIMESTAMP) + INTERVAL 6 HOUR AS first_seen_at,
        CAST(greatest(release_date_start, ${F}) - release_date_start AS INTEGER) AS days_after_release
      FROM albums__source WHERE watched`,
    plays: `
      SELECT *, strftime(played_at, '%Y-%m-%d') AS played_date FROM (
        SELECT at_second(${F}, dd, hash(dd, j, 's') % 86400) AS played_at,
          sid('track', skewed(hash(dd, j, 't'), ${T}, 3.0)) AS track_id,
          CASE hash(dd, j, 'c') % 3 WHEN 0 THEN 'playlist' WHEN 1 THEN 'album' END AS context_type,
          CASE hash(dd, j, 'c') % 3 WHEN 0 THEN 'spotify:playlist:' || sid('playlist', hash(dd, j, 'p') % ${P})
            WHEN 1 THEN 'spotify:album:' || sid('album', hash(dd, j, 'a') % ${AL}) END AS context_uri
        FROM range(${D}) d(dd), range(${spec.playsPerDay}) n(j)
      )`,
    top_items: `
      SELECT kind, time_range, n AS rank,
        CASE WHEN kind = 'artists' THEN sid('artist', pick) ELSE sid('track', pick) END AS id,
        CASE WHEN kind = 'artists' THEN 'Artist ' || pick ELSE 'Track ' || pick END AS name,
        strftime(day_of(${F}, dd), '%Y-%m-%d') AS snapshot_date
      FROM (
        SELECT *, skewed(hash(kind, time_range, dd // span, n), CASE WHEN kind = 'artists' THEN ${A} ELSE ${T} END, 2.0) AS pick
        FROM range(${D}) d(dd), (VALUES ('artists'), ('tracks')) k(kind),
          (VALUES ('short_term', 7), ('medium_term', 30), ('long_term', 120)) r(time_range, span), range(1, 51) x(n)
      )`,
    artist_snapshots: `
      SELECT sid('artist', a) AS artist_id,
        least(100, greatest(0, 20 + CAST(hash(a, 'p') % 60 AS BIGINT) + dd * (CAST(hash(a, 'trend') % 3 AS BIGINT) - 1) // 20)) AS popularity,
        1000 + hash(a, 'f') % 1000000 + dd * (hash(a, 'g') % 500) AS followers,
        strftime(day_of(${F}, dd), '%Y-%m-%d') AS snapshot_date
      FROM range(${D}) d(dd), range(${spec.snapshotArtists}) t(a)`,
  };
}

/**
 * The playlists' items on days [d0, d1). Every playlist has fixed slots; a slot holds a track for
 * 10 to 59 days (then another comes in: an exit and an entry) and its place is jittered every two
 * weeks (climbs and falls). About 1% local files, 0.4% episodes, 0.4% unavailable items.
 */
function playlistItemsSql(spec: LakeSpec, first: string, d0: number, d1: number): string {
  const F = `DATE ${sqlString(first)}`;
  return `
    WITH e AS (
      SELECT s.*, dd, (dd + phase) // life AS epoch, (dd + phase2) // 14 AS fortnight
      FROM playlist_slots s, range(${d0}, ${d1}) d(dd)
    ), k AS (
      SELECT *, hash(p, s, epoch, 'kind') % 1000 AS roll,
        skewed(hash(p, s, epoch, 'track'), ${spec.tracks}, 2.0) AS t_idx,
        hash(p, s, epoch, 'episode') % ${spec.episodes} AS e_idx,
        dd - (dd + phase) % life AS added_day
      FROM e
    )
    SELECT playlist_id,
      row_number() OVER (PARTITION BY p, dd ORDER BY s * 10 + hash(p, s, fortnight, 'order') % 15, s) - 1 AS position,
      CASE WHEN roll < 10 THEN 'local' WHEN roll < 14 THEN 'episode' WHEN roll < 18 THEN 'unavailable' ELSE 'track' END
        AS item_type,
      CASE WHEN roll >= 18 THEN sid('track', t_idx) END AS track_id,
      CASE WHEN roll >= 10 AND roll < 14 THEN sid('episode', e_idx) END AS episode_id,
      CASE WHEN roll < 10 THEN 'Local file ' || s WHEN roll < 14 THEN 'Episode ' || e_idx WHEN roll >= 18 THEN 'Track ' || t_idx END
        AS item_name,
      CASE WHEN roll < 10 THEN 'spotify:local:Someone:Somewhere:Local+file+' || s || ':200'
        WHEN roll < 14 THEN 'spotify:episode:' || sid('episode', e_idx)
        WHEN roll >= 18 THEN 'spotify:track:' || sid('track', t_idx) END AS item_uri,
      at_second(${F}, added_day, hash(p, s, epoch, 'at') % 86400) AS added_at,
      added_by, roll < 10 AS is_local,
      substr(md5('snapshot:' || p || ':' || dd), 1, 32) AS snapshot_id,
      strftime(day_of(${F}, dd), '%Y-%m-%d') AS snapshot_date
    FROM k`;
}

const PLAYLIST_ITEMS_CHUNK_ROWS = 1_500_000;
const PARTITIONED_ORDER = ['playlist_items', 'plays', 'top_items', 'artist_snapshots'];

async function generateLake(lake: string, spec: LakeSpec, seed: number): Promise<LakeInfo> {
  const schemaStarted = performance.now();
  const schemas = await learnSchemas(seed);
  const schemaMs = Math.round(performance.now() - schemaStarted);
  const first = addDays(spec.latest, -(spec.days - 1));

  const writeStarted = performance.now();
  const { store, catalog } = openLake(lake);
  const work = mkdtempSync(join(tmpdir(), 'tunelake-bench-queries-'));
  const db = await DuckDb.create({ tempDir: join(work, 'duckdb') });
  const generated: GeneratedTable[] = [];
  const infos: TransformTableInfo[] = [];
  try {
    await db.run(MACROS);
    const sources = sourceSql(spec, first);
    await db.run(`
      CREATE TABLE playlist_slots AS
      SELECT p, s, sid('playlist', p) AS playlist_id, sid('user', p % 40) AS added_by,
        10 + hash(p, s, 'life') % 50 AS life, hash(p, s, 'phase') % 60 AS phase, hash(p, s, 'phase2') % 14 AS phase2
      FROM (
        SELECT p, unnest(range(CAST(${spec.items} // 2 + hash(p, 'size') % ${spec.items + 1} AS BIGINT))) AS s
        FROM range(${spec.playlists}) t(p)
      )
    `);
    const [slotRow] = await db.all('SELECT count(*) AS n FROM playlist_slots');
    const rowsPerDay = Number(slotRow?.n ?? 0);

    // Unpartitioned tables first (releases and track_artists read albums and tracks).
    const ordered = [...schemas].sort(
      (a, b) => PARTITIONED_ORDER.indexOf(a.name) - PARTITIONED_ORDER.indexOf(b.name),
    );
    for (const schema of ordered) {
      const pk = schema.partitionKeys[0]?.name;
      const table: GeneratedTable = { name: schema.name, rows: 0, files: 0, bytes: 0, nullColumns: [] };
      const written: string[] = [];
      const write = async (source: string) => {
        const out = join(work, 'out');
        const nulls = await project(db, schema, source);
        table.nullColumns = nulls;
        let partitions: string[] = [];
        if (pk) {
          const rows = await db.all(
            `SELECT DISTINCT ${sqlIdentifier(pk)} AS v FROM ${sqlIdentifier(schema.name)}`,
          );
          partitions = rows.map((r) => String(r.v)).sort();
        }
        const files = await writeTable(
          db,
          schema.name,
          schema.columns.map((c) => c.name),
          pk,
          partitions,
          out,
        );
        table.bytes += files.reduce((n, f) => n + statSync(f.path).size, 0);
        // The transform's publish: md5, then put (or stream) each file at its key.
        await publish(store, files, [], () => {});
        rmSync(out, { recursive: true, force: true });
        table.rows += files.reduce((n, f) => n + f.rows, 0);
        table.files += files.length;
        written.push(...files.filter((f) => f.values.length > 0).map((f) => f.values[0]!));
      };

      if (schema.name === 'playlist_items') {
        const chunkDays = Math.max(1, Math.floor(PLAYLIST_ITEMS_CHUNK_ROWS / Math.max(1, rowsPerDay)));
        for (let d0 = 0; d0 < spec.days; d0 += chunkDays) {
          const d1 = Math.min(spec.days, d0 + chunkDays);
          await write(playlistItemsSql(spec, first, d0, d1));
          process.stderr.write(`  playlist_items: ${d1}/${spec.days} days, ${table.rows} rows\n`);
        }
      } else if (sources[schema.name] !== undefined) {
        await write(sources[schema.name]!);
      } else if (!pk) {
        // An unpartitioned table always has a file (the transform writes an empty one).
        await write(`SELECT NULL AS nothing LIMIT 0`);
      }
      generated.push(table);
      const location = `${store.uri(`tables/${schema.name}`)}/`;
      infos.push({
        name: schema.name,
        location,
        columns: schema.columns,
        partitionKeys: schema.partitionKeys,
        partitionsWritten: written.map((v) => [v]),
        partitionsDeleted: [],
        rowCount: table.rows,
      });
    }
  } finally {
    await db.close();
    rmSync(work, { recursive: true, force: true });
  }
  const writeMs = Math.round(performance.now() - writeStarted);

  // In the pipeline's table order, as the transform reports them.
  const order = schemas.map((s) => s.name);
  infos.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  generated.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  const info: TransformInfo = {
    runs: [],
    full: true,
    tables: infos,
    rows: Object.fromEntries(generated.map((t) => [t.name, t.rows])),
    quarantined: {},
    healed: [],
    checks: [],
    durationMs: writeMs,
  };
  const registerStarted = performance.now();
  // Recorded in the transform state the way the transform records it, then registered by the
  // catalog stage itself.
  await commitTransformState(
    store,
    {
      ...emptyTransformState(),
      runs: info.runs,
      tables: Object.fromEntries(
        info.tables.map((t) => [
          t.name,
          {
            columns: t.columns,
            partitionKeys: t.partitionKeys,
            partitions: t.partitionsWritten,
            rowCount: t.rowCount,
          },
        ]),
      ),
    },
    undefined,
  );
  await register({ store, catalog }, { raw: false });
  const registerMs = Math.round(performance.now() - registerStarted);
  await catalog.close();
  await store.close();

  return {
    tables: generated,
    playlistItemRows: generated.find((t) => t.name === 'playlist_items')?.rows ?? 0,
    partitions: infos.reduce((n, t) => n + t.partitionsWritten.length, 0),
    firstDate: first,
    latestDate: spec.latest,
    schemaMs,
    writeMs,
    registerMs,
  };
}

/** `<table>__source` from the generator, then `<table>` with exactly the pipeline's columns and types. */
async function project(db: DuckDb, schema: TableSchema, source: string): Promise<string[]> {
  const src = sqlIdentifier(`${schema.name}__source`);
  await db.run(`CREATE OR REPLACE TABLE ${src} AS ${source}`);
  const available = new Set(
    (await db.all(`DESCRIBE ${src}`)).map((r) => String(r.column_name).toLowerCase()),
  );
  const nulls: string[] = [];
  const list = [...schema.columns, ...schema.partitionKeys].map((c) => {
    const type = DUCKDB_TYPES[c.type];
    if (type === undefined) throw new Error(`${schema.name}.${c.name}: no DuckDB type for ${c.type}`);
    const has = available.has(c.name.toLowerCase());
    if (!has) nulls.push(c.name);
    return `CAST(${has ? sqlIdentifier(c.name) : 'NULL'} AS ${type}) AS ${sqlIdentifier(c.name)}`;
  });
  await db.run(
    `CREATE OR REPLACE TABLE ${sqlIdentifier(schema.name)} AS SELECT ${list.join(', ')} FROM ${src}`,
  );
  return nulls;
}

// --- part 1: refreshing the insights --------------------------------------------------------------

interface RefreshDetail {
  /** refreshInsights' own durationMs. */
  durationMs: number;
  /** From the call to the engine's "views created" (catalog read, listings, DuckDB views). */
  engineStartMs: number;
  insights: Array<{ name: string; status: string; rows: number; ms: number }>;
  /** After the last insight: closing the engine, removing the temp folder. */
  finishMs: number;
}

async function refreshOnce(lake: string, only: string[]): Promise<RefreshDetail> {
  const { store, catalog, config } = openLake(lake);
  const marks: Array<{ at: number; msg: string }> = [];
  const logger = createLogger({
    level: 'debug',
    write: (line) => {
      const msg = String((JSON.parse(line) as { msg: unknown }).msg);
      marks.push({ at: performance.now(), msg });
      // The parent stops a refresh that makes no progress for too long (one insight taking forever).
      if (/^insight \w+: |^query: views created$/.test(msg)) process.stdout.write(`${PROGRESS}${msg}\n`);
    },
  });
  process.stdout.write(`${PROGRESS}refresh started\n`);
  const started = performance.now();
  const openEngine = () => createQueryEngine(config, { store, catalog, logger });
  const info = await refreshInsights({ store, catalog, config, logger, openEngine }, { only });
  const ended = performance.now();
  await catalog.close();
  await store.close();

  const viewsAt = marks.find((m) => m.msg === 'query: views created')?.at ?? started;
  let previous = viewsAt;
  const timeOf = new Map<string, number>();
  for (const m of marks) {
    const name = /^insight (\w+): /.exec(m.msg)?.[1];
    if (!name || m.at < viewsAt) continue;
    timeOf.set(name, Math.round(m.at - previous));
    previous = m.at;
  }
  return {
    durationMs: info.durationMs,
    engineStartMs: Math.round(viewsAt - started),
    insights: info.insights.map((i) => ({
      name: i.name,
      status: i.status,
      rows: i.rows,
      ms: timeOf.get(i.name) ?? Number.NaN,
    })),
    finishMs: Math.round(ended - previous),
  };
}

// --- part 1: queries ------------------------------------------------------------------------------

interface QueryTiming {
  name: string;
  sql: string;
  rows: number;
  /** Every run, in order (the first is the first time this engine runs it). */
  runsMs: number[];
  medianMs: number;
}

interface StartupStep {
  step: string;
  ms: number;
}

interface QueryDetail {
  engineCreateMs: number[];
  engineCloseMs: number[];
  queries: QueryTiming[];
  /** The engine's start-up replayed step by step, outside the engine (an attribution, not its timing). */
  startup: StartupStep[];
  views: number;
  files: number;
  /** The join operators of each insight's DuckDB plan (EXPLAIN, not run): nested loops show here. */
  plans: Array<{ name: string; joins: Record<string, number> }>;
}

function benchQueries(latest: string): Array<{ name: string; sql: string }> {
  const day = sqlString(latest);
  return [
    { name: 'count(*) playlist_items', sql: 'SELECT count(*) AS n FROM playlist_items' },
    {
      name: 'per-day count, playlist_items',
      sql:
        'SELECT snapshot_date, count(*) AS items, count(DISTINCT playlist_id) AS playlists ' +
        'FROM playlist_items GROUP BY snapshot_date ORDER BY snapshot_date',
    },
    {
      name: 'top 20 tracks, latest day (4-table join)',
      sql: `
        SELECT t.name AS track, ar.name AS artist, count(DISTINCT i.playlist_id) AS playlists,
          min(i."position") + 1 AS best_position
        FROM playlist_items i
        JOIN tracks t ON t.id = i.track_id
        JOIN track_artists ta ON ta.track_id = t.id AND ta."position" = 0
        JOIN artists ar ON ar.id = ta.artist_id
        WHERE i.snapshot_date = ${day} AND i.item_type = 'track'
        GROUP BY t.name, ar.name
        ORDER BY playlists DESC, best_position, track
        LIMIT 20`,
    },
    {
      name: 'insight_playlist_movers, latest day, top 50',
      sql: `
        SELECT * FROM insight_playlist_movers
        WHERE snapshot_date = DATE ${day}
        ORDER BY playlist_id, move, coalesce(to_position, from_position), track_id
        LIMIT 50`,
    },
  ];
}

async function queryLake(job: Extract<ChildJob, { kind: 'query' }>): Promise<QueryDetail> {
  const { store, catalog, config } = openLake(job.lake);
  const engineCreateMs: number[] = [];
  const engineCloseMs: number[] = [];
  const queries: QueryTiming[] = [];
  const plans: QueryDetail['plans'] = [];
  let engine = await timed(engineCreateMs, () => createQueryEngine(config, { store, catalog }));
  for (let i = 1; i < job.engineRepetitions; i++) {
    await timed(engineCloseMs, () => engine.close());
    engine = await timed(engineCreateMs, () => createQueryEngine(config, { store, catalog }));
  }
  try {
    for (const q of benchQueries(job.latest)) {
      const runsMs: number[] = [];
      let rows = 0;
      for (let i = 0; i < job.queryRepetitions; i++) {
        rows = (await timed(runsMs, () => engine.query(q.sql))).rows.length;
      }
      queries.push({ ...q, sql: q.sql.replace(/\s+/g, ' ').trim(), rows, runsMs, medianMs: median(runsMs) });
    }
    for (const name of INSIGHT_NAMES) {
      const result = await engine.query(`EXPLAIN ${insightSql(name, 'duckdb')}`);
      const text = result.rows.map((r) => Object.values(r).join('\n')).join('\n');
      const joins: Record<string, number> = {};
      for (const m of text.matchAll(/\b([A-Z_]*(?:JOIN|CROSS_PRODUCT))\b/g))
        joins[m[1]!] = (joins[m[1]!] ?? 0) + 1;
      plans.push({ name, joins });
    }
  } finally {
    await timed(engineCloseMs, () => engine.close());
  }
  const replay = await replayStartup(store, catalog);
  await catalog.close();
  await store.close();
  return { engineCreateMs, engineCloseMs, queries, plans, ...replay };
}

async function timed<T>(into: number[], fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await fn();
  into.push(round(performance.now() - started, 1));
  return result;
}

/**
 * What the DuckDB engine does when it starts (src/query/duckdb-engine.ts, buildDatabase), replayed
 * step by step with the same calls: read the catalog (tables, then each partitioned table's
 * partitions), list the files under each table's Location, open DuckDB, then per table DESCRIBE its
 * read_parquet over every file (union_by_name reads each file's footer) and create the view.
 */
async function replayStartup(
  store: ObjectStore,
  catalog: Catalog,
): Promise<{ startup: StartupStep[]; views: number; files: number }> {
  const steps: StartupStep[] = [];
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await fn();
    steps.push({ step: name, ms: round(performance.now() - started, 1) });
    return result;
  };
  const tables = await step('catalog: list tables', async () => [
    ...(await catalog.listTables(TABLES_DATABASE)),
    ...(await catalog.listTables(RAW_DATABASE).catch(() => [])),
  ]);
  await step('catalog: partitions of each partitioned table', async () => {
    for (const t of tables) {
      if ((t.PartitionKeys ?? []).length > 0) await catalog.getPartitions(t.DatabaseName, t.Name);
    }
  });
  const root = store.uri('x').slice(0, -1);
  const filesOf = new Map<string, string[]>();
  await step('store: list the files under each Location', async () => {
    for (const t of tables) {
      const prefix = t.StorageDescriptor.Location.slice(root.length);
      const files: string[] = [];
      for await (const info of store.list(prefix)) {
        if (info.size > 0 && info.key.endsWith('.parquet')) files.push(store.localPath!(info.key));
      }
      filesOf.set(t.Name, files);
    }
  });
  const db = await step('duckdb: open', () => DuckDb.create());
  try {
    const perTable: StartupStep[] = [];
    await step('duckdb: DESCRIBE read_parquet + CREATE VIEW, every table', async () => {
      for (const t of tables) {
        const files = filesOf.get(t.Name) ?? [];
        if (files.length === 0) continue;
        const hive = (t.PartitionKeys ?? []).length > 0;
        const from = `read_parquet([${files.map(sqlString).join(', ')}], hive_partitioning=${hive}, hive_types_autocast=false, union_by_name=true)`;
        const started = performance.now();
        await db.all(`SELECT column_name FROM (DESCRIBE SELECT * FROM ${from})`);
        await db.run(`CREATE VIEW ${sqlIdentifier(t.Name)} AS SELECT * FROM ${from}`);
        perTable.push({
          step: `  ${t.Name} (${files.length} files)`,
          ms: round(performance.now() - started, 1),
        });
      }
    });
    steps.push(...perTable.sort((a, b) => b.ms - a.ms).slice(0, 4));
  } finally {
    await db.close();
  }
  return {
    startup: steps,
    views: tables.length,
    files: [...filesOf.values()].reduce((n, f) => n + f.length, 0),
  };
}

// --- part 2: run per simulated day ----------------------------------------------------------------

interface RunDay {
  day: number;
  dt: string;
  ok: boolean;
  /** Wall times from the pipeline's progress events (run() start, transform, catalog, insights, end). */
  extractMs: number;
  transformMs: number;
  catalogMs: number;
  insightsMs: number;
  totalMs: number;
  /** RunInfo's own durations (extract and transform use the runtime's clock: see the notes). */
  reported: { extractMs: number; transformMs: number; insightsMs: number | null; runMs: number };
  requests: number;
  records: number;
  playlistItemRows: number;
  sampledPeakRssBytes: number;
}

interface RunDetail {
  days: RunDay[];
  lakeBytes: number;
  sources: { playlists: number; artists: number; search: number };
}

async function runDays(days: number, seed: number): Promise<RunDetail> {
  const lake = mkdtempSync(join(tmpdir(), 'tunelake-bench-run-'));
  const emulator = await Emulator.create({ port: 0, tier: 'development', seed });
  const out: RunDay[] = [];
  let sources = { playlists: 0, artists: 0, search: 0 };
  try {
    const config = loadConfig({ lake }, { TUNELAKE_CREDENTIALS: '/nonexistent' });
    const runtime = await createRuntime(config, { emulator, logger: silentLogger });
    sources = {
      playlists: runtime.config.sources.playlists.length,
      artists: runtime.config.sources.artists.length,
      search: runtime.config.sources.search.length,
    };
    try {
      for (let day = 0; day < days; day++) {
        if (day > 0) emulator.advanceDay();
        const marks: Record<string, number> = {};
        const sampler = sampleRss(50);
        const started = performance.now();
        const info = await run(runtime, {
          onProgress: (event) => {
            if (!('source' in event) && marks[event.phase] === undefined)
              marks[event.phase] = performance.now() - started;
          },
        });
        const totalMs = performance.now() - started;
        const peak = sampler.stop().peakRssBytes;
        const transformAt = marks.transform ?? totalMs;
        const catalogAt = marks.catalog ?? totalMs;
        const insightsAt = marks.insights ?? totalMs;
        const entry: RunDay = {
          day,
          dt: info.extract.dt,
          ok: info.ok,
          extractMs: Math.round(transformAt),
          transformMs: Math.round(catalogAt - transformAt),
          catalogMs: Math.round(insightsAt - catalogAt),
          insightsMs: Math.round(totalMs - insightsAt),
          totalMs: Math.round(totalMs),
          reported: {
            extractMs: info.extract.durationMs,
            transformMs: info.transform.durationMs,
            insightsMs: info.insights?.durationMs ?? null,
            runMs: info.durationMs,
          },
          requests: info.extract.requests,
          records: Object.values(info.extract.records).reduce((a, b) => a + b, 0),
          playlistItemRows: info.transform.tables.find((t) => t.name === 'playlist_items')?.rowCount ?? 0,
          sampledPeakRssBytes: peak,
        };
        out.push(entry);
        process.stderr.write(
          `  day ${day + 1}/${days} (${entry.dt}): ${seconds(entry.totalMs)} = extract ${seconds(entry.extractMs)} + ` +
            `transform ${seconds(entry.transformMs)} + catalog ${seconds(entry.catalogMs)} + insights ${seconds(entry.insightsMs)}\n`,
        );
      }
    } finally {
      await runtime.close();
    }
    return { days: out, lakeBytes: folderBytes(lake), sources };
  } finally {
    await emulator.close();
    rmSync(lake, { recursive: true, force: true });
  }
}

function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  }
  return total;
}

// --- main -----------------------------------------------------------------------------------------

const LAKE_MARKER = 'bench-queries-lake.json';
const GENERATOR_VERSION = 1;

async function prepareLake(
  p: Params,
): Promise<{ dir: string; info: LakeInfo; measurement: Measurement | null }> {
  const dir = p.lakeDir ?? mkdtempSync(join(tmpdir(), 'tunelake-bench-queries-lake-'));
  const marker = join(dir, LAKE_MARKER);
  if (p.lakeDir && existsSync(marker)) {
    const saved = JSON.parse(readFileSync(marker, 'utf8')) as {
      version: number;
      spec: LakeSpec;
      info: LakeInfo;
    };
    if (saved.version === GENERATOR_VERSION && JSON.stringify(saved.spec) === JSON.stringify(p.lake)) {
      console.log(`reusing the lake in ${dir} (${saved.info.playlistItemRows} playlist_items rows)`);
      return { dir, info: saved.info, measurement: null };
    }
    throw new Error(
      `${dir} holds a lake generated with other parameters; remove it or pick another --lake folder.`,
    );
  }
  if (p.lakeDir && existsSync(dir) && readdirSync(dir).length > 0) {
    throw new Error(`${dir} is not empty and holds no ${LAKE_MARKER}; pick an empty or new --lake folder.`);
  }
  const s = p.lake;
  console.log(
    `generating the lake in ${dir}: ${s.playlists} playlists x ~${s.items} items x ${s.days} days, ` +
      `${s.tracks} tracks, ${s.albums} albums, ${s.artists} artists`,
  );
  const generated = await runChild<LakeInfo>({ kind: 'generate', lake: dir, spec: p.lake, seed: p.seed });
  writeFileSync(
    marker,
    `${JSON.stringify({ version: GENERATOR_VERSION, spec: p.lake, info: generated.detail })}\n`,
  );
  return { dir, info: generated.detail, measurement: generated.measurement };
}

interface QueriesPart {
  lake: LakeInfo & { generation: Measurement | null };
  refresh: {
    repetitions: Array<{ measurement: Measurement; detail: RefreshDetail }>;
    medianWallMs: number;
    medianEngineStartMs: number;
    medianMaxRssBytes: number;
    insights: Array<{
      name: string;
      status: string;
      rows: number;
      medianMs: number;
      share: number;
      /** Set when the insight was stopped: it made no progress for this long. */
      stoppedAfterMs?: number;
    }>;
  };
  query: { measurement: Measurement; detail: QueryDetail; medianEngineCreateMs: number };
}

async function queriesPart(p: Params): Promise<QueriesPart> {
  const { dir, info, measurement } = await prepareLake(p);
  try {
    console.log(
      `  ${info.playlistItemRows} playlist_items rows, ${info.partitions} partitions; written in ` +
        `${seconds(info.writeMs)}, registered in ${seconds(info.registerMs)}`,
    );
    const reps: Array<{ measurement: Measurement; detail: RefreshDetail }> = [];
    // An insight that makes a refresh stall (no progress for --insight-timeout) is stopped, reported as
    // such, and left out of the repetitions, so that the others are still measured.
    const stopped: Array<{ name: string; afterMs: number }> = [];
    for (let rep = 1; rep <= p.repetitions; rep++) {
      for (;;) {
        const only = INSIGHT_NAMES.filter((n) => !stopped.some((x) => x.name === n));
        const r = await runChild<RefreshDetail>({ kind: 'refresh', lake: dir, only }, p.insightTimeoutMs);
        if ('stalled' in r) {
          const done = r.progress.map((line) => /^insight (\w+): /.exec(line)?.[1]);
          const name = only.find((n) => !done.includes(n)) ?? 'unknown';
          stopped.push({ name, afterMs: p.insightTimeoutMs });
          console.log(
            `  refreshInsights ${rep}/${p.repetitions}: insight ${name} made no progress for ` +
              `${seconds(p.insightTimeoutMs)}: stopped; measuring the other insights without it`,
          );
          continue;
        }
        reps.push(r);
        console.log(
          `  refreshInsights ${rep}/${p.repetitions}: ${seconds(r.measurement.wallMs)} (engine start ` +
            `${seconds(r.detail.engineStartMs)}), max RSS ${mib(r.measurement.maxRssBytes)}`,
        );
        break;
      }
    }
    const medianWallMs = median(reps.map((r) => r.measurement.wallMs));
    const insights = INSIGHT_NAMES.map((name) => {
      const halted = stopped.find((x) => x.name === name);
      if (halted) {
        return {
          name,
          status: 'stopped',
          rows: 0,
          medianMs: Number.NaN,
          share: Number.NaN,
          stoppedAfterMs: halted.afterMs,
        };
      }
      const of = reps.map((r) => r.detail.insights.find((i) => i.name === name));
      const medianMs = median(of.map((i) => i?.ms ?? Number.NaN));
      return {
        name,
        status: of.at(-1)?.status ?? 'missing',
        rows: of.at(-1)?.rows ?? 0,
        medianMs,
        share: round(medianMs / medianWallMs, 3),
      };
    });
    console.log('  query engine and queries');
    const q = await runChild<QueryDetail>({
      kind: 'query',
      lake: dir,
      latest: info.latestDate,
      engineRepetitions: p.engineRepetitions,
      queryRepetitions: p.queryRepetitions,
    });
    return {
      lake: { ...info, generation: measurement },
      refresh: {
        repetitions: reps,
        medianWallMs,
        medianEngineStartMs: median(reps.map((r) => r.detail.engineStartMs)),
        medianMaxRssBytes: median(reps.map((r) => r.measurement.maxRssBytes)),
        insights,
      },
      query: { ...q, medianEngineCreateMs: median(q.detail.engineCreateMs) },
    };
  } finally {
    if (!p.lakeDir) rmSync(dir, { recursive: true, force: true });
  }
}

interface RunPart {
  measurement: Measurement;
  detail: RunDetail;
  median: { extractMs: number; transformMs: number; catalogMs: number; insightsMs: number; totalMs: number };
}

async function runPart(p: Params): Promise<RunPart> {
  console.log(`run(runtime) against the emulator (development tier, seed ${p.seed}) for ${p.runDays} days`);
  const r = await runChild<RunDetail>({ kind: 'run', days: p.runDays, seed: p.seed });
  const days = r.detail.days;
  const med = (f: (d: RunDay) => number) => median(days.map(f));
  return {
    ...r,
    median: {
      extractMs: med((d) => d.extractMs),
      transformMs: med((d) => d.transformMs),
      catalogMs: med((d) => d.catalogMs),
      insightsMs: med((d) => d.insightsMs),
      totalMs: med((d) => d.totalMs),
    },
  };
}

async function main(): Promise<void> {
  const p = parseParams(process.argv.slice(2));
  const machine = machineInfo();
  const s = p.lake;
  console.log(
    `queries benchmark: ~${(s.playlists * s.items * s.days).toLocaleString('en-US')} playlist_items rows ` +
      `(${s.playlists} playlists x ~${s.items} items x ${s.days} days), ${p.repetitions} refreshes, ` +
      `${p.runDays} run days; ${machine.cpus} CPUs, Node ${machine.node}, load ${machine.loadAverage.join(' ')}`,
  );
  const started = performance.now();
  const queries = p.skipQueries ? undefined : await queriesPart(p);
  const runs = p.skipRun ? undefined : await runPart(p);

  if (queries) {
    console.log(`\n${lakeTable(queries)}`);
    console.log(`\n${refreshTable(queries, p)}`);
    console.log(`\n${queryTable(queries, p)}`);
    console.log(`\n${startupTable(queries)}`);
    console.log(`\n${planTable(queries)}`);
  }
  if (runs) console.log(`\n${runTable(runs)}`);
  const ratios = summaryRatios(queries, runs);
  if (Object.keys(ratios).length > 0) {
    console.log(
      `\n${formatTable(
        ['ratio', 'value'],
        Object.entries(ratios).map(([k, v]) => [k, String(v)]),
      )}`,
    );
  }

  await writeResults(p.out, {
    benchmark: 'queries',
    machine,
    loadAverageAfter: os.loadavg().map((n) => round(n, 2)),
    parameters: { ...p, lakeDir: p.lakeDir ?? null },
    commands: {
      refresh: 'refreshInsights({ store, catalog, config })',
      engine: 'createQueryEngine(config, { store, catalog })',
      queries: queries?.query.detail.queries.map((q) => q.sql) ?? [],
      run: "run(createRuntime(config, { emulator: Emulator.create({ port: 0, tier: 'development', seed }) })), emulator.advanceDay() between runs",
    },
    queries: queries ?? null,
    run: runs ?? null,
    ratios,
    notes: [
      'Insight times per insight come from the debug log of refreshInsights: the time from the previous ' +
        "insight's log line (or the engine's 'views created') to this one's: availability check, COPY, " +
        'column check, md5 + upload, catalog upsert.',
      'The first refresh repetition writes the insight files and registers their tables; the next ones ' +
        'compute the same bytes and skip the upload.',
      "Run phases come from run()'s progress events; RunInfo's extract.durationMs and transform.durationMs " +
        "use the runtime's clock (runtime.now), which against the emulator follows the wall clock only " +
        'for the first 60 s after createRuntime and then stays at the end of the simulated day, so past ' +
        'that they read 0; they are kept as `reported`, and the wall-clock split does not depend on them.',
      'An insight that logs nothing for --insight-timeout is stopped and left out of the refresh ' +
        'repetitions (refresh times then exclude it); `queries.query.detail.plans` lists the join ' +
        'operators of every insight plan, where a nested-loop join explains such a stall.',
    ],
    totalMs: Math.round(performance.now() - started),
  });
  console.log(`\nresults: ${p.out} (${seconds(performance.now() - started)} in all)`);
}

// --- output ---------------------------------------------------------------------------------------

function lakeTable(q: QueriesPart): string {
  const rows = q.lake.tables.map((t) => [
    t.name,
    t.rows.toLocaleString('en-US'),
    String(t.files),
    mib(t.bytes),
    t.nullColumns.length > 0 ? `NULL: ${t.nullColumns.join(', ')}` : '',
  ]);
  rows.push(['generation (one emulator day for the schemas)', '', '', seconds(q.lake.schemaMs), '']);
  rows.push(['generation (write + publish)', '', '', seconds(q.lake.writeMs), '']);
  rows.push(['register (catalog)', '', `${q.lake.partitions} partitions`, seconds(q.lake.registerMs), '']);
  return formatTable(['lake table', 'rows', 'files', 'size / time', ''], rows);
}

function refreshTable(q: QueriesPart, p: Params): string {
  const r = q.refresh;
  const rows: string[][] = [
    [
      `refreshInsights (median of ${p.repetitions})${
        r.insights.some((i) => i.stoppedAfterMs !== undefined) ? ', stopped insights excluded' : ''
      }`,
      seconds(r.medianWallMs),
      '100%',
      r.repetitions.map((x) => seconds(x.measurement.wallMs)).join(', '),
    ],
    [
      '  engine start-up (views over the catalog)',
      seconds(r.medianEngineStartMs),
      pct(r.medianEngineStartMs / r.medianWallMs),
      '',
    ],
    ...r.insights.map((i) =>
      i.stoppedAfterMs !== undefined
        ? [`  ${i.name}`, `> ${seconds(i.stoppedAfterMs)}`, '', 'stopped: not in the refresh times']
        : [
            `  ${i.name}`,
            seconds(i.medianMs),
            pct(i.share),
            i.status === 'written' ? `${i.rows.toLocaleString('en-US')} rows` : i.status,
          ],
    ),
    ['peak RSS (kernel max RSS, median)', mib(r.medianMaxRssBytes), '', ''],
  ];
  return formatTable(['insights refresh', 'time', 'share', 'repetitions / rows'], rows);
}

function queryTable(q: QueriesPart, p: Params): string {
  const d = q.query.detail;
  const base = d.queries[0]?.medianMs ?? Number.NaN;
  const rows: string[][] = [
    [
      `createQueryEngine (median of ${p.engineRepetitions})`,
      ms(q.query.medianEngineCreateMs),
      '',
      d.engineCreateMs.map(ms).join(', '),
      `${d.views} views, ${d.files} files`,
    ],
    ...d.queries.map((x) => [
      x.name,
      ms(x.medianMs),
      `${round(x.medianMs / base, 1)}x`,
      x.runsMs.map(ms).join(', '),
      `${x.rows} rows`,
    ]),
    ['peak RSS of the query process (kernel max RSS)', mib(q.query.measurement.maxRssBytes), '', '', ''],
  ];
  return formatTable(
    [`query latency (median of ${p.queryRepetitions})`, 'median', 'vs count(*)', 'runs', ''],
    rows,
  );
}

function startupTable(q: QueriesPart): string {
  const rows = q.query.detail.startup.map((s) => [s.step, ms(s.ms)]);
  return formatTable(['engine start-up, replayed step by step', 'time'], rows);
}

const NESTED_LOOPS = /NL_JOIN|NESTED_LOOP/;

function planTable(q: QueriesPart): string {
  const rows = q.query.detail.plans.map((pl) => {
    const joins = Object.entries(pl.joins)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([op, n]) => `${op} x${n}`)
      .join(', ');
    const loops = Object.keys(pl.joins).some((op) => NESTED_LOOPS.test(op));
    return [pl.name, joins, loops ? 'nested-loop join: cost grows with rows x rows' : ''];
  });
  return formatTable(['insight plan (EXPLAIN)', 'join operators', ''], rows);
}

function runTable(r: RunPart): string {
  const rows = r.detail.days.map((d) => [
    `day ${d.day + 1} (${d.dt})${d.ok ? '' : ' NOT OK'}`,
    seconds(d.extractMs),
    seconds(d.transformMs),
    seconds(d.catalogMs),
    seconds(d.insightsMs),
    seconds(d.totalMs),
    String(d.requests),
    d.playlistItemRows.toLocaleString('en-US'),
    mib(d.sampledPeakRssBytes),
  ]);
  const m = r.median;
  rows.push([
    'median',
    seconds(m.extractMs),
    seconds(m.transformMs),
    seconds(m.catalogMs),
    seconds(m.insightsMs),
    seconds(m.totalMs),
    '',
    '',
    '',
  ]);
  rows.push([
    'share of the median day',
    pct(m.extractMs / m.totalMs),
    pct(m.transformMs / m.totalMs),
    pct(m.catalogMs / m.totalMs),
    pct(m.insightsMs / m.totalMs),
    '',
    '',
    '',
    '',
  ]);
  rows.push([
    'peak RSS of the run process (kernel max RSS)',
    '',
    '',
    '',
    '',
    mib(r.measurement.maxRssBytes),
    '',
    '',
    '',
  ]);
  return formatTable(
    [
      'run per simulated day',
      'extract',
      'transform',
      'catalog',
      'insights',
      'total',
      'requests',
      'playlist_items',
      'peak RSS',
    ],
    rows,
  );
}

function summaryRatios(q: QueriesPart | undefined, r: RunPart | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (q) {
    const rows = q.lake.playlistItemRows;
    const stopped = q.refresh.insights.filter((i) => i.stoppedAfterMs !== undefined).map((i) => i.name);
    const without = stopped.length > 0 ? ` (without ${stopped.join(', ')})` : '';
    out[`refresh seconds per million playlist_items rows${without}`] = round(
      q.refresh.medianWallMs / 1000 / (rows / 1e6),
      2,
    );
    out['engine start-up / refresh'] = round(q.refresh.medianEngineStartMs / q.refresh.medianWallMs, 3);
    const heaviest = q.refresh.insights
      .filter((i) => i.stoppedAfterMs === undefined)
      .sort((a, b) => b.medianMs - a.medianMs)[0];
    if (heaviest) out[`heaviest insight (${heaviest.name}) / refresh`] = heaviest.share;
    const qs = q.query.detail.queries;
    const count = qs[0]?.medianMs ?? Number.NaN;
    out['createQueryEngine / count(*) latency'] = round(q.query.medianEngineCreateMs / count, 1);
    for (const x of qs.slice(1)) out[`${x.name} / count(*)`] = round(x.medianMs / count, 1);
    const first = qs.map((x) => (x.runsMs[0] ?? 0) / x.medianMs);
    out['first run / median run (worst query)'] = round(Math.max(...first), 2);
  }
  if (r) {
    const days = r.detail.days;
    const firstDay = days[0];
    const lastDay = days.at(-1);
    if (firstDay && lastDay) out['run: last day / first day'] = round(lastDay.totalMs / firstDay.totalMs, 2);
    if (days.length > 2) {
      const steady = median(days.slice(1).map((d) => d.totalMs));
      out['run: first day / median later day'] = round((firstDay?.totalMs ?? 0) / steady, 2);
    }
    out['run: insights / median day'] = round(r.median.insightsMs / r.median.totalMs, 3);
  }
  return out;
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

const seconds = (msValue: number) => `${(msValue / 1000).toFixed(1)} s`;
const ms = (value: number) => (value >= 10_000 ? seconds(value) : `${value.toFixed(0)} ms`);
const pct = (share: number) => `${Math.round(share * 100)}%`;

if (process.argv[2] === '--child') {
  let job = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) job += chunk;
  await child(JSON.parse(job) as ChildJob);
} else {
  await main();
}
