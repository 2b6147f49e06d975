// register(): the catalog stage. It makes the lake's committed state queryable, and it is the one copy of
// that rule: `tunelake run`, `tunelake transform` and the catalog Lambda all call it, so a lake that
// was extracted and transformed stage by stage is as queryable as one built by `run`.
//
// 1. The typed tables, from the transform's committed state (state/transform.json), never from what
//    one transform says it wrote: each table is created, or updated with its previous version archived
//    when its schema or statistics changed; its partitions are reconciled with the state (the missing
//    ones added, the ones the state no longer holds dropped). A run killed between the transform's
//    commit and this stage is therefore caught up by the next one (found by
//    test/reliability/crash.test.ts). Partition inputs inherit the table's schema, so all of them are
//    rewritten only when that schema changed; otherwise only the missing ones are written.
// 2. The raw zone: each committed run's `dt=/run=` folder of each dataset it landed becomes a partition
//    of that dataset's raw table, so the raw zone is queryable without a crawl. Runs already registered
//    are skipped by listing the raw partitions, not by reading manifests.
// 3. The crawler, only when a raw schema may have changed: a dataset with no raw table yet. On AWS that
//    starts the Glue crawler (it runs on its own); locally tunelake's own crawler runs in-process.
import { isTunelakeError, TunelakeError } from '../errors.js';
import { committedRunIds, type RunManifest, readManifest } from '../extract/manifest.js';
import {
  prefixLocation,
  RAW_DATASETS,
  RAW_PREFIX,
  type RawDataset,
  rawRunPrefix,
  tablePrefix,
} from '../lake.js';
import { type Logger, silentLogger } from '../log.js';
import type { ObjectStore } from '../storage/store.js';
import { loadTransformState, type TableState } from '../transform/state.js';
import {
  type Catalog,
  RAW_DATABASE,
  type RawCrawler,
  type RawCrawlResult,
  TABLES_DATABASE,
  type Table,
} from './catalog.js';
import { inheritedPartitionInput, parquetTableInput } from './table-input.js';

export interface RegisterInfo {
  database: string;
  tablesCreated: number;
  tablesUpdated: number;
  partitionsCreated: number;
  partitionsUpdated: number;
  partitionsDeleted: number;
  /** Raw partitions added for committed runs, and what the crawler did. */
  raw: {
    partitionsCreated: number;
    /** Why the crawler was started (empty: no raw schema can have changed). */
    schemaChanges: string[];
    crawler: RawCrawlResult | 'not-needed';
  };
}

export interface RegisterRuntime {
  store: ObjectStore;
  catalog: Catalog;
  /** Needed unless `raw: false`. */
  crawler?: RawCrawler;
  logger?: Logger;
}

export interface RegisterOptions {
  /** Crawl the raw zone even if no schema changed (`tunelake crawl` does this on purpose). */
  crawl?: boolean;
  /** Leave the raw zone alone (only the typed tables). */
  raw?: boolean;
}

export async function register(
  runtime: RegisterRuntime,
  options: RegisterOptions = {},
): Promise<RegisterInfo> {
  const { store, catalog } = runtime;
  const logger = runtime.logger ?? silentLogger;
  const info: RegisterInfo = {
    database: TABLES_DATABASE,
    tablesCreated: 0,
    tablesUpdated: 0,
    partitionsCreated: 0,
    partitionsUpdated: 0,
    partitionsDeleted: 0,
    raw: { partitionsCreated: 0, schemaChanges: [], crawler: 'not-needed' },
  };
  const { state } = await loadTransformState(store);
  const names = Object.keys(state.tables).sort();
  if (names.length > 0) {
    await catalog.ensureDatabase(TABLES_DATABASE, 'tunelake: typed Parquet tables');
    for (const name of names) await registerTable(runtime, name, state.tables[name]!, info);
  }
  if (options.raw === false) return info;

  const raw = await registerRawPartitions(store, catalog, logger);
  info.raw.partitionsCreated = raw.created;
  info.raw.schemaChanges = raw.missing.map(
    (d) => `raw dataset ${d} has no table in ${RAW_DATABASE} for this lake`,
  );
  if (info.raw.schemaChanges.length > 0 || options.crawl === true) {
    if (info.raw.schemaChanges.length > 0)
      logger.info('raw schemas changed', { changes: info.raw.schemaChanges });
    if (!runtime.crawler)
      throw new TunelakeError('INTERNAL', 'register() needs a crawler to register the raw zone.');
    info.raw.crawler = await runtime.crawler.crawl();
  }
  // One Glue database, two lakes: the lake that registers last takes the raw tables over, as it does
  // the typed tables. Partitions another lake left outside this one would make a table unreadable.
  for (const dataset of raw.foreign) await dropForeignPartitions(store, catalog, dataset, logger);
  return info;
}

/** Deletes the partitions of a raw table that lie outside this lake's folder of that dataset. */
async function dropForeignPartitions(store: ObjectStore, catalog: Catalog, dataset: string, logger: Logger) {
  const home = prefixLocation(store, `${RAW_PREFIX}${dataset}/`);
  const partitions = await catalog.getPartitions(RAW_DATABASE, dataset);
  const foreign = partitions.filter((p) => !p.StorageDescriptor.Location.startsWith(home));
  if (foreign.length === 0) return;
  await catalog.deletePartitions(
    RAW_DATABASE,
    dataset,
    foreign.map((p) => p.Values),
  );
  logger.warn(
    `raw table ${RAW_DATABASE}.${dataset} pointed at another lake: ${foreign.length} of its partitions there were removed`,
    {
      example: foreign[0]!.StorageDescriptor.Location,
    },
  );
}

