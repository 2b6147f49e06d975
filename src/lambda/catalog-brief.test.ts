// The catalog function publishing the daily brief (#18): a local lake holding the golden tables
// (test/golden/insights/dataset.ts), DuckDB, and moto_server's SNS with an SQS queue subscribed, so
// that the test reads back what a subscriber would get.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASET, TABLE_SCHEMAS } from '../../test/golden/insights/dataset.js';
import {
  type Moto,
  type MotoTopicWithQueue,
  motoSnsClient,
  motoTopicWithQueue,
  startMoto,
} from '../../test/support/moto.js';
import { loadConfig } from '../config.js';
import { writeFixtureLake } from '../insights/test-support/fixture-lake.js';
import { silentLogger } from '../log.js';
import { createRuntime } from '../runtime.js';
import { type CatalogResult, createCatalogHandler } from './catalog.js';
import { createPipelineMetrics } from './metrics.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function goldenLake(): Promise<string> {
  const lake = mkdtempSync(join(tmpdir(), 'tunelake-catalog-brief-'));
  dirs.push(lake);
  const runtime = await createRuntime(loadConfig({ lake }, BASE_ENV), {
    spotify: false,
    logger: silentLogger,
  });
  try {
    await writeFixtureLake(runtime.store, runtime.catalog, TABLE_SCHEMAS, {
      ...DATASET,
      artist_snapshots: [],
      track_snapshots: [],
    });
  } finally {
    await runtime.close();
  }
  return lake;
}

const BASE_ENV = {
  TUNELAKE_CREDENTIALS: '/nonexistent/credentials.json',
  SPOTIFY_ACCESS_TIER: 'development',
};

describe('createCatalogHandler(deps) with TUNELAKE_BRIEF_TOPIC_ARN, on moto_server SNS', () => {
  let moto: Moto;
  let sns: SNSClient;
  let topic: MotoTopicWithQueue;

  beforeAll(async () => {
    moto = await startMoto();
    sns = motoSnsClient(moto.endpoint);
    topic = await motoTopicWithQueue(moto.endpoint, 'tunelake-alarms');
  });
  afterAll(async () => {
    sns?.destroy();
    await moto?.stop();
  });

  it('publishes the brief of the last observed day after refreshing the insights: subject and Markdown body', async () => {
    const lake = await goldenLake();
    const lines: string[] = [];
    const result = await createCatalogHandler({
      env: { ...BASE_ENV, TUNELAKE_LAKE: lake, TUNELAKE_BRIEF_TOPIC_ARN: topic.topicArn },
      snsClient: sns,
      logger: silentLogger,
      metrics: createPipelineMetrics({ write: (line) => lines.push(line) }),
    })({ source: 'manual' });

    expect(result).toMatchObject({
      ok: true,
      status: 'registered',
      brief: { status: 'published', topicArn: topic.topicArn, date: '2026-12-01', truncated: false },
    });
    const messages = await topic.drain();
    expect(messages).toHaveLength(1);
    const [message] = messages;
    // The golden lake's last observed day (src/brief/brief.test.ts): pl_x lost t2, t5 climbed 2 places.
    expect(message!.Subject).toBe('tunelake brief 2026-12-01: 0 entries, 1 exit, 1 move');
    expect(message!.Message).toContain('# tunelake brief: 2026-12-01');
    expect(message!.Message).toContain('- Exits: "Two" by Alma (was #3)');
    expect(message!.Message).toContain('- Biggest moves: "Five" by Eve up 2 (#4 -> #1)');
    const brief = (result as CatalogResult).brief as { messageId: string; bytes: number };
    expect(brief.messageId).toBe(message!.MessageId);
    expect(brief.bytes).toBe(Buffer.byteLength(message!.Message, 'utf8'));
    expect(lines.join('\n')).toContain('"BriefPublished":1');
  });

  it('publishes nothing when the setting is unset (the default), and says nothing about a brief', async () => {
    const lake = await goldenLake();
    const result = await createCatalogHandler({
      env: { ...BASE_ENV, TUNELAKE_LAKE: lake },
      snsClient: sns,
      logger: silentLogger,
      metrics: createPipelineMetrics({ write: () => {} }),
    })({ source: 'manual' });

    expect(result).toMatchObject({ ok: true, status: 'registered' });
    expect(result).not.toHaveProperty('brief');
    expect(await topic.drain()).toEqual([]);
  });

  it('reports a topic that does not exist in the result, with the tables still registered', async () => {
    const lake = await goldenLake();
    const missing = topic.topicArn.replace(/:[^:]+$/, ':no-such-topic');
    const result = await createCatalogHandler({
      env: { ...BASE_ENV, TUNELAKE_LAKE: lake, TUNELAKE_BRIEF_TOPIC_ARN: missing },
      snsClient: sns,
      logger: silentLogger,
      metrics: createPipelineMetrics({ write: () => {} }),
    })({ source: 'manual' });

    expect(result).toMatchObject({
      ok: true,
      status: 'registered',
      brief: { status: 'failed', topicArn: missing, error: { code: 'CONFIG_INVALID' } },
    });
    const brief = (result as CatalogResult).brief as { error: { message: string } };
    expect(brief.error.message).toContain(`SNS topic ${missing} does not exist`);
    expect(await topic.drain()).toEqual([]);
  });
});
