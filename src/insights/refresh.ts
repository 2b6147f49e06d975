// refreshInsights(): every insight (insights.ts) computed from the lake's tables and written as one
// Parquet file, `insights/<name>/part-00000.parquet`, registered in the catalog as `insight_<name>`.
//
// - The SQL runs on the DuckDB query engine (src/query/engine.ts), whose views read exactly what the
//   catalog declares, so an insight sees the tables Athena would. It is written with COPY to a local
//   temp file, then put at its key in one write: on disk and on S3 a single-key put is atomic, so a
//   reader sees the old file or the new one. Every SQL file ends in a total ORDER BY, so the same lake
//   gives the same bytes, and an unchanged file is not uploaded again.
// - An insight whose data the lake cannot provide (its tables are missing, or a table it needs is
//   empty because the access tier strips its fields) is reported as unavailable with the reason and
//   nothing is written; a previous table of it is removed rather than left to go stale.
// - On Athena (TUNELAKE_ENGINE=athena) each insight is a CTAS into Parquet at a fresh location,
//   `insights/<name>/v=<refreshId>/` (CTAS needs an empty one), under a temporary table name; the
//   `insight_<name>` table is then re-pointed at it in one catalog update and the previous versions'
//   objects are deleted. A reader sees the old table or the new one, never a half-written one, and a
//   failed CTAS leaves the old table as it was (its orphaned files are removed). Availability is decided
//   from the catalog's row counts, so deciding it costs no Athena query.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Catalog, TABLES_DATABASE, type Table } from '../catalog/catalog.js';
import { parquetTableInput } from '../catalog/table-input.js';
import type { AccessTier, Config } from '../config.js';
import { isTunelakeError, TunelakeError } from '../errors.js';
import { newRunId } from '../lake.js';
import { type Logger, silentLogger } from '../log.js';
import type { QueryEngine } from '../query/engine.js';
import { sqlString } from '../query/sql-text.js';
import { type ObjectStore, sameEtag } from '../storage/store.js';
import { type InsightSpec, insightSql, insightTableName, selectInsights } from './insights.js';

export const INSIGHTS_PREFIX = 'insights/';
const PART_FILE = 'part-00000.parquet';
/** Files above this size are streamed to the store (S3: multipart) instead of read into memory. */
const STREAM_THRESHOLD_BYTES = 32 * 1024 * 1024;

export interface InsightsRuntime {
  store: ObjectStore;
  catalog: Catalog;
  config: Pick<Config, 'engine' | 'athena' | 'awsRegion' | 'spotify'>;
  logger?: Logger;
  /** The configured engine on this lake (the composition root's). */
  openEngine(): Promise<QueryEngine>;
}

export interface InsightResult {
  name: string;
  /** Its catalog table (database `tunelake`). */
  table: string;
  /** Rows written; 0 when unavailable. */
  rows: number;
  status: 'written' | 'unavailable';
  reason?: string;
  /** The table's Location: `store.uri` of `insights/<name>/`, ending in '/'. */
  location: string;
}

export interface InsightsInfo {
  insights: InsightResult[];
  durationMs: number;
}

export interface RefreshInsightsOptions {
  /** Only these insights (default: all of them). */
  only?: readonly string[];
  /** Parent folder of the temp folder the files are written to (default: the OS temp folder). */
  tempDir?: string;
  /** Milliseconds, for durationMs. */
  now?: () => number;
  /**
   * Athena: names this refresh's versions (`insights/<name>/v=<refreshId>/`); default: a new run id.
   * Lowercase letters, digits, '-' and '_'.
   */
  refreshId?: string;
}

export function insightPrefix(name: string): string {
  return `${INSIGHTS_PREFIX}${name}/`;
}

export function insightKey(name: string): string {
  return `${insightPrefix(name)}${PART_FILE}`;
}

