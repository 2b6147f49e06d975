// tunelake's crawler: what an AWS Glue crawler does to an S3 path, done locally against any ObjectStore
// and written to whichever Catalog is configured (moto's Glue does not crawl, and a local lake has no
// Glue). The semantics are Glue's, from its documentation (https://docs.aws.amazon.com/glue/latest/dg/crawler-running.html):
//
//   list the include path -> drop `_`/`.`-prefixed keys (Hive's hidden files) and the exclusion globs
//   -> table roots at Grouping.TableLevelConfiguration (default: each first-level folder below the
//      include path is a table, tunelake's layout; a path whose folders are all `k=v` is one table)
//   -> partition keys from the folders below the root (`k=v`, else partition_N; always `string`)
//   -> sample SampleSize files per leaf folder (and per file extension, so that a stray file is seen),
//      classify each (Parquet magic; gzip or plain NDJSON is `json`; else UNKNOWN)
//   -> infer a schema per file (JSON: the first 1 MB, up to 10 MB until a record is found; Parquet: the
//      footer), union them per table (CombineCompatibleSchemas; infer.ts has the widening rules)
//   -> diff with the catalog per SchemaChangePolicy, MergeNewColumns and InheritFromTable, and write
//      tables (versioned), partitions, and deprecations of tables whose data is gone.
//
// Everything is read and planned before anything is written, so that a TableThreshold violation writes
// nothing. A crawl record (Glue's LastCrawl) goes to `catalog/_crawls/<crawler>.json` in the lake.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TunelakeError, toTunelakeError } from '../errors.js';
import { CATALOG_PREFIX, RAW_PREFIX, TABLES_PREFIX } from '../lake.js';
import { type Logger, silentLogger } from '../log.js';
import type { ObjectStore } from '../storage/store.js';
import {
  type Catalog,
  type Column,
  type Partition,
  type PartitionInput,
  RAW_DATABASE,
  type RawCrawler,
  TABLES_DATABASE,
  type Table,
  type TableInput,
} from './catalog.js';
import { globToRegExp } from './glob.js';
import { type HiveType, mergeTypes, parseHiveType, renderType, struct } from './infer.js';
import { mapLimit } from './map-limit.js';
import type { ParquetSchemaReader } from './parquet-schema.js';
import {
  type Classification,
  type Compression,
  type FileInfo,
  JSON_SAMPLE_BYTES,
  type Sample,
  sampleObject,
} from './sample-object.js';
import {
  CRAWLER_PARAMETER_KEYS,
  canonicalPartitionInput,
  canonicalTableInput,
  DEPRECATED_BY_CRAWLER,
  inheritedPartitionInput,
  jsonTableInput,
  parquetTableInput,
  toTableInput,
  UPDATED_BY_CRAWLER,
  withTrailingSlash,
} from './table-input.js';

export interface CrawlTarget {
  /** The include path, relative to the lake: `raw/`, `tables/`, or one table's folder. */
  path: string;
  database: string;
  /** Glue exclusion globs, relative to the include path (glob.ts). */
  exclusions?: string[];
}

export const RAW_TARGET: CrawlTarget = Object.freeze({ path: RAW_PREFIX, database: RAW_DATABASE });
export const TABLES_TARGET: CrawlTarget = Object.freeze({ path: TABLES_PREFIX, database: TABLES_DATABASE });

export interface SchemaChangePolicy {
  UpdateBehavior: 'UPDATE_IN_DATABASE' | 'LOG';
  DeleteBehavior: 'DEPRECATE_IN_DATABASE' | 'DELETE_FROM_DATABASE' | 'LOG';
}

export interface CrawlOptions {
  /** UPDATED_BY_CRAWLER and the crawl record's name; default: the target's database. */
  crawlerName?: string;
  /** Default: Glue's, UPDATE_IN_DATABASE and DEPRECATE_IN_DATABASE. */
  schemaChangePolicy?: Partial<SchemaChangePolicy>;
  /**
   * CrawlerOutput.Tables.AddOrUpdateBehavior=MergeNewColumns: add columns, never remove or retype (a type
   * change is a warning). Default true: raw data drifts, and old partitions must stay readable. With
   * false, an update replaces the schema and drops parameters the crawler did not set, as Glue does.
   */
  mergeNewColumns?: boolean;
  /** CrawlerOutput.Partitions.AddOrUpdateBehavior=InheritFromTable. Default true. */
  inheritFromTable?: boolean;
  /** Grouping.TableLevelConfiguration, counted from the lake's root (`raw/` is level 1). */
  tableLevel?: number;
  /** CrawlerOutput.Tables.TableThreshold: fail, writing nothing, if the crawl would create more tables. */
  tableThreshold?: number;
  /** Files sampled per leaf folder (Glue's SampleSize, 1-249); default 1. */
  sampleSize?: number;
  /** CRAWL_NEW_FOLDERS_ONLY samples only unregistered folders and forces Update/Delete to LOG. */
  recrawlBehavior?: 'CRAWL_EVERYTHING' | 'CRAWL_NEW_FOLDERS_ONLY';
  /** Write the crawl record (catalog/_crawls/<crawler>.json); default true. */
  writeRecord?: boolean;
  /** Objects read at once; default 8. */
  concurrency?: number;
  /** Decompressed bytes of JSON sampled per file (Glue: 1 MB, growing to 10 MB until a record is found). */
  jsonSampleBytes?: number;
}

