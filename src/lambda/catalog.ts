// The catalog function: the transform function's on-success destination (event `{requestContext,
// requestPayload, responseContext, responsePayload}`), or invoked by hand with `{}` /
// `{"source": "manual"}`. It
// 1. registers every table the transform's state describes, with all its partitions (idempotent:
//    unchanged ones are not rewritten), so a catalog run that failed is caught up by the next one;
//    partitions the transform emptied (from the payload) are dropped;
// 2. adds the new runs' raw partitions to the raw tables the crawler made, so the raw zone is queryable
//    on Athena without waiting for a crawl;
// 3. starts the Glue crawler only when a schema changed (a table created or its columns changed, or a
//    raw dataset the raw database has no table for yet); with no crawler configured (the harness), the
//    raw zone is crawled in-process, as `tunelake run` does;
// 4. refreshes the insight tables on the configured engine (Athena: CTAS into Parquet);
// 5. emits PipelineSucceeded, which the stack's "no successful run in 25 h" alarm watches.
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import {
  type Catalog,
  inheritedPartitionInput,
  RAW_DATABASE,
  TABLES_DATABASE,
  type Table,
} from '../catalog/catalog.js';
import { crawl, RAW_TARGET } from '../catalog/crawler.js';
import { isTunelakeError } from '../errors.js';
import { committedRunIds, type RunManifest, readManifest } from '../extract/manifest.js';
import { refreshInsights } from '../insights/refresh.js';
import { rawRunPrefix } from '../lake.js';
import type { Logger } from '../log.js';
import { registerTables } from '../pipeline.js';
import type { Runtime } from '../runtime.js';
import { tablePrefix } from '../transform/publish.js';
import { loadTransformState } from '../transform/state.js';
import type { TransformInfo } from '../transform/transform.js';
import { startGlueCrawler } from './glue-crawler.js';
import { createHandlerRuntime, type HandlerDeps, type HandlerFailure, invoke } from './runtime.js';

const payloadSchema = z.looseObject({
  ok: z.boolean().optional(),
  runs: z.array(z.string()).optional(),
  tables: z
    .array(
      z.looseObject({
        name: z.string(),
        partitionsDeleted: z.array(z.array(z.string())).optional(),
      }),
    )
    .optional(),
});
const eventSchema = z.looseObject({
  source: z.string().optional(),
  responsePayload: z.unknown().optional(),
});

export interface CatalogResult {
  ok: true;
  status: 'registered' | 'no-tables' | 'skipped';
  reason?: string;
  tablesCreated?: number;
  tablesUpdated?: number;
  partitionsCreated?: number;
  partitionsDeleted?: number;
  rawPartitionsCreated?: number;
  /** Why the crawler was started (empty: schemas unchanged, not started). */
  schemaChanges?: string[];
  crawler?: 'started' | 'already-running' | 'crawled-in-process' | 'not-needed';
  insights?: Array<{ name: string; status: 'written' | 'unavailable'; rows: number }>;
  durationMs?: number;
}

export function createCatalogHandler(deps: HandlerDeps = {}) {
  return (event: unknown, context?: Context): Promise<CatalogResult | HandlerFailure> =>
    invoke('catalog', deps, context, async (invocation) => {
      const { config, logger, metrics } = invocation;
      const started = performance.now();
      const parsedEvent = eventSchema.safeParse(event ?? {});
      const payload = payloadSchema.safeParse(
        parsedEvent.success ? parsedEvent.data.responsePayload : undefined,
      );
      const transformed = payload.success ? payload.data : undefined;
      if (transformed?.ok === false) {
        logger.warn('the transform reported a failure; nothing new to register');
        return { ok: true, status: 'skipped', reason: 'the transform reported a failure' };
      }
      const runtime = await createHandlerRuntime(invocation, { spotify: false });
      try {
        const info = await tablesFromState(runtime, transformed?.tables ?? []);
        if (info.tables.length === 0) {
          logger.warn('the transform has written no tables yet; nothing to register');
          return { ok: true, status: 'no-tables' };
        }
        const { catalog, store } = runtime;
        const before = await schemas(catalog, TABLES_DATABASE);
        const registered = await registerTables(catalog, info);
        const changes = info.tables
          .filter((t) => before.get(t.name) !== schemaKey(t.columns, t.partitionKeys))
          .map((t) => (before.has(t.name) ? `table ${t.name} changed` : `table ${t.name} created`));

        const manifests = await newManifests(runtime, transformed?.runs);
        const raw = await registerRawPartitions(catalog, store.uri.bind(store), manifests, logger);
        changes.push(...raw.missing.map((d) => `raw dataset ${d} has no table in ${RAW_DATABASE}`));

        let crawler: CatalogResult['crawler'] = 'not-needed';
        if (changes.length > 0) {
          logger.info('schemas changed', { changes });
          if (config.cloud.glueCrawler && catalog.kind === 'glue') {
            crawler = await startGlueCrawler(config.cloud.glueCrawler, {
              region: config.awsRegion,
              ...(deps.glueClient ? { glueClient: deps.glueClient } : {}),
            });
            metrics.count('CrawlerStarted', crawler === 'started' ? 1 : 0);
          } else {
            await crawl(store, catalog, RAW_TARGET, {}, { logger });
            crawler = 'crawled-in-process';
          }
        }

        const insights = await refreshInsights(runtime, {
          ...(deps.athenaClient ? { athenaClient: deps.athenaClient } : {}),
          ...(config.cloud.tempDir ? { tempDir: config.cloud.tempDir } : {}),
        });
        const written = insights.insights.filter((i) => i.status === 'written').length;
        const durationMs = Math.round(performance.now() - started);
        metrics.count('InsightsRefreshed', written);
        metrics.count('PipelineSucceeded', 1);
        metrics.duration('catalog', durationMs);
        logger.info('catalog: tables registered and insights refreshed', {
          ...registered,
          rawPartitionsCreated: raw.created,
          crawler,
          insights: written,
        });
        return {
          ok: true,
          status: 'registered',
          tablesCreated: registered.tablesCreated,
          tablesUpdated: registered.tablesUpdated,
          partitionsCreated: registered.partitionsCreated,
          partitionsDeleted: registered.partitionsDeleted,
          rawPartitionsCreated: raw.created,
          schemaChanges: changes,
          crawler,
          insights: insights.insights.map((i) => ({ name: i.name, status: i.status, rows: i.rows })),
          durationMs,
        };
      } finally {
        await runtime.close();
      }
    });
}

