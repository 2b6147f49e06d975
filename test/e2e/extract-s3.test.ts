import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { Emulator } from '../../src/emulator/server.js';
import { worldSummary } from '../../src/emulator/world.js';
import { extract } from '../../src/extract/extract.js';
import { withRunLock } from '../../src/lock.js';
import { silentLogger } from '../../src/log.js';
import { createRuntime } from '../../src/runtime.js';
import { readRawRecords } from '../support/lake.js';
import { type Moto, type MotoS3, motoS3Client, startMoto } from '../support/moto.js';

describe('extract(runtime) into an S3 lake (moto_server)', () => {
  let moto: Moto;
  let s3: MotoS3;
  let emu: Emulator;

  beforeAll(async () => {
    moto = await startMoto();
    s3 = await motoS3Client(moto.endpoint, ['tunelake-lake']);
    emu = await Emulator.create({ port: 0, tier: 'development', seed: 8 });
  });
  afterAll(async () => {
    await emu?.close();
    s3?.destroy();
    await moto?.stop();
  });

  it('lands the raw zone, the manifest and the state in the bucket, and an unchanged re-run adds nothing', async () => {
    const summary = worldSummary(emu.world);
    const config = loadConfig(
      {
        lake: 's3://tunelake-lake/music',
        s3Endpoint: moto.endpoint,
        sources: { playlists: summary.playlists.owned.map((p) => p.id), artists: [summary.artists[0]!.id] },
      },
      { TUNELAKE_CREDENTIALS: '/nonexistent/credentials.json' },
    );
    const runtime = await createRuntime(config, { emulator: emu, logger: silentLogger, s3Client: s3 });
    try {
      // The lock is taken by whoever starts the work, and released on S3 with a conditional delete.
      const first = await withRunLock(runtime.store, 'extract-s3', () =>
        extract(runtime, { now: runtime.now }),
      );
      expect(first.errors).toEqual([]);
      expect(runtime.store.location).toBe('s3://tunelake-lake/music');
      const records = await readRawRecords(runtime.store);
      expect(records.length).toBe(Object.values(first.records).reduce((a, b) => a + b, 0));
      expect(await runtime.store.head('state/extract.json')).toBeDefined();
      expect(await runtime.store.head(`runs/${first.runId}.json`)).toBeDefined();
      expect(await runtime.store.head('state/lock.json')).toBeUndefined();

      const second = await extract(runtime, { now: runtime.now });
      expect(second.records).toEqual({});
      expect((await readRawRecords(runtime.store)).length).toBe(records.length);
    } finally {
      await runtime.close();
    }
  });
});