export interface CrawlDeps {
  logger?: Logger;
  now?: () => Date;
  /** Where Parquet files of a remote lake are copied to read their footer; default the OS temp dir. */
  tempDir?: string;
}

export interface CrawlResult {
  crawler: string;
  database: string;
  path: string;
  startedAt: string;
  finishedAt: string;
  /** The tables found in the data, by name. */
  tables: string[];
  tablesCreated: number;
  tablesUpdated: number;
  tablesUnchanged: number;
  tablesDeprecated: number;
  tablesDeleted: number;
  partitionsCreated: number;
  partitionsUpdated: number;
  partitionsDeleted: number;
  /** Objects under the include path after hidden keys and exclusions were dropped. */
  objects: number;
  objectsSampled: number;
  /** Objects no classifier recognised; they belong to no table. */
  unknownObjects: number;
  warnings: string[];
}

/** Glue's LastCrawl, and the last result. */
export interface CrawlRecord {
  Name: string;
  DatabaseName: string;
  Targets: { S3Targets: Array<{ Path: string; Exclusions: string[] }> };
  State: 'READY';
  LastCrawl: { Status: 'SUCCEEDED' | 'FAILED'; ErrorMessage?: string; StartTime: string; EndTime: string };
  LastResult?: CrawlResult;
}

export function crawlRecordKey(crawlerName: string): string {
  return `${CATALOG_PREFIX}_crawls/${crawlerName}.json`;
}

export async function readCrawlRecord(
  store: ObjectStore,
  crawlerName: string,
): Promise<CrawlRecord | undefined> {
  const text = await store.getText(crawlRecordKey(crawlerName));
  return text === undefined ? undefined : (JSON.parse(text) as CrawlRecord);
}

/** Files of one leaf folder with the same extension: classified by their first SampleSize files. */
interface FileGroup {
  files: FileInfo[];
  samples: Sample[];
}

interface Leaf {
  /** The folder below the table root, '' for an unpartitioned table. */
  folder: string;
  values: string[];
  groups: FileGroup[];
}

interface TableData {
  root: string;
  name: string;
  partitionKeys: Column[];
  leaves: Map<string, Leaf>;
  existing: Table | undefined;
  existingPartitions: Map<string, Partition>;
}

const MAX_TABLE_NAME = 128;

