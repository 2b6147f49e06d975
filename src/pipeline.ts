// run(): the whole pipeline once, the way `tunelake run`, `tunelake demo` and the scheduler call it.
// Each stage first finishes whatever a crashed run left (extract removes uncommitted objects and
// rolls its state forward; transform republishes or discards half-written tables), then:
// extract -> transform -> catalog (the tables and partitions the transform wrote are registered
// directly, so a new day is queryable without a crawl; the raw zone is crawled like Glue would)
// -> insights (the curated tables are rewritten from the new tables).
// Each step returns a small result object; RunInfo gathers them.
import { type Catalog, parquetTableInput, TABLES_DATABASE } from './catalog/catalog.js';
import { type CrawlResult, crawl, RAW_TARGET } from './catalog/crawler.js';
import { inheritedPartitionInput } from './catalog/table-input.js';
import { type ExtractInfo, extract } from './extract/extract.js';
import type { ProgressEvent } from './extract/run-context.js';
import { acquireRunLock } from './extract/state.js';
import { type InsightsInfo, refreshInsights } from './insights/refresh.js';
import { newRunId } from './lake.js';
import type { Logger } from './log.js';
import type { Runtime } from './runtime.js';
import { loadTransformState, type TransformState } from './transform/state.js';
import { type TransformInfo, transform } from './transform/transform.js';

export interface CatalogInfo {
  database: string;
  tablesCreated: number;
  tablesUpdated: number;
  partitionsCreated: number;
  partitionsUpdated: number;
  partitionsDeleted: number;
  raw: Pick<CrawlResult, 'tablesCreated' | 'tablesUpdated' | 'partitionsCreated'> | undefined;
}

export interface RunInfo {
  /** True only when every configured source landed and every stage finished. */
  ok: boolean;
  extract: ExtractInfo;
  transform: TransformInfo;
  catalog: CatalogInfo;
  /** Undefined when the insights were not refreshed (`insights: false`, or Athena over a local lake). */
  insights: InsightsInfo | undefined;
  durationMs: number;
}

export interface RunDeps {
  logger?: Logger;
  onProgress?: (event: ProgressEvent | { phase: 'transform' | 'catalog' | 'insights' }) => void;
  /** Crawl the raw zone into the `tunelake_raw` database (default true). */
  crawlRaw?: boolean;
  /** Refresh the insight tables (default true; on Athena they are refreshed by the catalog Lambda). */
  insights?: boolean;
}

export async function run(runtime: Runtime, deps: RunDeps = {}): Promise<RunInfo> {
  const started = Date.now();
  const logger = deps.logger ?? runtime.logger;
  // One lock for the whole run, not one per stage: a second run must not slip in between the
  // stages, nor rewrite the tables while this one registers them or computes the insights
  // (test/reliability/concurrency.test.ts). Its lease is wall time: `runtime.now` may be the
  // emulator's simulated clock, which another process need not share.
  const wallClock = () => new Date();
  const lock = await acquireRunLock(runtime.store, `run-${newRunId(wallClock())}`, LOCK_LEASE_MS, {
    now: wallClock,
  });
  try {
    if (lock.replaced) logger.warn('took over the lock of a run that died', { previous: lock.replaced });
    return await runLocked(runtime, deps, logger, started);
  } finally {
    await lock.release();
  }
}

const LOCK_LEASE_MS = 60 * 60 * 1000;

