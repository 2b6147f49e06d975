import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDb } from '../query/duckdb.js';
import { sqlString } from '../query/sql-text.js';
import { writeTable } from './publish.js';

let db: DuckDb;
let dir: string;

// 12 monthly partitions, rows inserted in no partition order (as a built table's rows are), with a
// few thousand rows so that the table spans more than one vector.
const MONTHS = Array.from({ length: 12 }, (_, i) => `2024-${String(i + 1).padStart(2, '0')}-01`);

beforeEach(async () => {
  db = await DuckDb.create({ threads: 2 });
  dir = mkdtempSync(join(tmpdir(), 'tunelake-publish-test-'));
  await db.run(`
    CREATE TABLE streams AS
    SELECT
      'k' || lpad(CAST(i AS VARCHAR), 6, '0') AS stream_key,
      CAST(i * 7 % 1000 AS BIGINT) AS ms_played,
      CASE WHEN i % 5 = 0 THEN NULL ELSE 'track ' || CAST(i % 97 AS VARCHAR) END AS track_name,
      [${MONTHS.map(sqlString).join(', ')}][CAST(hash(i) % 12 AS BIGINT) + 1] AS ended_month
    FROM range(5000) t(i)
    ORDER BY hash(i * 31)
  `);
  // writeTable runs after build(), which turns insertion order back on.
  await db.run('SET preserve_insertion_order = true');
});

afterEach(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('writeTable(db, table, columns, partitionKey, partitions, outDir)', () => {
  const columns = ['stream_key', 'ms_played', 'track_name'];

  it('writes many partitions with the same bytes as one partition at a time, each with its own rows in order', async () => {
    // 12 partitions (publish.ts copies the table in partition order from 8 on); one: filtered directly.
    const together = await writeTable(db, 'streams', columns, 'ended_month', MONTHS, join(dir, 'a'));
    expect(together.map((f) => f.values[0])).toEqual(MONTHS);
    expect(together.reduce((n, f) => n + f.rows, 0)).toBe(5000);
    expect(
      await db.all("SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'streams__write'"),
    ).toEqual([{ n: 0 }]);

    for (const file of together) {
      // One partition: filtered straight from the table.
      const [alone] = await writeTable(db, 'streams', columns, 'ended_month', file.values, join(dir, 'b'));
      expect(alone?.key).toBe(file.key);
      expect(readFileSync(alone!.path).equals(readFileSync(file.path))).toBe(true);

      const written = await db.all(
        `SELECT * FROM read_parquet(${sqlString(file.path)}, hive_partitioning = false)`,
      );
      const expected = await db.all(
        `SELECT stream_key, ms_played, track_name FROM streams WHERE ended_month = ${sqlString(file.values[0]!)} ORDER BY ALL`,
      );
      expect(written).toEqual(expected);
      expect(written.length).toBe(file.rows);
    }
  });

  it('skips partitions without rows and writes only the partitions asked for', async () => {
    const asked = [...MONTHS.slice(0, 9), '2030-01-01'];
    const files = await writeTable(db, 'streams', columns, 'ended_month', asked, join(dir, 'c'));
    expect(files.map((f) => f.values[0])).toEqual(MONTHS.slice(0, 9));
    const [row] = await db.all(
      `SELECT count(*) AS n FROM streams WHERE ended_month IN (${MONTHS.slice(0, 9).map(sqlString).join(', ')})`,
    );
    expect(files.reduce((n, f) => n + f.rows, 0)).toBe(Number(row?.n));
  });
});
