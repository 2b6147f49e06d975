// The DuckDB engine beyond the shared contract (test/contract/query-engine.test.ts): how values come
// back, which statements it takes, and how it reads tables that are not plain Hive-partitioned Parquet.
// Real components only: a temp-dir lake, the local catalog, DuckDB writing the Parquet files.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Catalog, TableInput } from '../catalog/catalog.js';
import { inheritedPartitionInput, parquetTableInput } from '../catalog/table-input.js';
import { isTunelakeError } from '../errors.js';
import { createLogger } from '../log.js';
import { createCatalog, createObjectStore } from '../runtime.js';
import type { ObjectStore } from '../storage/store.js';
import { DuckDb } from './duckdb.js';
import { converterFor, createDuckDbEngine } from './duckdb-engine.js';
import type { QueryEngine } from './engine.js';

let dir: string;
let store: ObjectStore;
let catalog: Catalog;
let engine: QueryEngine;
const warnings: string[] = [];

async function putParquet(key: string, select: string): Promise<void> {
  const path = join(dir, 'scratch.parquet');
  const db = await DuckDb.create();
  try {
    await db.run(`COPY (${select}) TO '${path}' (FORMAT parquet)`);
  } finally {
    await db.close();
  }
  await store.put(key, await readFile(path));
}