export async function crawl(
  store: ObjectStore,
  catalog: Catalog,
  target: CrawlTarget,
  options: CrawlOptions = {},
  deps: CrawlDeps = {},
): Promise<CrawlResult> {
  const logger = deps.logger ?? silentLogger;
  const now = deps.now ?? (() => new Date());
  const crawlerName = options.crawlerName ?? target.database;
  const startedAt = now();
  const t0 = performance.now(); // for the debug log's timings only
  const include = target.path === '' ? '' : withTrailingSlash(target.path.replace(/^\/+/, ''));
  const exclusions = target.exclusions ?? [];
  const result: CrawlResult = {
    crawler: crawlerName,
    database: target.database,
    path: include,
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    tables: [],
    tablesCreated: 0,
    tablesUpdated: 0,
    tablesUnchanged: 0,
    tablesDeprecated: 0,
    tablesDeleted: 0,
    partitionsCreated: 0,
    partitionsUpdated: 0,
    partitionsDeleted: 0,
    objects: 0,
    objectsSampled: 0,
    unknownObjects: 0,
    warnings: [],
  };
  const warn = (message: string, fields: Record<string, unknown> = {}) => {
    result.warnings.push(message);
    logger.warn(`crawl: ${message}`, { crawler: crawlerName, ...fields });
  };

  const writeRecord = async (status: 'SUCCEEDED' | 'FAILED', error?: TunelakeError) => {
    if (options.writeRecord === false) return;
    const record: CrawlRecord = {
      Name: crawlerName,
      DatabaseName: target.database,
      Targets: {
        S3Targets: [
          { Path: include === '' ? store.location : store.uri(include.slice(0, -1)), Exclusions: exclusions },
        ],
      },
      State: 'READY',
      LastCrawl: {
        Status: status,
        ...(error ? { ErrorMessage: error.message } : {}),
        StartTime: startedAt.toISOString(),
        EndTime: now().toISOString(),
      },
      ...(status === 'SUCCEEDED' ? { LastResult: result } : {}),
    };
    try {
      await store.put(crawlRecordKey(crawlerName), JSON.stringify(record, null, 2), {
        contentType: 'application/json',
      });
    } catch (recordError) {
      logger.warn('crawl: could not write the crawl record', { crawler: crawlerName, error: recordError });
    }
  };

  // DuckDB reads the Parquet footers; its native module is loaded only when a crawl meets Parquet.
  let footers: ParquetSchemaReader | undefined;
  const parquet: ParquetSchemaReader = {
    async read(path) {
      footers ??= (await import('./parquet-schema.js')).createParquetSchemaReader();
      return footers.read(path);
    },
    close: async () => footers?.close(),
  };
  let tempFolder: string | undefined;
  const tempFile = async () => {
    tempFolder ??= await mkdtemp(join(deps.tempDir ?? tmpdir(), 'tunelake-crawl-'));
    return join(tempFolder, `${randomBytes(8).toString('hex')}.parquet`);
  };

  try {
    const settings = resolveSettings(options, include);

    // 1. List, and group into tables and leaf folders.
    const excluded = exclusions.map(globToRegExp);
    const files: Array<FileInfo & { segments: string[] }> = [];
    for await (const info of store.list(include)) {
      const rel = info.key.slice(include.length);
      const segments = rel.split('/');
      if (segments.some((s) => s.startsWith('_') || s.startsWith('.'))) continue;
      if (excluded.some((re) => re.test(rel))) continue;
      files.push({ key: info.key, size: info.size, segments });
    }
    result.objects = files.length;
    logger.debug('crawl: listed', {
      crawler: crawlerName,
      objects: files.length,
      ms: Math.round(performance.now() - t0),
    });

    const includeDepth = include.split('/').filter(Boolean).length;
    let tableDepth: number; // folders between the include path and a table root
    if (options.tableLevel !== undefined) {
      tableDepth = options.tableLevel - includeDepth;
    } else {
      // Heuristic: when everything below the include path is `k=v` folders (or files), the include path
      // is itself a table's root; otherwise each first-level folder is a table (tunelake's layout).
      const partitionedHere =
        files.length > 0 && files.every((f) => f.segments.length === 1 || f.segments[0]!.includes('='));
      tableDepth = partitionedHere && includeDepth > 0 ? 0 : 1;
    }
    if (tableDepth < 0 || (tableDepth === 0 && includeDepth === 0)) {
      throw new TunelakeError(
        'INVALID_ARGUMENT',
        `Invalid tableLevel ${options.tableLevel} for include path "${include}": the table root must be at or below ` +
          `the include path (level ${Math.max(1, includeDepth)} or more).`,
      );
    }

    const byRoot = new Map<string, Array<FileInfo & { segments: string[] }>>();
    let outside = 0;
    for (const f of files) {
      if (f.segments.length <= tableDepth) {
        outside++;
        continue;
      }
      const root =
        include +
        f.segments
          .slice(0, tableDepth)
          .map((s) => `${s}/`)
          .join('');
      const list = byRoot.get(root) ?? [];
      list.push({ ...f, segments: f.segments.slice(tableDepth) });
      byRoot.set(root, list);
    }
    if (outside > 0)
      warn(
        `${outside} object(s) directly under ${include || 'the lake root'} belong to no table folder: ignored.`,
      );

    const usedNames = new Map<string, string>();
    const tables: TableData[] = [];
    for (const [root, tableFiles] of byRoot) {
      const name = uniqueTableName(root, usedNames);
      const data = groupTable(root, name, tableFiles, warn);
      if (data) tables.push(data);
    }

    logger.debug('crawl: grouped', {
      crawler: crawlerName,
      tables: tables.length,
      ms: Math.round(performance.now() - t0),
    });

    // 2. What the catalog holds for these tables.
    await mapLimit(tables, 8, async (t) => {
      t.existing = await catalog.getTable(target.database, t.name);
      if (t.existing && t.existing.PartitionKeys.length > 0) {
        for (const p of await catalog.getPartitions(target.database, t.name)) {
          t.existingPartitions.set(JSON.stringify(p.Values), p);
        }
      }
    });

    // 3. Sample, classify and infer.
    const toSample: Array<{ group: FileGroup; file: FileInfo }> = [];
    for (const t of tables) {
      for (const leaf of t.leaves.values()) {
        const known = t.existing !== undefined && t.existingPartitions.has(JSON.stringify(leaf.values));
        if (settings.newFoldersOnly && known) continue;
        for (const group of leaf.groups) {
          for (const file of group.files.slice(0, settings.sampleSize)) toSample.push({ group, file });
        }
      }
    }
    const reader = { store, parquet, tempFile, jsonSampleBytes: settings.jsonSampleBytes };
    const samples = await mapLimit(toSample, settings.concurrency, ({ file }) => sampleObject(reader, file));
    toSample.forEach(({ group }, i) => {
      group.samples.push(samples[i]!);
    });
    result.objectsSampled = toSample.length;
    logger.debug('crawl: sampled', {
      crawler: crawlerName,
      objects: toSample.length,
      ms: Math.round(performance.now() - t0),
    });

    // 4. Plan every table's writes.
    const plans: TablePlan[] = [];
    for (const t of tables) {
      const plan = planTable(t, { store, crawlerName, exclusions, settings, now, warn, result });
      if (plan) plans.push(plan);
    }
    result.tables = plans.map((p) => p.name).sort();
    const creating = plans.filter((p) => p.action === 'create').length;
    if (settings.tableThreshold !== undefined && creating > settings.tableThreshold) {
      throw new TunelakeError(
        'INVALID_ARGUMENT',
        `The crawl of ${include || 'the lake'} would create ${creating} tables, more than the tableThreshold ` +
          `${settings.tableThreshold}; nothing was written. Check the include path and tableLevel, or raise the threshold.`,
        { details: { tables: plans.filter((p) => p.action === 'create').map((p) => p.name) } },
      );
    }

    logger.debug('crawl: planned', {
      crawler: crawlerName,
      tables: plans.length,
      ms: Math.round(performance.now() - t0),
    });

    // 5. Write.
    await catalog.ensureDatabase(target.database, databaseDescription(target.database));
    for (const plan of plans) {
      if (plan.action === 'create') {
        await catalog.createTable(target.database, plan.input);
        result.tablesCreated++;
      } else if (plan.action === 'update') {
        await catalog.updateTable(target.database, plan.input);
        if (plan.deprecating) result.tablesDeprecated++;
        else result.tablesUpdated++;
      } else {
        result.tablesUnchanged++;
      }
      if (plan.putPartitions.length > 0) {
        const counts = await catalog.putPartitions(target.database, plan.name, plan.putPartitions);
        result.partitionsCreated += counts.created;
        result.partitionsUpdated += counts.updated;
      }
      if (plan.deletePartitions.length > 0) {
        await catalog.deletePartitions(target.database, plan.name, plan.deletePartitions);
        result.partitionsDeleted += plan.deletePartitions.length;
      }
    }

    // 6. Tables this crawler made whose data is gone.
    const found = new Set(tables.map((t) => t.name));
    const location = include === '' ? undefined : withTrailingSlash(store.uri(include.slice(0, -1)));
    for (const table of await catalog.listTables(target.database)) {
      if (found.has(table.Name)) continue;
      if (table.Parameters?.[UPDATED_BY_CRAWLER] !== crawlerName) continue;
      if (location && !table.StorageDescriptor.Location.startsWith(location)) continue;
      const behavior = settings.policy.DeleteBehavior;
      if (behavior === 'DELETE_FROM_DATABASE') {
        await catalog.deleteTable(target.database, table.Name);
        result.tablesDeleted++;
      } else if (behavior === 'DEPRECATE_IN_DATABASE') {
        if (table.Parameters?.[DEPRECATED_BY_CRAWLER]) continue;
        await catalog.updateTable(target.database, deprecated(table, now()));
        result.tablesDeprecated++;
      } else {
        warn(
          `table ${target.database}.${table.Name}: its data at ${table.StorageDescriptor.Location} is gone (DeleteBehavior LOG: kept).`,
        );
      }
    }

    result.finishedAt = now().toISOString();
    await writeRecord('SUCCEEDED');
    logger.info('crawl: done', { ...summaryFields(result) });
    return result;
  } catch (error) {
    const err = toTunelakeError(error);
    await writeRecord('FAILED', err);
    throw err;
  } finally {
    await parquet.close().catch(() => {});
    if (tempFolder) await rm(tempFolder, { recursive: true, force: true }).catch(() => {});
  }
}

