import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTunelakeError } from '../errors.js';
import { DuckDb } from './duckdb.js';
import { sqlString } from './sql-text.js';

describe('DuckDb.all(sql) over a damaged Parquet file', () => {
  it('fails with STORAGE_CORRUPT (exit 7, not a bad argument) and names the repair', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunelake-corrupt-'));
    const path = join(dir, 'part-00000.parquet');
    writeFileSync(path, Buffer.from('PAR1 this is not a parquet file at all, just bytes'));
    const db = await DuckDb.create();
    try {
      const error = await db
        .all(`SELECT count(*) FROM read_parquet(${sqlString(path)})`)
        .catch((e: unknown) => e);
      expect(isTunelakeError(error, 'STORAGE_CORRUPT')).toBe(true);
      expect((error as Error).message).toMatch(/A table file is damaged.*tunelake transform --full/);
    } finally {
      await db.close();
    }
  });

  it('fails with STORAGE_CORRUPT over a file with both magic numbers but no footer (Footer length error)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunelake-corrupt-'));
    const path = join(dir, 'part-00000.parquet');
    writeFileSync(path, 'PAR1 not a parquet file PAR1');
    const db = await DuckDb.create();
    try {
      const error = await db
        .all(`SELECT count(*) FROM read_parquet(${sqlString(path)})`)
        .catch((e: unknown) => e);
      expect(isTunelakeError(error, 'STORAGE_CORRUPT'), String(error)).toBe(true);
      expect((error as Error).message).toMatch(/Footer length error.*tunelake transform --full/);
    } finally {
      await db.close();
    }
  });

  it('still calls a query mistake INVALID_ARGUMENT', async () => {
    const db = await DuckDb.create();
    try {
      const error = await db.all('SELECT nope FROM (SELECT 1 AS yes)').catch((e: unknown) => e);
      expect(isTunelakeError(error, 'INVALID_ARGUMENT')).toBe(true);
    } finally {
      await db.close();
    }
  });
});
