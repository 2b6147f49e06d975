// The QueryEngine on DuckDB: the catalog's tables as views, so that a query sees what Athena would see
// (docs/architecture.md, "SQL that runs on both engines"):
//
// - one view per table: `tunelake` tables unqualified (and as `tunelake.<name>`), raw tables as
//   `tunelake_raw.<dataset>`;
// - each view reads exactly the files Athena would: for a partitioned table the files under the
//   registered partitions' Locations (or, with partition projection, under the table's Location), for
//   an unpartitioned one every file under the Location; names starting with `_` or `.` are hidden, as
//   in Hive;
// - every column is cast to the catalog's declared type (a column no file has reads as NULL), partition
//   keys come from the partition values, as strings unless declared otherwise
//   (`hive_types_autocast=false`: `dt=2026-11-01` is not a DATE in Glue either);
// - Parquet through `read_parquet(..., union_by_name=true)`, NDJSON (OpenX JsonSerDe) through
//   `read_json(..., format='newline_delimited', columns={declared})`;
// - a table without files is an empty view of its declared columns; a table that cannot be read is a
//   view that fails with the reason when queried, so that one bad table does not hide the others.
//
// DuckDB has no httpfs here (docs/architecture.md, "DuckDB here"), so an S3 lake's table files are mirrored
// into a local cache first (only what is missing or whose etag changed is downloaded). `refresh()`
// builds a new database from the catalog and swaps it in; `readOnly` engines lock theirs down after the
// views exist: only the view files are readable, no file can be written, and only a single SELECT runs.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  type Catalog,
  type Column,
  type Partition,
  RAW_DATABASE,
  TABLES_DATABASE,
  type Table,
} from '../catalog/catalog.js';
import { TunelakeError } from '../errors.js';
import { type Logger, silentLogger } from '../log.js';
import { makeDirs } from '../storage/make-dirs.js';
import type { ObjectInfo, ObjectStore } from '../storage/store.js';
import { DuckDb } from './duckdb.js';
import {
  assertQueryText,
  type QueryColumn,
  type QueryEngine,
  type QueryOptions,
  type QueryResult,
  type Row,
  stripComments,
  uniqueColumnNames,
} from './engine.js';
import { bigIntegerValue, decimalValue, hiveToDuckDbType, isoTimestamp } from './hive-types.js';
import { sqlIdentifier, sqlString } from './sql-text.js';

export interface DuckDbEngineConfig {
  /** S3 lakes: where table files are mirrored. Default: `<os tmp>/tunelake-query-cache/<hash of the lake>`. */
  cacheDir?: string | undefined;
  /** DuckDB worker threads; default one per core. */
  threads?: number;
  /** Parallel downloads when filling the cache. */
  downloadConcurrency?: number;
}

export interface DuckDbEngineDeps {
  store: ObjectStore;
  catalog: Catalog;
  logger?: Logger | undefined;
  readOnly?: boolean | undefined;
  /** Milliseconds, for `stats.durationMs`. */
  now?: () => number;
}

/** The schema each catalog database's views live in (`main` is what unqualified names resolve to). */
const SCHEMAS: Record<string, string> = { [TABLES_DATABASE]: 'main', [RAW_DATABASE]: RAW_DATABASE };
const DEFAULT_DOWNLOAD_CONCURRENCY = 8;