interface Settings {
  policy: SchemaChangePolicy;
  mergeNewColumns: boolean;
  inheritFromTable: boolean;
  newFoldersOnly: boolean;
  sampleSize: number;
  tableThreshold: number | undefined;
  concurrency: number;
  jsonSampleBytes: number;
}

function resolveSettings(options: CrawlOptions, include: string): Settings {
  const problems: string[] = [];
  const sampleSize = options.sampleSize ?? 1;
  if (!Number.isInteger(sampleSize) || sampleSize < 1 || sampleSize > 249) {
    problems.push(`sampleSize ${sampleSize} is not a whole number from 1 to 249`);
  }
  if (options.tableLevel !== undefined && (!Number.isInteger(options.tableLevel) || options.tableLevel < 1)) {
    problems.push(`tableLevel ${options.tableLevel} is not a whole number of at least 1`);
  }
  const policy: SchemaChangePolicy = {
    UpdateBehavior: options.schemaChangePolicy?.UpdateBehavior ?? 'UPDATE_IN_DATABASE',
    DeleteBehavior: options.schemaChangePolicy?.DeleteBehavior ?? 'DEPRECATE_IN_DATABASE',
  };
  if (!['UPDATE_IN_DATABASE', 'LOG'].includes(policy.UpdateBehavior)) {
    problems.push(`UpdateBehavior "${policy.UpdateBehavior}" is not UPDATE_IN_DATABASE or LOG`);
  }
  if (!['DEPRECATE_IN_DATABASE', 'DELETE_FROM_DATABASE', 'LOG'].includes(policy.DeleteBehavior)) {
    problems.push(
      `DeleteBehavior "${policy.DeleteBehavior}" is not DEPRECATE_IN_DATABASE, DELETE_FROM_DATABASE or LOG`,
    );
  }
  if (problems.length > 0) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Invalid crawl options for "${include}": ${problems.join('; ')}.`,
      {
        details: { problems },
      },
    );
  }
  const newFoldersOnly = options.recrawlBehavior === 'CRAWL_NEW_FOLDERS_ONLY';
  return {
    // Glue: CRAWL_NEW_FOLDERS_ONLY forces both behaviours to LOG.
    policy: newFoldersOnly ? { UpdateBehavior: 'LOG', DeleteBehavior: 'LOG' } : policy,
    mergeNewColumns: options.mergeNewColumns ?? true,
    inheritFromTable: options.inheritFromTable ?? true,
    newFoldersOnly,
    sampleSize,
    tableThreshold: options.tableThreshold,
    concurrency: Math.max(1, options.concurrency ?? 8),
    jsonSampleBytes: options.jsonSampleBytes ?? JSON_SAMPLE_BYTES,
  };
}

function databaseDescription(db: string): string {
  if (db === RAW_DATABASE)
    return 'tunelake raw zone: Spotify API responses as gzipped NDJSON, one table per dataset';
  if (db === TABLES_DATABASE) return 'tunelake tables: typed Parquet tables built from the raw zone';
  return 'tunelake';
}

/** A Glue-style table name from the root folder: [a-z0-9_], at most 128, a hash suffix on a collision. */
function uniqueTableName(root: string, used: Map<string, string>): string {
  const folder = root.split('/').filter(Boolean).at(-1) ?? 'table';
  let name = folder
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .replace(/^_+/, '')
    .slice(0, MAX_TABLE_NAME);
  if (name === '') name = 'table';
  if (used.has(name) && used.get(name) !== root) {
    const hash = nameHash(root);
    name = `${name.slice(0, MAX_TABLE_NAME - 9)}_${hash}`;
  }
  used.set(name, root);
  return name;
}

function nameHash(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Groups a table's files into leaf folders (partitions) and, within each, by file extension. */
function groupTable(
  root: string,
  name: string,
  files: Array<FileInfo & { segments: string[] }>,
  warn: (message: string) => void,
): TableData | undefined {
  // Every file should sit at the same depth below the root; the most common depth wins.
  const depthCount = new Map<number, number>();
  for (const f of files)
    depthCount.set(f.segments.length - 1, (depthCount.get(f.segments.length - 1) ?? 0) + 1);
  const depth = [...depthCount.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
  const atDepth = files.filter((f) => f.segments.length - 1 === depth);
  if (atDepth.length < files.length) {
    warn(
      `table ${name}: ${files.length - atDepth.length} object(s) under ${root} are not ${depth} folder(s) deep like ` +
        'the rest, so they fit no partition: ignored.',
    );
  }

  const partitionKeys: Column[] = [];
  for (let level = 0; level < depth; level++) {
    const named = atDepth.map((f) => f.segments[level]!).find((s) => s.includes('='));
    partitionKeys.push({
      Name: named ? partitionKeyName(named, level) : `partition_${level}`,
      Type: 'string',
    });
  }

  const leaves = new Map<string, Leaf>();
  for (const f of atDepth) {
    const folders = f.segments.slice(0, depth);
    const folder = folders.map((s) => `${s}/`).join('');
    let leaf = leaves.get(folder);
    if (!leaf) {
      leaf = { folder, values: folders.map(partitionValue), groups: [] };
      leaves.set(folder, leaf);
    }
    const ext = extensionOf(f.segments.at(-1)!);
    let group = leaf.groups.find((g) => extensionOf(g.files[0]!.key.split('/').at(-1)!) === ext);
    if (!group) {
      group = { files: [], samples: [] };
      leaf.groups.push(group);
    }
    group.files.push({ key: f.key, size: f.size });
  }
  return { root, name, partitionKeys, leaves, existing: undefined, existingPartitions: new Map() };
}

function partitionKeyName(segment: string, level: number): string {
  const key = segment
    .slice(0, segment.indexOf('='))
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_');
  return key === '' ? `partition_${level}` : key;
}

/** `dt=2024-05-01` -> `2024-05-01` (Hive escapes special characters as %XX); `2024` -> `2024`. */
function partitionValue(segment: string): string {
  const eq = segment.indexOf('=');
  const value = eq < 0 ? segment : segment.slice(eq + 1);
  return value.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );
}

function extensionOf(fileName: string): string {
  const dot = fileName.indexOf('.');
  return dot < 0 ? '' : fileName.slice(dot + 1).toLowerCase();
}

// --- planning ------------------------------------------------------------------------------------

interface TablePlan {
  name: string;
  action: 'create' | 'update' | 'none';
  /** The update only marks the table deprecated (a format change under MergeNewColumns). */
  deprecating: boolean;
  input: TableInput;
  putPartitions: PartitionInput[];
  deletePartitions: string[][];
}

interface PlanContext {
  store: ObjectStore;
  crawlerName: string;
  exclusions: string[];
  settings: Settings;
  now: () => Date;
  warn: (message: string) => void;
  result: CrawlResult;
}

interface Stats {
  objectCount: number;
  recordCount: number;
  sizeKey: number;
}

function planTable(t: TableData, ctx: PlanContext): TablePlan | undefined {
  const { settings, warn } = ctx;
  // Classify each file group by its samples; unsampled files follow their group.
  interface Classified {
    leaf: Leaf;
    group: FileGroup;
    format: string;
    sample: Sample | undefined;
  }
  const classified: Classified[] = [];
  let unknown = 0;
  let unknownExample = '';
  for (const leaf of t.leaves.values()) {
    for (const group of leaf.groups) {
      const sample = group.samples[0];
      if (sample?.classification === 'UNKNOWN') {
        unknown += group.files.length;
        unknownExample ||= `${group.files[0]!.key}: ${sample.reason}`;
        continue;
      }
      const kinds = new Set(group.samples.map((s) => `${s.classification}/${s.compression}`));
      if (kinds.size > 1)
        warn(
          `objects in ${t.root}${leaf.folder} with one extension differ in format (${[...kinds].join(', ')}).`,
        );
      classified.push({
        leaf,
        group,
        format: sample ? `${sample.classification}/${sample.compression}` : '',
        sample,
      });
    }
  }

  if (unknown > 0) {
    ctx.result.unknownObjects += unknown;
    warn(`table ${t.name}: ${unknown} object(s) are UNKNOWN and ignored, e.g. ${unknownExample}.`);
  }

  // One format per table (Glue's compatibility check): the format of most objects wins.
  const formats = new Map<string, number>();
  for (const c of classified)
    if (c.format) formats.set(c.format, (formats.get(c.format) ?? 0) + c.group.files.length);
  let format = [...formats.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0];
  if (!format) {
    // Nothing sampled (new-folders-only, every folder known): the table keeps its format.
    if (!t.existing) {
      if (classified.length === 0) warn(`no object under ${t.root} could be classified: no table ${t.name}.`);
      return undefined;
    }
    format = `${t.existing.Parameters?.classification ?? 'UNKNOWN'}/${t.existing.Parameters?.compressionType ?? 'none'}`;
  }
  const [classification, compression] = format.split('/') as [Classification, Compression];
  const kept = classified.filter((c) => c.format === format || c.format === '');
  const dropped = classified.filter((c) => c.format !== format && c.format !== '');
  if (dropped.length > 0) {
    const n = dropped.reduce((sum, c) => sum + c.group.files.length, 0);
    warn(
      `table ${t.name}: ${n} object(s) are ${dropped[0]!.format}, not ${format} like the rest: ignored (one format per table).`,
    );
  }

  // The table's schema: the union of every sampled file's, in first-seen order.
  let schema: HiveType = struct();
  const leafSchemas = new Map<Leaf, HiveType>();
  for (const c of kept) {
    for (const s of c.group.samples) {
      schema = mergeTypes(schema, s.schema);
      leafSchemas.set(c.leaf, mergeTypes(leafSchemas.get(c.leaf) ?? struct(), s.schema));
    }
  }
  const partitionNames = new Set(t.partitionKeys.map((k) => k.Name.toLowerCase()));
  const toColumns = (type: HiveType): Column[] => {
    if (type.kind !== 'struct') return [];
    const out: Column[] = [];
    for (const [name, fieldType] of type.fields) {
      if (partitionNames.has(name.toLowerCase())) continue;
      out.push({ Name: name, Type: renderType(fieldType) });
    }
    return out;
  };
  const columns = toColumns(schema);
  if (schema.kind === 'struct') {
    for (const name of schema.fields.keys()) {
      if (partitionNames.has(name.toLowerCase())) {
        warn(`table ${t.name}: column "${name}" has a partition key's name; the partition key wins.`);
      }
    }
  }

  // Statistics: exact for sampled Parquet, extrapolated by bytes for the rest.
  const leafStats = new Map<Leaf, Stats>();
  for (const c of kept) {
    const sampledSize = c.group.files.slice(0, c.group.samples.length).reduce((sum, f) => sum + f.size, 0);
    const sampledRecords = c.group.samples.reduce((sum, s) => sum + s.records, 0);
    let records = sampledRecords;
    for (const f of c.group.files.slice(c.group.samples.length)) {
      records += sampledSize > 0 ? Math.round((sampledRecords * f.size) / sampledSize) : 0;
    }
    const stats = leafStats.get(c.leaf) ?? { objectCount: 0, recordCount: 0, sizeKey: 0 };
    stats.objectCount += c.group.files.length;
    stats.recordCount += records;
    stats.sizeKey += c.group.files.reduce((sum, f) => sum + f.size, 0);
    leafStats.set(c.leaf, stats);
  }
  const tableStats: Stats = { objectCount: 0, recordCount: 0, sizeKey: 0 };
  for (const s of leafStats.values()) {
    tableStats.objectCount += s.objectCount;
    tableStats.recordCount += s.recordCount;
    tableStats.sizeKey += s.sizeKey;
  }

  const location = withTrailingSlash(ctx.store.uri(t.root.slice(0, -1)));
  const makeInput = (name: string, cols: Column[], stats: Stats, loc: string) => {
    const common = {
      name,
      location: loc,
      columns: cols,
      partitionKeys: t.partitionKeys,
      stats,
      crawlerName: ctx.crawlerName,
      exclusions: ctx.exclusions,
    };
    return classification === 'parquet'
      ? parquetTableInput(common)
      : jsonTableInput({ ...common, compression });
  };
  const crawled = makeInput(t.name, columns, tableStats, location);

  // The table: create, or change per SchemaChangePolicy.
  let action: TablePlan['action'] = 'create';
  let deprecating = false;
  let input = crawled;
  let writePartitions = true;
  const existing = t.existing;
  if (existing) {
    action = 'none';
    input = toTableInput(existing);
    const owner = existing.Parameters?.[UPDATED_BY_CRAWLER];
    if (owner !== ctx.crawlerName && existing.StorageDescriptor.Location !== location) {
      warn(
        `table ${t.name} exists with data at ${existing.StorageDescriptor.Location} and was not made by crawler ` +
          `${ctx.crawlerName}: left alone, and ${location} is not catalogued.`,
      );
      return undefined;
    }
    if (existing.PartitionKeys.length !== t.partitionKeys.length) {
      warn(
        `table ${t.name}: the data has ${t.partitionKeys.length} partition level(s), the catalog ` +
          `${existing.PartitionKeys.length}; partitions are not registered (delete the table to re-create it).`,
      );
      writePartitions = false;
    }
    const formatChanged =
      existing.Parameters?.classification !== classification ||
      existing.Parameters?.compressionType !== compression;
    if (settings.policy.UpdateBehavior === 'LOG') {
      // Under CRAWL_NEW_FOLDERS_ONLY the known folders were not read, so there is nothing to compare.
      if (
        !settings.newFoldersOnly &&
        canonicalTableInput(existing) !== canonicalTableInput(withDescription(crawled, existing))
      ) {
        warn(`table ${t.name}: the data's schema or statistics changed (UpdateBehavior LOG: not applied).`);
      }
    } else if (settings.mergeNewColumns && formatChanged && formats.size > 0) {
      // Glue: under MergeNewColumns a classification or compression change deprecates the table.
      if (!existing.Parameters?.[DEPRECATED_BY_CRAWLER]) {
        warn(
          `table ${t.name}: the data is now ${format}, the catalog says ` +
            `${existing.Parameters?.classification}/${existing.Parameters?.compressionType}; the table is deprecated.`,
        );
        input = deprecated(existing, ctx.now());
        action = 'update';
        deprecating = true;
      }
      writePartitions = false;
    } else {
      input = settings.mergeNewColumns
        ? mergeNewColumns(existing, crawled, t.name, warn)
        : withDescription(crawled, existing);
      if (canonicalTableInput(existing) !== canonicalTableInput(input)) action = 'update';
    }
  }

  // Partitions.
  const putPartitions: PartitionInput[] = [];
  const deletePartitions: string[][] = [];
  if (t.partitionKeys.length > 0 && writePartitions) {
    const updateExisting = settings.policy.UpdateBehavior === 'UPDATE_IN_DATABASE';
    for (const leaf of t.leaves.values()) {
      const stats = leafStats.get(leaf);
      if (!stats) continue; // only UNKNOWN or other-format files: not a partition of this table
      const id = JSON.stringify(leaf.values);
      const current = t.existingPartitions.get(id);
      if (current && !updateExisting) continue;
      const folderLocation = withTrailingSlash(ctx.store.uri(`${t.root}${leaf.folder}`.slice(0, -1)));
      const own = makeInput(t.name, toColumns(leafSchemas.get(leaf) ?? struct()), stats, folderLocation);
      const parameters = partitionParameters(own.Parameters ?? {});
      const desired = settings.inheritFromTable
        ? inheritedPartitionInput(input, { values: leaf.values, location: folderLocation, parameters })
        : {
            Values: leaf.values,
            StorageDescriptor: { ...own.StorageDescriptor, Parameters: parameters },
            Parameters: parameters,
          };
      if (current && canonicalPartitionInput(current) === canonicalPartitionInput(desired)) continue;
      putPartitions.push(desired);
    }
    const present = new Set(
      [...t.leaves.values()].filter((l) => leafStats.has(l)).map((l) => JSON.stringify(l.values)),
    );
    const gone = [...t.existingPartitions.values()].filter((p) => !present.has(JSON.stringify(p.Values)));
    if (gone.length > 0) {
      if (settings.policy.DeleteBehavior === 'DELETE_FROM_DATABASE') {
        deletePartitions.push(...gone.map((p) => p.Values));
      } else {
        warn(
          `table ${t.name}: ${gone.length} partition(s) have no data any more, e.g. ${gone[0]!.StorageDescriptor.Location} ` +
            `(DeleteBehavior ${settings.policy.DeleteBehavior}: kept).`,
        );
      }
    }
  }

  return { name: t.name, action, deprecating, input, putPartitions, deletePartitions };
}

