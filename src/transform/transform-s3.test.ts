import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Moto, type MotoS3, motoS3Client, startMoto } from '../../test/support/moto.js';
import { createLocalCatalog } from '../catalog/local.js';
import { register } from '../catalog/register.js';
import { verifyLake } from '../integrity/verify.js';
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

  it('verifyLake finds a deleted and a replaced table file on S3, and the next transform rebuilds them (#17)', async () => {
    // The lake of the test above, registered in a catalog kept in the same bucket.
    const catalog = createLocalCatalog({}, { store });
    await register({ store, catalog }, { raw: false });
    expect(await verifyLake({ store, catalog })).toMatchObject({ ok: true, findings: [] });

    const keys: string[] = [];
    for await (const object of store.list('tables/playlist_items/')) keys.push(object.key);
    expect(keys.length).toBeGreaterThan(1);
    const intact = (await store.get(keys[0]!))!.body;
    await store.delete(keys[0]!);
    await store.put(keys[1]!, intact);
    const report = await verifyLake({ store, catalog });
    expect(report.ok).toBe(false);
    expect(report.findings.filter((f) => f.kind === 'table-file').map((f) => f.key)).toEqual([
      keys[0],
      keys[1],
    ]);

    const healed = await transform({ store });
    expect(healed.healed.map((p) => p.key)).toEqual([keys[0], keys[1]]);
    expect(md5((await store.get(keys[0]!))!.body)).toBe(md5(intact));
    expect(await verifyLake({ store, catalog })).toMatchObject({ ok: true, findings: [] });
  });
});
