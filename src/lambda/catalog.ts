// The catalog function: the transform function's on-success destination (event `{requestContext,
// requestPayload, responseContext, responsePayload}`), or invoked by hand with `{}` /
// `{"source": "manual"}`. Under the lake's run lock it
// 1. runs the catalog stage (src/catalog/register.ts, the same one `tunelake run` and `tunelake
//    transform` run): every table the transform's state describes with its partitions reconciled,
//    the new runs' raw partitions, and the Glue crawler only when a raw schema may have changed;
// 2. refreshes the insight tables on the configured engine (Athena: CTAS into Parquet);
// 3. publishes the daily brief (src/brief/publish.ts) to the SNS topic TUNELAKE_BRIEF_TOPIC_ARN names,
//    when it names one (off by default). A failed publish is logged and reported in the result, not
//    thrown: the tables and insights are in place, and a retry would only redo them;
// 4. emits PipelineSucceeded, which the stack's "no successful run in 25 h" alarm watches.
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { type PublishedBrief, publishBrief } from '../brief/publish.js';
import { register } from '../catalog/register.js';
import { toTunelakeError } from '../errors.js';
import { refreshInsights } from '../insights/refresh.js';
import { newRunId } from '../lake.js';
import { withRunLock } from '../lock.js';
import type { Logger } from '../log.js';
import type { Runtime } from '../runtime.js';
import type { ObjectStore } from '../storage/store.js';
import { loadTransformState } from '../transform/state.js';
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
  /** The daily brief, when TUNELAKE_BRIEF_TOPIC_ARN names a topic. */
  brief?: ({ status: 'published'; topicArn: string } & PublishedBrief) | BriefFailure;
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
        return await withRunLock(
          runtime.store,
          `catalog-${newRunId(new Date())}`,
          async (): Promise<CatalogResult> => {
            if (!(await hasTables(runtime))) {
              logger.warn('the transform has written no tables yet; nothing to register');
              return { ok: true, status: 'no-tables' };
            }
            const registered = await register(runtime);
            const { crawler } = registered.raw;
            if (crawler === 'started') metrics.count('CrawlerStarted', 1);
            const insights = await refreshInsights(runtime, {
              ...(config.cloud.tempDir ? { tempDir: config.cloud.tempDir } : {}),
            });
            const written = insights.insights.filter((i) => i.status === 'written').length;
            const brief = runtime.notifier ? await sendBrief(runtime, logger) : undefined;
            if (brief?.status === 'published') metrics.count('BriefPublished', 1);
            const durationMs = Math.round(performance.now() - started);
            metrics.count('InsightsRefreshed', written);
            metrics.count('PipelineSucceeded', 1);
            metrics.duration('catalog', durationMs);
            logger.info('catalog: tables registered and insights refreshed', {
              ...registered,
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
              rawPartitionsCreated: registered.raw.partitionsCreated,
              schemaChanges: registered.raw.schemaChanges,
              crawler,
              insights: insights.insights.map((i) => ({ name: i.name, status: i.status, rows: i.rows })),
              ...(brief ? { brief } : {}),
              durationMs,
            };
          },
          { logger },
        );
      } finally {
        await runtime.close();
      }
    });
}

export const handler = createCatalogHandler();

interface BriefFailure {
  status: 'failed';
  topicArn: string;
  error: { code: string; message: string };
}

/** Builds the day's brief and publishes it; a failure is logged and returned, never thrown. */
async function sendBrief(runtime: Runtime, logger: Logger): Promise<CatalogResult['brief']> {
  const notifier = runtime.notifier!;
  try {
    const engine = await runtime.openEngine({ readOnly: true });
    try {
      const published = await publishBrief({ ...runtime, engine }, notifier);
      logger.info('catalog: daily brief published', { topicArn: notifier.target, ...published });
      return { status: 'published', topicArn: notifier.target, ...published };
    } finally {
      await engine.close();
    }
  } catch (error) {
    const err = toTunelakeError(error);
    logger.error(`catalog: the daily brief was not published: ${err.message}`, {
      topicArn: notifier.target,
      code: err.code,
    });
    return { status: 'failed', topicArn: notifier.target, error: { code: err.code, message: err.message } };
  }
}

/** Whether the transform has committed any table yet. */
async function hasTables(runtime: { store: ObjectStore }): Promise<boolean> {
  const { state } = await loadTransformState(runtime.store);
  return Object.keys(state.tables).length > 0;
}