/** MergeNewColumns: the catalog's columns (types kept), then the data's new ones; crawler parameters refreshed. */
function mergeNewColumns(
  existing: Table,
  crawled: TableInput,
  name: string,
  warn: (message: string) => void,
): TableInput {
  const columns = existing.StorageDescriptor.Columns.map((c) => ({ ...c }));
  const known = new Map(columns.map((c) => [c.Name.toLowerCase(), c]));
  for (const c of crawled.StorageDescriptor.Columns) {
    const current = known.get(c.Name.toLowerCase());
    if (!current) {
      columns.push(c);
    } else if (current.Type !== c.Type) {
      current.Type = addNewFields(current.Type, c.Type, `${name}.${current.Name}`, warn);
    }
  }
  const refresh = (own: Record<string, string> | undefined, fresh: Record<string, string> | undefined) => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(own ?? {})) {
      if (!(CRAWLER_PARAMETER_KEYS as readonly string[]).includes(k) && k !== DEPRECATED_BY_CRAWLER)
        out[k] = v;
    }
    return { ...out, ...fresh };
  };
  const sd = existing.StorageDescriptor;
  const serdeParameters = { ...sd.SerdeInfo.Parameters };
  // The JSON SerDe's `paths` follows the columns.
  if (serdeParameters.paths !== undefined)
    serdeParameters.paths = columns
      .map((c) => c.Name)
      .sort()
      .join(',');
  return {
    ...toTableInput(existing),
    Parameters: refresh(existing.Parameters, crawled.Parameters),
    StorageDescriptor: {
      ...sd,
      Columns: columns,
      Location: crawled.StorageDescriptor.Location,
      SerdeInfo: { ...sd.SerdeInfo, ...(sd.SerdeInfo.Parameters ? { Parameters: serdeParameters } : {}) },
      Parameters: refresh(sd.Parameters, crawled.StorageDescriptor.Parameters),
    },
  };
}

