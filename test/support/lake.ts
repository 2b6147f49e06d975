// Test helpers that read a lake the way a later stage would: only committed runs (with a manifest).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { committedRunIds, readManifest } from '../../src/extract/manifest.js';
import type { ObjectStore } from '../../src/storage/store.js';

export interface RawRecord {
  dataset: string;
  runId: string;
  context: Record<string, unknown>;
  data: Record<string, unknown>;
}

export async function readRawRecords(store: ObjectStore): Promise<RawRecord[]> {
  const out: RawRecord[] = [];
  for (const runId of await committedRunIds(store)) out.push(...(await readRunRecords(store, runId)));
  return out;
}

/** The records one committed run landed. */
export async function readRunRecords(store: ObjectStore, runId: string): Promise<RawRecord[]> {
  const out: RawRecord[] = [];
  const manifest = await readManifest(store, runId);
  for (const object of manifest.objects) {
    const found = await store.get(object.key);
    if (!found) throw new Error(`manifest ${runId} lists ${object.key}, which does not exist`);
    const text = gunzipSync(found.body).toString('utf8');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const parsed = JSON.parse(line) as {
        context: Record<string, unknown>;
        data: Record<string, unknown>;
      };
      out.push({ dataset: object.dataset, runId, context: parsed.context, data: parsed.data });
    }
  }
  return out;
}

/** Every raw object key (committed or not). */
export async function rawKeys(store: ObjectStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of store.list('raw/')) keys.push(info.key);
  return keys;
}

/**
 * A run-independent fingerprint of a lake's raw content: each record's dataset, the request context
 * that identifies it, and its data, sorted. Two lakes with the same fingerprint landed the same facts.
 */
export function fingerprint(records: RawRecord[]): string[] {
  return records
    .map((r) => {
      const { run_id: _run, fetched_at: _at, request: _req, ...context } = r.context;
      return `${r.dataset} ${JSON.stringify(context)} ${JSON.stringify(r.data)}`;
    })
    .sort();
}

/** md5 of every file under tables/, by path relative to the lake. */
export function tableHashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = createHash('md5').update(readFileSync(p)).digest('hex');
    }
  };
  walk(join(dir, 'tables'));
  return out;
}
