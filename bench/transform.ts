// Benchmark of the transform stage (not a test: it measures and reports, it asserts nothing).
//
//   npx tsx bench/transform.ts              # 1,000,000 playlist items, 3 repetitions (~5 min on 2 cores)
//   npx tsx bench/transform.ts --quick      # 100,000 playlist items, 1 repetition (~20 s)
//   npx tsx bench/transform.ts --records 300000 --repetitions 2 --memory-limit 1GB --threads 2
//   npx tsx bench/transform.ts --lake /tmp/tl-bench-lake   # keep the generated lake; reuse it next time
//
// A raw zone of watched playlists is generated first (bench/playlist-lake.ts: extract's exact record
// shape, writer and manifests; not measured). Then, side by side, each in a child process of its
// own so that its peak RSS is its own:
// - tunelake's full transform of the lake (`transform({ store }, { full: true, memoryLimit })`), on
//   a lake reset to "never transformed" before each repetition (tables/ and state/transform.json
//   removed), so every repetition does the first transform's work;
// - the floor: DuckDB reading the same playlist_items parts once, with an explicit column list of
//   exactly the fields the transform keeps, into one zstd Parquet file: one parse of the bytes, no
//   joins, no deduplication. No transform of these records can do less work.
// Then, unless --skip-profile, one more child runs the transform once more with every statement it
// sends to DuckDB timed and profiled (DuckDB's operator profile of the heaviest): where the time goes.
// Results go to bench/results/transform.json (transform-quick.json with --quick) and a table on stdout.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLogger } from '../src/log.js';
import { DuckDb } from '../src/query/duckdb.js';
import { sqlString } from '../src/query/sql-text.js';
import { createLocalObjectStore } from '../src/storage/local.js';
import type { ObjectStore } from '../src/storage/store.js';
import { TRANSFORM_STATE_KEY } from '../src/transform/state.js';
import { macrosSql } from '../src/transform/tables.js';
import { type TransformInfo, transform } from '../src/transform/transform.js';
import { PANDAS_INSTALL, type PandasResult, pandasVersion, runPandasBaseline } from './pandas-baseline.js';
import {
  generatePlaylistLake,
  PLAYLIST_LAKE_VERSION,
  type PlaylistLakeInfo,
  type PlaylistLakeOptions,
} from './playlist-lake.js';
import {
  formatTable,
  machineInfo,
  maxRssBytes,
  medianOf,
  mib,
  optionChecker,
  sampleRss,
  writeResults,
} from './support.js';

interface Params {
  quick: boolean;
  lake: PlaylistLakeOptions;
  repetitions: number;
  memoryLimit: string;
  /** DuckDB worker threads; undefined = DuckDB's default (one per core). */
  threads: number | undefined;
  /** Keep (and reuse) the generated lake in this folder instead of a temp folder. */
  lakeDir: string | undefined;
  profile: boolean;
  /** Run the pandas baseline (bench/baselines/pandas_transform.py) with this Python; undefined = skip it. */
  python: string | undefined;
  out: string;
}

const USAGE =
  'Usage: npx tsx bench/transform.ts [--quick] [--records N] [--playlists N] [--runs N] [--change-probability P] ' +
  '[--repetitions N] [--memory-limit 2GB] [--threads N] [--seed N] [--lake DIR] [--skip-profile] [--skip-pandas] ' +
  '[--python python3] [--out FILE]';

/** The target the project steers toward: the transform within this factor of the floor. */
const TARGET_RATIO = 2;
/** And at least this many times faster than the seed project's pandas transform. */
const PANDAS_TARGET = 10;