export async function createDuckDbEngine(
  config: DuckDbEngineConfig,
  deps: DuckDbEngineDeps,
): Promise<QueryEngine> {
  const logger = deps.logger ?? silentLogger;
  const now = deps.now ?? (() => performance.now());
  const readOnly = deps.readOnly === true;
  const cache =
    deps.store.localPath === undefined
      ? createFileCache(
          config.cacheDir ??
            join(
              tmpdir(),
              'tunelake-query-cache',
              createHash('sha256').update(deps.store.location).digest('hex').slice(0, 16),
            ),
          deps.store,
          config.downloadConcurrency ?? DEFAULT_DOWNLOAD_CONCURRENCY,
          logger,
        )
      : undefined;
  const build = () =>
    buildDatabase({
      store: deps.store,
      catalog: deps.catalog,
      cache,
      readOnly,
      logger,
      threads: config.threads,
    });

  let current: DuckDb | undefined = await build();
  let closed = false;
  // One connection: statements run one at a time, and a refresh swaps databases between two queries.
  let tail: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => {});
    return run;
  };
  let refreshing: Promise<void> = Promise.resolve();

  const database = () => {
    if (closed || !current) throw new TunelakeError('INTERNAL', 'This query engine is closed.');
    return current;
  };

  const refresh = (): Promise<void> => {
    const next = refreshing.then(async () => {
      if (closed) return;
      const fresh = await build();
      await exclusive(async () => {
        if (closed) {
          await fresh.close();
          return;
        }
        const old = current;
        current = fresh;
        await old?.close();
      });
    });
    refreshing = next.catch(() => {});
    return next;
  };

  return {
    name: 'duckdb',
    async query(sql: string, options: QueryOptions = {}): Promise<QueryResult> {
      assertQueryText(sql);
      const schema = schemaOf(options.database);
      try {
        return await exclusive(() => runQuery(database(), sql, schema, readOnly, now));
      } catch (error) {
        // A file the views name is gone (a partition dropped, a table rewritten since the last
        // refresh): read the catalog again and try once more.
        if (!(error instanceof TunelakeError && error.code === 'STORAGE_FAILED')) throw error;
        logger.debug('query: a table file is gone; refreshing the views and retrying', {
          error: error.message,
        });
        await refresh();
        return await exclusive(() => runQuery(database(), sql, schema, readOnly, now));
      }
    },
    refresh,
    async close() {
      await refreshing;
      await exclusive(async () => {
        if (closed) return;
        closed = true;
        await current?.close();
        current = undefined;
      });
    },
  };
}

function schemaOf(databaseName: string | undefined): string {
  if (databaseName === undefined) return 'main';
  const schema = SCHEMAS[databaseName];
  if (!schema) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Unknown database "${databaseName}": expected "${TABLES_DATABASE}" or "${RAW_DATABASE}".`,
      { details: { database: databaseName } },
    );
  }
  return schema;
}

// --- running a query -------------------------------------------------------------------------------

async function runQuery(
  db: DuckDb,
  sql: string,
  schema: string,
  readOnly: boolean,
  now: () => number,
): Promise<QueryResult> {
  const started = now();
  const kind = await statementKind(db, sql);
  if (readOnly && kind !== 'select') {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      'This query engine is read-only: it runs a single SELECT (or WITH ... SELECT) statement, ' +
        'nothing that writes, sets or attaches.',
      { details: { sql: clip(sql) } },
    );
  }
  if (schema !== 'main') await db.run(`SET search_path = ${sqlString(schema)}`);
  try {
    let text = sql;
    let columns: Array<QueryColumn & { convert: Convert }> | undefined;
    if (kind === 'select') {
      // One SELECT: DESCRIBE gives the result's names and types without running it. (SHOW and friends
      // serialize as SELECTs but cannot be described: their columns come from the rows.)
      const body = stripComments(sql)
        .trim()
        .replace(/;+\s*$/, '');
      const described = await db
        .all<{ column_name: string; column_type: string }>(
          `SELECT column_name, column_type FROM (DESCRIBE ${body})`,
        )
        .catch((error: unknown) => {
          if (/Parser Error/.test((error as Error).message)) return undefined;
          throw queryError(error, sql, readOnly);
        });
      if (described) {
        const names = uniqueColumnNames(described.map((c) => c.column_name));
        columns = described.map((c, i) => ({
          name: names[i]!,
          type: c.column_type,
          convert: converterFor(c.column_type),
        }));
        if (names.some((name, i) => name !== described[i]!.column_name)) {
          text = `SELECT * FROM (\n${body}\n) AS q(${names.map(sqlIdentifier).join(', ')})`;
        }
      }
    }
    const raw = await db.all(text).catch((error: unknown) => {
      throw queryError(error, sql, readOnly);
    });
    const resultColumns =
      columns ?? Object.keys(raw[0] ?? {}).map((name) => ({ name, type: 'UNKNOWN', convert: KEEP }));
    const rows = raw.map((r) => {
      const row: Row = {};
      for (const c of resultColumns) row[c.name] = convertValue(r[c.name] ?? null, c.convert);
      return row;
    });
    return {
      columns: resultColumns.map(({ name, type }) => ({ name, type })),
      rows,
      engine: 'duckdb',
      stats: { durationMs: Math.max(0, now() - started) },
    };
  } finally {
    if (schema !== 'main') await db.run('RESET search_path');
  }
}

/**
 * 'select' for exactly one SELECT (json_serialize_sql only serializes SELECTs), 'other' for any other
 * statement; INVALID_ARGUMENT for a syntax error or several statements (one query, one statement, as
 * in Athena).
 */
async function statementKind(db: DuckDb, sql: string): Promise<'select' | 'other'> {
  const [row] = await db.all<{ j: string }>(`SELECT json_serialize_sql(${sqlString(sql)}) AS j`);
  const parsed = JSON.parse(row?.j ?? '{}') as {
    error?: boolean;
    error_type?: string;
    error_message?: string;
    statements?: unknown[];
  };
  if (!parsed.error) {
    const count = parsed.statements?.length ?? 0;
    if (count === 1) return 'select';
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Expected one SQL statement, got ${count}: run them one at a time.`,
      { details: { sql: clip(sql) } },
    );
  }
  if (parsed.error_type === 'parser') {
    throw new TunelakeError('INVALID_ARGUMENT', `Query failed: Parser Error: ${parsed.error_message}`, {
      details: { sql: clip(sql) },
    });
  }
  return 'other';
}