export async function refreshInsights(
  runtime: InsightsRuntime,
  options: RefreshInsightsOptions = {},
): Promise<InsightsInfo> {
  const { store, catalog, config } = runtime;
  const logger = runtime.logger ?? silentLogger;
  const now = options.now ?? (() => performance.now());
  const started = now();
  const selected = selectInsights(options.only);
  await catalog.ensureDatabase(TABLES_DATABASE, 'tunelake: typed Parquet tables');
  const tables = await catalogTables(catalog);
  if (config.engine === 'athena') {
    const results = await refreshOnAthena(runtime, selected, tables, options);
    return { insights: results, durationMs: Math.max(0, Math.round(now() - started)) };
  }
  const engine = await runtime.openEngine();
  const dir = await mkdtemp(join(options.tempDir ?? tmpdir(), 'tunelake-insights-'));
  const results: InsightResult[] = [];
  try {
    for (const spec of selected) {
      const table = insightTableName(spec.name);
      const location = `${store.uri(insightPrefix(spec.name).slice(0, -1))}/`;
      const availability = await insightAvailability(spec, tables, config.spotify.tier, (name) =>
        countRows(engine, name),
      );
      if (!availability.available) {
        results.push(await markUnavailable(store, catalog, spec.name, tables, availability.reason, logger));
        continue;
      }
      const path = join(dir, `${spec.name}.parquet`);
      const rows = await writeInsight(engine, spec, path);
      await checkColumns(engine, spec, path);
      const { size } = await stat(path);
      const uploaded = await upload(store, spec.name, path, size);
      const outcome = await registerInsight(catalog, spec, location, {
        objectCount: 1,
        recordCount: rows,
        sizeKey: size,
      });
      logger.info(`insight ${spec.name}: ${rows} rows`, { uploaded, catalog: outcome });
      results.push({ name: spec.name, table, rows, status: 'written', location });
    }
  } finally {
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  }
  return { insights: results, durationMs: Math.max(0, Math.round(now() - started)) };
}

/** Points `insight_<name>` at `location` with the insight's columns and the written data's statistics. */
function registerInsight(
  catalog: Catalog,
  spec: InsightSpec,
  location: string,
  stats: { objectCount: number; recordCount: number; sizeKey: number },
) {
  return catalog.upsertTable(
    TABLES_DATABASE,
    parquetTableInput({
      name: insightTableName(spec.name),
      location,
      description: `tunelake insight: ${spec.description}`,
      columns: spec.columns.map((col) => ({ Name: col.name, Type: col.type, Comment: col.description })),
      stats,
    }),
  );
}

export interface InsightAvailability {
  available: boolean;
  reason?: string;
}

/**
 * Whether the lake can support an insight: every table it reads is in the catalog and the table it
 * needs (if any) has rows. `rowCount` answers how many rows a table has (undefined: unknown, assumed
 * non-empty).
 */
export async function insightAvailability(
  spec: InsightSpec,
  tables: ReadonlyMap<string, Table>,
  tier: AccessTier,
  rowCount: (table: string) => Promise<number | undefined>,
): Promise<InsightAvailability> {
  const missing = spec.tables.filter((t) => !tables.has(t));
  if (missing.length > 0) {
    return {
      available: false,
      reason:
        `needs the table${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, which the catalog does not have yet: ` +
        'run `tunelake run` (or `tunelake transform`) first',
    };
  }
  if (spec.needs?.tierOnly && tier !== spec.needs.tier) {
    return { available: false, reason: spec.needs.reason[tier] };
  }
  if (spec.needs) {
    const rows = await rowCount(spec.needs.table);
    if (rows === 0) return { available: false, reason: spec.needs.reason[tier] };
  }
  return { available: true };
}

export interface InsightListing {
  name: string;
  description: string;
  /** The question it answers. */
  question: string;
  table: string;
  available: boolean;
  reason?: string;
  /** Rows of its table in the catalog, when it has been written. */
  rows?: number;
  requires: { tables: readonly string[]; tier?: AccessTier; fields?: string[] };
  columns: InsightSpec['columns'];
}

