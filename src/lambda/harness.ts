// The local harness behind `tunelake lambda invoke`: runs a handler in this process with the event AWS
// would send it, against the configured lake, catalog and engine. The default events are the real
// shapes: the schedule's Input, S3's ObjectCreated notification for the newest run manifest, and the
// transform function's on-success destination record.
import { randomUUID } from 'node:crypto';
import type { Config } from '../config.js';
import { TunelakeError } from '../errors.js';
import { committedRunIds } from '../extract/manifest.js';
import { manifestKey } from '../lake.js';
import { createRuntime, type RuntimeDeps } from '../runtime.js';
import { parseS3Location } from '../storage/store.js';
import { createCatalogHandler } from './catalog.js';
import { createExtractHandler } from './extract.js';
import type { HandlerDeps } from './runtime.js';
import { createTransformHandler } from './transform.js';

export const HANDLER_NAMES = ['extract', 'transform', 'catalog'] as const;
export type HandlerName = (typeof HANDLER_NAMES)[number];

export async function invokeHandler(name: HandlerName, event: unknown, deps: HandlerDeps): Promise<unknown> {
  const create =
    name === 'extract'
      ? createExtractHandler
      : name === 'transform'
        ? createTransformHandler
        : createCatalogHandler;
  return create(deps)(event);
}

/** The event AWS would send `name` now, for this lake. */
export async function defaultEvent(
  name: HandlerName,
  config: Config,
  deps: { now?: () => Date; s3Client?: RuntimeDeps['s3Client'] } = {},
): Promise<unknown> {
  const now = (deps.now ?? (() => new Date()))();
  if (name === 'extract') {
    // What EventBridge Scheduler sends with the stack's Input; its times are whole seconds.
    return { source: 'tunelake.schedule', scheduledTime: now.toISOString().replace(/\.\d{3}Z$/, 'Z') };
  }
  const runId = await newestRun(config, deps.s3Client);
  const s3Event = manifestCreatedEvent(config, runId, now);
  if (name === 'transform') return s3Event;
  return {
    version: '1.0',
    timestamp: now.toISOString(),
    requestContext: {
      requestId: randomUUID(),
      functionArn: `arn:aws:lambda:${config.awsRegion}:000000000000:function:tunelake-transform:$LATEST`,
      condition: 'Success',
      approximateInvokeCount: 1,
    },
    requestPayload: s3Event,
    responseContext: { statusCode: 200, executedVersion: '$LATEST' },
    responsePayload: { ok: true, status: 'transformed', manifests: [runId], runs: [runId] },
  };
}

/** S3's ObjectCreated:Put notification for a run's manifest (keys URL-encoded, as S3 sends them). */
export function manifestCreatedEvent(config: Pick<Config, 'lake' | 'awsRegion'>, runId: string, now: Date) {
  const { bucket, key } = config.lake.startsWith('s3://')
    ? (() => {
        const { bucket, prefix } = parseS3Location(config.lake);
        return { bucket, key: `${prefix ? `${prefix}/` : ''}${manifestKey(runId)}` };
      })()
    : { bucket: 'local-lake', key: manifestKey(runId) };
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: config.awsRegion,
        eventTime: now.toISOString(),
        eventName: 'ObjectCreated:Put',
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'tunelake-run-manifest',
          bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
          object: { key: encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+') },
        },
      },
    ],
  };
}

async function newestRun(config: Config, s3Client: RuntimeDeps['s3Client']): Promise<string> {
  const runtime = await createRuntime(config, { spotify: false, ...(s3Client ? { s3Client } : {}) });
  try {
    const newest = (await committedRunIds(runtime.store)).at(-1);
    if (!newest) {
      throw new TunelakeError(
        'STORAGE_NOT_FOUND',
        `The lake ${runtime.store.location} has no committed run yet: run \`tunelake lambda invoke extract\` first, ` +
          'or give the event with --event FILE.',
      );
    }
    return newest;
  } finally {
    await runtime.close();
  }
}