/** DuckDB's message in one line (it adds the offending SQL with a caret below), with the right code. */
function queryError(error: unknown, sql: string, readOnly: boolean): TunelakeError {
  const message = error instanceof Error ? error.message : String(error);
  const lines: string[] = [];
  for (const line of message.replace(/^DuckDB could not query: /, '').split('\n')) {
    if (line.trim() === '' || line.startsWith('LINE ')) break;
    lines.push(line.trim());
  }
  const text = lines.join(' ');
  const base = error instanceof TunelakeError ? error : undefined;
  if (/^Permission Error/.test(text)) {
    return new TunelakeError(
      'INVALID_ARGUMENT',
      `Query failed: ${text}${readOnly ? ' (this engine is read-only: it reads the lake tables only)' : ''}.`,
      { cause: error, details: { sql: clip(sql) } },
    );
  }
  // The views are the catalog's tables: a missing one usually means the lake was never crawled.
  const hint = /^Catalog Error: Table with name/.test(text)
    ? ' (the tables are those of the catalog: run `tunelake crawl` to register new ones)'
    : '';
  return new TunelakeError(base?.code ?? 'INTERNAL', `Query failed: ${text}${hint}`, {
    cause: error,
    retryable: base?.retryable ?? false,
    details: { sql: clip(sql) },
  });
}

function clip(sql: string): string {
  return sql.length > 2000 ? `${sql.slice(0, 2000)}...` : sql;
}

// --- values ----------------------------------------------------------------------------------------

/** How to turn one DuckDB value (as DuckDb.all returns it) into the port's value. */
type Convert =
  | { kind: 'keep' }
  | { kind: 'timestamp' }
  | { kind: 'decimal' }
  | { kind: 'bigint' }
  | { kind: 'json' }
  | { kind: 'list'; element: Convert }
  | { kind: 'struct'; fields: Map<string, Convert> }
  | { kind: 'map'; key: Convert; value: Convert };

const KEEP: Convert = { kind: 'keep' };

