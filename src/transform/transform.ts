// transform(): the raw zone -> typed, deduplicated Parquet tables with history, checked, with a
// quarantine. DuckDB does the work, one SQL file per table (tables/*.sql); no row goes through
// JavaScript.
//
// What a run does:
// 1. Takes the lake's run lock (the one extract takes), so extract and transform never overlap.
// 2. Compares the committed runs (those with a manifest) with state/transform.json. No new run: no work.
// 3. Reads every committed run's raw objects into DuckDB and builds every table from all of them.
//    Dimensions (tracks, albums, ...) are rebuilt whole: simple and always consistent, and fast enough
//    (each raw record is parsed once, into the typed structs the tables read; set memoryLimit to
//    bound memory, DuckDB spills the rest to disk). Partitioned facts are rebuilt in memory too, but only the partitions the new runs
//    touch are written; the others would come out byte-for-byte the same.
// 4. Writes the files to a temp folder, replaces the lake's objects key by key, deletes stale ones,
//    and writes state/transform.json last (compare-and-swap). A transform killed before that leaves
//    readable tables and the old marker; the next one redoes the same runs and writes the same bytes.
// The output is deterministic: rows in a total order, fixed file names, no clock in the data.
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TunelakeError } from '../errors.js';
import { committedRunIds, type RunManifest, readManifest } from '../extract/manifest.js';
import { isRunId } from '../lake.js';
import { acquireRunLock } from '../lock.js';
import { type Logger, silentLogger } from '../log.js';
import { DuckDb, sqlIdentifier, sqlString } from '../query/duckdb.js';
import type { ObjectStore } from '../storage/store.js';
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
} from './quality.js';
import { loadRaw, stageRawObjects } from './raw-input.js';
import {
  type ColumnInfo,
  commitTransformState,
  loadTransformState,
  type TableState,
  type TransformState,
} from './state.js';
import { macrosSql, objectsSql, QUARANTINE_SPEC, TABLES, type TableSpec, tableSql } from './tables.js';
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
  checks: CheckResult[];
  durationMs: number;
}

export interface TransformDeps {
  now?: () => Date;
  logger?: Logger;
  /** Rewrite every partition of every table, not only those the new runs touch. */
  full?: boolean;
  /** How long the run lock is held before another run may consider it stale. */
  lockLeaseMs?: number;
  /** The caller already holds the lake's run lock (the pipeline holds it for the whole run). */
  lockHeld?: boolean;
  /** DuckDB worker threads and memory limit (DuckDB's defaults: all cores, 80% of RAM). */
  threads?: number;
  memoryLimit?: string;
  /** Parent folder for the transform's temp files (default: the OS temp folder). */
  tempDir?: string;
  /** Test hook: called at named points (`loaded`, `built`, `written`, `uploaded:<n>`, `published`, `committed`). */
  checkpoint?: (name: string) => void | Promise<void>;
}

export interface TransformRuntime {
  store: ObjectStore;
  logger?: Logger;
}

const MANIFEST_CONCURRENCY = 8;

