// loadRaw over a raw object that an older tunelake landed with one record larger than DuckDB reads
// (#17: a 50 MB record committed, then every later transform failed, calling the object damaged).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDb } from '../query/duckdb.js';
import { loadRaw } from './raw-input.js';
import { macrosSql } from './tables.js';

const RUN_ID = '20261103T120000Z-abcdef';
let dir: string;
let db: DuckDb;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tunelake-raw-input-'));
  db = await DuckDb.create({ threads: 1 });
  await db.run(macrosSql());
});
afterAll(async () => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

function rawObject(dataset: string, descriptions: string[]): string {
  const folder = join(dir, 'lake', 'raw', dataset, 'dt=2026-11-03', `run=${RUN_ID}`);
  mkdirSync(folder, { recursive: true });
  const lines = descriptions.map((description, i) =>
    JSON.stringify({
      context: { source: `playlist:p${i}`, request: `/playlists/p${i}`, fetched_at: '2026-11-03T12:00:00Z' },
      data: { id: `37i9dQZF1DXcBWIGoYBM5${i}`, name: `playlist ${i}`, description },
    }),
  );
  const path = join(folder, 'part-00000.ndjson.gz');
  writeFileSync(path, gzipSync(`${lines.join('\n')}\n`));
  return path;
}

describe('loadRaw(db, paths)', () => {
  it('reads records up to the extract record size limit (16 MB at most)', async () => {
    const path = rawObject('playlists', ['short', 'd'.repeat(15_999_000)]);
    await loadRaw(db, [path]);
    const [row] = await db.all(
      'SELECT count(*) AS n, max(length(d.description)) AS longest FROM raw_playlists',
    );
    expect(row).toEqual({ n: 2, longest: 15_999_000 });
  });

  it('names the object, the run to leave out and the fix for a record larger than DuckDB reads, not "damaged"', async () => {
    const path = rawObject('my_playlists', ['short', 'd'.repeat(40_000_000)]);
    const error = await loadRaw(db, [path]).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(error?.code).toBe('STORAGE_FAILED');
    expect(error?.message).toContain(path);
    expect(error?.message).toContain(`runs/${RUN_ID}.json`);
    expect(error?.message).toContain('tunelake transform --full');
    expect(error?.message).toContain('TUNELAKE_MAX_RECORD_BYTES');
    expect(error?.message).not.toMatch(/restore the damaged object/);
  }, 60_000);
});
