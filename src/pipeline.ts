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
import { type InsightsInfo, refreshInsights } from './insights/refresh.js';
import type { Logger } from './log.js';
import type { Runtime } from './runtime.js';
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
  /** Undefined when the insights were not refreshed (`insights: false`, or the Athena engine). */
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
  const progress = deps.onProgress ?? (() => {});
  const extractInfo = await extract(runtime, { now: runtime.now, logger, onProgress: progress });
  progress({ phase: 'transform' });
  const transformInfo = await transform(runtime, { now: runtime.now, logger });
  progress({ phase: 'catalog' });
  const catalogInfo = await registerTables(runtime.catalog, transformInfo);
  if (deps.crawlRaw !== false) {
    const raw = await crawl(runtime.store, runtime.catalog, RAW_TARGET, {}, { logger });
    catalogInfo.raw = {
      tablesCreated: raw.tablesCreated,
      tablesUpdated: raw.tablesUpdated,
      partitionsCreated: raw.partitionsCreated,
    };
  }
  let insightsInfo: InsightsInfo | undefined;
  if (deps.insights !== false && runtime.config.engine === 'duckdb') {
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
 */
export async function registerTables(catalog: Catalog, info: TransformInfo): Promise<CatalogInfo> {
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
    if (table.partitionsWritten.length > 0) {
      const partitions = table.partitionsWritten.map((values) =>
        inheritedPartitionInput(input, {
          values,
          location: `${table.location}${table.partitionKeys.map((k, i) => `${k.name}=${values[i]}`).join('/')}/`,
        }),
      );
      const { created, updated } = await catalog.putPartitions(TABLES_DATABASE, table.name, partitions);
      result.partitionsCreated += created;
      result.partitionsUpdated += updated;
    }
    if (table.partitionsDeleted.length > 0) {
      await catalog.deletePartitions(TABLES_DATABASE, table.name, table.partitionsDeleted);
      result.partitionsDeleted += table.partitionsDeleted.length;
    }
  }
  return result;
}