export async function transform(runtime: TransformRuntime, deps: TransformDeps = {}): Promise<TransformInfo> {
  const { store } = runtime;
  const now = deps.now ?? (() => new Date());
  const logger = deps.logger ?? runtime.logger ?? silentLogger;
  const checkpoint = deps.checkpoint ?? (() => {});
  const started = now();
  // Durations come from a monotonic clock: `now` may be the emulator's simulated time.
  const startedMs = performance.now();
  const lockId = `transform-${started.toISOString().replace(/[-:.]/g, '')}`;
  const lock = deps.lockHeld ? undefined : await acquireRunLock(store, lockId, { leaseMs: deps.lockLeaseMs });
  try {
    if (lock?.replaced) logger.warn('took over the lock of a run that died', { previous: lock.replaced });
    const { state, etag } = await loadTransformState(store);
    const committed = await committedRunIds(store);
    const committedSet = new Set(committed);
    const code = codeVersion();
    // Everything is rewritten (and anything else under the tables' prefixes removed) when asked, on
    // the first transform, when the SQL changed, or when a transformed run lost its manifest.
    const forgotten = state.runs.filter((r) => !committedSet.has(r));
    const full =
      deps.full === true || state.runs.length === 0 || state.codeVersion !== code || forgotten.length > 0;
    const known = new Set(state.runs);
    const newRuns = full ? committed : committed.filter((r) => !known.has(r));
    if (newRuns.length === 0) {
      logger.info('transform: no new committed runs; the tables are up to date', { runs: committed.length });
      return unchangedInfo(store, state, Math.round(performance.now() - startedMs));
    }
    logger.info('transform: building tables', {
      newRuns: newRuns.length,
      committedRuns: committed.length,
      full,
    });

    const manifests = await readManifests(store, committed);
    const work = createWorkDir(deps.tempDir ?? tmpdir());
    let db: DuckDb | undefined;
    try {
      // In memory; beyond its memory limit DuckDB spills to the temp folder.
      db = await DuckDb.create({
        tempDir: join(work, 'duckdb'),
        threads: deps.threads,
        memoryLimit: deps.memoryLimit,
      });
      const built = await build(db, store, manifests, newRuns, work, logger, checkpoint);
      const plan = await planOutput(db, store, state, built, full, join(work, 'out'));
      await checkpoint('written');
      const published = await publish(store, plan.files, plan.scopes, checkpoint);
      await checkpoint('published');
      logger.info('transform: tables published', {
        uploaded: published.uploaded,
        unchanged: published.unchanged,
        deleted: published.deleted.length,
      });

      const next: TransformState = {
        version: 1,
        runs: committed,
        codeVersion: code,
        tables: plan.tableStates,
      };
      await commitTransformState(store, next, etag);
      await checkpoint('committed');
      return {
        runs: newRuns,
        full,
        tables: plan.tableInfos,
        rows: plan.rows,
        quarantined: built.quarantined,
        checks: built.checks,
        durationMs: Math.round(performance.now() - startedMs),
      };
    } finally {
      await db?.close();
      rmSync(work, { recursive: true, force: true });
    }
  } finally {
    await lock?.release();
  }
}

interface Built {
  /** Per table: output columns (partition column included, in table order) and their DuckDB types. */
  columns: Map<string, Array<{ name: string; type: string }>>;
  checks: CheckResult[];
  quarantined: Record<string, number>;
  /** Ingestion dates of the new runs. */
  newDates: string[];
}

async function build(
  db: DuckDb,
  store: ObjectStore,
  manifests: RunManifest[],
  newRuns: string[],
  work: string,
  logger: Logger,
  checkpoint: (name: string) => void | Promise<void>,
): Promise<Built> {
  for (const runId of newRuns) {
    if (!isRunId(runId)) throw new TunelakeError('INTERNAL', `Unexpected run id "${runId}".`);
  }
  // Row order inside the working tables never matters (every result is ordered explicitly), and not
  // keeping it saves DuckDB memory and time. It is switched back on before the files are written.
  await db.run('SET preserve_insertion_order = false');
  await db.run(macrosSql());
  let lap = Date.now();
  const paths = await stageRawObjects(store, manifests, work);
  await loadRaw(db, paths, logger);
  await db.run(objectsSql());
  await db.run(`
    CREATE OR REPLACE TABLE new_runs AS
      SELECT unnest(${newRuns.length ? `[${newRuns.map(sqlString).join(', ')}]` : 'CAST([] AS VARCHAR[])'}) AS run_id;
    ${QUARANTINE_DDL};
  `);
  logger.debug('transform: raw zone loaded', { objects: paths.length, ms: Date.now() - lap });
  await checkpoint('loaded');

  const columns = new Map<string, Array<{ name: string; type: string }>>();
  const checks: CheckResult[] = [];
  const quarantined: Record<string, number> = {};
  for (const spec of TABLES) {
    lap = Date.now();
    const sql = tableSql(spec.name);
    quarantined[spec.name] = 0;
    if (sql.candidates !== undefined) {
      await db.run(sql.candidates);
      const result = await applyChecks(db, spec.name, spec.checks);
      checks.push(...result.results);
      quarantined[spec.name] = result.quarantined;
    }
    await db.run(sql.final);
    const described = await describe(db, spec.name);
    columns.set(spec.name, described);
    const unique = await applyUniqueKey(
      db,
      spec.name,
      spec.key,
      described.map((c) => c.name),
    );
    checks.push(unique);
    quarantined[spec.name] = (quarantined[spec.name] ?? 0) + unique.quarantined;
    logger.debug('transform: table built', { table: spec.name, ms: Date.now() - lap });
  }
  columns.set(QUARANTINE_TABLE, await describe(db, QUARANTINE_TABLE));
  await db.run('SET preserve_insertion_order = true');
  await checkpoint('built');

  const newDates = new Set(manifests.filter((m) => newRuns.includes(m.runId)).map((m) => m.dt));
  return { columns, checks, quarantined, newDates: [...newDates].sort() };
}

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
}