async function runLocked(runtime: Runtime, deps: RunDeps, logger: Logger, started: number): Promise<RunInfo> {
  const progress = deps.onProgress ?? (() => {});
  const extractInfo = await extract(runtime, {
    now: runtime.now,
    logger,
    onProgress: progress,
    lockHeld: true,
  });
  progress({ phase: 'transform' });
  const transformInfo = await transform(runtime, {
    now: runtime.now,
    logger,
    lockHeld: true,
    memoryLimit: runtime.config.duckdbMemoryLimit,
  });
  progress({ phase: 'catalog' });
  const { state: tablesState } = await loadTransformState(runtime.store);
  const catalogInfo = await registerTables(runtime.catalog, transformInfo, tablesState);
  if (deps.crawlRaw !== false) {
    const raw = await crawl(runtime.store, runtime.catalog, RAW_TARGET, {}, { logger });
    catalogInfo.raw = {
      tablesCreated: raw.tablesCreated,
      tablesUpdated: raw.tablesUpdated,
      partitionsCreated: raw.partitionsCreated,
    };
  }
  let insightsInfo: InsightsInfo | undefined;
  // On Athena the insights are CTAS tables in the lake, so they need an S3 lake; a local lake with
  // TUNELAKE_ENGINE=athena (a query-only setup) skips them rather than failing the run.
  const canRefresh = runtime.config.engine === 'duckdb' || runtime.store.location.startsWith('s3://');
  if (deps.insights !== false && canRefresh) {
    progress({ phase: 'insights' });
    insightsInfo = await refreshInsights(runtime);
  }
  return {
    ok: extractInfo.errors.length === 0,
    extract: extractInfo,
    transform: transformInfo,
    catalog: catalogInfo,
    insights: insightsInfo,
    durationMs: Date.now() - started,
  };
}

/**
 * Registers what a transform wrote: each table (created, or updated with its previous version
 * archived when its schema or statistics changed) and its new and emptied partitions.
 *
 * With `state` (the transform's committed state/transform.json), the partitions are reconciled
 * with it as well: a run killed after the transform committed but before the catalog was updated
 * left partitions unregistered (or stale), and the next transform, having nothing new to do,
 * reports no partitions at all (found by test/reliability/crash.test.ts).
 */
export async function registerTables(
  catalog: Catalog,
  info: TransformInfo,
  state?: TransformState,
): Promise<CatalogInfo> {
  const result: CatalogInfo = {
    database: TABLES_DATABASE,
    tablesCreated: 0,
    tablesUpdated: 0,
    partitionsCreated: 0,
    partitionsUpdated: 0,
    partitionsDeleted: 0,
    raw: undefined,
  };
  await catalog.ensureDatabase(TABLES_DATABASE, 'tunelake: typed Parquet tables');
  for (const table of info.tables) {
    const input = parquetTableInput({
      name: table.name,
      location: table.location,
      columns: table.columns.map((c) => ({ Name: c.name, Type: c.type })),
      partitionKeys: table.partitionKeys.map((c) => ({ Name: c.name, Type: c.type })),
      parameters: { recordCount: String(table.rowCount) },
    });
    const outcome = await catalog.upsertTable(TABLES_DATABASE, input);
    if (outcome === 'created') result.tablesCreated++;
    if (outcome === 'updated') result.tablesUpdated++;
    if (table.partitionKeys.length === 0) continue;
    const written = [...table.partitionsWritten];
    const deleted = [...table.partitionsDeleted];
    const held = state?.tables[table.name]?.partitions;
    if (held) {
      const id = (values: string[]) => values.join('\u0000');
      const registered = new Set(
        (await catalog.getPartitions(TABLES_DATABASE, table.name)).map((p) => id(p.Values)),
      );
      const heldIds = new Set(held.map(id));
      const writtenIds = new Set(written.map(id));
      const deletedIds = new Set(deleted.map(id));
      for (const values of held)
        if (!registered.has(id(values)) && !writtenIds.has(id(values))) written.push(values);
      for (const key of registered) {
        if (!heldIds.has(key) && !deletedIds.has(key)) deleted.push(key.split('\u0000'));
      }
    }
    if (written.length > 0) {
      const partitions = written.map((values) =>
        inheritedPartitionInput(input, {
          values,
          location: `${table.location}${table.partitionKeys.map((k, i) => `${k.name}=${values[i]}`).join('/')}/`,
        }),
      );
      const { created, updated } = await catalog.putPartitions(TABLES_DATABASE, table.name, partitions);
      result.partitionsCreated += created;
      result.partitionsUpdated += updated;
    }
    if (deleted.length > 0) {
      await catalog.deletePartitions(TABLES_DATABASE, table.name, deleted);
      result.partitionsDeleted += deleted.length;
    }
  }
  return result;
}