function convertValue(value: unknown, convert: Convert): unknown {
  if (value === null || value === undefined) return null;
  switch (convert.kind) {
    case 'keep':
      return value;
    case 'timestamp':
      return typeof value === 'string' ? isoTimestamp(value) : value;
    case 'decimal':
      return typeof value === 'string' ? decimalValue(value) : value;
    case 'bigint':
      return typeof value === 'string' ? bigIntegerValue(value) : value;
    case 'json':
      if (typeof value !== 'string') return value;
      try {
        return JSON.parse(value);
      } catch {
        return value;
      }
    case 'list':
      return Array.isArray(value) ? value.map((v) => convertValue(v, convert.element)) : value;
    case 'struct': {
      if (typeof value !== 'object' || Array.isArray(value)) return value;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        out[k] = convertValue(v, convert.fields.get(k) ?? KEEP);
      }
      return out;
    }
    case 'map': {
      if (!Array.isArray(value)) return value;
      const entries = value as Array<{ key: unknown; value: unknown }>;
      // Maps with scalar keys read as objects (as Athena's do); others stay a list of {key, value}.
      if (entries.every((e) => ['string', 'number', 'boolean'].includes(typeof e.key))) {
        const out: Record<string, unknown> = {};
        for (const e of entries)
          out[String(convertValue(e.key, convert.key))] = convertValue(e.value, convert.value);
        return out;
      }
      return entries.map((e) => ({
        key: convertValue(e.key, convert.key),
        value: convertValue(e.value, convert.value),
      }));
    }
  }
}

/**
 * A DuckDB type as DESCRIBE prints it (`STRUCT("id" VARCHAR, ts TIMESTAMP)[]`, `MAP(VARCHAR, DECIMAL(10,2))`,
 * `TIMESTAMP WITH TIME ZONE`) -> its converter. Anything it does not understand is kept as is.
 */
export function converterFor(type: string): Convert {
  try {
    const p = { s: type, i: 0 };
    const convert = parseDuckType(p);
    return p.i >= type.trim().length ? convert : KEEP;
  } catch {
    return KEEP;
  }
}

function parseDuckType(p: { s: string; i: number }): Convert {
  const skip = () => {
    while (p.s[p.i] === ' ') p.i++;
  };
  skip();
  const start = p.i;
  while (p.i < p.s.length && !'(),[]'.includes(p.s[p.i]!)) p.i++;
  const name = p.s.slice(start, p.i).trim().toUpperCase();
  if (name === '') throw new Error(`no type name at ${start}`);
  let convert: Convert = KEEP;
  if (p.s[p.i] === '(') {
    p.i++;
    if (name === 'STRUCT' || name === 'UNION') {
      const fields = new Map<string, Convert>();
      for (;;) {
        skip();
        const field = readIdentifier(p);
        fields.set(field, parseDuckType(p));
        skip();
        if (p.s[p.i] === ',') {
          p.i++;
          continue;
        }
        if (p.s[p.i] !== ')') throw new Error(`expected ) at ${p.i}`);
        p.i++;
        break;
      }
      convert = name === 'STRUCT' ? { kind: 'struct', fields } : KEEP;
    } else if (name === 'MAP') {
      const key = parseDuckType(p);
      skip();
      if (p.s[p.i] !== ',') throw new Error(`expected , at ${p.i}`);
      p.i++;
      const value = parseDuckType(p);
      skip();
      if (p.s[p.i] !== ')') throw new Error(`expected ) at ${p.i}`);
      p.i++;
      convert = { kind: 'map', key, value };
    } else {
      // DECIMAL(p,s), ENUM('a', 'b'), ...: skip to the matching parenthesis.
      let depth = 1;
      while (p.i < p.s.length && depth > 0) {
        const c = p.s[p.i]!;
        if (c === "'") {
          p.i++;
          while (p.i < p.s.length && !(p.s[p.i] === "'" && p.s[p.i + 1] !== "'"))
            p.i += p.s[p.i] === "'" ? 2 : 1;
        } else if (c === '(') depth++;
        else if (c === ')') depth--;
        p.i++;
      }
      convert = name === 'DECIMAL' || name === 'NUMERIC' ? { kind: 'decimal' } : KEEP;
    }
  } else {
    convert = scalarConverter(name);
  }
  for (;;) {
    skip();
    if (p.s[p.i] !== '[') break;
    const close = p.s.indexOf(']', p.i);
    if (close === -1) throw new Error('unterminated [');
    p.i = close + 1;
    convert = { kind: 'list', element: convert };
  }
  return convert;
}

function scalarConverter(name: string): Convert {
  if (name.startsWith('TIMESTAMP')) return { kind: 'timestamp' };
  if (name === 'DECIMAL' || name === 'NUMERIC') return { kind: 'decimal' };
  if (name === 'BIGINT' || name === 'UBIGINT' || name === 'HUGEINT' || name === 'UHUGEINT') {
    return { kind: 'bigint' };
  }
  if (name === 'JSON') return { kind: 'json' };
  return KEEP;
}

