// Table files checked against what the transform recorded when it committed them (#17): the
// transform state (state/transform.json `files`) holds each file's size, etag and sha256. A deleted
// partition, a file replaced by another day's valid one, or a stray file are found here.
//
// Two depths: the listing alone (size and etag, one LIST, no download) is what every transform does
// before it trusts the tables; hashing every file (sha256) is what `tunelake verify` adds, and it
// catches what keeps the size and etag (bit rot under an unchanged local etag stamp).
import { createHash } from 'node:crypto';
import { TABLES_PREFIX } from '../lake.js';
import { type ObjectInfo, type ObjectStore, sameEtag } from '../storage/store.js';
import type { TableFileRecord } from '../transform/state.js';

export interface TableFileProblem {
  key: string;
  kind: 'missing' | 'changed' | 'unexpected';
  problem: string;
}

export interface CheckTableFilesOptions {
  /** Also read every file and compare its sha256 (downloads every table file from S3). */
  hash?: boolean;
  /** Called after each file hashed. */
  onHashed?: (done: number, total: number) => void;
}

/** Every difference between the lake's table files and the recorded ones, sorted by key. */
export async function checkTableFiles(
  store: ObjectStore,
  recorded: Readonly<Record<string, TableFileRecord>>,
  options: CheckTableFilesOptions = {},
): Promise<TableFileProblem[]> {
  const listed = new Map<string, ObjectInfo>();
  for await (const info of store.list(TABLES_PREFIX)) listed.set(info.key, info);
  const problems: TableFileProblem[] = [];
  const toHash: Array<[string, TableFileRecord]> = [];
  for (const [key, want] of Object.entries(recorded)) {
    const got = listed.get(key);
    if (!got) {
      problems.push({
        key,
        kind: 'missing',
        problem: `it is missing (the transform wrote ${want.rows} rows there)`,
      });
    } else if (got.size !== want.bytes || !sameEtag(got.etag, want.etag)) {
      problems.push({
        key,
        kind: 'changed',
        problem:
          got.size !== want.bytes
            ? `${got.size} bytes, the transform wrote ${want.bytes}`
            : `etag ${got.etag}, the transform wrote ${want.etag}`,
      });
    } else if (options.hash) {
      toHash.push([key, want]);
    }
  }
  for (const key of listed.keys()) {
    if (!(key in recorded)) {
      problems.push({
        key,
        kind: 'unexpected',
        problem: 'the transform did not write it (a copied or left-over file)',
      });
    }
  }
  let done = 0;
  for (const [key, want] of toHash) {
    const got = await sha256OfObject(store, key);
    if (got === undefined) problems.push({ key, kind: 'missing', problem: 'it vanished while being read' });
    else if (got !== want.sha256) {
      problems.push({
        key,
        kind: 'changed',
        problem: `sha256 ${got.slice(0, 12)}..., the transform wrote ${want.sha256.slice(0, 12)}... (same size and etag)`,
      });
    }
    options.onHashed?.(++done, toHash.length);
  }
  return problems.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Hex sha256 of an object's bytes, streamed; undefined when it does not exist. */
export async function sha256OfObject(store: ObjectStore, key: string): Promise<string | undefined> {
  const stream = await store.getStream(key);
  if (!stream) return undefined;
  const hash = createHash('sha256');
  for await (const chunk of stream as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}
