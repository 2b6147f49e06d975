import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isTunelakeError } from '../errors.js';
import type { RunManifest } from '../extract/manifest.js';
import { createRawWriter } from '../extract/raw-writer.js';
import { emptyState } from '../extract/state.js';
import { createLocalObjectStore } from '../storage/local.js';
import { stageRawObjects } from '../transform/raw-input.js';

const RUN = '20261201T080000Z-abcd';

/** A local lake with one committed run of 300 playlist items, written by the real raw writer. */
async function landed(options: { withChecksums: boolean }) {
  const dir = mkdtempSync(join(tmpdir(), 'tunelake-verify-'));
  const store = createLocalObjectStore({ root: dir });
  const writer = createRawWriter(store, { runId: RUN, dt: '2026-12-01' });
  for (let i = 0; i < 300; i++) {
    await writer.append('playlist_items', { source: 'playlist:x', request: '/x', fetched_at: '' }, { i });
  }
  await writer.flush();
  const objects = writer.objects.map((o) => {
    if (options.withChecksums) return { ...o };
    const { sha256: _sha, ...old } = o;
    return old;
  });
  const manifest = {
    runId: RUN,
    dt: '2026-12-01',
    objects,
    stateAfter: emptyState(),
  } as unknown as RunManifest;
  const key = objects[0]!.key;
  return { dir, store, manifest, key, path: join(dir, ...key.split('/')) };
}

async function stageError(lake: Awaited<ReturnType<typeof landed>>): Promise<unknown> {
  return stageRawObjects(
    lake.store,
    [lake.manifest],
    mkdtempSync(join(tmpdir(), 'tunelake-verify-work-')),
  ).then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** Replaces the object with a valid gzip of its first `keep` lines (the reproduction in #17). */
function truncateTo(path: string, keep: number): void {
  const lines = gunzipSync(readFileSync(path)).toString('utf8').split('\n').slice(0, keep);
  writeFileSync(path, gzipSync(`${lines.join('\n')}\n`));
}

describe('stageRawObjects(store, manifests) verifying raw objects against their manifest', () => {
  it('records sha256, bytes and records per object when the writer commits it', async () => {
    const lake = await landed({ withChecksums: true });
    const [object] = lake.manifest.objects;
    expect(object).toMatchObject({ records: 300, bytes: readFileSync(lake.path).byteLength });
    expect(object!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await stageError(lake)).toBeUndefined();
  });

  it('refuses a part replaced by a valid gzip of its first 100 lines: STORAGE_CORRUPT naming the object', async () => {
    const lake = await landed({ withChecksums: true });
    truncateTo(lake.path, 100);
    const error = await stageError(lake);
    expect(isTunelakeError(error, 'STORAGE_CORRUPT')).toBe(true);
    expect((error as Error).message).toContain(lake.key);
    expect((error as Error).message).toMatch(/manifest recorded/);
    expect((error as Error).message).toContain(`runs/${RUN}.json`);
  });

  it('refuses a part whose bytes changed but whose size did not (sha256)', async () => {
    const lake = await landed({ withChecksums: true });
    const bytes = readFileSync(lake.path);
    bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 0xff;
    writeFileSync(lake.path, bytes);
    const error = await stageError(lake);
    expect(isTunelakeError(error, 'STORAGE_CORRUPT')).toBe(true);
    expect((error as Error).message).toMatch(/sha256/);
  });

  it('checks an older manifest without sha256 by bytes and records, and accepts it untouched', async () => {
    const lake = await landed({ withChecksums: false });
    expect(await stageError(lake)).toBeUndefined();
    truncateTo(lake.path, 100);
    const error = await stageError(lake);
    expect(isTunelakeError(error, 'STORAGE_CORRUPT')).toBe(true);
    expect((error as Error).message).toMatch(/100 records, the manifest recorded 300/);
  });
});