function readIdentifier(p: { s: string; i: number }): string {
  if (p.s[p.i] === '"') {
    let out = '';
    let i = p.i + 1;
    for (;;) {
      const c = p.s[i];
      if (c === undefined) throw new Error('unterminated "');
      if (c === '"' && p.s[i + 1] === '"') {
        out += '"';
        i += 2;
      } else if (c === '"') {
        p.i = i + 1;
        return out;
      } else {
        out += c;
        i++;
      }
    }
  }
  const start = p.i;
  while (p.i < p.s.length && p.s[p.i] !== ' ') p.i++;
  return p.s.slice(start, p.i);
}

// --- building the views ----------------------------------------------------------------------------

interface BuildContext {
  store: ObjectStore;
  catalog: Catalog;
  cache: FileCache | undefined;
  readOnly: boolean;
  logger: Logger;
  threads: number | undefined;
}

/** The files one scan reads, and where its partition values come from. */
interface Scan {
  files: ObjectInfo[];
  /** 'hive': from the `k=v` folders of the paths; string[]: these values; 'none': unpartitioned. */
  partition: 'hive' | 'none' | string[];
}

type TableFormat = 'parquet' | 'json';

interface PlannedTable {
  database: string;
  table: Table;
  format?: TableFormat;
  scans: Scan[];
  /** Why the table cannot be read; its view fails with this. */
  problem?: string;
}

async function buildDatabase(ctx: BuildContext): Promise<DuckDb> {
  const planned: PlannedTable[] = [];
  for (const database of [TABLES_DATABASE, RAW_DATABASE]) {
    let tables: Table[];
    try {
      tables = await ctx.catalog.listTables(database);
    } catch (error) {
      if (error instanceof TunelakeError && error.code === 'STORAGE_NOT_FOUND') continue;
      throw error;
    }
    for (const table of tables) planned.push(await planTable(ctx, database, table));
  }

  const files = new Map<string, ObjectInfo>();
  for (const t of planned) for (const scan of t.scans) for (const f of scan.files) files.set(f.key, f);
  const paths = ctx.cache
    ? await ctx.cache.sync([...files.values()])
    : new Map([...files.keys()].map((key) => [key, ctx.store.localPath!(key)]));

  const db = await DuckDb.create(ctx.threads === undefined ? {} : { threads: ctx.threads });
  try {
    await db.run(
      `CREATE SCHEMA ${sqlIdentifier(RAW_DATABASE)}; CREATE SCHEMA ${sqlIdentifier(TABLES_DATABASE)};`,
    );
    for (const t of planned) {
      const schema = SCHEMAS[t.database]!;
      const view = `${sqlIdentifier(schema)}.${sqlIdentifier(t.table.Name)}`;
      let select: string;
      try {
        if (t.problem) throw new TunelakeError('INVALID_ARGUMENT', t.problem);
        select = await viewSelect(db, t, paths);
        await db.run(`CREATE VIEW ${view} AS ${select}`);
      } catch (error) {
        const reason = `Table ${t.database}.${t.table.Name} cannot be read: ${(error as Error).message}`;
        ctx.logger.warn(reason, { database: t.database, table: t.table.Name });
        await db.run(`CREATE OR REPLACE VIEW ${view} AS ${failingSelect(t.table, reason)}`);
      }
      if (t.database === TABLES_DATABASE) {
        await db.run(
          `CREATE VIEW ${sqlIdentifier(TABLES_DATABASE)}.${sqlIdentifier(t.table.Name)} AS SELECT * FROM ${view}`,
        );
      }
    }
    if (ctx.readOnly) {
      // After this, DuckDB reads the view files only and writes no file at all; the lock keeps a query
      // from turning it back on (https://duckdb.org/docs/operations_manual/securing_duckdb/overview).
      const files = [...paths.values()];
      if (files.length > 0) await db.run(`SET allowed_paths = [${files.map(sqlString).join(', ')}]`);
      await db.run('SET enable_external_access = false');
      await db.run('SET lock_configuration = true');
    }
    ctx.logger.debug('query: views created', {
      tables: planned.length,
      files: paths.size,
      cached: ctx.cache !== undefined,
    });
    return db;
  } catch (error) {
    await db.close();
    throw error;
  }
}

