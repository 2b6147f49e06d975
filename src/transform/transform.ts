// transform(): the raw zone -> typed, deduplicated Parquet tables with history, checked, with a
// quarantine. DuckDB does the work, one SQL file per table (tables/*.sql); no row goes through
// JavaScript.
//
// What a run does (the caller holds the lake's run lock, src/lock.ts; docs/incremental.md has the why):
// 1. Compares the committed runs (those with a manifest) with state/transform.json. No new run: no
//    work. A run the tables include whose manifest vanished stops it (only --full rebuilds without it).
// 2. Incremental by default: reads the raw objects of the new runs (and of earlier runs of the same
//    ingestion days, whose partitions are rebuilt whole), plus the rows each table carries forward
//    (`-- @carry` in its SQL file, kept under state/transform/): the rows its latest-wins and history
//    rules can still choose. A full rebuild from the whole raw zone happens on --full, the first
//    transform, a change of the SQL, or a run dated before the latest day already built, and gives
//    byte-identical tables (src/transform/incremental.test.ts).
// 3. Only the partitions the new runs touch are written.
// 4. Writes the files to a temp folder, replaces the lake's objects key by key, deletes stale ones,
//    and writes state/transform.json last (compare-and-swap). A transform killed before that leaves
//    readable tables and the old marker; the next one redoes the same runs and writes the same bytes.
// The output is deterministic: rows in a total order, fixed file names, no clock in the data.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { TunelakeError } from '../errors.js';
import { committedRunIds, type RunManifest, readManifest } from '../extract/manifest.js';
import { checkTableFiles, type TableFileProblem } from '../integrity/table-files.js';
import { isRunId, manifestKey } from '../lake.js';
import { type Logger, silentLogger } from '../log.js';
import type { DuckDb } from '../query/duckdb.js';
import { HIVE_TYPE_OF_DUCKDB } from '../query/hive-types.js';
import { sqlIdentifier, sqlString } from '../query/sql-text.js';
import { sizeInBytes } from '../settings.js';
import { makeDirs } from '../storage/make-dirs.js';
import type { ObjectStore } from '../storage/store.js';
import { runOnPool } from './pool.js';
import {
  type OutputFile,
  partitionPrefix,
  publish,
  type RewriteScope,
  tablePrefix,
  writeTable,
} from './publish.js';
import {
  applyChecks,
  applyUniqueKey,
  type CheckResult,
  QUARANTINE_DDL,
  QUARANTINE_TABLE,
  UNIQUE_KEY_RULE,
} from './quality.js';
import { loadRaw, stageRawObjects } from './raw-input.js';
import {
  CARRY_PREFIX,
  type CarryState,
  type ColumnInfo,
  commitTransformState,
  loadTransformState,
  type TableFileRecord,
  type TableState,
  type TransformState,
} from './state.js';
import {
  finalReads,
  macrosSql,
  objectsSql,
  QUARANTINE_SPEC,
  TABLES,
  type TableSpec,
  type TableSql,
  tableSql,
} from './tables.js';
import { createWorkDir } from './work-dir.js';

export interface TransformTableInfo {
  name: string;
  /** `store.uri` of the table's prefix, ending in '/': the catalog's Location. */
  location: string;
  /** The columns the Parquet files hold, in file order, with Glue/Hive types (partition keys excluded). */
  columns: ColumnInfo[];
  /** Hive partition keys (always strings), in folder order. */
  partitionKeys: ColumnInfo[];
  /** Partitions this transform wrote (values in partition-key order); unchanged files count as written. */
  partitionsWritten: string[][];
  /** Partitions this transform emptied: their objects were deleted (drop them from the catalog). */
  partitionsDeleted: string[][];
  /** Rows in the whole table after this transform. */
  rowCount: number;
}

export interface TransformInfo {
  /** The committed runs this transform processed (all of them on a full rebuild); [] when there was nothing to do. */
  runs: string[];
  /** Whether every partition was rewritten (asked for, or the transform's SQL changed since the last run). */
  full: boolean;
  tables: TransformTableInfo[];
  /** Rows in the files this transform wrote, per table. */
  rows: Record<string, number>;
  /** Rows of the processed runs sent to the quarantine, per table they were meant for. */
  quarantined: Record<string, number>;
  /**
   * Table files that differed from the transform state (deleted, replaced, stray) and were rebuilt
   * from the raw zone by this transform, which was then full (#17). [] when the tables were intact.
   */
  healed: TableFileProblem[];
  checks: CheckResult[];
  durationMs: number;
}

export interface TransformDeps {
  logger?: Logger;
  /** Rewrite every partition of every table, not only those the new runs touch. */
  full?: boolean;
  /** DuckDB worker threads and memory limit (DuckDB's defaults: all cores, 80% of RAM). */
  threads?: number;
  memoryLimit?: string;
  /** Parent folder for the transform's temp files (default: the OS temp folder). */
  tempDir?: string;
  /** Check the table files against the state first, and rebuild them when they differ (default true). */
  heal?: boolean;
  /**
   * Raw bytes (gzipped, as landed) a full rebuild reads at once (default: the memory limit / 16, no
   * batches without a memory limit). A bigger raw zone is rebuilt in batches of whole days.
   */
  rebuildBatchBytes?: number;
  /** Called before each batch of a full rebuild done in batches (1-based), with the batch's last day. */
  onBatch?: (batch: number, of: number, through: string) => void;
  /** Test hook: called at named points (`loaded`, `built`, `written`, `uploaded:<n>`, `published`, `committed`). */
  checkpoint?: (name: string) => void | Promise<void>;
}

export interface TransformRuntime {
  store: ObjectStore;
  logger?: Logger;
}

const MANIFEST_CONCURRENCY = 8;
/** DuckDB connections an incremental transform spreads its tables over (at most one per core). */
const MAX_CONNECTIONS = 2;
/** Raw bytes (gzipped) up to which a transform is small work: single-threaded statements on a pool. */
const SMALL_WORK_BYTES = 16 * 1024 * 1024;

/** The raw bytes (gzipped, as landed) the manifests list. */
function rawBytes(manifests: readonly RunManifest[]): number {
  return manifests.reduce((n, m) => n + m.objects.reduce((k, o) => k + o.bytes, 0), 0);
}

export async function transform(runtime: TransformRuntime, deps: TransformDeps = {}): Promise<TransformInfo> {
  const step = await transformStep(runtime, deps, undefined);
  if (!('batches' in step)) return step;
  return rebuildInBatches(runtime, deps, step.batches, step.healed);
}

