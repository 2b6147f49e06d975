import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASET, TABLE_SCHEMAS } from '../../test/golden/insights/dataset.js';
import { EXPECTED } from '../../test/golden/insights/expected.js';
import { type Moto, type MotoS3, motoS3Client, startMoto } from '../../test/support/moto.js';
import { TABLES_DATABASE } from '../catalog/catalog.js';
import { loadConfig } from '../config.js';
import { silentLogger } from '../log.js';
import { createRuntime, type Runtime } from '../runtime.js';
import { INSIGHT_NAMES, insightTableName } from './insights.js';
import { insightKey, refreshInsights } from './refresh.js';
import { writeFixtureLake } from './test-support/fixture-lake.js';

const ENV = { TUNELAKE_CREDENTIALS: '/nonexistent/credentials.json' };

async function md5s(runtime: Runtime): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of INSIGHT_NAMES) {
    const found = await runtime.store.get(insightKey(name));
    out[name] = found ? createHash('md5').update(found.body).digest('hex') : 'missing';
  }
  return out;
}

describe('refreshInsights(runtime) on an S3 lake (moto)', () => {
  let moto: Moto;
  let s3: MotoS3;
  let remote: Runtime;
  let local: Runtime;
  let lake: string;

  beforeAll(async () => {
    moto = await startMoto();
    s3 = await motoS3Client(moto.endpoint, ['tunelake-insights']);
    const remoteConfig = loadConfig(
      {
        lake: 's3://tunelake-insights/lake',
        s3Endpoint: moto.endpoint,
        awsRegion: 'us-east-1',
        tier: 'extended',
      },
      ENV,
    );
    remote = await createRuntime(remoteConfig, { spotify: false, s3Client: s3, logger: silentLogger });
    lake = mkdtempSync(join(tmpdir(), 'tunelake-insights-s3-ref-'));
    local = await createRuntime(loadConfig({ lake, tier: 'extended' }, ENV), {
      spotify: false,
      logger: silentLogger,
    });
    for (const runtime of [remote, local]) {
      await writeFixtureLake(runtime.store, runtime.catalog, TABLE_SCHEMAS, DATASET);
    }
  });
  afterAll(async () => {
    await remote?.close();
    await local?.close();
    s3?.destroy();
    await moto?.stop();
    if (lake) rmSync(lake, { recursive: true, force: true });
  });

  it('uploads the same files a local lake gets and registers their S3 locations', async () => {
    const info = await refreshInsights(remote);
    await refreshInsights(local);
    for (const result of info.insights) {
      expect(result, result.name).toMatchObject({
        status: 'written',
        rows: EXPECTED[result.name]!.length,
        location: `s3://tunelake-insights/lake/insights/${result.name}/`,
      });
      const table = await remote.catalog.getTable(TABLES_DATABASE, insightTableName(result.name));
      expect(table?.StorageDescriptor.Location).toBe(result.location);
    }
    const remoteFiles = await md5s(remote);
    expect(Object.values(remoteFiles)).not.toContain('missing');
    expect(remoteFiles).toEqual(await md5s(local));
  });
});