/** Which files a table reads, as Athena would choose them. */
async function planTable(ctx: BuildContext, database: string, table: Table): Promise<PlannedTable> {
  const planned: PlannedTable = { database, table, scans: [] };
  const format = tableFormat(table);
  if (!format) {
    planned.problem =
      table.TableType === 'VIRTUAL_VIEW'
        ? 'it is an Athena view, which only Athena can run.'
        : `its format (${table.StorageDescriptor?.SerdeInfo?.SerializationLibrary ?? 'unknown SerDe'}) is neither Parquet nor JSON.`;
    return planned;
  }
  planned.format = format;
  const tablePrefix = keyOf(ctx.store, table.StorageDescriptor.Location);
  if (tablePrefix === undefined) {
    planned.problem = `its Location ${table.StorageDescriptor.Location} is outside the lake ${ctx.store.location}.`;
    return planned;
  }
  const partitionKeys = table.PartitionKeys ?? [];
  if (partitionKeys.length === 0 || table.Parameters?.['projection.enabled'] === 'true') {
    // Unpartitioned, or partition projection: Athena reads the Location (projection ignores the
    // catalog's partitions and computes them from the folders).
    const files = await listData(ctx.store, tablePrefix);
    if (files.length > 0)
      planned.scans.push({ files, partition: partitionKeys.length === 0 ? 'none' : 'hive' });
    return planned;
  }

  const partitions: Partition[] = await ctx.catalog.getPartitions(database, table.Name);
  if (partitions.length === 0) return planned;
  const located: Array<{ partition: Partition; prefix: string }> = [];
  for (const partition of partitions) {
    const prefix = keyOf(ctx.store, partition.StorageDescriptor?.Location ?? '');
    if (prefix === undefined) {
      planned.problem =
        `the Location ${partition.StorageDescriptor?.Location} of its partition ${JSON.stringify(partition.Values)} ` +
        `is outside the lake ${ctx.store.location}.`;
      return planned;
    }
    located.push({ partition, prefix });
  }
  // One listing of the table's prefix serves every partition inside it; others are listed apart.
  const inside = located.every((l) => l.prefix.startsWith(tablePrefix));
  const listed = inside ? await listData(ctx.store, tablePrefix) : undefined;
  const filesOf = async (prefix: string) =>
    listed ? listed.filter((f) => f.key.startsWith(prefix)) : await listData(ctx.store, prefix);

  const hiveStyle = located.every(
    ({ partition, prefix }) =>
      partition.Values.every((v) => /^[A-Za-z0-9._:+-]*$/.test(v)) &&
      prefix === `${tablePrefix}${partitionKeys.map((k, i) => `${k.Name}=${partition.Values[i]}/`).join('')}`,
  );
  if (hiveStyle) {
    const files = new Map<string, ObjectInfo>();
    for (const { prefix } of located) for (const f of await filesOf(prefix)) files.set(f.key, f);
    if (files.size > 0) planned.scans.push({ files: [...files.values()], partition: 'hive' });
  } else {
    // The folders do not spell the values: one scan per partition, its values as constants.
    for (const { partition, prefix } of located) {
      const files = await filesOf(prefix);
      if (files.length > 0) planned.scans.push({ files, partition: partition.Values });
    }
  }
  return planned;
}

function tableFormat(table: Table): TableFormat | undefined {
  if (table.TableType === 'VIRTUAL_VIEW') return undefined;
  const sd = table.StorageDescriptor;
  const serde = (sd?.SerdeInfo?.SerializationLibrary ?? '').toLowerCase();
  const classification = (
    table.Parameters?.classification ??
    sd?.Parameters?.classification ??
    ''
  ).toLowerCase();
  if (serde.includes('parquet') || (sd?.InputFormat ?? '').toLowerCase().includes('parquet'))
    return 'parquet';
  if (serde.includes('jsonserde')) return 'json';
  if (!serde && classification === 'parquet') return 'parquet';
  if (!serde && classification === 'json') return 'json';
  return undefined;
}