async function registerTable(runtime: RegisterRuntime, name: string, table: TableState, info: RegisterInfo) {
  const { store, catalog } = runtime;
  const location = prefixLocation(store, tablePrefix(name));
  const input = parquetTableInput({
    name,
    location,
    columns: table.columns.map((c) => ({ Name: c.name, Type: c.type })),
    partitionKeys: table.partitionKeys.map((c) => ({ Name: c.name, Type: c.type })),
    parameters: { recordCount: String(table.rowCount) },
  });
  const before = await getTable(catalog, TABLES_DATABASE, name);
  const outcome = await catalog.upsertTable(TABLES_DATABASE, input);
  if (outcome === 'created') info.tablesCreated++;
  if (outcome === 'updated') info.tablesUpdated++;
  if (table.partitionKeys.length === 0) return;

  const schemaChanged = before === undefined || schemaKey(before) !== schemaKey(input as unknown as Table);
  const id = (values: readonly string[]) => values.join('\u0000');
  const registered = new Set((await catalog.getPartitions(TABLES_DATABASE, name)).map((p) => id(p.Values)));
  const held = new Set(table.partitions.map(id));
  const toPut = table.partitions.filter((values) => schemaChanged || !registered.has(id(values)));
  const toDelete = [...registered].filter((key) => !held.has(key)).map((key) => key.split('\u0000'));
  if (toPut.length > 0) {
    const partitions = toPut.map((values) =>
      inheritedPartitionInput(input, {
        values,
        location: `${location}${table.partitionKeys.map((k, i) => `${k.name}=${values[i]}`).join('/')}/`,
      }),
    );
    const { created, updated } = await catalog.putPartitions(TABLES_DATABASE, name, partitions);
    info.partitionsCreated += created;
    info.partitionsUpdated += updated;
  }
  if (toDelete.length > 0) {
    await catalog.deletePartitions(TABLES_DATABASE, name, toDelete);
    info.partitionsDeleted += toDelete.length;
  }
}

/** Location, columns, partition keys and format: what the partitions inherit. */
function schemaKey(table: Pick<Table, 'StorageDescriptor' | 'PartitionKeys'>): string {
  const sd = table.StorageDescriptor;
  const list = (cols: ReadonlyArray<{ Name: string; Type: string }>) =>
    cols.map((c) => `${c.Name} ${c.Type.toLowerCase()}`).join(', ');
  return [
    sd.Location,
    list(sd.Columns),
    list(table.PartitionKeys ?? []),
    sd.InputFormat ?? '',
    sd.SerdeInfo?.SerializationLibrary ?? '',
  ].join(' | ');
}

async function getTable(catalog: Catalog, db: string, name: string): Promise<Table | undefined> {
  try {
    return await catalog.getTable(db, name);
  } catch (error) {
    if (isTunelakeError(error, 'STORAGE_NOT_FOUND')) return undefined;
    throw error;
  }
}

async function listTables(catalog: Catalog, database: string): Promise<Table[]> {
  try {
    return await catalog.listTables(database);
  } catch (error) {
    if (isTunelakeError(error, 'STORAGE_NOT_FOUND')) return [];
    throw error;
  }
}

/**
 * Adds each committed run's `dt=/run=` folder of each dataset it landed as a partition of that
 * dataset's raw table (when the crawler has made one with those partition keys). Returns the datasets
 * that have no raw table yet: a reason to crawl.
 */
async function registerRawPartitions(
  store: ObjectStore,
  catalog: Catalog,
  logger: Logger,
): Promise<{ created: number; missing: string[]; foreign: string[] }> {
  const tables = new Map((await listTables(catalog, RAW_DATABASE)).map((t) => [t.Name, t]));
  const registeredRuns = new Set<string>();
  for (const table of tables.values()) {
    const runIndex = table.PartitionKeys.findIndex((k) => k.Name === 'run');
    if (runIndex < 0) continue;
    for (const p of await catalog.getPartitions(RAW_DATABASE, table.Name)) {
      const run = p.Values[runIndex];
      if (run) registeredRuns.add(run);
    }
  }
  const missing = new Set<string>();
  const foreign = new Set<string>();
  let created = 0;
  for (const runId of await committedRunIds(store)) {
    if (registeredRuns.has(runId)) continue;
    let manifest: RunManifest;
    try {
      manifest = await readManifest(store, runId);
    } catch (error) {
      if (isTunelakeError(error, 'STORAGE_NOT_FOUND')) continue;
      throw error;
    }
    const datasets = [...new Set(manifest.objects.map((o) => o.dataset))].sort();
    for (const dataset of datasets) {
      if (!(RAW_DATASETS as readonly string[]).includes(dataset)) continue;
      const table = tables.get(dataset);
      // A raw table that does not exist yet, or that another lake's crawl left pointing elsewhere
      // (one Glue database, two lakes), needs the crawler.
      if (!table || table.StorageDescriptor.Location !== prefixLocation(store, `${RAW_PREFIX}${dataset}/`)) {
        missing.add(dataset);
        if (table) foreign.add(dataset);
        continue;
      }
      const keys = table.PartitionKeys.map((k) => k.Name);
      if (keys.join(',') !== 'dt,run') {
        logger.debug('raw table has other partition keys; left to the crawler', { dataset, keys });
        continue;
      }
      const partition = inheritedPartitionInput(table, {
        values: [manifest.dt, manifest.runId],
        location: prefixLocation(store, rawRunPrefix(dataset as RawDataset, manifest.dt, manifest.runId)),
      });
      created += (await catalog.putPartitions(RAW_DATABASE, dataset, [partition])).created;
    }
  }
  return { created, missing: [...missing].sort(), foreign: [...foreign].sort() };
}