async function planOutput(
  db: DuckDb,
  store: ObjectStore,
  state: TransformState,
  built: Built,
  full: boolean,
  outDir: string,
): Promise<Plan> {
  const plan: Plan = { files: [], scopes: [], tableInfos: [], tableStates: {}, rows: {} };
  for (const spec of [...TABLES, QUARANTINE_SPEC]) {
    const described = built.columns.get(spec.name)!;
    const pk = spec.partitionKey;
    const fileColumns = described.filter((c) => c.name !== pk);
    const columns = fileColumns.map((c) => ({ name: c.name, type: glueType(spec.name, c) }));
    const partitionKeys = pk ? [{ name: pk, type: 'string' }] : [];
    const t = sqlIdentifier(spec.name);

    let present: string[] = [];
    let toWrite: string[] = [];
    if (pk) {
      const rows = await db.all(`SELECT DISTINCT ${sqlIdentifier(pk)} AS v FROM ${t} ORDER BY v`);
      present = rows.map((r) => String(r.v));
      toWrite = full ? present : await affectedPartitions(db, spec, present, built.newDates);
    }
    const files = await writeTable(
      db,
      spec.name,
      fileColumns.map((c) => c.name),
      pk,
      toWrite,
      outDir,
    );
    plan.files.push(...files);

    const prefix = tablePrefix(spec.name);
    if (!pk || full) {
      plan.scopes.push({ prefix, keep: new Set(files.map((f) => f.key)) });
    } else {
      for (const value of toWrite) {
        const scopePrefix = partitionPrefix(spec.name, pk, value);
        plan.scopes.push({
          prefix: scopePrefix,
          keep: new Set(files.filter((f) => f.key.startsWith(scopePrefix)).map((f) => f.key)),
        });
      }
    }

    const [count] = await db.all(`SELECT count(*) AS n FROM ${t}`);
    const rowCount = Number(count?.n ?? 0);
    const written = files.filter((f) => f.values.length > 0).map((f) => f.values);
    const writtenSet = new Set(written.map((v) => v[0]));
    const rewritten = new Set(toWrite);
    const previously = state.tables[spec.name]?.partitions.map((v) => v[0]!) ?? [];
    const emptied = previously.filter((v) => (full || rewritten.has(v)) && !writtenSet.has(v)).sort();
    plan.rows[spec.name] = files.reduce((n, f) => n + f.rows, 0);
    plan.tableStates[spec.name] = { columns, partitionKeys, partitions: present.map((v) => [v]), rowCount };
    plan.tableInfos.push({
      name: spec.name,
      location: `${store.uri(prefix.slice(0, -1))}/`,
      columns,
      partitionKeys,
      partitionsWritten: written,
      partitionsDeleted: emptied.map((v) => [v]),
      rowCount,
    });
  }
  return plan;
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

/** DuckDB column type -> the Glue/Hive type of the Parquet column DuckDB writes for it. */
const GLUE_TYPES: Record<string, string> = {
  VARCHAR: 'string',
  BIGINT: 'bigint',
  INTEGER: 'int',
  DOUBLE: 'double',
  BOOLEAN: 'boolean',
  DATE: 'date',
  TIMESTAMP: 'timestamp',
  'VARCHAR[]': 'array<string>',
};

function glueType(table: string, column: { name: string; type: string }): string {
  const type = GLUE_TYPES[column.type];
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
  return { runs: [], full: false, tables, rows, quarantined, checks: [], durationMs };
}

/** A hash of everything that decides the tables' content: a change rewrites every partition. */
function codeVersion(): string {
  const hash = createHash('sha256');
  hash.update(macrosSql());
  hash.update(objectsSql());
  for (const spec of TABLES) {
    const sql = tableSql(spec.name);
    hash.update(`\n${spec.name}\n${sql.candidates ?? ''}\n${sql.final}\n${JSON.stringify(spec)}`);
  }
  hash.update(JSON.stringify(QUARANTINE_SPEC));
  return hash.digest('hex').slice(0, 16);
}