/** The store key prefix (ending in '/', or '' for the root) of a catalog Location, if it is in this lake. */
function keyOf(store: ObjectStore, location: string): string | undefined {
  const root = store.uri('x').slice(0, -1); // `/abs/lake/` or `s3://bucket/prefix/`
  const withSlash = location.endsWith('/') ? location : `${location}/`;
  if (withSlash === root) return '';
  return withSlash.startsWith(root) ? withSlash.slice(root.length) : undefined;
}

/** The data files under a prefix: no folder markers, no empty files, no Hive-hidden (`_x`, `.x`) names. */
async function listData(store: ObjectStore, prefix: string): Promise<ObjectInfo[]> {
  const files: ObjectInfo[] = [];
  for await (const info of store.list(prefix)) {
    if (info.size === 0 || info.key.endsWith('/') || info.key.endsWith('_$folder$')) continue;
    const relative = info.key.slice(prefix.length);
    if (relative.split('/').some((segment) => segment.startsWith('_') || segment.startsWith('.'))) continue;
    files.push(info);
  }
  return files;
}

/** The SELECT a table's view runs. */
async function viewSelect(db: DuckDb, t: PlannedTable, paths: Map<string, string>): Promise<string> {
  const columns = t.table.StorageDescriptor.Columns ?? [];
  const partitionKeys = t.table.PartitionKeys ?? [];
  const types = new Map<string, string>();
  for (const c of [...columns, ...partitionKeys]) types.set(c.Name, hiveToDuckDbType(c.Type));
  if (t.scans.length === 0) return emptySelect([...columns, ...partitionKeys], types);

  const branches: string[] = [];
  for (const scan of t.scans) {
    const local = scan.files.flatMap((f) => paths.get(f.key) ?? []);
    if (local.length === 0) continue;
    const files = `[${local.map(sqlString).join(', ')}]`;
    const hive = scan.partition === 'hive';
    let from: string;
    let available: Set<string>;
    if (t.format === 'json') {
      const declared = columns
        .map((c) => `${sqlString(c.Name)}: ${sqlString(types.get(c.Name)!)}`)
        .join(', ');
      from =
        `read_json(${files}, format='newline_delimited', columns={${declared}}, ` +
        `hive_partitioning=${hive}, hive_types_autocast=false)`;
      available = new Set(columns.map((c) => c.Name.toLowerCase()));
    } else {
      from = `read_parquet(${files}, hive_partitioning=${hive}, hive_types_autocast=false, union_by_name=true)`;
      const described = await db.all<{ column_name: string }>(
        `SELECT column_name FROM (DESCRIBE SELECT * FROM ${from})`,
      );
      available = new Set(described.map((c) => c.column_name.toLowerCase()));
    }
    const list: string[] = [];
    for (const c of columns) {
      const type = types.get(c.Name)!;
      const value = available.has(c.Name.toLowerCase()) ? sqlIdentifier(c.Name) : 'NULL';
      list.push(`CAST(${value} AS ${type}) AS ${sqlIdentifier(c.Name)}`);
    }
    partitionKeys.forEach((k, i) => {
      const type = types.get(k.Name)!;
      let value: string;
      if (Array.isArray(scan.partition)) value = sqlString(scan.partition[i] ?? '');
      else
        value =
          hive && (t.format === 'json' || available.has(k.Name.toLowerCase()))
            ? sqlIdentifier(k.Name)
            : 'NULL';
      list.push(`CAST(${value} AS ${type}) AS ${sqlIdentifier(k.Name)}`);
    });
    branches.push(`SELECT ${list.join(', ')} FROM ${from}`);
  }
  if (branches.length === 0) return emptySelect([...columns, ...partitionKeys], types);
  return branches.join('\nUNION ALL\n');
}

function emptySelect(columns: Column[], types: Map<string, string>): string {
  const list = columns.map((c) => `CAST(NULL AS ${types.get(c.Name)!}) AS ${sqlIdentifier(c.Name)}`);
  return `SELECT ${list.join(', ')} LIMIT 0`;
}

