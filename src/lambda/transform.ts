// The transform function, invoked asynchronously by the lake bucket's S3 notification for
// `<lakePrefix>/runs/*.json`: a run manifest, the extract's commit point. It transforms every
// committed run the tables do not include yet, so duplicated or out-of-order notifications (S3
// delivers at least once, unordered) find nothing left to do. `{"source": "manual"}` runs it too.
// What it returns is the catalog function's event (`responsePayload` of the on-success destination):
// kept small (async payloads are capped), the catalog reads the tables from the transform's state.
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { TunelakeError } from '../errors.js';
import { newRunId, runIdOfManifestKey } from '../lake.js';
import { withRunLock } from '../lock.js';
import { parseS3Location } from '../storage/store.js';
import { transform } from '../transform/transform.js';
import { createHandlerRuntime, type HandlerDeps, type HandlerFailure, invoke } from './runtime.js';

const s3EventSchema = z.looseObject({
  Records: z.array(
    z.looseObject({
      eventSource: z.string().optional(),
      eventName: z.string().optional(),
      s3: z.looseObject({
        bucket: z.looseObject({ name: z.string() }),
        object: z.looseObject({ key: z.string() }),
      }),
    }),
  ),
});

export interface TransformResult {
  ok: true;
  /** `transformed`: new runs went into the tables; `up-to-date`: nothing new; `ignored`: not a manifest of this lake. */
  status: 'transformed' | 'up-to-date' | 'ignored';
  /** The manifests' run ids the event named. */
  manifests: string[];
  /** The runs this transform processed. */
  runs: string[];
  full?: boolean;
  rows?: Record<string, number>;
  quarantined?: Record<string, number>;
  /** Per table: partitions written (count) and emptied (values), for the catalog function. */
  tables?: Array<{ name: string; partitionsWritten: number; partitionsDeleted: string[][] }>;
  durationMs?: number;
}

export function createTransformHandler(deps: HandlerDeps = {}) {
  return (event: unknown, context?: Context): Promise<TransformResult | HandlerFailure> =>
    invoke('transform', deps, context, async (invocation) => {
      const { config, logger, metrics } = invocation;
      const manifests = manifestsOf(event, config.lake);
      if (manifests === 'none') {
        logger.warn('the event names no run manifest of this lake; nothing to do', { lake: config.lake });
        return { ok: true, status: 'ignored', manifests: [], runs: [] };
      }
      const runtime = await createHandlerRuntime(invocation, { spotify: false });
      try {
        const info = await withRunLock(
          runtime.store,
          `transform-${newRunId(new Date())}`,
          () =>
            transform(runtime, {
              logger,
              ...(config.cloud.tempDir ? { tempDir: config.cloud.tempDir } : {}),
              memoryLimit: config.duckdb.memoryLimit,
            }),
          { logger },
        );
        const rows = Object.values(info.rows).reduce((a, b) => a + b, 0);
        const quarantined = Object.values(info.quarantined).reduce((a, b) => a + b, 0);
        metrics.count('RowsWritten', rows);
        metrics.count('RecordsQuarantined', quarantined);
        for (const [table, n] of Object.entries(info.rows)) if (n > 0) metrics.tableRows(table, n);
        metrics.duration('transform', info.durationMs);
        logger.info(`transform: ${info.runs.length} new runs, ${rows} rows written`, {
          runs: info.runs,
          quarantined,
        });
        return {
          ok: true,
          status: info.runs.length > 0 ? 'transformed' : 'up-to-date',
          manifests: manifests === 'manual' ? [] : manifests,
          runs: info.runs,
          full: info.full,
          rows: info.rows,
          quarantined: info.quarantined,
          tables: info.tables.map((t) => ({
            name: t.name,
            partitionsWritten: t.partitionsWritten.length,
            partitionsDeleted: t.partitionsDeleted,
          })),
          durationMs: info.durationMs,
        };
      } finally {
        await runtime.close();
      }
    });
}

export const handler = createTransformHandler();

/**
 * The run ids of this lake's manifests the S3 event names; `manual` for a manual invocation; `none`
 * when the event is S3's but names nothing of ours (the notification's filter should prevent it).
 */
export function manifestsOf(event: unknown, lake: string): string[] | 'manual' | 'none' {
  const e = (event ?? {}) as { Records?: unknown };
  if (e.Records === undefined) return 'manual';
  const parsed = s3EventSchema.safeParse(event);
  if (!parsed.success) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `The transform event is not an S3 event notification: ${parsed.error.issues
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}.`,
    );
  }
  if (!lake.startsWith('s3://')) {
    // A local lake (the harness): the key is taken relative to the lake.
    return pick(parsed.data.Records.map((r) => decodeKey(r.s3.object.key)));
  }
  const { bucket, prefix } = parseS3Location(lake);
  const base = prefix ? `${prefix}/` : '';
  return pick(
    parsed.data.Records.filter((r) => r.s3.bucket.name === bucket)
      .map((r) => decodeKey(r.s3.object.key))
      .filter((key) => key.startsWith(base))
      .map((key) => key.slice(base.length)),
  );
}

function pick(keys: string[]): string[] | 'none' {
  const ids = keys.map(runIdOfManifestKey).filter((id): id is string => id !== undefined);
  return ids.length > 0 ? [...new Set(ids)].sort() : 'none';
}

/** S3 notifications URL-encode keys, with '+' for a space. */
function decodeKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}
