// Test helpers: a raw zone built from hand-written raw lines (test/golden/transform/input/), exactly
// as extract lands them (gzipped NDJSON parts, then a manifest for committed runs), and the tables
// read back with DuckDB.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { RunManifest } from '../../extract/manifest.js';
import type { WrittenObject } from '../../extract/raw-writer.js';
import { emptyState } from '../../extract/state.js';
import { manifestKey, RAW_DATASETS, type RawDataset, rawPartKey } from '../../lake.js';
import { DuckDb, type Row } from '../../query/duckdb.js';
import { sqlString } from '../../query/sql-text.js';
import type { ObjectStore } from '../../storage/store.js';

export const GOLDEN_DIR = new URL('../../../test/golden/transform/', import.meta.url);

export interface FixtureRun {
  runId: string;
  dt: string;
  tier: string;
  /** Runs without a manifest crashed before committing: their objects must be ignored. */
  committed: boolean;
}

export function fixtureRuns(): FixtureRun[] {
  return JSON.parse(readFileSync(new URL('input/runs.json', GOLDEN_DIR), 'utf8')) as FixtureRun[];
}

/** Lands one fixture run from test/golden/transform/input/<runId>/<dataset>.ndjson. */
export async function landFixtureRun(store: ObjectStore, run: FixtureRun): Promise<void> {
  const dir = new URL(`input/${run.runId}/`, GOLDEN_DIR);
  const lines: Record<string, string[]> = {};
  for (const file of readdirSync(dir).sort()) {
    const text = readFileSync(new URL(file, dir), 'utf8');
    lines[file.replace(/\.ndjson$/, '')] = text.split('\n').filter((l) => l !== '');
  }
  await landRun(store, run, lines);
}

/**
 * Lands a run the way extract does: one gzipped NDJSON part per dataset, then (if committed) the
 * manifest. Lines are raw-zone lines, `{"context": {...}, "data": ...}`, as text or as values.
 */
export async function landRun(
  store: ObjectStore,
  run: FixtureRun,
  datasets: Record<string, Array<string | { context: Record<string, unknown>; data: unknown }>>,
): Promise<void> {
  const objects: WrittenObject[] = [];
  const records: Record<string, number> = {};
  for (const [name, entries] of Object.entries(datasets).sort(([a], [b]) => a.localeCompare(b))) {
    const dataset = name as RawDataset;
    if (!RAW_DATASETS.includes(dataset)) throw new Error(`unknown dataset ${name}`);
    const lines = entries.map((e) => (typeof e === 'string' ? e : JSON.stringify(e)));
    const body = gzipSync(`${lines.join('\n')}\n`);
    const key = rawPartKey(dataset, run.dt, run.runId, 0);
    await store.put(key, body, { ifNoneMatch: '*' });
    objects.push({ key, dataset, records: lines.length, bytes: body.byteLength });
    records[dataset] = lines.length;
  }
  if (!run.committed) return;
  const manifest: RunManifest = {
    runId: run.runId,
    status: 'committed',
    dt: run.dt,
    startedAt: `${run.dt}T00:00:00.000Z`,
    finishedAt: `${run.dt}T00:00:01.000Z`,
    tier: run.tier,
    sources: { playlists: 0, artists: 0, search: 0, me: [] },
    records,
    requests: 0,
    retries: 0,
    skipped: [],
    errors: [],
    objects: objects.sort((a, b) => a.key.localeCompare(b.key)),
    stateAfter: { ...emptyState(), lastRunId: run.runId },
  };
  await store.put(manifestKey(run.runId), JSON.stringify(manifest), { ifNoneMatch: '*' });
}

/** Every row of a table in a local lake, partition columns included, in a total order. */
export async function readTable(lakeDir: string, table: string): Promise<Row[]> {
  const files = listParquet(join(lakeDir, 'tables', table));
  if (files.length === 0) return [];
  const db = await DuckDb.create({ threads: 1 });
  try {
    return await db.all(
      `SELECT * FROM read_parquet([${files.map(sqlString).join(', ')}], hive_partitioning = true, hive_types_autocast = false) ORDER BY ALL`,
    );
  } finally {
    await db.close();
  }
}

export function listParquet(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.parquet')) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}