/** A view with the table's columns (as far as their types are understood) that fails when read. */
function failingSelect(table: Table, reason: string): string {
  const columns = [...(table.StorageDescriptor?.Columns ?? []), ...(table.PartitionKeys ?? [])];
  const list = columns.map((c) => {
    let type = 'VARCHAR';
    try {
      type = hiveToDuckDbType(c.Type);
    } catch {}
    return `CAST(NULL AS ${type}) AS ${sqlIdentifier(c.Name)}`;
  });
  if (list.length === 0) list.push('NULL AS "error"');
  return `SELECT ${list.join(', ')} FROM (SELECT 1) WHERE error(${sqlString(reason)})`;
}

// --- the local mirror of an S3 lake ----------------------------------------------------------------

interface FileCache {
  /** Makes the cache hold exactly these objects (as listed); returns key -> local path. */
  sync(files: ObjectInfo[]): Promise<Map<string, string>>;
}

interface CacheIndex {
  format: 1;
  location: string;
  /** key -> the etag and size of the cached copy. */
  objects: Record<string, { etag: string; size: number }>;
}

/**
 * Files under `<dir>/objects/<key>`, and `<dir>/index.json` with the etag of each: a file is downloaded
 * when it is missing or its etag changed, and removed when the lake no longer has it. Downloads land in
 * a temp file renamed into place, so a reader never sees half a file.
 */
function createFileCache(dir: string, store: ObjectStore, concurrency: number, logger: Logger): FileCache {
  const indexPath = join(dir, 'index.json');
  const pathOf = (key: string) => join(dir, 'objects', ...key.split('/'));

  async function readIndex(): Promise<CacheIndex> {
    try {
      const index = JSON.parse(await readFile(indexPath, 'utf8')) as CacheIndex;
      if (index.format === 1 && index.location === store.location && index.objects) return index;
    } catch {}
    return { format: 1, location: store.location, objects: {} };
  }

  async function present(path: string, size: number): Promise<boolean> {
    try {
      return (await stat(path)).size === size;
    } catch {
      return false;
    }
  }

  async function download(info: ObjectInfo): Promise<void> {
    const path = pathOf(info.key);
    await makeDirs(dirname(path));
    const temp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
    try {
      const body = await store.getStream(info.key);
      if (!body) {
        throw new TunelakeError(
          'STORAGE_NOT_FOUND',
          `${store.uri(info.key)} disappeared while being cached.`,
          {
            retryable: true,
          },
        );
      }
      await pipeline(body, createWriteStream(temp));
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      if (error instanceof TunelakeError) throw error;
      throw new TunelakeError(
        'STORAGE_FAILED',
        `Cannot cache ${store.uri(info.key)} in ${dir}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  return {
    async sync(files) {
      await makeDirs(dir);
      const index = await readIndex();
      const infos = new Map(files.map((f) => [f.key, f]));
      const stale: ObjectInfo[] = [];
      for (const info of infos.values()) {
        const cached = index.objects[info.key];
        if (!cached || cached.etag !== info.etag || !(await present(pathOf(info.key), info.size)))
          stale.push(info);
      }
      let next = 0;
      const worker = async () => {
        while (next < stale.length) {
          const info = stale[next++]!;
          await download(info);
          index.objects[info.key] = { etag: info.etag, size: info.size };
        }
      };
      try {
        await Promise.all(Array.from({ length: Math.min(concurrency, stale.length) }, worker));
      } finally {
        // Files the lake no longer has are removed; the index is written even after a failed download,
        // so that the files that did arrive are not fetched again.
        for (const key of Object.keys(index.objects)) {
          if (!infos.has(key)) {
            delete index.objects[key];
            await rm(pathOf(key), { force: true });
          }
        }
        const temp = `${indexPath}.tmp-${randomBytes(6).toString('hex')}`;
        await writeFile(temp, JSON.stringify(index));
        await rename(temp, indexPath);
      }
      if (stale.length > 0)
        logger.debug('query: cache filled', { downloaded: stale.length, cached: infos.size, dir });
      return new Map([...infos.keys()].map((key) => [key, pathOf(key)]));
    },
  };
}
