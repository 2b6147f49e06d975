// Starts the stack's Glue crawler over the raw zone. StartCrawler only asks: the crawl runs on its own
// (minutes), and its failures reach the crawler-state EventBridge rule the stack alarms on, not this
// function. A crawler already running is not an error: it will see the new objects too (or the next
// run's start will).
import type { GlueClient } from '@aws-sdk/client-glue';
import { TunelakeError } from '../errors.js';

export type GlueCrawlerClient = Pick<GlueClient, 'send'>;

export async function startGlueCrawler(
  name: string,
  deps: { glueClient?: GlueCrawlerClient; region: string },
): Promise<'started' | 'already-running'> {
  const { GlueClient, StartCrawlerCommand } = await import('@aws-sdk/client-glue');
  const client: GlueCrawlerClient & { destroy?: () => void } =
    deps.glueClient ?? new GlueClient({ region: deps.region });
  try {
    await client.send(new StartCrawlerCommand({ Name: name }));
    return 'started';
  } catch (error) {
    const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    if (e?.name === 'CrawlerRunningException') return 'already-running';
    if (e?.name === 'EntityNotFoundException') {
      throw new TunelakeError(
        'CONFIG_INVALID',
        `The Glue crawler "${name}" (TUNELAKE_GLUE_CRAWLER) does not exist: ${e.message ?? ''}`.trim(),
        { cause: error, details: { crawler: name } },
      );
    }
    const status = e?.$metadata?.httpStatusCode;
    throw new TunelakeError(
      'STORAGE_FAILED',
      `Glue StartCrawler "${name}" failed: ${e?.name ?? 'Error'}: ${e?.message ?? String(error)}`,
      {
        cause: error,
        retryable:
          e?.name === 'ThrottlingException' ||
          e?.name === 'OperationTimeoutException' ||
          (status !== undefined && status >= 500),
        details: { crawler: name },
      },
    );
  } finally {
    if (!deps.glueClient) client.destroy?.();
  }
}
