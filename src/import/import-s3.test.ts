import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Moto, type MotoS3, motoS3Client, startMoto } from '../../test/support/moto.js';
import { committedRunIds } from '../extract/manifest.js';
import { createObjectStore } from '../runtime.js';
import type { ObjectStore } from '../storage/store.js';
import { transform } from '../transform/transform.js';
import { importStreamingHistory } from './streaming-history.js';

const EXPORT_DIR = join(import.meta.dirname, '..', '..', 'test', 'golden', 'streaming-history', 'export');

describe('importStreamingHistory(runtime, inputs) into an S3 lake (moto)', () => {
  let moto: Moto;
  let s3: MotoS3;
  let store: ObjectStore;

  beforeAll(async () => {
    moto = await startMoto();
    s3 = await motoS3Client(moto.endpoint, ['tunelake-import']);
    store = createObjectStore(
      { lake: 's3://tunelake-import/lake', s3Endpoint: moto.endpoint, awsRegion: 'us-east-1' },
      { s3Client: s3 },
    );
  });

  afterAll(async () => {
    await store?.close();
    s3?.destroy();
    await moto?.stop();
  });

  it('lands, commits and indexes the export with create-only writes; a second import adds nothing', async () => {
    const first = await importStreamingHistory({ store }, [EXPORT_DIR], { keepPseudonymous: true });
    expect(first).toMatchObject({ new: 15, duplicates: 1, quarantined: 3 });
    expect(await committedRunIds(store)).toEqual([first.runId]);
    expect(await store.head('state/streaming-history.json')).toBeDefined();
    const again = await importStreamingHistory({ store }, [EXPORT_DIR], { keepPseudonymous: true });
    expect(again).toMatchObject({ runId: undefined, new: 0, duplicates: 16 });
    const info = await transform({ store });
    expect(info.tables.find((t) => t.name === 'streams')!.rowCount).toBe(12);
  });
});
