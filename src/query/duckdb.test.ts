import { describe, expect, it } from 'vitest';
import { isTunelakeError } from '../errors.js';
import { DuckDb } from './duckdb.js';
import { sqlIdentifier, sqlString } from './sql-text.js';

describe('DuckDb.all(sql)', () => {
  it('returns plain JSON rows, with BIGINTs as numbers only while they are safe', async () => {
    const db = await DuckDb.create({ threads: 1 });
    try {
      const rows = await db.all(`
        SELECT 42::BIGINT AS small, 9007199254740993::BIGINT AS big, 7::INTEGER AS int,
          TIMESTAMP '2026-11-01 10:00:00.123' AS ts, DATE '2026-11-01' AS d, ['a', NULL] AS list,
          {'n': 1::BIGINT} AS struct, NULL AS nothing
      `);
      expect(rows).toEqual([
        {
          small: 42,
          big: '9007199254740993',
          int: 7,
          ts: '2026-11-01 10:00:00.123',
          d: '2026-11-01',
          list: ['a', null],
          struct: { n: 1 },
          nothing: null,
        },
      ]);
    } finally {
      await db.close();
    }
  });

  it('works in UTC whatever the machine says', async () => {
    const db = await DuckDb.create({ threads: 1 });
    try {
      const [row] = await db.all(
        `SELECT current_setting('TimeZone') AS tz, CAST('2026-11-01T10:00:00+02:00' AS TIMESTAMPTZ)::VARCHAR AS t`,
      );
      expect(row).toEqual({ tz: 'UTC', t: '2026-11-01 08:00:00+00' });
    } finally {
      await db.close();
    }
  });
});

describe('DuckDb.run(sql)', () => {
  it('runs several statements and maps DuckDB errors to TunelakeErrors', async () => {
    const db = await DuckDb.create({ threads: 1 });
    try {
      await db.run(`CREATE TEMP TABLE t AS SELECT 1 AS x; INSERT INTO t VALUES (2)`);
      expect(await db.all('SELECT sum(x) AS s FROM t')).toEqual([{ s: 3 }]);
      const syntax = await db.run('SELEC 1').catch((e: unknown) => e);
      expect(isTunelakeError(syntax, 'INVALID_ARGUMENT')).toBe(true);
      expect((syntax as Error).message).toMatch(/^DuckDB could not run: Parser Error/);
      const missing = await db
        .all(`SELECT * FROM read_parquet('/nonexistent/x.parquet')`)
        .catch((e: unknown) => e);
      expect(isTunelakeError(missing, 'STORAGE_FAILED')).toBe(true);
    } finally {
      await db.close();
    }
  });

  it('never installs an extension: an s3:// path fails instead of downloading httpfs', async () => {
    const db = await DuckDb.create({ threads: 1 });
    try {
      const error = await db
        .all(`SELECT * FROM read_parquet('s3://bucket/x.parquet')`)
        .catch((e: unknown) => e);
      expect(isTunelakeError(error)).toBe(true);
      const [row] = await db.all(
        `SELECT count(*) AS n FROM duckdb_extensions() WHERE extension_name = 'httpfs' AND loaded`,
      );
      expect(row).toEqual({ n: 0 });
    } finally {
      await db.close();
    }
  });

  it('refuses work after close()', async () => {
    const db = await DuckDb.create({ threads: 1 });
    await db.close();
    await db.close();
    const error = await db.run('SELECT 1').catch((e: unknown) => e);
    expect(isTunelakeError(error, 'INTERNAL')).toBe(true);
  });
});

describe('DuckDb.connect()', () => {
  it('opens another connection to the same tables, in UTC, running statements alongside the first', async () => {
    const db = await DuckDb.create();
    try {
      const other = await db.connect();
      await db.run('CREATE TABLE t AS SELECT range AS n FROM range(5)');
      expect(await other.all('SELECT sum(n) AS s FROM t')).toEqual([{ s: 10 }]);
      expect(await other.all("SELECT current_setting('TimeZone') AS tz")).toEqual([{ tz: 'UTC' }]);
      // Two statements in flight at once, one per connection.
      const [a, b] = await Promise.all([
        db.all('SELECT count(*) AS n FROM range(200000) r, t'),
        other.all('SELECT count(*) AS n FROM range(100000) r, t'),
      ]);
      expect([a, b]).toEqual([[{ n: 1_000_000 }], [{ n: 500_000 }]]);
      // A temp table is its connection's own.
      await other.run('CREATE TEMP TABLE mine AS SELECT 1 AS x');
      await expect(db.all('SELECT * FROM mine')).rejects.toThrow(/mine/);
    } finally {
      await db.close();
    }
  });

  it('closing the other connection leaves the database open; closing the database closes both', async () => {
    const db = await DuckDb.create();
    const other = await db.connect();
    await other.close();
    await expect(other.all('SELECT 1 AS x')).rejects.toThrow(/closed/);
    expect(await db.all('SELECT 1 AS x')).toEqual([{ x: 1 }]);
    const third = await db.connect();
    await db.close();
    await expect(third.all('SELECT 1 AS x')).rejects.toThrow(/closed/);
  });
});

describe('sqlString(value) and sqlIdentifier(name)', () => {
  it('quote values and names so that DuckDB reads them back unchanged', async () => {
    const db = await DuckDb.create({ threads: 1 });
    try {
      const value = `it's "quoted"; -- not a comment`;
      const [row] = await db.all(`SELECT ${sqlString(value)} AS ${sqlIdentifier('we"ird col')}`);
      expect(row).toEqual({ 'we"ird col': value });
    } finally {
      await db.close();
    }
  });
});