/**
 * A column's type under MergeNewColumns: fields new in the data are added to its structs (at any depth:
 * raw tables keep everything inside `data`, so new API fields arrive as nested fields); every other
 * difference keeps the catalog's type and is a warning.
 */
function addNewFields(
  current: string,
  crawled: string,
  path: string,
  warn: (message: string) => void,
): string {
  let a: HiveType;
  let b: HiveType;
  try {
    a = parseHiveType(current);
    b = parseHiveType(crawled);
  } catch {
    warn(
      `column ${path} is ${crawled} in the data but ${current} in the catalog; kept ${current} (MergeNewColumns).`,
    );
    return current;
  }
  const merge = (x: HiveType, y: HiveType, at: string): HiveType => {
    if (y.kind === 'null' || renderType(x) === renderType(y)) return x;
    if (x.kind === 'struct' && y.kind === 'struct') {
      const fields = new Map<string, HiveType>();
      for (const [field, type] of x.fields) {
        const other = y.fields.get(field);
        fields.set(field, other ? merge(type, other, `${at}.${field}`) : type);
      }
      for (const [field, type] of y.fields) if (!x.fields.has(field)) fields.set(field, type);
      return { kind: 'struct', fields };
    }
    if (x.kind === 'array' && y.kind === 'array')
      return { kind: 'array', element: merge(x.element, y.element, `${at}[]`) };
    if (x.kind === 'map' && y.kind === 'map') {
      return {
        kind: 'map',
        key: merge(x.key, y.key, `${at}.key`),
        value: merge(x.value, y.value, `${at}.value`),
      };
    }
    warn(
      `column ${at} is ${renderType(y)} in the data but ${renderType(x)} in the catalog; kept ${renderType(x)} ` +
        '(MergeNewColumns never changes a type).',
    );
    return x;
  };
  return renderType(merge(a, b, path));
}

function withDescription(input: TableInput, existing: Table): TableInput {
  return existing.Description !== undefined ? { ...input, Description: existing.Description } : input;
}

/** A partition's parameters: the table's crawler parameters with the partition's own statistics. */
function partitionParameters(parameters: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of CRAWLER_PARAMETER_KEYS) {
    if (key !== 'exclusions' && parameters[key] !== undefined) out[key] = parameters[key];
  }
  return out;
}

function deprecated(table: Table, at: Date): TableInput {
  const input = toTableInput(table);
  return { ...input, Parameters: { ...input.Parameters, [DEPRECATED_BY_CRAWLER]: at.toISOString() } };
}

function summaryFields(result: CrawlResult): Record<string, unknown> {
  const { warnings, tables, ...rest } = result;
  return { ...rest, tables: tables.length, warnings: warnings.length };
}

/** tunelake's own crawler over the raw zone, in this process, as the Catalog port's RawCrawler. */
export function createInProcessCrawler(
  store: ObjectStore,
  catalog: Catalog,
  deps: CrawlDeps = {},
): RawCrawler {
  return {
    kind: 'in-process',
    async crawl() {
      await crawl(store, catalog, RAW_TARGET, {}, deps);
      return 'crawled-in-process';
    },
  };
}