function parseParams(argv: string[]): Params {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      records: { type: 'string' },
      playlists: { type: 'string' },
      runs: { type: 'string' },
      'change-probability': { type: 'string' },
      repetitions: { type: 'string' },
      'memory-limit': { type: 'string', default: '2GB' },
      threads: { type: 'string' },
      seed: { type: 'string', default: '42' },
      lake: { type: 'string' },
      'skip-profile': { type: 'boolean', default: false },
      'skip-pandas': { type: 'boolean', default: false },
      python: { type: 'string', default: 'python3' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const { problems, num, finish } = optionChecker(USAGE);
  const quick = values.quick ?? false;
  const records = num('records', values.records, quick ? 100_000 : 1_000_000, 1, 50_000_000);
  const memoryLimit = values['memory-limit'] ?? '2GB';
  if (!/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(memoryLimit)) {
    problems.push(`--memory-limit "${memoryLimit}": expected a DuckDB size such as 2GB or 512MB`);
  }
  const params: Params = {
    quick,
    lake: {
      records,
      playlists: num('playlists', values.playlists, 300, 1, 100_000),
      runs: num('runs', values.runs, 4, 1, 60),
      seed: num('seed', values.seed, 42, 0, 2 ** 32 - 1),
      changeProbability: num('change-probability', values['change-probability'], 0.4, 0, 1, false),
      // The catalogue grows with the records (70k tracks at a million), so tracks repeat as in real playlists.
      catalogScale: Math.max(3, Math.min(50, Math.round(records / 20_000))),
    },
    repetitions: num('repetitions', values.repetitions, quick ? 1 : 3, 1, 20),
    memoryLimit,
    threads: values.threads === undefined ? undefined : num('threads', values.threads, 2, 1, 256),
    lakeDir: values.lake === undefined ? undefined : resolve(values.lake),
    profile: !(values['skip-profile'] ?? false),
    python: values['skip-pandas'] ? undefined : (values.python ?? 'python3'),
    out: values.out ?? (quick ? 'bench/results/transform-quick.json' : 'bench/results/transform.json'),
  };
  finish();
  return params;
}

// --- the measured work, each in a child process ---------------------------------------------------

interface DuckDbSettings {
  memoryLimit: string;
  threads: number | undefined;
}

type ChildJob =
  | ({ kind: 'transform'; lake: string } & DuckDbSettings)
  | ({ kind: 'floor'; paths: string[]; out: string } & DuckDbSettings)
  | ({ kind: 'profile'; lake: string } & DuckDbSettings);

interface Measurement {
  /** Wall time of the measured call alone (process start-up and module loading excluded). */
  wallMs: number;
  /** CPU time over wall time: how many cores the work kept busy on average. */
  cpuCores: number;
  userCpuMs: number;
  systemCpuMs: number;
  /** RSS just before the call (Node, tsx and the loaded modules). */
  rssBeforeBytes: number;
  /** The kernel's high-water mark for the child process (`resourceUsage().maxRSS`). */
  maxRssBytes: number;
  /** Peak RSS sampled every 50 ms during the call (a lower bound of the above). */
  sampledPeakRssBytes: number;
  /** Wall time of the whole child process as the parent saw it. */
  processWallMs: number;
}

interface TransformDetail {
  rows: Record<string, number>;
  quarantined: Record<string, number>;
  /** Milliseconds from the call to each checkpoint, and per-table build times from the debug log. */
  phases: TransformPhases;
}

interface TransformPhases {
  /** Lock, state, manifests, DuckDB start, raw zone read (read_json + context) and objects.sql. */
  loadMs: number;
  /** All tables: candidates, checks, final SQL, unique-key check. */
  tablesMs: number;
  /** Writing every table's Parquet files to the temp folder. */
  writeMs: number;
  /** Copying the files into the lake (and deleting stale ones). */
  publishMs: number;
  /** State commit, closing DuckDB, removing the temp folder, releasing the lock. */
  finishMs: number;
  tableMs: Record<string, number>;
}

interface FloorDetail {
  rows: number;
  parquetBytes: number;
  columns: string;
}

interface ChildResult<D> {
  measurement: Measurement;
  detail: D;
}

const SELF = fileURLToPath(import.meta.url);

async function runChild<D>(job: ChildJob): Promise<ChildResult<D>> {
  const started = performance.now();
  // The job goes through stdin: a long list of parts would not fit in one command-line argument.
  const child = spawn(process.execPath, [...process.execArgv, SELF, '--child'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin.end(JSON.stringify(job));
  let stdout = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
  });
  const code = await new Promise<number | null>((done, fail) => {
    child.on('error', fail);
    child.on('close', done);
  });
  if (code !== 0) throw new Error(`the ${job.kind} child process exited with code ${code}`);
  const last = stdout.trim().split('\n').at(-1) ?? '';
  const result = JSON.parse(last) as ChildResult<D>;
  result.measurement.processWallMs = Math.round(performance.now() - started);
  return result;
}

async function child(job: ChildJob): Promise<void> {
  let result: ChildResult<unknown>;
  if (job.kind === 'transform') result = await measureChild(() => runTransform(job.lake, job));
  else if (job.kind === 'floor') result = await measureChild(() => runFloor(job.paths, job.out, job));
  else result = { measurement: emptyMeasurement(), detail: await profileTransform(job.lake, job) };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function measureChild<D>(fn: () => Promise<{ detail: D }>): Promise<ChildResult<D>> {
  const rssBeforeBytes = process.memoryUsage.rss();
  const cpuBefore = process.cpuUsage();
  const sampler = sampleRss(50);
  const started = performance.now();
  const { detail } = await fn();
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const sampledPeakRssBytes = sampler.stop().peakRssBytes;
  const measurement: Measurement = {
    wallMs: Math.round(wallMs),
    cpuCores: round((cpu.user + cpu.system) / 1000 / wallMs, 2),
    userCpuMs: Math.round(cpu.user / 1000),
    systemCpuMs: Math.round(cpu.system / 1000),
    rssBeforeBytes,
    maxRssBytes: maxRssBytes(),
    sampledPeakRssBytes,
    processWallMs: 0,
  };
  return { measurement, detail };
}

function emptyMeasurement(): Measurement {
  return {
    wallMs: 0,
    cpuCores: 0,
    userCpuMs: 0,
    systemCpuMs: 0,
    rssBeforeBytes: 0,
    maxRssBytes: 0,
    sampledPeakRssBytes: 0,
    processWallMs: 0,
  };
}

async function runTransform(lake: string, settings: DuckDbSettings): Promise<{ detail: TransformDetail }> {
  const store = createLocalObjectStore({ root: lake });
  const tableMs: Record<string, number> = {};
  const logger = createLogger({
    level: 'debug',
    write: (line) => {
      const entry = JSON.parse(line) as { msg: string; table?: string; ms?: number };
      if (entry.msg === 'transform: table built' && entry.table) tableMs[entry.table] = entry.ms ?? 0;
    },
  });
  const marks = new Map<string, number>();
  const started = performance.now();
  const info: TransformInfo = await transform(
    { store, logger },
    {
      full: true,
      memoryLimit: settings.memoryLimit,
      threads: settings.threads,
      checkpoint: (name) => {
        marks.set(name.startsWith('uploaded:') ? 'uploaded' : name, performance.now() - started);
      },
    },
  );
  const end = performance.now() - started;
  const at = (name: string) => marks.get(name) ?? Number.NaN;
  const phases: TransformPhases = {
    loadMs: Math.round(at('loaded')),
    tablesMs: Math.round(at('built') - at('loaded')),
    writeMs: Math.round(at('written') - at('built')),
    publishMs: Math.round(at('published') - at('written')),
    finishMs: Math.round(end - at('published')),
    tableMs,
  };
  return { detail: { rows: info.rows, quarantined: info.quarantined, phases } };
}

/**
 * The floor's columns: exactly what the transform reads of a playlist_items record, typed with the
 * transform's own shapes (macros.sql), so the two stay in step. Of the context: fetched_at and the
 * playlist, snapshot and position; of the data: the wrapper's added_at, added_by.id and is_local, and
 * `item` parsed with playable_shape(). The deprecated `track` alias carries the same object and is
 * read by the transform only when `item` is missing, so it is left out.
 */
async function floorColumns(db: DuckDb): Promise<string> {
  await db.run(macrosSql());
  const [row] = await db.all(`SELECT typeof(from_json('{}', playable_shape())) AS t`);
  const playable = String(row?.t);
  const context = 'STRUCT(fetched_at VARCHAR, playlist_id VARCHAR, snapshot_id VARCHAR, "position" INTEGER)';
  const data = `STRUCT(added_at VARCHAR, added_by STRUCT(id VARCHAR), is_local BOOLEAN, item ${playable})`;
  return `{context: ${sqlString(context)}, data: ${sqlString(data)}}`;
}

async function runFloor(
  paths: string[],
  out: string,
  settings: DuckDbSettings,
): Promise<{ detail: FloorDetail }> {
  // Opening and closing DuckDB are measured, as they are in the transform's time.
  const db = await DuckDb.create({ memoryLimit: settings.memoryLimit, threads: settings.threads });
  try {
    const columns = await floorColumns(db);
    // The file name stays too: the ingestion date and run come from the key, as in the transform.
    await db.run(`
      COPY (
        SELECT context, data, filename
        FROM read_json([${paths.map(sqlString).join(', ')}],
          format = 'newline_delimited', compression = 'gzip', filename = true, columns = ${columns})
      ) TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd)
    `);
    return { detail: { rows: 0, parquetBytes: 0, columns } };
  } finally {
    await db.close();
  }
}

// --- where the time goes ---------------------------------------------------------------------------

interface ProfiledStatement {
  /** What the call ran: the first statement's verb and target (`CREATE TABLE tracks`, `COPY -> tables/...`). */
  step: string;
  ms: number;
  /**
   * The most expensive operators of DuckDB's profile of the call's last statement (operator times
   * are summed over threads, so they can exceed the wall time).
   */
  operators?: Array<{ operator: string; ms: number; rows: number; info: string }>;
}

interface Profile {
  totalMs: number;
  phases: TransformPhases;
  /** Calls of 20 ms or more, in the order the transform made them. */
  statements: ProfiledStatement[];
  /** The shorter calls, together. */
  shortCalls: { count: number; ms: number };
  /** Time spent outside DuckDB calls: JavaScript, file copies into the lake, the lock and state. */
  outsideDuckDbMs: number;
}

/**
 * The real transform, with every statement it sends to DuckDB timed on its own and profiled by
 * DuckDB: `DuckDb.prototype.run` and `.all` are wrapped in this child process only, so nothing of the
 * transform is copied here and the profile follows its code as it changes. Profiling costs a little:
 * compare these timings with each other and with the measured phases, not with the floor.
 */
async function profileTransform(lake: string, settings: DuckDbSettings): Promise<Profile> {
  const work = mkdtempSync(join(tmpdir(), 'tunelake-bench-profile-'));
  const profileFile = join(work, 'profile.json');
  const statements: ProfiledStatement[] = [];
  const run = DuckDb.prototype.run;
  const all = DuckDb.prototype.all;
  const profiled = new WeakSet<DuckDb>();
  const instrument = async <T>(db: DuckDb, sql: string, call: () => Promise<T>): Promise<T> => {
    if (!profiled.has(db)) {
      profiled.add(db);
      await run.call(db, `SET enable_profiling = 'json'; SET profiling_output = ${sqlString(profileFile)}`);
    }
    rmSync(profileFile, { force: true });
    const started = performance.now();
    const result = await call();
    statements.push({
      step: describeSql(sql),
      ms: Math.round(performance.now() - started),
      operators: topOperators(profileFile),
    });
    return result;
  };
  DuckDb.prototype.run = function (this: DuckDb, sql: string) {
    return instrument(this, sql, () => run.call(this, sql));
  };
  DuckDb.prototype.all = function (this: DuckDb, sql: string) {
    return instrument(this, sql, () => all.call(this, sql));
  } as typeof all;
  try {
    const started = performance.now();
    const { detail } = await runTransform(lake, settings);
    const totalMs = Math.round(performance.now() - started);
    const short = statements.filter((st) => st.ms < 20);
    const inDuckDb = statements.reduce((n, st) => n + st.ms, 0);
    return {
      totalMs,
      phases: detail.phases,
      statements: statements.filter((st) => st.ms >= 20),
      shortCalls: { count: short.length, ms: short.reduce((n, st) => n + st.ms, 0) },
      outsideDuckDbMs: totalMs - inDuckDb,
    };
  } finally {
    DuckDb.prototype.run = run;
    DuckDb.prototype.all = all;
    rmSync(work, { recursive: true, force: true });
  }
}

/** A short name for what a call ran, from its first statement (comments left out). */
function describeSql(sql: string): string {
  const statements = sql
    .replace(/--.*$/gm, '')
    .split(/;\s*$/m)
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => s.length > 0);
  const first = statements[0] ?? '';
  const more = statements.length > 1 ? ` (+${statements.length - 1} more)` : '';
  const copy = /^COPY .* TO '[^']*\/(tables\/[^']*)'/.exec(first);
  if (copy) return `COPY -> ${copy[1]}${more}`;
  const create = /^CREATE (?:OR REPLACE )?(TABLE|MACRO|VIEW) (\S+)/i.exec(first);
  if (create) return `CREATE ${create[1]!.toUpperCase()} ${create[2]}${more}`;
  return `${first.slice(0, 60)}${more}`;
}

interface ProfileNode {
  operator_name?: string;
  operator_type?: string;
  operator_timing?: number;
  operator_cardinality?: number;
  extra_info?: Record<string, unknown>;
  children?: ProfileNode[];
}

function topOperators(file: string): ProfiledStatement['operators'] {
  if (!existsSync(file)) return undefined;
  let root: ProfileNode;
  try {
    root = JSON.parse(readFileSync(file, 'utf8')) as ProfileNode;
  } catch {
    return undefined;
  }
  const found: Array<{ operator: string; ms: number; rows: number; info: string }> = [];
  const walk = (node: ProfileNode) => {
    if (node.operator_timing !== undefined && (node.operator_name || node.operator_type)) {
      const info = node.extra_info ?? {};
      const brief = ['Function', 'Table', 'Projections', 'Join Type', 'Conditions', 'Aggregates', 'Groups']
        .filter((k) => info[k] !== undefined)
        .map((k) => `${k}: ${String(info[k]).replace(/\s+/g, ' ').slice(0, 120)}`)
        .join('; ');
      found.push({
        operator: (node.operator_name ?? node.operator_type ?? '').trim(),
        ms: Math.round(node.operator_timing * 1000),
        rows: node.operator_cardinality ?? 0,
        info: brief,
      });
    }
    for (const c of node.children ?? []) walk(c);
  };
  walk(root);
  return found.sort((a, b) => b.ms - a.ms).slice(0, 4);
}

// --- the lake -------------------------------------------------------------------------------------

const LAKE_MARKER = 'bench-lake.json';

/** Generates the lake, or reuses the one a previous run left in `--lake DIR` with the same options. */
async function prepareLake(p: Params): Promise<{ dir: string; info: PlaylistLakeInfo; reused: boolean }> {
  const dir = p.lakeDir ?? mkdtempSync(join(tmpdir(), 'tunelake-bench-transform-'));
  const marker = join(dir, LAKE_MARKER);
  if (p.lakeDir && existsSync(marker)) {
    const saved = JSON.parse(readFileSync(marker, 'utf8')) as {
      version?: number;
      options: PlaylistLakeOptions;
      info: PlaylistLakeInfo;
    };
    if (saved.version === PLAYLIST_LAKE_VERSION && JSON.stringify(saved.options) === JSON.stringify(p.lake)) {
      console.log(`reusing the lake in ${dir} (${saved.info.records} playlist items)`);
      return { dir, info: saved.info, reused: true };
    }
    throw new Error(
      `${dir} holds a lake generated with other options or an older generator; remove it or pick another --lake folder.`,
    );
  }
  if (p.lakeDir && existsSync(dir) && readdirSync(dir).length > 0) {
    throw new Error(`${dir} is not empty and holds no ${LAKE_MARKER}; pick an empty or new --lake folder.`);
  }
  console.log(
    `generating ${p.lake.records} playlist items (${p.lake.playlists} playlists, ${p.lake.runs} runs) in ${dir}`,
  );
  const store = createLocalObjectStore({ root: dir });
  const info = await generatePlaylistLake(store, p.lake, (m) => console.log(`  ${m}`));
  writeFileSync(marker, `${JSON.stringify({ version: PLAYLIST_LAKE_VERSION, options: p.lake, info })}\n`);
  return { dir, info, reused: false };
}

/** Back to "never transformed": the tables and the transform's marker go, the raw zone stays. */
async function resetTransform(store: ObjectStore): Promise<void> {
  const keys: string[] = [];
  for await (const o of store.list('tables/')) keys.push(o.key);
  await store.deleteMany(keys);
  await store.delete(TRANSFORM_STATE_KEY);
}

// --- main -----------------------------------------------------------------------------------------

interface Side {
  median: Measurement;
  recordsPerSecond: number;
  repetitions: Measurement[];
}

async function main(): Promise<void> {
  const p = parseParams(process.argv.slice(2));
  const machine = machineInfo();
  console.log(
    `transform benchmark: ${p.lake.records} playlist items, ${p.repetitions} repetition(s), DuckDB memory limit ` +
      `${p.memoryLimit}, threads ${p.threads ?? 'default'}; ${machine.cpus} CPUs, Node ${machine.node}, ` +
      `load ${machine.loadAverage.join(' ')}`,
  );
  const started = performance.now();
  const codeBefore = transformCodeVersion();
  console.log(`transform code ${codeBefore.sha256} (newest change ${codeBefore.newestChange})`);
  let pandasSkipped: string | undefined;
  let pandas: string | undefined;
  if (p.python === undefined) pandasSkipped = '--skip-pandas';
  else {
    const found = await pandasVersion(p.python);
    if (found.version === undefined) {
      pandasSkipped = `${p.python} cannot import pandas (${found.reason})`;
      console.warn(
        `  ${pandasSkipped}: the pandas baseline is left out. Install it with \`${PANDAS_INSTALL}\` ` +
          '(a local wheel index serves them here), or pass --skip-pandas.',
      );
    } else pandas = found.version;
  }
  const { dir, info, reused } = await prepareLake(p);
  const scratch = mkdtempSync(join(tmpdir(), 'tunelake-bench-floor-'));
  try {
    const store = createLocalObjectStore({ root: dir });
    const settings: DuckDbSettings = { memoryLimit: p.memoryLimit, threads: p.threads };
    const transforms: Array<ChildResult<TransformDetail>> = [];
    const floors: Array<ChildResult<FloorDetail>> = [];
    const pandasRuns: Array<ChildResult<PandasResult>> = [];
    const codeByRepetition: string[] = [];
    for (let rep = 1; rep <= p.repetitions; rep++) {
      await resetTransform(store);
      // The child loads the code as it starts: the version seen now is the one it runs.
      codeByRepetition.push(transformCodeVersion().sha256);
      const t = await runChild<TransformDetail>({ kind: 'transform', lake: dir, ...settings });
      transforms.push(t);
      log(`transform ${rep}/${p.repetitions}`, t.measurement, info.records);
      const out = join(scratch, `floor-${rep}.parquet`);
      const f = await runChild<FloorDetail>({
        kind: 'floor',
        paths: info.playlistItemPaths,
        out,
        ...settings,
      });
      f.detail.rows = await parquetRows(out);
      f.detail.parquetBytes = fileSize(out);
      rmSync(out, { force: true });
      floors.push(f);
      log(`floor     ${rep}/${p.repetitions}`, f.measurement, info.records);
      if (pandas !== undefined && p.python !== undefined) {
        const csvDir = mkdtempSync(join(scratch, 'pandas-'));
        const r = await runPandasBaseline(p.python, info.playlistItemPaths, csvDir);
        rmSync(csvDir, { recursive: true, force: true });
        const measurement: Measurement = {
          wallMs: r.wallMs,
          cpuCores: round((r.userCpuMs + r.systemCpuMs) / r.wallMs, 2),
          userCpuMs: r.userCpuMs,
          systemCpuMs: r.systemCpuMs,
          rssBeforeBytes: 0,
          maxRssBytes: r.maxRssBytes,
          sampledPeakRssBytes: 0,
          processWallMs: r.processWallMs,
        };
        pandasRuns.push({ measurement, detail: r });
        log(`pandas    ${rep}/${p.repetitions}`, measurement, info.records);
      }
    }

    let profile: Profile | undefined;
    let profileError: string | undefined;
    let profileCode: string | undefined;
    if (p.profile) {
      console.log('profiling the transform statement by statement (not part of the measurement)');
      await resetTransform(store);
      profileCode = transformCodeVersion().sha256;
      try {
        profile = (await runChild<Profile>({ kind: 'profile', lake: dir, ...settings })).detail;
      } catch (error) {
        // The profile leans on DuckDb's methods; if that ever breaks, the measurements still count.
        profileError = (error as Error).message;
        console.warn(`  the profile failed: ${profileError}`);
      }
    }

    const side = (runs: Array<ChildResult<unknown>>): Side => {
      const m = medianOf(runs.map((r) => r.measurement));
      return {
        median: m,
        recordsPerSecond: Math.round(info.records / (m.wallMs / 1000)),
        repetitions: runs.map((r) => r.measurement),
      };
    };
    const tunelake = side(transforms);
    const floor = side(floors);
    const lastTransform = transforms.at(-1)!.detail;
    const phases = medianOf(transforms.map((t) => t.detail.phases));
    const ratios = ratiosOf(tunelake, floor);
    const pandasSide = pandasRuns.length > 0 ? side(pandasRuns) : undefined;
    // How many times faster than pandas tunelake is (the target is >= 10x).
    const pandasRatios = pandasSide ? ratiosOf(pandasSide, tunelake) : undefined;
    const checks = {
      playlistItemRows: lastTransform.rows.playlist_items ?? 0,
      expectedPlaylistItemRows: info.expectedPlaylistItemRows,
      floorRows: floors.at(-1)!.detail.rows,
      quarantined: Object.values(lastTransform.quarantined).reduce((a, b) => a + b, 0),
    };
    if (checks.playlistItemRows !== checks.expectedPlaylistItemRows) {
      console.warn(
        `  playlist_items has ${checks.playlistItemRows} rows, the generated lake implies ${checks.expectedPlaylistItemRows}`,
      );
    }
    if (new Set(codeByRepetition).size > 1) {
      console.warn(
        `  src/transform changed between repetitions: they ran code ${codeByRepetition.join(', ')}`,
      );
    } else if (profileCode !== undefined && profileCode !== codeByRepetition[0]) {
      console.warn(
        `  src/transform changed before the profile: it ran code ${profileCode}, the repetitions ${codeByRepetition[0]}`,
      );
    }
    if (checks.floorRows !== info.records)
      console.warn(`  the floor wrote ${checks.floorRows} rows of ${info.records}`);

    console.log(`\n${comparisonTable(p, info, tunelake, floor, ratios, pandasSide, pandasRatios)}`);
    console.log(`\n${phaseTable(phases, tunelake.median.wallMs)}`);
    if (profile) console.log(`\n${profileTable(profile)}`);
    console.log(
      `\ntunelake / floor: ${ratios.wallTime}x wall time (target <= ${TARGET_RATIO}x), ${ratios.cpuTime}x CPU ` +
        `time, ${ratios.peakRss}x peak RSS. Load average now ${os
          .loadavg()
          .map((n) => round(n, 2))
          .join(' ')}. ` +
        (pandasRatios
          ? `pandas / tunelake: ${pandasRatios.wallTime}x wall time (target >= ${PANDAS_TARGET}x), ` +
            `${pandasRatios.cpuTime}x CPU time, ${pandasRatios.peakRss}x peak RSS. `
          : `pandas baseline skipped: ${pandasSkipped}. `) +
        `transform rows: ${Object.entries(lastTransform.rows)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}.`,
    );

    await writeResults(p.out, {
      benchmark: 'transform',
      machine,
      loadAverageAfter: os.loadavg().map((n) => round(n, 2)),
      parameters: { ...p, threads: p.threads ?? null, lakeDir: p.lakeDir ?? null },
      transformCode: { ...codeBefore, byRepetition: codeByRepetition, profile: profileCode ?? null },
      commands: {
        transform: `transform({ store }, { full: true, memoryLimit: '${p.memoryLimit}'${p.threads ? `, threads: ${p.threads}` : ''} })`,
        pandas: `${p.python ?? 'python3'} bench/baselines/pandas_transform.py <csv dir> @<list of the playlist_items parts>`,
        floor: `COPY (SELECT context, data, filename FROM read_json(<${info.playlistItemParts} playlist_items parts>, format = 'newline_delimited', compression = 'gzip', filename = true, columns = ${floors[0]!.detail.columns})) TO '<file>' (FORMAT parquet, COMPRESSION zstd)`,
      },
      lake: { ...info, playlistItemPaths: undefined, reused },
      targetRatio: TARGET_RATIO,
      ratio: ratios,
      pandasTarget: PANDAS_TARGET,
      pandasOverTunelake: pandasRatios ?? null,
      transform: { ...tunelake, phases, rows: lastTransform.rows, quarantined: lastTransform.quarantined },
      floor: { ...floor, rows: checks.floorRows, parquetBytes: floors.at(-1)!.detail.parquetBytes },
      pandas: pandasSide
        ? {
            ...pandasSide,
            version: pandas,
            rows: pandasRuns.at(-1)!.detail.rows,
            flattened: pandasRuns.at(-1)!.detail.flattened,
            importMs: pandasRuns.at(-1)!.detail.importMs,
          }
        : { skipped: pandasSkipped },
      checks,
      profile: profile ?? (profileError ? { error: profileError } : null),
      totalMs: Math.round(performance.now() - started),
    });
    console.log(`results: ${p.out}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    if (!p.lakeDir) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A hash of the transform's code (its .ts and .sql files under src/transform, tests left out), so a
 * result can be matched with the code it measured while that code keeps changing.
 */
function transformCodeVersion(): { sha256: string; files: number; newestChange: string } {
  const root = fileURLToPath(new URL('../src/transform/', import.meta.url));
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (/\.(ts|sql)$/.test(e.name) && !e.name.endsWith('.test.ts')) files.push(path);
    }
  };
  walk(root);
  files.sort();
  const hash = createHash('sha256');
  let newest = 0;
  for (const file of files) {
    hash.update(`${file.slice(root.length)}\n`).update(readFileSync(file));
    newest = Math.max(newest, statSync(file).mtimeMs);
  }
  return {
    sha256: hash.digest('hex').slice(0, 16),
    files: files.length,
    newestChange: new Date(newest).toISOString(),
  };
}

async function parquetRows(path: string): Promise<number> {
  const db = await DuckDb.create({ threads: 1 });
  try {
    const [row] = await db.all(`SELECT count(*) AS n FROM read_parquet(${sqlString(path)})`);
    return Number(row?.n ?? 0);
  } finally {
    await db.close();
  }
}

function fileSize(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

// --- output ---------------------------------------------------------------------------------------

function log(label: string, m: Measurement, records: number): void {
  console.log(
    `  ${label}: ${seconds(m.wallMs)} (${Math.round(records / (m.wallMs / 1000))} records/s, ` +
      `${m.cpuCores} cores busy), max RSS ${mib(m.maxRssBytes)}`,
  );
}

interface Ratios {
  /** Median transform wall time over median floor wall time. */
  wallTime: number;
  /**
   * Each repetition's transform over the floor measured right after it: other work on the machine
   * tends to slow both of a pair alike, so these vary less than the medians when the load changes.
   */
  wallTimeByRepetition: number[];
  /** Fastest transform over fastest floor: the repetitions least disturbed by other work. */
  wallTimeBest: number;
  /** CPU time (user + system), less sensitive to other work on the machine than wall time. */
  cpuTime: number;
  peakRss: number;
}

const cpuMs = (m: Measurement) => m.userCpuMs + m.systemCpuMs;
const fastest = (side: Side) => Math.min(...side.repetitions.map((m) => m.wallMs));

function ratiosOf(tunelake: Side, floor: Side): Ratios {
  return {
    wallTime: round(tunelake.median.wallMs / floor.median.wallMs, 2),
    wallTimeByRepetition: tunelake.repetitions.map((t, i) =>
      round(t.wallMs / floor.repetitions[i]!.wallMs, 2),
    ),
    wallTimeBest: round(fastest(tunelake) / fastest(floor), 2),
    cpuTime: round(cpuMs(tunelake.median) / cpuMs(floor.median), 2),
    peakRss: round(tunelake.median.maxRssBytes / floor.median.maxRssBytes, 2),
  };
}

function comparisonTable(
  p: Params,
  info: PlaylistLakeInfo,
  tunelake: Side,
  floor: Side,
  ratios: Ratios,
  pandas: Side | undefined,
  pandasRatios: Ratios | undefined,
): string {
  const reps = p.repetitions > 1 ? `median of ${p.repetitions}` : '1 run';
  const rows: string[][] = [];
  // label, tunelake, floor, tunelake/floor, then pandas and pandas/tunelake when it ran.
  const row = (label: string, a: string, b: string, c = '', d = '', e = '') =>
    rows.push(pandas ? [label, a, b, c, d, e] : [label, a, b, c]);
  const mb = (n: number) => `${(n / 1e6).toFixed(0)} MB`;
  const records = String(info.records);
  const bytes = `${mb(info.playlistItemBytes.gzip)} / ${mb(info.playlistItemBytes.ndjson)}`;
  row('playlist_items records', records, records, '', records);
  row(
    'raw parts (gzip / NDJSON)',
    `${info.playlistItemParts} + playlists`,
    `${info.playlistItemParts}`,
    '',
    `${info.playlistItemParts}`,
  );
  row('  playlist_items bytes', bytes, bytes, '', bytes);
  row(
    `wall time (${reps})`,
    seconds(tunelake.median.wallMs),
    seconds(floor.median.wallMs),
    `${ratios.wallTime}x`,
    pandas ? seconds(pandas.median.wallMs) : '',
    pandasRatios ? `${pandasRatios.wallTime}x` : '',
  );
  row(
    'records/s',
    String(tunelake.recordsPerSecond),
    String(floor.recordsPerSecond),
    '',
    pandas ? String(pandas.recordsPerSecond) : '',
  );
  row(
    'CPU time (user + system)',
    seconds(cpuMs(tunelake.median)),
    seconds(cpuMs(floor.median)),
    `${ratios.cpuTime}x`,
    pandas ? seconds(cpuMs(pandas.median)) : '',
    pandasRatios ? `${pandasRatios.cpuTime}x` : '',
  );
  row(
    'cores busy (CPU time / wall)',
    String(tunelake.median.cpuCores),
    String(floor.median.cpuCores),
    '',
    pandas ? String(pandas.median.cpuCores) : '',
  );
  row(
    'peak RSS (kernel max RSS)',
    mib(tunelake.median.maxRssBytes),
    mib(floor.median.maxRssBytes),
    `${ratios.peakRss}x`,
    pandas ? mib(pandas.median.maxRssBytes) : '',
    pandasRatios ? `${pandasRatios.peakRss}x` : '',
  );
  row(
    '  peak RSS sampled every 50 ms',
    mib(tunelake.median.sampledPeakRssBytes),
    mib(floor.median.sampledPeakRssBytes),
  );
  row('  RSS before the call', mib(tunelake.median.rssBeforeBytes), mib(floor.median.rssBeforeBytes));
  if (p.repetitions > 1) {
    row(
      'wall times of the repetitions',
      tunelake.repetitions.map((m) => seconds(m.wallMs)).join(', '),
      floor.repetitions.map((m) => seconds(m.wallMs)).join(', '),
      ratios.wallTimeByRepetition.map((r) => `${r}x`).join(', '),
      pandas ? pandas.repetitions.map((m) => seconds(m.wallMs)).join(', ') : '',
      pandasRatios ? pandasRatios.wallTimeByRepetition.map((r) => `${r}x`).join(', ') : '',
    );
    row(
      'fastest repetition',
      seconds(fastest(tunelake)),
      seconds(fastest(floor)),
      `${ratios.wallTimeBest}x`,
      pandas ? seconds(fastest(pandas)) : '',
      pandasRatios ? `${pandasRatios.wallTimeBest}x` : '',
    );
  }
  const header = ['', 'tunelake transform', 'floor', 'tunelake/floor'];
  if (pandas) header.push('pandas', 'pandas/tunelake');
  return formatTable(header, rows);
}

function phaseTable(phases: TransformPhases, totalMs: number): string {
  const share = (ms: number) => `${Math.round((100 * ms) / totalMs)}%`;
  const rows: string[][] = [
    ['load: raw zone read + objects.sql', seconds(phases.loadMs), share(phases.loadMs)],
    ['tables: candidates, checks, final SQL', seconds(phases.tablesMs), share(phases.tablesMs)],
    ...Object.entries(phases.tableMs)
      .sort(([, a], [, b]) => b - a)
      .filter(([, ms]) => ms >= 50)
      .map(([table, ms]) => [`  ${table}`, seconds(ms), share(ms)]),
    ['write Parquet files', seconds(phases.writeMs), share(phases.writeMs)],
    ['publish into the lake', seconds(phases.publishMs), share(phases.publishMs)],
    ['commit, close, clean up', seconds(phases.finishMs), share(phases.finishMs)],
  ];
  return formatTable(['transform phases (median)', 'time', 'share'], rows);
}

function profileTable(profile: Profile): string {
  const rows: string[][] = [];
  const heavy = [...profile.statements]
    .sort((a, b) => b.ms - a.ms)
    .filter((s) => s.ms >= profile.totalMs * 0.02);
  const share = (ms: number) => `${Math.round((100 * ms) / profile.totalMs)}%`;
  for (const s of heavy) {
    rows.push([s.step, seconds(s.ms), share(s.ms)]);
    for (const o of s.operators?.slice(0, 3) ?? []) {
      rows.push([`    ${o.operator} (${o.rows} rows) ${o.info}`.slice(0, 150), `${seconds(o.ms)} cpu`, '']);
    }
  }
  const rest = profile.statements.filter((s) => s.ms < profile.totalMs * 0.02);
  const restMs = rest.reduce((n, s) => n + s.ms, 0) + profile.shortCalls.ms;
  rows.push([`${rest.length + profile.shortCalls.count} other DuckDB calls`, seconds(restMs), share(restMs)]);
  rows.push([
    'outside DuckDB (JavaScript, copies into the lake, lock, state)',
    seconds(profile.outsideDuckDbMs),
    share(profile.outsideDuckDbMs),
  ]);
  return formatTable(
    [
      `profile: statements over 2% of ${seconds(profile.totalMs)} (operator times are summed over threads)`,
      'time',
      'share',
    ],
    rows,
  );
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

if (process.argv[2] === '--child') {
  let job = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) job += chunk;
  await child(JSON.parse(job) as ChildJob);
} else {
  await main();
}