export const handler = createCatalogHandler();

/** What the transform's state says the tables are, as the TransformInfo registerTables takes. */
async function tablesFromState(
  runtime: Runtime,
  deleted: ReadonlyArray<{ name: string; partitionsDeleted?: string[][] | undefined }>,
): Promise<TransformInfo> {
  const { state } = await loadTransformState(runtime.store);
  const deletedBy = new Map(deleted.map((t) => [t.name, t.partitionsDeleted ?? []]));
  const tables = Object.entries(state.tables)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, table]) => ({
      name,
      location: `${runtime.store.uri(tablePrefix(name).slice(0, -1))}/`,
      columns: table.columns,
      partitionKeys: table.partitionKeys,
      partitionsWritten: table.partitions,
      // A partition the state still holds was written again after it was emptied: keep it.
      partitionsDeleted: (deletedBy.get(name) ?? []).filter(
        (values) => !table.partitions.some((p) => p.join('/') === values.join('/')),
      ),
      rowCount: table.rowCount,
    }));
  return { runs: state.runs, full: false, tables, rows: {}, quarantined: {}, checks: [], durationMs: 0 };
}

function schemaKey(
  columns: ReadonlyArray<{ name: string; type: string }>,
  partitionKeys: ReadonlyArray<{ name: string; type: string }>,
): string {
  const list = (cols: ReadonlyArray<{ name: string; type: string }>) =>
    cols.map((c) => `${c.name} ${c.type.toLowerCase()}`).join(', ');
  return `${list(columns)} | ${list(partitionKeys)}`;
}

async function listTables(catalog: Catalog, database: string): Promise<Table[]> {
  try {
    return await catalog.listTables(database);
  } catch (error) {
    if (isTunelakeError(error, 'STORAGE_NOT_FOUND')) return [];
    throw error;
  }
}

async function schemas(catalog: Catalog, database: string): Promise<Map<string, string>> {
  const tables = await listTables(catalog, database);
  return new Map(
    tables.map((t) => [
      t.Name,
      schemaKey(
        t.StorageDescriptor.Columns.map((c) => ({ name: c.Name, type: c.Type })),
        t.PartitionKeys.map((c) => ({ name: c.Name, type: c.Type })),
      ),
    ]),
  );
}

/** The manifests of the runs the transform just processed; without a payload, the newest one. */
async function newManifests(runtime: Runtime, runs: readonly string[] | undefined): Promise<RunManifest[]> {
  const ids = runs && runs.length > 0 ? runs : (await committedRunIds(runtime.store)).slice(-1);
  const out: RunManifest[] = [];
  for (const id of ids) {
    try {
      out.push(await readManifest(runtime.store, id));
    } catch (error) {
      if (!isTunelakeError(error, 'STORAGE_NOT_FOUND')) throw error;
    }
  }
  return out;
}

/**
 * Adds each run's `dt=/run=` folder of each dataset it landed as a partition of that dataset's raw
 * table (when the crawler has made one with those partition keys). Returns the datasets that have no
 * raw table yet: a reason to crawl.
 */
async function registerRawPartitions(
  catalog: Catalog,
  uri: (key: string) => string,
  manifests: readonly RunManifest[],
  logger: Logger,
): Promise<{ created: number; missing: string[] }> {
  const tables = new Map((await listTables(catalog, RAW_DATABASE)).map((t) => [t.Name, t]));
  const missing = new Set<string>();
  let created = 0;
  for (const manifest of manifests) {
    const datasets = [...new Set(manifest.objects.map((o) => o.dataset))].sort();
    for (const dataset of datasets) {
      const table = tables.get(dataset);
      if (!table) {
        missing.add(dataset);
        continue;
      }
      const keys = table.PartitionKeys.map((k) => k.Name);
      if (keys.join(',') !== 'dt,run') {
        logger.debug('raw table has other partition keys; left to the crawler', { dataset, keys });
        continue;
      }
      const prefix = rawRunPrefix(dataset, manifest.dt, manifest.runId);
      const partition = inheritedPartitionInput(table, {
        values: [manifest.dt, manifest.runId],
        location: `${uri(prefix.slice(0, -1))}/`,
      });
      created += (await catalog.putPartitions(RAW_DATABASE, dataset, [partition])).created;
    }
  }
  return { created, missing: [...missing].sort() };
}