/**
 * One transform; or, for a full rebuild of a raw zone bigger than a batch (rebuildBatches), the
 * batches to rebuild it in. `only`: the committed runs this step may see (a batch and those before).
 */
async function transformStep(
  runtime: TransformRuntime,
  deps: TransformDeps,
  only: ReadonlySet<string> | undefined,
): Promise<TransformInfo | { batches: RunManifest[][]; healed: TableFileProblem[] }> {
  const { store } = runtime;
  const logger = deps.logger ?? runtime.logger ?? silentLogger;
  const checkpoint = deps.checkpoint ?? (() => {});
  // Durations come from a monotonic clock: `now` may be the emulator's simulated time.
  const startedMs = performance.now();
  const { state, etag } = await loadTransformState(store);
  const committed = (await committedRunIds(store)).filter((r) => only === undefined || only.has(r));
  const committedSet = new Set(committed);
  const code = codeVersion();
  // A run the tables include lost its manifest: rebuilding without it would silently shrink the
  // tables, so only an explicit --full does that (issue #17).
  const forgotten = state.runs.filter((r) => !committedSet.has(r));
  if (forgotten.length > 0 && deps.full !== true) throw forgottenRuns(store, forgotten);
  const known = new Set(state.runs);
  const unprocessed = committed.filter((r) => !known.has(r));
  let reason = fullReason(deps, state, code);
  // A deleted or replaced table file is never read as if it were the table: the tables are rebuilt
  // from the raw zone (a full rebuild gives the same bytes as the incremental ones, incremental.test.ts).
  const healed =
    deps.heal === false || reason !== undefined || state.files === undefined
      ? []
      : await checkTableFiles(store, state.files);
  if (healed.length > 0) {
    reason = `${healed.length} table file(s) differ from state/transform.json, e.g. ${healed[0]!.key}: ${healed[0]!.problem}`;
    logger.warn(`transform: ${reason}; rebuilding the tables from the raw zone`, {
      files: healed.slice(0, 20).map((p) => p.key),
    });
  }
  if (reason === undefined && unprocessed.length === 0) {
    logger.info('transform: no new committed runs; the tables are up to date', { runs: committed.length });
    return unchangedInfo(store, state, Math.round(performance.now() - startedMs));
  }

  let manifests: RunManifest[] = [];
  let batch: string[] = [];
  if (reason === undefined) {
    const plan = await planIncremental(store, state, unprocessed);
    if ('reason' in plan) reason = plan.reason;
    else ({ manifests, batch } = plan);
  }
  const full = reason !== undefined;
  if (full) {
    manifests = await readManifests(store, committed);
    batch = committed;
    if (only === undefined) {
      const batches = rebuildBatches(manifests, rebuildBatchBytes(deps));
      if (batches.length > 1) {
        logger.info('transform: rebuilding the tables in batches of days', {
          batches: batches.length,
          runs: committed.length,
          reason,
        });
        return { batches, healed };
      }
    }
  }
  const newRuns = full ? committed : unprocessed;
  if (newRuns.length === 0) {
    logger.info('transform: no committed runs; nothing to build');
    return unchangedInfo(store, state, Math.round(performance.now() - startedMs));
  }
  logger.info('transform: building tables', {
    newRuns: newRuns.length,
    runsRead: batch.length,
    committedRuns: committed.length,
    full,
    ...(reason ? { reason } : {}),
  });

  const work = createWorkDir(deps.tempDir ?? tmpdir());
  let db: DuckDb | undefined;
  try {
    // In memory; beyond its memory limit DuckDB spills to the temp folder.
    // Loaded here, not at the top: commands that never transform do not load DuckDB's native module.
    const duckdb = await import('../query/duckdb.js');
    // A day or so of raw data is hundreds of short statements: run on one thread each, they waste
    // nothing on coordinating threads, and a second connection builds other tables meanwhile
    // (pool.ts). Big work (a full rebuild's batch) has big statements that use every core on their
    // own, and two of them at once would share one memory limit: one connection, every thread.
    // (BENCHMARKS.md, "Incremental transform".)
    const small = rawBytes(manifests) <= SMALL_WORK_BYTES;
    const threads = deps.threads ?? (small ? 1 : undefined);
    db = await duckdb.DuckDb.create({
      tempDir: join(work, 'duckdb'),
      threads,
      memoryLimit: deps.memoryLimit,
    });
    const carried = full ? undefined : await stageCarry(store, state.carry!, batch, join(work, 'carried'));
    const pool = [db];
    const connections =
      full && !small ? 1 : Math.min(MAX_CONNECTIONS, deps.threads ?? availableParallelism());
    for (let i = 1; i < connections; i++) pool.push(await db.connect());
    const outDir = join(work, 'out');
    const { built, plans } = await build(
      pool,
      store,
      manifests,
      newRuns,
      batch,
      carried,
      new Set(Object.keys(state.tables)),
      work,
      logger,
      checkpoint,
      { small, write: (conn, spec, b) => planTable(conn, store, state, b, full, outDir, spec) },
    );
    const plan = assemblePlan(plans);
    await checkpoint('written');
    const published = await publish(store, plan.files, plan.scopes, checkpoint);
    await checkpoint('published');
    logger.info('transform: tables published', {
      uploaded: published.uploaded,
      unchanged: published.unchanged,
      deleted: published.deleted.length,
    });
    const carryFiles = await publishCarry(store, built.carry, checkpoint);
    const archiveFiles = await publishCarry(store, built.archive, checkpoint);
    const archive: Record<string, string[]> = {};
    for (const spec of TABLES) {
      const keys = [...(full ? [] : (state.carry?.archive[spec.name] ?? []))];
      const added = archiveFiles[spec.name];
      if (added !== undefined && !keys.includes(added)) keys.push(added);
      if (keys.length > 0) archive[spec.name] = keys;
    }

    const fileRecords: Record<string, TableFileRecord> = full ? {} : { ...state.files };
    for (const key of published.deleted) delete fileRecords[key];
    Object.assign(fileRecords, published.files);
    const runDates: Record<string, string> = full ? {} : { ...state.carry!.runDates };
    for (const m of manifests) runDates[m.runId] = m.dt;
    const next: TransformState = {
      version: 1,
      runs: committed,
      codeVersion: code,
      tables: plan.tableStates,
      carry: {
        runDates: Object.fromEntries(committed.map((r) => [r, runDates[r]!])),
        files: carryFiles,
        partitionRows: plan.partitionRows,
        archive,
      },
      files: Object.fromEntries(
        Object.keys(fileRecords)
          .sort()
          .map((k) => [k, fileRecords[k]!]),
      ),
    };
    await commitTransformState(store, next, etag);
    await checkpoint('committed');
    await sweepCarry(store, new Set([...Object.values(carryFiles), ...Object.values(archive).flat()]));
    return {
      runs: newRuns,
      full,
      tables: plan.tableInfos,
      rows: plan.rows,
      quarantined: built.quarantined,
      healed,
      checks: built.checks,
      durationMs: Math.round(performance.now() - startedMs),
    };
  } finally {
    await db?.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Why this transform rebuilds every table from the whole raw zone; undefined when it need not. */
function fullReason(deps: TransformDeps, state: TransformState, code: string): string | undefined {
  if (deps.full === true) return 'asked for (--full)';
  if (state.runs.length === 0) return 'first transform';
  if (state.codeVersion !== code) return "the transform's SQL changed";
  if (state.carry === undefined) return 'the tables were built before transforms were incremental';
  if (state.carry.archive === undefined || state.runs.some((r) => state.carry!.runDates[r] === undefined))
    return 'the carried state is incomplete';
  if (state.files === undefined) return 'the table files have no recorded checksums yet';
  return undefined;
}

/**
 * Raw bytes a full rebuild reads at once: a sixteenth of DuckDB's memory limit (none: one batch). At
 * the 256MB default that is 16 MB of gzipped raw objects, small work (SMALL_WORK_BYTES) for each
 * batch: a 1M-item raw zone rebuilt in 22 batches took the same wall time as in 11 of an eighth,
 * with 30% less CPU (docs/incremental.md, "Memory").
 */
function rebuildBatchBytes(deps: TransformDeps): number {
  if (deps.rebuildBatchBytes !== undefined) return deps.rebuildBatchBytes;
  const limit = deps.memoryLimit === undefined ? undefined : sizeInBytes(deps.memoryLimit);
  return limit === undefined ? Number.POSITIVE_INFINITY : Math.floor(limit / 16);
}

/**
 * A full rebuild's runs in batches of whole days (a day's partitions are built from all its runs), in
 * date order, each reading at most `maxBytes` of raw objects unless one day alone is more. One batch
 * when the whole raw zone fits.
 */
export function rebuildBatches(manifests: readonly RunManifest[], maxBytes: number): RunManifest[][] {
  const days = new Map<string, RunManifest[]>();
  for (const m of [...manifests].sort((a, b) => (a.runId < b.runId ? -1 : 1))) {
    const day = days.get(m.dt) ?? [];
    day.push(m);
    days.set(m.dt, day);
  }
  const batches: RunManifest[][] = [];
  let current: RunManifest[] = [];
  let currentBytes = 0;
  for (const dt of [...days.keys()].sort()) {
    const runs = days.get(dt)!;
    const size = rawBytes(runs);
    if (current.length > 0 && currentBytes + size > maxBytes) {
      batches.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(...runs);
    currentBytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * A full rebuild in batches of days: the first batch rebuilt from scratch, each next one an
 * incremental transform on top (the same tables as one full rebuild: incremental.test.ts). Memory
 * follows a batch, not the raw zone. Each batch commits; a rebuild stopped between two leaves the
 * tables of the batches done, and the next transform goes on from there.
 */
async function rebuildInBatches(
  runtime: TransformRuntime,
  deps: TransformDeps,
  batches: readonly RunManifest[][],
  healed: TableFileProblem[],
): Promise<TransformInfo> {
  const logger = deps.logger ?? runtime.logger ?? silentLogger;
  const startedMs = performance.now();
  const seen = new Set<string>();
  const steps: TransformInfo[] = [];
  for (const [i, batch] of batches.entries()) {
    for (const m of batch) seen.add(m.runId);
    logger.info('transform: batch', {
      batch: i + 1,
      of: batches.length,
      runs: batch.length,
      through: batch.at(-1)!.dt,
    });
    deps.onBatch?.(i + 1, batches.length, batch.at(-1)!.dt);
    const step = await transformStep(runtime, { ...deps, full: i === 0, heal: false }, seen);
    if ('batches' in step)
      throw new TunelakeError('INTERNAL', 'A batch of a full rebuild asked for batches again.');
    if (i > 0 && step.full)
      throw new TunelakeError('INTERNAL', `Batch ${i + 1} of a full rebuild was not incremental.`);
    steps.push(step);
  }
  return mergeBatchInfos(steps, healed, Math.round(performance.now() - startedMs));
}

/** One TransformInfo for a rebuild done in batches, as one full rebuild reports it. */
function mergeBatchInfos(
  steps: readonly TransformInfo[],
  healed: TableFileProblem[],
  durationMs: number,
): TransformInfo {
  const last = steps.at(-1)!;
  const id = (values: readonly string[]) => values.join('\u0000');
  const tables = last.tables.map((table) => {
    const all = steps.map((s) => s.tables.find((t) => t.name === table.name));
    const written = new Map<string, string[]>();
    for (const t of all) for (const v of t?.partitionsWritten ?? []) written.set(id(v), v);
    const deleted = new Map<string, string[]>();
    for (const t of all)
      for (const v of t?.partitionsDeleted ?? []) if (!written.has(id(v))) deleted.set(id(v), v);
    const sorted = (m: Map<string, string[]>) =>
      [...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v);
    return { ...table, partitionsWritten: sorted(written), partitionsDeleted: sorted(deleted) };
  });
  const sum = (pick: (s: TransformInfo) => Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const s of steps) for (const [k, n] of Object.entries(pick(s))) out[k] = (out[k] ?? 0) + n;
    return out;
  };
  // Each batch checked the rows of its new runs: summed, the rows of every run, as one rebuild
  // counts them.
  const checks = new Map<string, CheckResult>();
  for (const s of steps) {
    for (const c of s.checks) {
      const key = `${c.table}\u0000${c.rule}`;
      const seen = checks.get(key);
      checks.set(
        key,
        seen === undefined
          ? { ...c }
          : {
              ...seen,
              checked: seen.checked + c.checked,
              passed: seen.passed + c.passed,
              quarantined: seen.quarantined + c.quarantined,
            },
      );
    }
  }
  // The unique key is checked on the built table: as one rebuild reports it, the rows of the whole table.
  for (const [key, c] of checks) {
    if (c.rule !== UNIQUE_KEY_RULE) continue;
    const rows = tables.find((t) => t.name === c.table)?.rowCount ?? c.passed;
    checks.set(key, { ...c, checked: rows + c.quarantined, passed: rows });
  }
  return {
    runs: steps.flatMap((s) => s.runs),
    full: true,
    tables,
    // Every file of every table was written by one batch or another: the rows written are the table's.
    rows: Object.fromEntries(tables.map((t) => [t.name, t.rowCount])),
    quarantined: sum((s) => s.quarantined),
    healed,
    checks: [...checks.values()],
    durationMs,
  };
}

/**
 * The runs an incremental transform reads: the new ones, plus the processed runs of the same
 * ingestion dates (a day's partitions are rebuilt from all of that day's runs). Tables are built day
 * by day, so a new run dated before a day the tables already hold needs a full rebuild.
 */
async function planIncremental(
  store: ObjectStore,
  state: TransformState,
  unprocessed: string[],
): Promise<{ manifests: RunManifest[]; batch: string[] } | { reason: string }> {
  const carry = state.carry!;
  const fresh = await readManifests(store, unprocessed);
  const dates = new Set(fresh.map((m) => m.dt));
  const first = [...dates].sort()[0]!;
  const latest = Object.values(carry.runDates).sort().at(-1) ?? '';
  if (latest > first)
    return { reason: `a new run (${first}) is older than the tables' latest day (${latest})` };
  for (const [table, key] of Object.entries(carry.files)) {
    if (!(await store.head(key))) return { reason: `the carried rows of ${table} are missing (${key})` };
  }
  const sameDay = state.runs.filter((r) => dates.has(carry.runDates[r]!));
  const manifests = [...fresh, ...(await readManifests(store, sameDay))];
  return { manifests, batch: manifests.map((m) => m.runId).sort() };
}

function forgottenRuns(store: ObjectStore, runs: string[]): TunelakeError {
  return new TunelakeError(
    'STORAGE_NOT_FOUND',
    `${runs.length} run(s) the tables were built from no longer have a manifest, e.g. ${store.uri(manifestKey(runs[0]!))}. ` +
      'The transform stops instead of dropping their rows from the tables. Restore the manifest(s); or, if the ' +
      'runs were removed on purpose, run `tunelake transform --full` to rebuild every table from the raw zone as it is.',
    { details: { runs: runs.slice(0, 20) } },
  );
}

/** What an incremental transform merges with: the carried rows and, on demand, the archived ones. */
interface CarryInput {
  /** Local path of each table's carried rows. */
  files: Map<string, string>;
  /** Their keys in the lake (CarryState.files). */
  keys: Record<string, string>;
  /** Local paths of a table's archived rows (downloaded when first asked for). */
  archive: (table: string) => Promise<string[]>;
  /** The latest run whose rows the carried ones hold (the runs read again excluded); '' when none. */
  latestCarriedRun: string;
}

async function stageCarry(
  store: ObjectStore,
  carry: CarryState,
  batch: readonly string[],
  dir: string,
): Promise<CarryInput> {
  const stage = async (key: string, name: string): Promise<string> => {
    let path = store.localPath?.(key);
    if (path === undefined) {
      const stream = await store.getStream(key);
      if (!stream) throw carriedMissing(store, key);
      path = join(dir, name);
      await makeDirs(dir);
      await pipeline(stream, createWriteStream(path));
    } else if (!existsSync(path)) {
      throw carriedMissing(store, key);
    }
    return path;
  };
  const files = new Map<string, string>();
  for (const [table, key] of Object.entries(carry.files))
    files.set(table, await stage(key, `${table}.parquet`));
  const read = new Set(batch);
  const latestCarriedRun =
    Object.keys(carry.runDates)
      .filter((r) => !read.has(r))
      .sort()
      .at(-1) ?? '';
  const archive = async (table: string) => {
    const keys = carry.archive[table] ?? [];
    return Promise.all(keys.map((key, i) => stage(key, `${table}-archive-${i}.parquet`)));
  };
  return { files, keys: carry.files, archive, latestCarriedRun };
}

function carriedMissing(store: ObjectStore, key: string): TunelakeError {
  return new TunelakeError(
    'STORAGE_NOT_FOUND',
    `The carried rows ${store.uri(key)} that state/transform.json names are missing. ` +
      'Run `tunelake transform --full` to rebuild every table from the raw zone.',
  );
}

/** Uploads the carried rows under keys named by their content; returns the key per table. */
async function publishCarry(
  store: ObjectStore,
  files: readonly CarryFile[],
  checkpoint: (name: string) => void | Promise<void>,
): Promise<Record<string, string>> {
  const out: OutputFile[] = [];
  const keys: Record<string, string> = {};
  for (const file of files) {
    if (file.path === undefined) {
      if (file.key !== undefined) keys[file.table] = file.key;
      continue;
    }
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(file.path)) hash.update(chunk as Buffer);
    const key = `${CARRY_PREFIX}${file.table}${file.archive ? '-archive' : ''}-${hash.digest('hex').slice(0, 16)}.parquet`;
    keys[file.table] = key;
    out.push({ table: file.table, key, path: file.path, values: [], rows: 0 });
  }
  await publish(store, out, [], (name) => checkpoint(name.replace(/^uploaded:/, 'carried:')));
  await checkpoint('carried');
  return keys;
}

/** Deletes carried rows no committed state names (older generations, or a dead transform's). */
async function sweepCarry(store: ObjectStore, keep: ReadonlySet<string>): Promise<void> {
  const stale: string[] = [];
  for await (const info of store.list(CARRY_PREFIX)) if (!keep.has(info.key)) stale.push(info.key);
  if (stale.length > 0) await store.deleteMany(stale);
}

interface CarryFile {
  table: string;
  /** The file to upload; absent when the table keeps its previous carried rows (`key`). */
  path?: string;
  key?: string;
  archive?: boolean;
}

interface Built {
  /** Per table rebuilt: output columns (partition column included, in table order) and their DuckDB types. */
  columns: Map<string, Array<{ name: string; type: string }>>;
  /** The tables this transform rebuilt and writes (every table on a full rebuild); the others stay as they are. */
  changed: ReadonlySet<string>;
  checks: CheckResult[];
  quarantined: Record<string, number>;
  /** Ingestion dates of the new runs. */
  newDates: string[];
  /** Each carry stage's rows (tables/*.sql), for the next transform. */
  carry: CarryFile[];
  /** Rows each archive query adds to its table's archive (none when it found nothing). */
  archive: CarryFile[];
}

async function build(
  pool: readonly DuckDb[],
  store: ObjectStore,
  manifests: RunManifest[],
  newRuns: string[],
  batch: string[],
  carried: CarryInput | undefined,
  previousTables: ReadonlySet<string>,
  work: string,
  logger: Logger,
  checkpoint: (name: string) => void | Promise<void>,
  output: {
    /** Small work (single-threaded statements): insertion order is kept throughout. */
    small: boolean;
    /** Writes one table's files (planTable), once it is built and carried. */
    write: (conn: DuckDb, spec: TableSpec, built: Built) => Promise<TablePlan>;
  },
): Promise<{ built: Built; plans: TablePlan[] }> {
  for (const runId of batch) {
    if (!isRunId(runId)) throw new TunelakeError('INTERNAL', `Unexpected run id "${runId}".`);
  }
  // Loading and the checks run on one connection (they share working tables and switch an instance
  // setting); the tables are then built, carried and written over the pool.
  const db = pool[0]!;
  // Row order inside the working tables never matters (every result is ordered explicitly), and not
  // keeping it saves DuckDB memory and time. It is switched back on before the files are written.
  await db.run('SET preserve_insertion_order = false');
  await db.run(macrosSql());
  const loadStarted = Date.now();
  const paths = await stageRawObjects(store, manifests, work);
  await loadRaw(db, paths, logger);
  await db.run(objectsSql());
  await db.run(`
    CREATE OR REPLACE TABLE new_runs AS
      SELECT unnest(${varcharList(newRuns)}) AS run_id;
    CREATE OR REPLACE TABLE batch_runs AS SELECT unnest(${varcharList(batch)}) AS run_id;
    CREATE OR REPLACE TABLE build_days AS SELECT unnest(${varcharList([...new Set(manifests.map((m) => m.dt))].sort())}) AS dt;
    ${QUARANTINE_DDL};
  `);
  logger.debug('transform: raw zone loaded', { objects: paths.length, ms: Date.now() - loadStarted });
  await checkpoint('loaded');

  const columns = new Map<string, Array<{ name: string; type: string }>>();
  const checks: CheckResult[] = [];
  const quarantined: Record<string, number> = {};
  // Every table's candidates and checks first: how many rows the runs read brought decides which
  // tables this transform rebuilds (changedTables), and the others are neither built nor written.
  const freshRows = new Map<string, number>();
  for (const spec of TABLES) {
    const sql = tableSql(spec.name);
    quarantined[spec.name] = 0;
    if (sql.candidates === undefined) continue;
    await db.run(sql.candidates);
    const result = await applyChecks(db, spec.name, spec.checks);
    checks.push(...result.results);
    quarantined[spec.name] = result.quarantined;
    freshRows.set(spec.name, result.passed);
  }
  const { changed, needed } = changedTables(freshRows, carried === undefined ? undefined : previousTables);
  if (carried !== undefined) {
    logger.debug('transform: tables to rebuild', {
      changed: [...changed],
      builtForOthers: [...needed].filter((t) => !changed.has(t)),
    });
  }
  const fresh = new Set(newRuns);
  const newDates = new Set(manifests.filter((m) => fresh.has(m.runId)).map((m) => m.dt));
  const built: Built = {
    columns,
    changed,
    checks,
    quarantined,
    newDates: [...newDates].sort(),
    carry: [],
    archive: [],
  };
  const carries = new Map<string, { carry: CarryFile[]; archive: CarryFile[] }>();
  const plans = new Map<string, TablePlan>();
  await makeDirs(join(work, 'carry'));
  // Row order inside the working tables never matters (every result is ordered explicitly), and not
  // keeping it saves DuckDB memory and time when statements run on several threads; the files are
  // written with it kept. It is an instance setting: small work (one thread per statement, tables
  // side by side) keeps it throughout; big work (one connection) switches it around each write.
  if (output.small) await db.run('SET preserve_insertion_order = true');
  // Per table: its build, once the tables its final stage reads are built (finalReads: its inputs),
  // then its carried rows and its files, while other tables build on the other connection.
  await runOnPool(
    pool,
    TABLES.filter((spec) => needed.has(spec.name)).flatMap((spec) => [
      {
        name: spec.name,
        after: finalReads(spec.name),
        run: async (conn: DuckDb) => {
          const lap = Date.now();
          const sql = tableSql(spec.name);
          const carriedRows = carried?.files.get(spec.name);
          if (carried !== undefined && carriedRows !== undefined) {
            await mergeCarried(conn, spec.name, sql, carriedRows, carried, logger);
          } else if (sql.archive !== undefined) {
            await conn.run(
              `CREATE OR REPLACE VIEW ${sqlIdentifier(`${spec.name}__recent`)} AS SELECT * FROM ${sqlIdentifier(`${spec.name}__passed`)}`,
            );
          }
          await conn.run(sql.final);
          if (!changed.has(spec.name)) return;
          const described = await describe(conn, spec.name);
          columns.set(spec.name, described);
          const unique = await applyUniqueKey(
            conn,
            spec.name,
            spec.key,
            described.map((c) => c.name),
          );
          checks.push(unique);
          quarantined[spec.name] = (quarantined[spec.name] ?? 0) + unique.quarantined;
          logger.debug('transform: table built', { table: spec.name, ms: Date.now() - lap });
        },
      },
      {
        name: `${spec.name}:files`,
        after: [spec.name],
        run: async (conn: DuckDb) => {
          carries.set(spec.name, await carryTable(conn, spec.name, changed.has(spec.name), carried, work));
          if (!output.small) await conn.run('SET preserve_insertion_order = true');
          plans.set(spec.name, await output.write(conn, spec, built));
          if (!output.small) await conn.run('SET preserve_insertion_order = false');
        },
      },
    ]),
  );
  // The tables neither built nor written: their carried rows and files stay as they were.
  for (const spec of TABLES) {
    if (needed.has(spec.name)) continue;
    carries.set(spec.name, await carryTable(db, spec.name, false, carried, work));
    plans.set(spec.name, await output.write(db, spec, built));
  }
  await checkpoint('built');
  // The quarantine last: every table's checks and unique key add to it.
  await db.run('SET preserve_insertion_order = true');
  columns.set(QUARANTINE_TABLE, await describe(db, QUARANTINE_TABLE));
  plans.set(QUARANTINE_TABLE, await output.write(db, QUARANTINE_SPEC, built));
  built.carry = TABLES.flatMap((spec) => carries.get(spec.name)!.carry);
  built.archive = TABLES.flatMap((spec) => carries.get(spec.name)!.archive);
  // Table by table, as built: each table's checks, then its unique key.
  const order = new Map(TABLES.map((t, i) => [t.name, i]));
  checks.sort((a, b) => (order.get(a.table) ?? 0) - (order.get(b.table) ?? 0));
  return { built, plans: [...TABLES, QUARANTINE_SPEC].map((spec) => plans.get(spec.name)!) };
}

/** What one table carries to the next transform (and archives), written under `<work>/carry`. */
async function carryTable(
  db: DuckDb,
  table: string,
  changed: boolean,
  carried: CarryInput | undefined,
  work: string,
): Promise<{ carry: CarryFile[]; archive: CarryFile[] }> {
  const carry: CarryFile[] = [];
  const archive: CarryFile[] = [];
  const kept = carried?.keys[table];
  if (!changed) {
    // The runs read brought this table no row: what it carries (and archives) stays as it was.
    if (kept !== undefined) carry.push({ table, key: kept });
    const index = carried?.keys[`${table}${ARCHIVE_INDEX_SUFFIX}`];
    if (index !== undefined) carry.push({ table: `${table}${ARCHIVE_INDEX_SUFFIX}`, key: index });
    return { carry, archive };
  }
  const { carry: query, archive: archiveQuery } = tableSql(table);
  if (query === undefined) return { carry, archive };
  const path = join(work, 'carry', `${table}.parquet`);
  await db.run(`COPY (${query}) TO ${sqlString(path)} (FORMAT parquet, COMPRESSION zstd)`);
  carry.push({ table, path });
  if (archiveQuery === undefined) return { carry, archive };
  const archived = join(work, 'carry', `${table}-archive.parquet`);
  await db.run(`COPY (${archiveQuery}) TO ${sqlString(archived)} (FORMAT parquet, COMPRESSION zstd)`);
  const [n] = await db.all(`SELECT count(*) AS n FROM read_parquet(${sqlString(archived)})`);
  if (Number(n?.n ?? 0) > 0) archive.push({ table, path: archived, archive: true });
  // The index of the whole archive: the previous one (loaded by mergeCarried) and what was just archived.
  const [previous] = await db.all(
    `SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = ${sqlString(`${table}__archived`)}`,
  );
  const indexPath = join(work, 'carry', `${table}${ARCHIVE_INDEX_SUFFIX}.parquet`);
  await db.run(`
    COPY (
      SELECT DISTINCT * FROM (
        ${archiveIndexQuery(table, `read_parquet(${sqlString(archived)})`)}
        ${Number(previous?.n ?? 0) > 0 ? `UNION ALL SELECT * FROM ${sqlIdentifier(`${table}__archived`)}` : ''}
      ) ORDER BY ALL
    ) TO ${sqlString(indexPath)} (FORMAT parquet, COMPRESSION zstd)
  `);
  carry.push({ table: `${table}${ARCHIVE_INDEX_SUFFIX}`, path: indexPath });
  return { carry, archive };
}

/**
 * Which tables an incremental transform rebuilds (`changed`), and which it builds without writing them
 * (`needed` less `changed`: read by a rebuilt table). A table is rebuilt when the runs read brought it
 * rows that passed its checks, or when a table its final stage reads (finalReads) is rebuilt: its
 * carried rows then hold what its previous build held, and the same SQL gives the same table. A
 * table without carried rows and no new row has nothing in the partitions the new runs touch. On a
 * full rebuild (`previous` undefined) every table is rebuilt; a table the previous state lacks is too.
 */
export function changedTables(
  fresh: ReadonlyMap<string, number>,
  previous: ReadonlySet<string> | undefined,
): { changed: Set<string>; needed: Set<string> } {
  const all = TABLES.map((t) => t.name);
  if (previous === undefined) return { changed: new Set(all), needed: new Set(all) };
  const changed = new Set<string>();
  for (const name of all) {
    if ((fresh.get(name) ?? 0) > 0 || !previous.has(name) || finalReads(name).some((t) => changed.has(t)))
      changed.add(name);
  }
  const needed = new Set(changed);
  for (const name of [...all].reverse()) {
    if (needed.has(name)) for (const t of finalReads(name)) needed.add(t);
  }
  return { changed, needed };
}

/**
 * Adds a table's carried rows to `<table>__passed` (then a view over the runs read and the carried
 * rows' file), less those of the runs read again now: the final stage then sees what it would see
 * over every run. A table with an archive (playlist_items) also
 * gets `<table>__recent` (carried rows and the runs read, for its archive query), and its archived
 * rows when the runs read need them (ARCHIVE_NEEDED).
 */
async function mergeCarried(
  db: DuckDb,
  table: string,
  sql: TableSql,
  path: string,
  carried: CarryInput,
  logger: Logger,
): Promise<void> {
  const passed = sqlIdentifier(`${table}__passed`);
  const fresh = sqlIdentifier(`${table}__fresh`);
  const batch = 'SELECT run_id FROM batch_runs';
  // `<table>__passed` becomes a view: the rows of the runs read, then the carried ones read from
  // their Parquet file where they are used. Copying them into a table (or three, as it once was)
  // cost more than reading the file again: DuckDB reads only the columns a query names.
  const carriedRows = `SELECT * FROM read_parquet(${sqlString(path)}) WHERE _run_id NOT IN (${batch})`;
  const sources = [`SELECT * FROM ${fresh}`, carriedRows];
  const define = (name: string, parts: readonly string[]) =>
    db.run(`CREATE OR REPLACE VIEW ${name} AS ${parts.join(' UNION ALL BY NAME ')}`);
  await db.run(`ALTER TABLE ${passed} RENAME TO ${fresh}`);
  await define(passed, sources);
  if (sql.archive === undefined) return;
  // The passed rows are the runs read (all in batch_runs) and the carried ones (none in it).
  const carriedView = sqlIdentifier(`${table}__carried`);
  await define(carriedView, [carriedRows]);
  const need = ARCHIVE_NEEDED[table];
  if (need === undefined)
    throw new TunelakeError('INTERNAL', `Table ${table} has an archive but no rule for reading it.`);
  // What the archive holds, in brief (archiveIndexQuery): read instead of the archive itself.
  const index = carried.files.get(`${table}${ARCHIVE_INDEX_SUFFIX}`);
  await db.run(`
    CREATE OR REPLACE TABLE ${sqlIdentifier(`${table}__archived`)} AS
    ${index === undefined ? `SELECT * FROM (${archiveIndexQuery(table, carriedView)}) WHERE false` : `SELECT * FROM read_parquet(${sqlString(index)})`}
  `);
  const [row] = await db.all(need(carried.latestCarriedRun));
  const paths = Number(row?.n ?? 0) > 0 ? await carried.archive(table) : [];
  // `__recent` (the archive query's input) is the runs read and the carried rows: never the archived ones.
  await define(sqlIdentifier(`${table}__recent`), sources);
  if (paths.length === 0) return;
  // Rare (docs/incremental.md): the archived rows join the passed ones, but not `__recent`.
  logger.debug('transform: reading archived rows', { table, files: paths.length });
  await define(passed, [
    ...sources,
    `SELECT * FROM read_parquet([${paths.map(sqlString).join(', ')}]) WHERE _run_id NOT IN (${batch})`,
  ]);
}

/**
 * When a table's archived rows must be read (a query counting the reasons; run when `<table>__passed`
 * holds the runs read and the carried rows (`<table>__carried`), and `<table>__archived` the archive's
 * index). playlist_items: a day the runs read observe a (playlist, snapshot) that the archive holds
 * and whose items are neither carried (its playlist's latest landing) nor landed by a run read that
 * day or before and newer than every carried run. (A snapshot that never landed, such as one of a
 * playlist whose items the tier hides, is observed every day: it must not send every transform to
 * the archive.)
 */
/** The key (in CarryState.files) of a table's archive index: what archiveIndexQuery keeps of its archive. */
const ARCHIVE_INDEX_SUFFIX = '.archived';

/** A table's archive in brief: the (playlist, snapshot) pairs it holds (playlist_items). */
function archiveIndexQuery(_table: string, source: string): string {
  return `SELECT DISTINCT playlist_id, snapshot_id FROM ${source}`;
}

const ARCHIVE_NEEDED: Record<string, (latestCarriedRun: string) => string> = {
  playlist_items: (latestCarriedRun) => `
    WITH observed AS (
      SELECT id AS playlist_id, snapshot_id, _dt FROM playlists__passed
      WHERE _dataset = 'playlists' AND snapshot_id IS NOT NULL AND _run_id IN (SELECT run_id FROM batch_runs)
      UNION
      SELECT playlist_id, snapshot_id, _dt FROM playlist_items__passed WHERE _run_id IN (SELECT run_id FROM batch_runs)
    ), carried AS (
      SELECT DISTINCT playlist_id, snapshot_id FROM playlist_items__carried
    ), landed AS (
      SELECT DISTINCT playlist_id, snapshot_id, _dt FROM playlist_items__passed WHERE _run_id > ${sqlString(latestCarriedRun)}
    )
    SELECT count(*) AS n FROM observed o
    WHERE EXISTS (SELECT 1 FROM playlist_items__archived a WHERE a.playlist_id = o.playlist_id AND a.snapshot_id = o.snapshot_id)
      AND NOT EXISTS (SELECT 1 FROM carried c WHERE c.playlist_id = o.playlist_id AND c.snapshot_id = o.snapshot_id)
      AND NOT EXISTS (
        SELECT 1 FROM landed l
        WHERE l.playlist_id = o.playlist_id AND l.snapshot_id = o.snapshot_id AND l._dt <= o._dt)
  `,
};

/** A DuckDB VARCHAR[] literal (run ids, dates). */
const varcharList = (values: readonly string[]) =>
  values.length ? `[${values.map(sqlString).join(', ')}]` : 'CAST([] AS VARCHAR[])';

/** The table's output columns (bookkeeping `_` columns left out), with DuckDB types. */
async function describe(db: DuckDb, table: string): Promise<Array<{ name: string; type: string }>> {
  const rows = await db.all(`DESCRIBE ${sqlIdentifier(table)}`);
  return rows
    .map((r) => ({ name: String(r.column_name), type: String(r.column_type) }))
    .filter((c) => !c.name.startsWith('_'));
}

interface Plan {
  files: OutputFile[];
  scopes: RewriteScope[];
  tableInfos: TransformTableInfo[];
  tableStates: Record<string, TableState>;
  rows: Record<string, number>;
  partitionRows: Record<string, Record<string, number>>;
}

/** The tables' plans (in table order, the quarantine last) as one: the state's bytes never depend on timing. */
function assemblePlan(tables: readonly TablePlan[]): Plan {
  const plan: Plan = { files: [], scopes: [], tableInfos: [], tableStates: {}, rows: {}, partitionRows: {} };
  for (const [i, spec] of [...TABLES, QUARANTINE_SPEC].entries()) {
    const t = tables[i]!;
    plan.files.push(...t.files);
    plan.scopes.push(...t.scopes);
    plan.tableInfos.push(t.info);
    plan.tableStates[spec.name] = t.state;
    plan.rows[spec.name] = t.rows;
    if (t.partitionRows !== undefined) plan.partitionRows[spec.name] = t.partitionRows;
  }
  return plan;
}

interface TablePlan {
  files: OutputFile[];
  scopes: RewriteScope[];
  info: TransformTableInfo;
  state: TableState;
  rows: number;
  partitionRows?: Record<string, number>;
}

async function planTable(
  db: DuckDb,
  store: ObjectStore,
  state: TransformState,
  built: Built,
  full: boolean,
  outDir: string,
  spec: TableSpec,
): Promise<TablePlan> {
  const previous = state.tables[spec.name];
  if (spec.name !== QUARANTINE_TABLE && !built.changed.has(spec.name) && previous !== undefined) {
    // Not rebuilt (changedTables): its files, partitions and rows stay as the previous transform left them.
    return {
      files: [],
      scopes: [],
      rows: 0,
      state: previous,
      ...(spec.partitionKey ? { partitionRows: state.carry?.partitionRows[spec.name] ?? {} } : {}),
      info: {
        name: spec.name,
        location: `${store.uri(tablePrefix(spec.name).slice(0, -1))}/`,
        columns: previous.columns,
        partitionKeys: previous.partitionKeys,
        partitionsWritten: [],
        partitionsDeleted: [],
        rowCount: previous.rowCount,
      },
    };
  }
  const described = built.columns.get(spec.name)!;
  const pk = spec.partitionKey;
  const fileColumns = described.filter((c) => c.name !== pk);
  const columns = fileColumns.map((c) => ({ name: c.name, type: glueType(spec.name, c) }));
  const partitionKeys = pk ? [{ name: pk, type: 'string' }] : [];
  const t = sqlIdentifier(spec.name);

  let present: string[] = [];
  let toWrite: string[] = [];
  let rowCount = 0;
  let partitionRowsOut: Record<string, number> | undefined;
  if (pk) {
    // An incremental transform holds the partitions it rewrites in full, and rows of others that
    // are never written: the table's partitions and row count come from the previous ones'.
    const counts = new Map<string, number>();
    for (const r of await db.all(`SELECT ${sqlIdentifier(pk)} AS v, count(*) AS n FROM ${t} GROUP BY ALL`)) {
      counts.set(String(r.v), Number(r.n));
    }
    let partitionRows: Record<string, number>;
    if (full) {
      partitionRows = Object.fromEntries(counts);
      toWrite = [...counts.keys()].sort();
    } else {
      partitionRows = { ...(state.carry?.partitionRows[spec.name] ?? {}) };
      toWrite = await affectedPartitions(db, spec, Object.keys(partitionRows).sort(), built.newDates);
      for (const value of toWrite) {
        delete partitionRows[value];
        if (counts.has(value)) partitionRows[value] = counts.get(value)!;
      }
    }
    present = Object.keys(partitionRows).sort();
    partitionRowsOut = Object.fromEntries(present.map((v) => [v, partitionRows[v]!]));
    rowCount = present.reduce((n, v) => n + partitionRows[v]!, 0);
  } else {
    const [count] = await db.all(`SELECT count(*) AS n FROM ${t}`);
    rowCount = Number(count?.n ?? 0);
  }
  const files = await writeTable(
    db,
    spec.name,
    fileColumns.map((c) => c.name),
    pk,
    toWrite,
    outDir,
  );

  const scopes: RewriteScope[] = [];
  const prefix = tablePrefix(spec.name);
  if (!pk || full) {
    scopes.push({ prefix, keep: new Set(files.map((f) => f.key)) });
  } else {
    for (const value of toWrite) {
      const scopePrefix = partitionPrefix(spec.name, pk, value);
      scopes.push({
        prefix: scopePrefix,
        keep: new Set(files.filter((f) => f.key.startsWith(scopePrefix)).map((f) => f.key)),
      });
    }
  }

  const written = files.filter((f) => f.values.length > 0).map((f) => f.values);
  const writtenSet = new Set(written.map((v) => v[0]));
  const rewritten = new Set(toWrite);
  const previously = state.tables[spec.name]?.partitions.map((v) => v[0]!) ?? [];
  const emptied = previously.filter((v) => (full || rewritten.has(v)) && !writtenSet.has(v)).sort();
  return {
    files,
    scopes,
    rows: files.reduce((n, f) => n + f.rows, 0),
    state: { columns, partitionKeys, partitions: present.map((v) => [v]), rowCount },
    ...(partitionRowsOut !== undefined ? { partitionRows: partitionRowsOut } : {}),
    info: {
      name: spec.name,
      location: `${store.uri(prefix.slice(0, -1))}/`,
      columns,
      partitionKeys,
      partitionsWritten: written,
      partitionsDeleted: emptied.map((v) => [v]),
      rowCount,
    },
  };
}

async function affectedPartitions(
  db: DuckDb,
  spec: TableSpec,
  present: string[],
  newDates: string[],
): Promise<string[]> {
  const affected = spec.affected ?? 'run-dates';
  if (affected === 'run-dates') return newDates;
  if (affected === 'from-first-run-date') {
    const first = newDates[0];
    if (first === undefined) return [];
    return [...new Set([...newDates, ...present.filter((v) => v >= first)])].sort();
  }
  const rows = await db.all(`
    SELECT DISTINCT ${affected.passed} AS v FROM ${sqlIdentifier(`${spec.name}__passed`)}
    WHERE _run_id IN (SELECT run_id FROM new_runs) AND (${affected.passed}) IS NOT NULL ORDER BY v
  `);
  return rows.map((r) => String(r.v));
}

function glueType(table: string, column: { name: string; type: string }): string {
  const type = HIVE_TYPE_OF_DUCKDB[column.type];
  if (type === undefined) {
    throw new TunelakeError(
      'INTERNAL',
      `Table ${table}: column ${column.name} has DuckDB type ${column.type}, which has no declared Glue type. ` +
        'Cast it in the table SQL to one of the supported types.',
    );
  }
  return type;
}

async function readManifests(store: ObjectStore, runIds: string[]): Promise<RunManifest[]> {
  const out: RunManifest[] = new Array(runIds.length);
  let next = 0;
  const worker = async () => {
    while (next < runIds.length) {
      const i = next++;
      out[i] = await readManifest(store, runIds[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(MANIFEST_CONCURRENCY, runIds.length) }, worker));
  return out;
}

function unchangedInfo(store: ObjectStore, state: TransformState, durationMs: number): TransformInfo {
  const tables: TransformTableInfo[] = [];
  const rows: Record<string, number> = {};
  const quarantined: Record<string, number> = {};
  for (const spec of [...TABLES, QUARANTINE_SPEC]) {
    const table = state.tables[spec.name];
    if (!table) continue;
    tables.push({
      name: spec.name,
      location: `${store.uri(tablePrefix(spec.name).slice(0, -1))}/`,
      columns: table.columns,
      partitionKeys: table.partitionKeys,
      partitionsWritten: [],
      partitionsDeleted: [],
      rowCount: table.rowCount,
    });
    rows[spec.name] = 0;
    if (spec.name !== QUARANTINE_TABLE) quarantined[spec.name] = 0;
  }
  return { runs: [], full: false, tables, rows, quarantined, healed: [], checks: [], durationMs };
}

/** A hash of everything that decides the tables' content: a change rewrites every partition. */
export function codeVersion(): string {
  const hash = createHash('sha256');
  hash.update(macrosSql());
  hash.update(objectsSql());
  for (const spec of TABLES) {
    const sql = tableSql(spec.name);
    hash.update(
      `\n${spec.name}\n${sql.candidates ?? ''}\n${sql.final}\n${sql.carry ?? ''}\n${sql.archive ?? ''}\n${JSON.stringify(spec)}`,
    );
  }
  hash.update(JSON.stringify(QUARANTINE_SPEC));
  return hash.digest('hex').slice(0, 16);
}
