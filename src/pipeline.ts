// run(): the whole pipeline once, the way `tunelake run`, `tunelake demo` and the scheduler call it:
// take the lake's run lock, then each stage finishes whatever a crashed run left and does its work:
// extract -> transform -> register (the catalog stage, src/catalog/register.ts) -> refresh insights.
// Each stage returns a small result object; RunInfo gathers them.
import { type RegisterInfo, register } from './catalog/register.js';
import { type ExtractInfo, extract } from './extract/extract.js';
import type { ProgressEvent } from './extract/run-context.js';
import { type InsightsInfo, refreshInsights } from './insights/refresh.js';
import { newRunId } from './lake.js';
import { withRunLock } from './lock.js';
import type { Logger } from './log.js';
import type { Runtime } from './runtime.js';
import { type TransformInfo, transform } from './transform/transform.js';

/** What the catalog stage did (src/catalog/register.ts). */
export type CatalogInfo = RegisterInfo;

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
  /** Register the raw zone's new runs in the `tunelake_raw` database, crawling when needed (default true). */
  crawlRaw?: boolean;
  /** Refresh the insight tables (default true; on Athena they are refreshed by the catalog Lambda). */
  insights?: boolean;
}

export async function run(runtime: Runtime, deps: RunDeps = {}): Promise<RunInfo> {
  // One lock for the whole run, not one per stage: a second run must not slip in between the
  // stages, nor rewrite the tables while this one registers them or computes the insights
  // (test/reliability/concurrency.test.ts).
  return withRunLock(runtime.store, `run-${newRunId(new Date())}`, () => runLocked(runtime, deps), {
    logger: deps.logger ?? runtime.logger,
  });
}

/** The pipeline once, under the lock its caller holds. */
export async function runLocked(runtime: Runtime, deps: RunDeps = {}): Promise<RunInfo> {
  const started = Date.now();
  const logger = deps.logger ?? runtime.logger;
  const progress = deps.onProgress ?? (() => {});
  const extractInfo = await extract(runtime, { now: runtime.now, logger, onProgress: progress });
  progress({ phase: 'transform' });
  const transformInfo = await transform(runtime, {
    logger,
    memoryLimit: runtime.config.duckdb.memoryLimit,
  });
  progress({ phase: 'catalog' });
  const catalogInfo = await register(runtime, { raw: deps.crawlRaw !== false });
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