/**
 * The registry with each insight's availability, decided from the catalog alone (the row counts the
 * tables were registered with), so that it needs no query engine and works whatever the engine.
 */
export async function listInsights(
  runtime: Pick<InsightsRuntime, 'catalog' | 'config'>,
  options: { only?: readonly string[] } = {},
): Promise<InsightListing[]> {
  const tables = await catalogTables(runtime.catalog);
  const out: InsightListing[] = [];
  for (const spec of selectInsights(options.only)) {
    const { available, reason } = await insightAvailability(
      spec,
      tables,
      runtime.config.spotify.tier,
      async (name) => recordCount(tables.get(name)),
    );
    const written = recordCount(tables.get(insightTableName(spec.name)));
    out.push({
      name: spec.name,
      description: spec.description,
      question: spec.question,
      table: insightTableName(spec.name),
      available,
      ...(reason !== undefined ? { reason } : {}),
      ...(written !== undefined ? { rows: written } : {}),
      requires: {
        tables: spec.tables,
        ...(spec.needs ? { tier: spec.needs.tier, fields: spec.needs.fields } : {}),
      },
      columns: spec.columns,
    });
  }
  return out;
}

async function catalogTables(catalog: Catalog): Promise<Map<string, Table>> {
  try {
    return new Map((await catalog.listTables(TABLES_DATABASE)).map((t) => [t.Name, t]));
  } catch (error) {
    if (error instanceof TunelakeError && error.code === 'STORAGE_NOT_FOUND') return new Map();
    throw error;
  }
}

