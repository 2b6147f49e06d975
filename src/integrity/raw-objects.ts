// Raw objects checked against what their run manifest recorded when it committed them (#17): the
// sha256 and byte count of the gzipped object, and its record count. A raw object shorter or other
// than its manifest says is damage (a replaced part, a truncated copy, bit rot): the transform stops
// with STORAGE_CORRUPT (exit 7) naming the object, instead of building tables with fewer rows.
// Manifests written before checksums were recorded carry no sha256: their objects are checked by
// byte and record count only.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { TunelakeError } from '../errors.js';
import type { ObjectStore } from '../storage/store.js';

/** Hex sha256 of bytes: what the manifest records per raw object. */
export function sha256Hex(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

interface Recorded {
  key: string;
  records: number;
  bytes: number;
  sha256?: string;
}

/** What one file holds: its bytes, their sha256, and (when asked) its lines once gunzipped. */
async function measure(
  path: string,
  countLines: boolean,
): Promise<{ bytes: number; sha256: string; records?: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  let records = 0;
  const gunzip = countLines ? createGunzip() : undefined;
  const lines = new Promise<void>((resolve, reject) => {
    if (!gunzip) return resolve();
    gunzip.on('data', (chunk: Buffer) => {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) records++;
    });
    gunzip.on('end', resolve);
    gunzip.on('error', reject);
  });
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.byteLength;
    gunzip?.write(chunk);
  }
  gunzip?.end();
  await lines;
  return { bytes, sha256: hash.digest('hex'), ...(countLines ? { records } : {}) };
}

/**
 * Checks the staged copy of every raw object the manifests list against its record. `paths[i]` is
 * the local file of the i-th key of `keys` (stageRawObjects' order). Throws STORAGE_CORRUPT naming
 * the first damaged objects and the repair.
 */
export async function verifyRawObjects(
  store: ObjectStore,
  manifests: ReadonlyArray<{
    runId: string;
    objects: ReadonlyArray<{ key: string; records: number; bytes: number; sha256?: string | undefined }>;
  }>,
  keys: readonly string[],
  paths: readonly string[],
): Promise<void> {
  const recorded = new Map<string, Recorded & { runId: string }>();
  for (const m of manifests) for (const o of m.objects) recorded.set(o.key, { ...o, runId: m.runId });
  const damaged: Array<{ key: string; runId: string; problem: string }> = [];
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const i = next++;
      const key = keys[i]!;
      const want = recorded.get(key);
      if (!want) continue;
      let got: Awaited<ReturnType<typeof measure>>;
      try {
        got = await measure(paths[i]!, want.sha256 === undefined);
      } catch (error) {
        damaged.push({
          key,
          runId: want.runId,
          problem: `it cannot be read as gzip (${(error as Error).message})`,
        });
        continue;
      }
      const problems: string[] = [];
      if (got.bytes !== want.bytes) problems.push(`${got.bytes} bytes, the manifest recorded ${want.bytes}`);
      if (want.sha256 !== undefined && got.sha256 !== want.sha256) {
        problems.push(
          `sha256 ${got.sha256.slice(0, 12)}..., the manifest recorded ${want.sha256.slice(0, 12)}...`,
        );
      }
      if (got.records !== undefined && got.records !== want.records) {
        problems.push(`${got.records} records, the manifest recorded ${want.records}`);
      }
      if (problems.length > 0) damaged.push({ key, runId: want.runId, problem: problems.join('; ') });
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, keys.length) }, worker));
  if (damaged.length === 0) return;
  damaged.sort((a, b) => a.key.localeCompare(b.key));
  const first = damaged[0]!;
  throw new TunelakeError(
    'STORAGE_CORRUPT',
    `${damaged.length} raw object(s) differ from what their run manifest recorded, e.g. ${store.uri(first.key)}: ` +
      `${first.problem}. Nothing was transformed, so no table lost rows. Restore the object from a backup or ` +
      `the original lake; or, to give up that run's data, remove runs/${first.runId}.json and run ` +
      '`tunelake transform --full`.',
    { details: { damaged: damaged.slice(0, 20) } },
  );
}
