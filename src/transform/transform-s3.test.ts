import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Moto, type MotoS3, motoS3Client, startMoto } from '../../test/support/moto.js';
import { createObjectStore } from '../runtime.js';
import { createLocalObjectStore } from '../storage/local.js';
import type { ObjectStore } from '../storage/store.js';
import { fixtureRuns, landFixtureRun } from './test-support/fixture-lake.js';
import { transform } from './transform.js';

const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');

describe('transform(runtime) on an S3 lake (moto)', () => {
  let moto: Moto;
  let s3: MotoS3;
  let store: ObjectStore;

  beforeAll(async () => {
    moto = await startMoto();
    s3 = await motoS3Client(moto.endpoint, ['tunelake-transform']);
    store = createObjectStore(
      { lake: 's3://tunelake-transform/lake', s3Endpoint: moto.endpoint, awsRegion: 'us-east-1' },
      { s3Client: s3 },
    );
  });

  afterAll(async () => {
    await store?.close();
    s3?.destroy();
    await moto?.stop();
  });

  it('downloads the raw zone, uploads the same table files a local lake gets, and registers S3 locations', async () => {
    const localDir = mkdtempSync(join(tmpdir(), 'tunelake-transform-s3-ref-'));
    const local = createLocalObjectStore({ root: localDir });
    for (const run of fixtureRuns()) {
      await landFixtureRun(local, run);
      await landFixtureRun(store, run);
    }
    await transform({ store: local });
    const info = await transform({ store });

    const remote: Record<string, string> = {};
    for await (const object of store.list('tables/')) {
      const found = await store.get(object.key);
      remote[object.key] = md5(found!.body);
    }
    const reference: Record<string, string> = {};
    for await (const object of local.list('tables/')) {
      reference[object.key] = md5(readFileSync(local.localPath!(object.key)));
    }
    expect(Object.keys(remote).length).toBeGreaterThan(13);
    expect(remote).toEqual(reference);
    expect(info.tables.find((t) => t.name === 'plays')!.location).toBe(
      's3://tunelake-transform/lake/tables/plays/',
    );
    expect(await store.head('state/transform.json')).toBeDefined();
    expect((await transform({ store })).runs).toEqual([]);
  });
});