function table(name: string, options: Partial<Parameters<typeof parquetTableInput>[0]> = {}): TableInput {
  return parquetTableInput({
    name,
    location: store.uri(`tables/${name}`),
    columns: [{ Name: 'id', Type: 'int' }],
    ...options,
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tunelake-duckdb-engine-'));
  const lake = join(dir, 'lake');
  store = createObjectStore({ lake, s3Endpoint: undefined, awsRegion: 'us-east-1' });
  catalog = createCatalog(
    { catalog: 'local', lake, s3Endpoint: undefined, awsRegion: 'us-east-1' },
    { store },
  );
  await catalog.ensureDatabase('tunelake');

  // Partitions whose folders do not spell their values (registered by hand, or moved).
  const moved = table('moved', { partitionKeys: [{ Name: 'snapshot_date', Type: 'string' }] });
  await catalog.upsertTable('tunelake', moved);
  await putParquet('tables/moved/a/part-00000.parquet', 'SELECT 1 AS id');
  await putParquet('tables/moved/b/part-00000.parquet', 'SELECT 2 AS id UNION ALL SELECT 3');
  await catalog.putPartitions('tunelake', 'moved', [
    inheritedPartitionInput(moved, { values: ['2026-11-01'], location: store.uri('tables/moved/a') }),
    inheritedPartitionInput(moved, { values: ['2026-11-02'], location: store.uri('tables/moved/b') }),
  ]);

  // Partition projection: Athena ignores the catalog's partitions (there are none) and reads the folders.
  await catalog.upsertTable(
    'tunelake',
    table('projected', {
      partitionKeys: [{ Name: 'dt', Type: 'string' }],
      parameters: { 'projection.enabled': 'true', 'projection.dt.type': 'date' },
    }),
  );
  await putParquet('tables/projected/dt=2026-11-01/part-00000.parquet', 'SELECT 7 AS id');
  await putParquet('tables/projected/dt=2026-11-02/part-00000.parquet', 'SELECT 8 AS id');

  // A partition key declared as a date reads as a DATE.
  const dated = table('dated', { partitionKeys: [{ Name: 'day', Type: 'date' }] });
  await catalog.upsertTable('tunelake', dated);
  await putParquet('tables/dated/day=2026-11-05/part-00000.parquet', 'SELECT 5 AS id');
  await catalog.putPartitions('tunelake', 'dated', [
    inheritedPartitionInput(dated, {
      values: ['2026-11-05'],
      location: store.uri('tables/dated/day=2026-11-05'),
    }),
  ]);

  // Tables DuckDB cannot read: a CSV table, and one whose Location is outside the lake.
  const csv = table('csv_table');
  await catalog.upsertTable('tunelake', {
    ...csv,
    StorageDescriptor: {
      ...csv.StorageDescriptor,
      SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe' },
      InputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
    },
    Parameters: { classification: 'csv' },
  });
  await catalog.upsertTable(
    'tunelake',
    parquetTableInput({
      name: 'elsewhere',
      location: 's3://other-bucket/t/',
      columns: [{ Name: 'id', Type: 'int' }],
    }),
  );

  // An unpartitioned table whose file is deleted behind the engine's back.
  await catalog.upsertTable('tunelake', table('volatile'));
  await putParquet('tables/volatile/part-00000.parquet', 'SELECT 1 AS id');
  await putParquet('tables/volatile/part-00001.parquet', 'SELECT 2 AS id');

  const logger = createLogger({ level: 'warn', format: 'text', write: (line) => warnings.push(line) });
  engine = await createDuckDbEngine({}, { store, catalog, logger });
});

afterAll(async () => {
  await engine?.close();
  await catalog?.close();
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('createDuckDbEngine(config, deps).query(sql)', () => {
  test('types values as the port promises: ISO timestamps, exact decimals, maps as objects, JSON parsed', async () => {
    const result = await engine.query(`SELECT
        TIMESTAMPTZ '2026-11-01 08:00:00.25+02' AS tz,
        TIMESTAMP_MS '2026-11-01 08:00:00.5' AS ms,
        {'at': TIMESTAMP '2026-11-01 00:00:00', 'amount': 12.50::DECIMAL(10,2)} AS nested,
        [TIMESTAMP '2026-01-01 12:00:00'] AS list,
        MAP {'k': TIMESTAMP '2026-02-02 02:02:02'} AS map,
        12345678901234567.89::DECIMAL(38,2) AS big_decimal,
        170141183460469231731687303715884105727::HUGEINT AS huge,
        '{"a": [1, 2]}'::JSON AS doc,
        DATE '2026-11-01' AS day,
        true AS yes`);
    expect(result.rows).toEqual([
      {
        tz: '2026-11-01T06:00:00.250Z',
        ms: '2026-11-01T08:00:00.500Z',
        nested: { at: '2026-11-01T00:00:00.000Z', amount: 12.5 },
        list: ['2026-01-01T12:00:00.000Z'],
        map: { k: '2026-02-02T02:02:02.000Z' },
        big_decimal: '12345678901234567.89',
        huge: '170141183460469231731687303715884105727',
        doc: { a: [1, 2] },
        day: '2026-11-01',
        yes: true,
      },
    ]);
    expect(result.columns.map((c) => c.type)).toEqual([
      'TIMESTAMP WITH TIME ZONE',
      'TIMESTAMP_MS',
      'STRUCT("at" TIMESTAMP, amount DECIMAL(10,2))',
      'TIMESTAMP[]',
      'MAP(VARCHAR, TIMESTAMP)',
      'DECIMAL(38,2)',
      'HUGEINT',
      'JSON',
      'DATE',
      'BOOLEAN',
    ]);
    expect(result.stats?.durationMs).toBeGreaterThanOrEqual(0);
  });

  test('gives repeated column names a suffix instead of losing a value', async () => {
    const result = await engine.query('SELECT 1 AS a, 2 AS a, 3 AS a_2 ORDER BY 1 -- a comment');
    expect(result.columns.map((c) => c.name)).toEqual(['a', 'a_3', 'a_2']);
    expect(result.rows).toEqual([{ a: 1, a_3: 2, a_2: 3 }]);
  });

  test('runs one statement per query, and other statements than SELECT when not read-only', async () => {
    const error = await engine.query('SELECT 1; SELECT 2').catch((e: unknown) => e);
    expect(isTunelakeError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect((error as Error).message).toBe('Expected one SQL statement, got 2: run them one at a time.');
    const shown = await engine.query('SHOW TABLES');
    expect(shown.columns).toEqual([{ name: 'name', type: 'UNKNOWN' }]);
    expect(shown.rows.map((r) => r.name)).toEqual(
      expect.arrayContaining(['moved', 'projected', 'dated', 'csv_table', 'elsewhere', 'volatile']),
    );
  });

  test('points at the crawler when a table is not in the catalog', async () => {
    await expect(engine.query('SELECT * FROM not_crawled')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(
        /^Query failed: Catalog Error: Table with name not_crawled does not exist!.*tunelake crawl/,
      ),
    });
  });

  test('refuses an unknown database', async () => {
    await expect(engine.query('SELECT 1', { database: 'nope' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'Unknown database "nope": expected "tunelake" or "tunelake_raw".',
    });
  });

  test('takes partition values from the catalog when the folders do not spell them', async () => {
    const result = await engine.query('SELECT id, snapshot_date FROM moved ORDER BY id');
    expect(result.rows).toEqual([
      { id: 1, snapshot_date: '2026-11-01' },
      { id: 2, snapshot_date: '2026-11-02' },
      { id: 3, snapshot_date: '2026-11-02' },
    ]);
  });

  test('reads the folders of a table with partition projection', async () => {
    const result = await engine.query('SELECT id, dt FROM projected ORDER BY id');
    expect(result.rows).toEqual([
      { id: 7, dt: '2026-11-01' },
      { id: 8, dt: '2026-11-02' },
    ]);
  });

  test('casts a partition key to its declared type', async () => {
    const result = await engine.query('SELECT id, day FROM dated');
    expect(result.columns).toEqual([
      { name: 'id', type: 'INTEGER' },
      { name: 'day', type: 'DATE' },
    ]);
    expect(result.rows).toEqual([{ id: 5, day: '2026-11-05' }]);
  });

  test('a table it cannot read fails with the reason, and only when it is queried', async () => {
    await expect(engine.query('SELECT * FROM csv_table')).rejects.toMatchObject({
      message: expect.stringContaining('Table tunelake.csv_table cannot be read: its format'),
    });
    await expect(engine.query('SELECT * FROM elsewhere')).rejects.toMatchObject({
      message: expect.stringContaining('its Location s3://other-bucket/t/ is outside the lake'),
    });
    expect(warnings.some((w) => w.includes('Table tunelake.csv_table cannot be read'))).toBe(true);
    // Its columns are still known, so a query that does not read it works.
    expect((await engine.query('SELECT * FROM csv_table LIMIT 0')).columns).toEqual([
      { name: 'id', type: 'INTEGER' },
    ]);
  });

  test('reads the catalog again when a file it knew is gone, and answers', async () => {
    expect((await engine.query('SELECT sum(id) AS s FROM volatile')).rows).toEqual([{ s: 3 }]);
    await store.delete('tables/volatile/part-00001.parquet');
    expect((await engine.query('SELECT sum(id) AS s FROM volatile')).rows).toEqual([{ s: 1 }]);
  });

  test('answers queries that overlap a refresh', async () => {
    const queries = Array.from({ length: 8 }, (_, i) =>
      engine.query(`SELECT ${i} AS i, count(*) AS n FROM moved`),
    );
    const refreshed = engine.refresh();
    const more = Array.from({ length: 4 }, () => engine.query('SELECT count(*) AS n FROM projected'));
    const results = await Promise.all([...queries, refreshed, ...more]);
    expect(results.slice(0, 8).map((r) => (r as { rows: unknown[] }).rows)).toEqual(
      Array.from({ length: 8 }, (_, i) => [{ i, n: 3 }]),
    );
    expect(results.slice(9).map((r) => (r as { rows: unknown[] }).rows)).toEqual(
      Array.from({ length: 4 }, () => [{ n: 2 }]),
    );
  });
});

describe('createDuckDbEngine(config, deps).close()', () => {
  test('closes for good: a later query is refused', async () => {
    const other = await createDuckDbEngine({}, { store, catalog });
    await other.close();
    await other.close();
    await expect(other.query('SELECT 1')).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});

describe('converterFor(duckDbType)', () => {
  test('understands nested and quoted types, and keeps what it does not know', () => {
    expect(converterFor('STRUCT("a b" TIMESTAMP, "x""y" DECIMAL(4,1))[]')).toEqual({
      kind: 'list',
      element: {
        kind: 'struct',
        fields: new Map([
          ['a b', { kind: 'timestamp' }],
          ['x"y', { kind: 'decimal' }],
        ]),
      },
    });
    expect(converterFor('INTEGER[2]')).toEqual({ kind: 'list', element: { kind: 'keep' } });
    expect(converterFor("ENUM('a', 'b''c')")).toEqual({ kind: 'keep' });
    expect(converterFor('MAP(VARCHAR, UBIGINT)')).toEqual({
      kind: 'map',
      key: { kind: 'keep' },
      value: { kind: 'bigint' },
    });
    expect(converterFor('STRUCT(broken')).toEqual({ kind: 'keep' });
  });
});
