// The extract function, invoked by EventBridge Scheduler with the Input the stack sets:
// `{"source": "tunelake.schedule", "scheduledTime": "<aws.scheduler.scheduled-time>"}` (an EventBridge
// rule's `{"time": ...}` works too). The scheduled time is the run's idempotency key: the run id is
// derived from it, so a retried or duplicated invocation for the same time finds the run's manifest
// already committed and lands nothing (an attempt that died half-way is cleaned up by extract's own
// recovery and redone under the same id).
import { createHash } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { TunelakeError } from '../errors.js';
import { type ExtractInfo, extract } from '../extract/extract.js';
import type { SourceError } from '../extract/manifest.js';
import { manifestKey, newRunId } from '../lake.js';
import { withRunLock } from '../lock.js';
import { createHandlerRuntime, type HandlerDeps, type HandlerFailure, invoke } from './runtime.js';

const eventSchema = z.looseObject({
  source: z.string().optional(),
  scheduledTime: z.string().optional(),
  time: z.string().optional(),
});

export interface ExtractResult {
  ok: boolean;
  /** `committed`: this invocation landed the run; `already-committed`: an earlier one did. */
  status: 'committed' | 'already-committed';
  runId: string;
  scheduledTime: string;
  dt?: string;
  records?: ExtractInfo['records'];
  requests?: number;
  retries?: number;
  errors?: SourceError[];
  durationMs?: number;
}

export function createExtractHandler(deps: HandlerDeps = {}) {
  return (event: unknown, context?: Context): Promise<ExtractResult | HandlerFailure> =>
    invoke('extract', deps, context, async (invocation) => {
      const { logger, metrics } = invocation;
      const scheduled = scheduledTime(event, deps.now ?? (() => new Date()));
      const runId = scheduledRunId(scheduled);
      const runtime = await createHandlerRuntime(invocation, { spotify: true });
      try {
        if (await runtime.store.head(manifestKey(runId))) {
          logger.info('this scheduled run is already committed; nothing to do', { runId });
          return {
            ok: true,
            status: 'already-committed',
            runId,
            scheduledTime: scheduled.toISOString(),
          };
        }
        const info = await withRunLock(
          runtime.store,
          runId,
          () => extract(runtime, { now: runtime.now, logger, runId }),
          { logger },
        );
        const landed = Object.values(info.records).reduce((a, b) => a + b, 0);
        metrics.count('ExtractRequests', info.requests);
        metrics.count('ExtractRetries', info.retries);
        metrics.count('RecordsLanded', landed);
        metrics.duration('extract', info.durationMs);
        logger.info(`extract: run ${runId} committed, ${landed} records`, {
          runId,
          records: info.records,
          requests: info.requests,
          retries: info.retries,
          sourceErrors: info.errors.length,
        });
        return {
          ok: info.errors.length === 0,
          status: 'committed',
          runId,
          scheduledTime: scheduled.toISOString(),
          dt: info.dt,
          records: info.records,
          requests: info.requests,
          retries: info.retries,
          errors: info.errors,
          durationMs: info.durationMs,
        };
      } finally {
        await runtime.close();
      }
    });
}

export const handler = createExtractHandler();

/** The scheduled time the event carries (Scheduler's `scheduledTime`, a rule's `time`), else now. */
export function scheduledTime(event: unknown, now: () => Date): Date {
  const parsed = eventSchema.safeParse(event ?? {});
  if (!parsed.success) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `The extract event is not a schedule event: expected {"scheduledTime": "<ISO 8601>"}, got ${clip(event)}.`,
    );
  }
  const text = parsed.data.scheduledTime ?? parsed.data.time;
  if (text === undefined) return now();
  const date = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(date.getTime())) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Invalid scheduledTime "${text}": expected an ISO 8601 time such as 2026-11-25T06:00:00Z ` +
        '(the schedule\'s Input should pass "<aws.scheduler.scheduled-time>").',
    );
  }
  return date;
}

/**
 * The run id of a scheduled time: its UTC stamp and a suffix hashed from it, so the same time always
 * names the same run (`20261125T060000Z-k3x9qa`) and run ids still sort in time order.
 */
export function scheduledRunId(time: Date): string {
  const digest = createHash('sha256').update(time.toISOString()).digest();
  let i = 0;
  return newRunId(time, () => digest[i++ % digest.length]! / 256);
}

function clip(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