function recordCount(table: Table | undefined): number | undefined {
  const value = table?.Parameters?.recordCount;
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

async function countRows(engine: QueryEngine, table: string): Promise<number> {
  const result = await engine.query(`SELECT count(*) AS n FROM "${table}"`);
  return Number(result.rows[0]?.n ?? 0);
}

/** Runs the insight's SQL into a local Parquet file; returns the rows written. */
async function writeInsight(engine: QueryEngine, spec: InsightSpec, path: string): Promise<number> {
  // The SQL files end without a ';' but may end in a comment: the closing parenthesis goes on its own line.
  const body = insightSql(spec.name, 'duckdb').trimEnd().replace(/;+$/, '');
  try {
    const result = await engine.query(
      `COPY (\n${body}\n) TO ${sqlString(path)} (FORMAT parquet, COMPRESSION zstd)`,
    );
    const row = result.rows[0] ?? {};
    return Number(row.Count ?? row.count ?? 0);
  } catch (error) {
    if (!(error instanceof TunelakeError)) throw error;
    // An insight's SQL failing on tables the catalog declares is a bug in the SQL (or a table whose
    // schema changed under it), never the user's argument.
    throw new TunelakeError(
      error.code === 'INVALID_ARGUMENT' ? 'INTERNAL' : error.code,
      `Insight ${spec.name} failed: ${error.message}`,
      { cause: error, retryable: error.retryable, details: { insight: spec.name } },
    );
  }
}

/** DuckDB column types -> the Hive types the registry declares. */
const HIVE_TYPES: Record<string, string> = {
  VARCHAR: 'string',
  BIGINT: 'bigint',
  INTEGER: 'int',
  DOUBLE: 'double',
  DATE: 'date',
  BOOLEAN: 'boolean',
  TIMESTAMP: 'timestamp',
};

/** The file must hold exactly the registry's columns, in order, so that the catalog tells the truth. */
async function checkColumns(engine: QueryEngine, spec: InsightSpec, path: string): Promise<void> {
  const { columns } = await engine.query(`SELECT * FROM read_parquet(${sqlString(path)}) LIMIT 0`);
  const written = columns.map((col) => `${col.name} ${HIVE_TYPES[col.type] ?? col.type}`);
  const declared = spec.columns.map((col) => `${col.name} ${col.type}`);
  if (written.join(', ') !== declared.join(', ')) {
    throw new TunelakeError(
      'INTERNAL',
      `Insight ${spec.name}: its SQL writes the columns (${written.join(', ')}) but insights.ts declares ` +
        `(${declared.join(', ')}); make them agree.`,
      { details: { insight: spec.name, written, declared } },
    );
  }
}

/**
 * Puts the file at the insight's key unless the store already holds these bytes (true when uploaded),
 * and removes anything else under its prefix, which readers would take as part of the table.
 */
async function upload(store: ObjectStore, name: string, path: string, size: number): Promise<boolean> {
  const key = insightKey(name);
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const existing = await store.head(key);
  let uploaded = false;
  if (!existing || !sameEtag(existing.etag, `"${hash.digest('hex')}"`)) {
    const options = { contentType: 'application/vnd.apache.parquet' };
    if (size > STREAM_THRESHOLD_BYTES) await store.putStream(key, createReadStream(path), options);
    else await store.put(key, await readFile(path), options);
    uploaded = true;
  }
  const stale: string[] = [];
  for await (const info of store.list(insightPrefix(name))) {
    if (info.key !== key) stale.push(info.key);
  }
  if (stale.length > 0) await store.deleteMany(stale);
  return uploaded;
}

/** An insight the lake cannot fill: its old data and table go (never left stale), and it says why. */
async function markUnavailable(
  store: ObjectStore,
  catalog: Catalog,
  name: string,
  tables: ReadonlyMap<string, Table>,
  reason: string | undefined,
  logger: Logger,
): Promise<InsightResult> {
  await removeInsight(store, catalog, name, tables);
  logger.info(`insight ${name}: unavailable`, { reason });
  return {
    name,
    table: insightTableName(name),
    rows: 0,
    status: 'unavailable',
    ...(reason === undefined ? {} : { reason }),
    location: `${store.uri(insightPrefix(name).slice(0, -1))}/`,
  };
}

async function removeInsight(
  store: ObjectStore,
  catalog: Catalog,
  name: string,
  tables: ReadonlyMap<string, Table>,
): Promise<void> {
  const keys: string[] = [];
  for await (const info of store.list(insightPrefix(name))) keys.push(info.key);
  if (keys.length > 0) await store.deleteMany(keys);
  if (tables.has(insightTableName(name))) await catalog.deleteTable(TABLES_DATABASE, insightTableName(name));
}

// ---- Athena: CTAS into a fresh location, then re-point the table ----

async function refreshOnAthena(
  runtime: InsightsRuntime,
  selected: readonly InsightSpec[],
  tables: ReadonlyMap<string, Table>,
  options: RefreshInsightsOptions,
): Promise<InsightResult[]> {
  const { store, catalog, config } = runtime;
  const logger = runtime.logger ?? silentLogger;
  if (!store.location.startsWith('s3://')) {
    throw new TunelakeError(
      'CONFIG_INVALID',
      `Insights cannot be refreshed on Athena for the local lake ${store.location}: Athena writes its tables to S3. ` +
        'Use an S3 lake (TUNELAKE_LAKE=s3://bucket/prefix) with TUNELAKE_CATALOG=glue, or TUNELAKE_ENGINE=duckdb.',
      { details: { engine: config.engine, lake: store.location } },
    );
  }
  const refreshId = (options.refreshId ?? newRunId(new Date())).toLowerCase();
  if (!/^[a-z0-9_-]{1,64}$/.test(refreshId)) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Invalid insights refresh id "${refreshId}": expected 1-64 lowercase letters, digits, '-' or '_'.`,
    );
  }
  // The CTAS target and the tables its SQL reads both live in the tables' database.
  const database = TABLES_DATABASE;
  const engine = await runtime.openEngine();
  // Temporary CTAS tables a crashed refresh left behind (named after a default refresh id).
  for (const name of tables.keys()) {
    if (/^insight_[a-z0-9_]+_\d{8}t\d{6}z_[0-9a-z]{6}$/.test(name)) await dropQuietly(catalog, name);
  }
  const results: InsightResult[] = [];
  try {
    for (const spec of selected) {
      const table = insightTableName(spec.name);
      const availability = await insightAvailability(spec, tables, config.spotify.tier, async (name) =>
        recordCount(tables.get(name)),
      );
      if (!availability.available) {
        results.push(await markUnavailable(store, catalog, spec.name, tables, availability.reason, logger));
        continue;
      }
      const prefix = insightVersionPrefix(spec.name, refreshId);
      const location = `${store.uri(prefix.slice(0, -1))}/`;
      const temp = `${table}_${refreshId.replace(/-/g, '_')}`;
      // CTAS needs an empty location and a free name: clear what a failed attempt with this id left.
      await deletePrefix(store, prefix);
      await dropQuietly(catalog, temp);
      const ctas = athenaCtasSql({
        database,
        table: temp,
        location,
        select: insightSql(spec.name, 'athena'),
      });
      let rows: number;
      try {
        await engine.query(ctas, { database });
        const counted = await engine.query(`SELECT count(*) AS n FROM "${database}"."${temp}"`, { database });
        rows = Number(counted.rows[0]?.n ?? 0);
      } catch (error) {
        await dropQuietly(catalog, temp);
        await deletePrefix(store, prefix).catch(() => {});
        const err = error instanceof TunelakeError ? error : new TunelakeError('INTERNAL', String(error));
        throw new TunelakeError(
          err.code === 'INVALID_ARGUMENT' ? 'INTERNAL' : err.code,
          `Insight ${spec.name} failed on Athena: ${err.message}`,
          { cause: error, retryable: err.retryable, details: { insight: spec.name } },
        );
      }
      let objectCount = 0;
      let size = 0;
      for await (const info of store.list(prefix)) {
        objectCount++;
        size += info.size;
      }
      const outcome = await registerInsight(catalog, spec, location, {
        objectCount,
        recordCount: rows,
        sizeKey: size,
      });
      await dropQuietly(catalog, temp);
      // Only now is nobody pointed at the old versions (and the DuckDB path's single file).
      const stale: string[] = [];
      for await (const info of store.list(insightPrefix(spec.name))) {
        if (!info.key.startsWith(prefix)) stale.push(info.key);
      }
      if (stale.length > 0) await store.deleteMany(stale);
      logger.info(`insight ${spec.name}: ${rows} rows (Athena)`, {
        location,
        catalog: outcome,
        stale: stale.length,
      });
      results.push({ name: spec.name, table, rows, status: 'written', location });
    }
  } finally {
    await engine.close();
  }
  return results;
}

/** `insights/<name>/v=<refreshId>/`: where one Athena refresh writes an insight. */
export function insightVersionPrefix(name: string, refreshId: string): string {
  return `${insightPrefix(name)}v=${refreshId}/`;
}

/**
 * The CTAS that materialises an insight on Athena: Parquet (ZSTD) at `location`, which must be empty.
 * The SELECT is the insight's SQL file as is; it may end in a comment, so the statement ends on a new line.
 */
export function athenaCtasSql(input: {
  database: string;
  table: string;
  location: string;
  select: string;
}): string {
  const select = input.select.trimEnd().replace(/;+$/, '');
  const location = input.location.endsWith('/') ? input.location : `${input.location}/`;
  return (
    `CREATE TABLE "${input.database}"."${input.table}"\n` +
    `WITH (format = 'PARQUET', write_compression = 'ZSTD', external_location = ${sqlString(location)})\n` +
    `AS\n${select}\n`
  );
}

async function deletePrefix(store: ObjectStore, prefix: string): Promise<void> {
  const keys: string[] = [];
  for await (const info of store.list(prefix)) keys.push(info.key);
  if (keys.length > 0) await store.deleteMany(keys);
}

async function dropQuietly(catalog: Catalog, table: string): Promise<void> {
  try {
    await catalog.deleteTable(TABLES_DATABASE, table);
  } catch (error) {
    if (!isTunelakeError(error, 'STORAGE_NOT_FOUND')) throw error;
  }
}
