// One contract for the DuckDB QueryEngine, on every kind of lake: the same tests run on a local folder
// and on S3 (moto_server), where the engine reads through its local cache. The lake is built here:
// Parquet files written by DuckDB, registered in the local catalog the way the crawler registers them,
// plus a raw NDJSON table. Athena runs no SQL on moto, so its tests live in src/query/athena.test.ts.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Catalog, Column, TableInput } from '../../src/catalog/catalog.js';
import { inheritedPartitionInput, jsonTableInput, parquetTableInput } from '../../src/catalog/table-input.js';
import { loadConfig } from '../../src/config.js';
import { isTunelakeError } from '../../src/errors.js';
import { DuckDb } from '../../src/query/duckdb.js';
import type { QueryEngine } from '../../src/query/engine.js';
import { createCatalog, createObjectStore, createQueryEngine } from '../../src/runtime.js';
import type { ObjectStore } from '../../src/storage/store.js';
import { type Moto, motoClientConfig, startMoto } from '../support/moto.js';

const REGION = 'us-east-1';

interface Lake {
  store: ObjectStore;
  catalog: Catalog;
  /** Where the engine mirrors an S3 lake. */
  cacheDir: string;
  /** Counts the object downloads the engine makes (S3 only). */
  downloads: string[];
  stop(): Promise<void>;
}

let moto: Moto | undefined;
let s3: S3Client | undefined;
const workDirs: string[] = [];

async function tempDir(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `tunelake-query-${name}-`));
  workDirs.push(dir);
  return dir;
}

/** Wraps a store so that a test can see which objects were downloaded. */
function counting(store: ObjectStore, downloads: string[]): ObjectStore {
  return Object.assign(Object.create(store) as ObjectStore, {
    getStream: async (key: string) => {
      downloads.push(key);
      return store.getStream(key);
    },
    get: async (key: string) => {
      downloads.push(key);
      return store.get(key);
    },
  });
}

const LAKES: Array<{ name: string; open(): Promise<Lake> }> = [
  {
    name: 'a local lake',
    async open() {
      const dir = await tempDir('local');
      const lake = join(dir, 'lake');
      const store = createObjectStore({ lake, s3Endpoint: undefined, awsRegion: REGION });
      const catalog = createCatalog(
        { catalog: 'local', lake, s3Endpoint: undefined, awsRegion: REGION },
        { store },
      );
      return {
        store,
        catalog,
        cacheDir: join(dir, 'cache'),
        downloads: [],
        async stop() {
          await catalog.close();
          await store.close();
        },
      };
    },
  },
  {
    name: 'an S3 lake (moto)',
    async open() {
      moto ??= await startMoto();
      s3 ??= new S3Client(motoClientConfig(moto.endpoint));
      const bucket = `tunelake-query-${Math.random().toString(36).slice(2, 10)}`;
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      const lake = `s3://${bucket}/lake`;
      const config = { lake, s3Endpoint: moto.endpoint, awsRegion: REGION };
      const store = createObjectStore(config, { s3Client: s3 });
      const catalog = createCatalog({ catalog: 'local', ...config }, { store });
      const downloads: string[] = [];
      return {
        store: counting(store, downloads),
        catalog,
        cacheDir: join(await tempDir('s3'), 'cache'),
        downloads,
        async stop() {
          await catalog.close();
          await store.close();
        },
      };
    },
  },
];

/** Writes the result of `select` as one Parquet object at `key`. */
async function putParquet(store: ObjectStore, key: string, select: string): Promise<void> {
  const dir = await tempDir('parquet');
  const path = join(dir, 'part.parquet');
  const db = await DuckDb.create();
  try {
    await db.run(`COPY (${select}) TO '${path}' (FORMAT parquet)`);
  } finally {
    await db.close();
  }
  await store.put(key, await readFile(path));
}

const TRACK_COLUMNS: Column[] = [
  { Name: 'id', Type: 'bigint' },
  { Name: 'name', Type: 'string' },
  { Name: 'artists', Type: 'array<struct<id:string,name:string>>' },
  { Name: 'added_at', Type: 'timestamp' },
  { Name: 'price', Type: 'decimal(10,2)' },
  { Name: 'tags', Type: 'map<string,int>' },
  { Name: 'popularity', Type: 'int' },
];
const SNAPSHOT: Column[] = [{ Name: 'snapshot_date', Type: 'string' }];

function tracksTable(store: ObjectStore): TableInput {
  return parquetTableInput({
    name: 'tracks',
    location: store.uri('tables/tracks'),
    columns: TRACK_COLUMNS,
    partitionKeys: SNAPSHOT,
  });
}

async function addTracksPartition(lake: Lake, date: string, select: string, register = true): Promise<void> {
  const prefix = `tables/tracks/snapshot_date=${date}/`;
  await putParquet(lake.store, `${prefix}part-00000.parquet`, select);
  if (register) {
    await lake.catalog.putPartitions('tunelake', 'tracks', [
      inheritedPartitionInput(tracksTable(lake.store), {
        values: [date],
        location: lake.store.uri(prefix.slice(0, -1)),
      }),
    ]);
  }
}

/** Two partitions of tracks (the second written with narrower types and without two columns), an empty
 * table, an unpartitioned table, and a raw NDJSON table partitioned by dt and run. */
async function buildLake(lake: Lake): Promise<void> {
  const { store, catalog } = lake;
  await catalog.ensureDatabase('tunelake');
  await catalog.ensureDatabase('tunelake_raw');
  await catalog.upsertTable('tunelake', tracksTable(store));
  await addTracksPartition(
    lake,
    '2026-11-01',
    `SELECT * FROM (VALUES
       (1::BIGINT, 'One', [{'id': 'a1', 'name': 'Ann'}], TIMESTAMP '2026-11-01 08:00:00.123', 1.50::DECIMAL(10,2), MAP {'x': 1}, 10),
       (2::BIGINT, 'Two, "quoted"', [], TIMESTAMP '2026-11-01 09:30:00', 20.00::DECIMAL(10,2), MAP {}, 20),
       (3::BIGINT, 'Three', NULL, NULL, NULL, NULL, NULL)
     ) AS t(id, name, artists, added_at, price, tags, popularity)`,
  );
  // Schema drift: id written as INTEGER, popularity as BIGINT, no tags and no price column at all.
  await addTracksPartition(
    lake,
    '2026-11-02',
    `SELECT 4::INTEGER AS id, 'Four' AS name, [{'id': 'b2', 'name': 'Bo'}] AS artists,
            TIMESTAMP '2026-11-02 10:00:00' AS added_at, 40::BIGINT AS popularity`,
  );
  // A Hive-hidden file in a partition is not data (Athena skips `_` and `.` names).
  await putParquet(store, 'tables/tracks/snapshot_date=2026-11-02/_SUCCESS.parquet', 'SELECT 99 AS id');

  await catalog.upsertTable(
    'tunelake',
    parquetTableInput({
      name: 'artist_snapshots',
      location: store.uri('tables/artist_snapshots'),
      columns: [
        { Name: 'artist_id', Type: 'string' },
        { Name: 'followers', Type: 'bigint' },
      ],
      partitionKeys: SNAPSHOT,
    }),
  );

  await catalog.upsertTable(
    'tunelake',
    parquetTableInput({
      name: 'releases',
      location: store.uri('tables/releases'),
      columns: [
        { Name: 'album_id', Type: 'string' },
        { Name: 'release_date', Type: 'date' },
        { Name: 'big', Type: 'bigint' },
      ],
    }),
  );
  await putParquet(
    store,
    'tables/releases/part-00000.parquet',
    `SELECT * FROM (VALUES ('al1', DATE '2026-10-30', 9007199254740993::BIGINT), ('al2', DATE '2026-11-01', 5::BIGINT))
       AS t(album_id, release_date, big)`,
  );

  const rawColumns: Column[] = [
    { Name: 'context', Type: 'struct<source:string,run_id:string>' },
    { Name: 'data', Type: 'struct<id:string,name:string,popularity:int>' },
  ];
  const raw = jsonTableInput({
    name: 'artists',
    location: store.uri('raw/artists'),
    columns: rawColumns,
    partitionKeys: [
      { Name: 'dt', Type: 'string' },
      { Name: 'run', Type: 'string' },
    ],
    compression: 'gzip',
  });
  await catalog.upsertTable('tunelake_raw', raw);
  const runs = [
    { dt: '2026-11-01', run: '20261101T080000Z-aaaaaa', ids: ['r1', 'r2'] },
    { dt: '2026-11-02', run: '20261102T080000Z-bbbbbb', ids: ['r3'] },
  ];
  for (const { dt, run, ids } of runs) {
    const prefix = `raw/artists/dt=${dt}/run=${run}/`;
    const lines = ids.map((id, i) =>
      JSON.stringify({
        context: { source: `artist:${id}`, run_id: run, extra: 'ignored' },
        data: { id, name: `Artist ${id}`, popularity: 50 + i, genres: ['x'] },
      }),
    );
    await store.put(`${prefix}part-00000.ndjson.gz`, gzipSync(`${lines.join('\n')}\n`));
    await catalog.putPartitions('tunelake_raw', 'artists', [
      inheritedPartitionInput(raw, { values: [dt, run], location: store.uri(prefix.slice(0, -1)) }),
    ]);
  }
}

const config = loadConfig({}, {});

afterAll(async () => {
  s3?.destroy();
  await moto?.stop();
  for (const dir of workDirs) await rm(dir, { recursive: true, force: true });
});

for (const { name, open } of LAKES) {
  describe(`createQueryEngine() (DuckDB) on ${name}`, () => {
    let lake: Lake;
    let engine: QueryEngine;

    beforeAll(async () => {
      lake = await open();
      await buildLake(lake);
      engine = await createQueryEngine(config, {
        store: lake.store,
        catalog: lake.catalog,
        cacheDir: lake.cacheDir,
      });
    });

    afterAll(async () => {
      await engine?.close();
      await lake?.stop();
    });

    test('counts the rows of every registered partition, by plain and qualified name', async () => {
      const plain = await engine.query('SELECT count(*) AS n FROM tracks');
      expect(plain.engine).toBe('duckdb');
      expect(plain.rows).toEqual([{ n: 4 }]);
      const qualified = await engine.query(
        'SELECT snapshot_date, count(*) AS n FROM tunelake.tracks GROUP BY ALL ORDER BY 1',
      );
      expect(qualified.rows).toEqual([
        { snapshot_date: '2026-11-01', n: 3 },
        { snapshot_date: '2026-11-02', n: 1 },
      ]);
    });

    test('gives the partition key as a string, as Glue declares it, not a DATE', async () => {
      const result = await engine.query(
        "SELECT snapshot_date, typeof(snapshot_date) AS t FROM tracks WHERE snapshot_date = '2026-11-02'",
      );
      expect(result.columns).toEqual([
        { name: 'snapshot_date', type: 'VARCHAR' },
        { name: 't', type: 'VARCHAR' },
      ]);
      expect(result.rows).toEqual([{ snapshot_date: '2026-11-02', t: 'VARCHAR' }]);
    });

    test("reads every column as the catalog's declared type, whatever the file holds", async () => {
      const result = await engine.query('SELECT * FROM tracks ORDER BY id');
      expect(result.columns).toEqual([
        { name: 'id', type: 'BIGINT' },
        { name: 'name', type: 'VARCHAR' },
        { name: 'artists', type: 'STRUCT(id VARCHAR, "name" VARCHAR)[]' },
        { name: 'added_at', type: 'TIMESTAMP' },
        { name: 'price', type: 'DECIMAL(10,2)' },
        { name: 'tags', type: 'MAP(VARCHAR, INTEGER)' },
        { name: 'popularity', type: 'INTEGER' },
        { name: 'snapshot_date', type: 'VARCHAR' },
      ]);
      expect(result.rows).toEqual([
        {
          id: 1,
          name: 'One',
          artists: [{ id: 'a1', name: 'Ann' }],
          added_at: '2026-11-01T08:00:00.123Z',
          price: 1.5,
          tags: { x: 1 },
          popularity: 10,
          snapshot_date: '2026-11-01',
        },
        {
          id: 2,
          name: 'Two, "quoted"',
          artists: [],
          added_at: '2026-11-01T09:30:00.000Z',
          price: 20,
          tags: {},
          popularity: 20,
          snapshot_date: '2026-11-01',
        },
        {
          id: 3,
          name: 'Three',
          artists: null,
          added_at: null,
          price: null,
          tags: null,
          popularity: null,
          snapshot_date: '2026-11-01',
        },
        // The columns this file lacks read as NULL (Athena: a column missing from a Parquet file is NULL).
        {
          id: 4,
          name: 'Four',
          artists: [{ id: 'b2', name: 'Bo' }],
          added_at: '2026-11-02T10:00:00.000Z',
          price: null,
          tags: null,
          popularity: 40,
          snapshot_date: '2026-11-02',
        },
      ]);
    });

    test('keeps a 64-bit integer exact (a string past 2^53) and dates as YYYY-MM-DD', async () => {
      const result = await engine.query('SELECT * FROM releases ORDER BY album_id');
      expect(result.rows).toEqual([
        { album_id: 'al1', release_date: '2026-10-30', big: '9007199254740993' },
        { album_id: 'al2', release_date: '2026-11-01', big: 5 },
      ]);
    });

    test('gives an empty table its declared columns and zero rows', async () => {
      const result = await engine.query('SELECT * FROM artist_snapshots');
      expect(result.rows).toEqual([]);
      expect(result.columns).toEqual([
        { name: 'artist_id', type: 'VARCHAR' },
        { name: 'followers', type: 'BIGINT' },
        { name: 'snapshot_date', type: 'VARCHAR' },
      ]);
    });

    test('reads the raw zone as tunelake_raw.<dataset>, with the declared columns only', async () => {
      const result = await engine.query(
        'SELECT dt, run, data.id AS id, data.popularity AS popularity, context FROM tunelake_raw.artists ORDER BY id',
      );
      expect(result.rows).toEqual([
        {
          dt: '2026-11-01',
          run: '20261101T080000Z-aaaaaa',
          id: 'r1',
          popularity: 50,
          context: { source: 'artist:r1', run_id: '20261101T080000Z-aaaaaa' },
        },
        {
          dt: '2026-11-01',
          run: '20261101T080000Z-aaaaaa',
          id: 'r2',
          popularity: 51,
          context: { source: 'artist:r2', run_id: '20261101T080000Z-aaaaaa' },
        },
        {
          dt: '2026-11-02',
          run: '20261102T080000Z-bbbbbb',
          id: 'r3',
          popularity: 50,
          context: { source: 'artist:r3', run_id: '20261102T080000Z-bbbbbb' },
        },
      ]);
      // With the raw database as the default, unqualified names are raw tables.
      const unqualified = await engine.query('SELECT count(*) AS n FROM artists', {
        database: 'tunelake_raw',
      });
      expect(unqualified.rows).toEqual([{ n: 3 }]);
      // ... and the default is the tables database again afterwards.
      await expect(engine.query('SELECT count(*) AS n FROM artists')).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    });

    test('sees a new partition after refresh(), and only once it is registered', async () => {
      await addTracksPartition(lake, '2026-11-03', "SELECT 5::BIGINT AS id, 'Five' AS name", false);
      await engine.refresh();
      expect((await engine.query('SELECT count(*) AS n FROM tracks')).rows).toEqual([{ n: 4 }]);

      await addTracksPartition(lake, '2026-11-03', "SELECT 5::BIGINT AS id, 'Five' AS name");
      expect((await engine.query('SELECT count(*) AS n FROM tracks')).rows).toEqual([{ n: 4 }]);
      await engine.refresh();
      const result = await engine.query("SELECT id, name FROM tracks WHERE snapshot_date = '2026-11-03'");
      expect(result.rows).toEqual([{ id: 5, name: 'Five' }]);
    });

    test('refuses bad SQL with INVALID_ARGUMENT and a one-line message', async () => {
      for (const sql of [
        'SELEC 1',
        'SELECT no_such_column FROM tracks',
        'SELECT * FROM no_such_table',
        '  ',
      ]) {
        const error = await engine.query(sql).catch((e: unknown) => e);
        expect(isTunelakeError(error, 'INVALID_ARGUMENT'), `${sql}: ${String(error)}`).toBe(true);
        expect((error as Error).message).not.toContain('\n');
      }
    });

    test('readOnly: reads the tables, but neither writes a file nor reads one outside the lake', async () => {
      const readOnly = await createQueryEngine(config, {
        store: lake.store,
        catalog: lake.catalog,
        cacheDir: lake.cacheDir,
        readOnly: true,
      });
      try {
        const count = 'SELECT count(*) AS n FROM tracks';
        expect((await readOnly.query(count)).rows).toEqual((await engine.query(count)).rows);
        const target = join(await tempDir('copy'), 'out.csv');
        const attempts = [
          `COPY (SELECT * FROM tracks) TO '${target}'`,
          "SELECT * FROM read_csv('/etc/passwd')",
          "SELECT * FROM read_text('/etc/hostname')",
          "SELECT * FROM glob('/etc/*')",
          'SET enable_external_access = true',
          `ATTACH '${target}.db'`,
          `SELECT 1; COPY (SELECT 1) TO '${target}'`,
        ];
        for (const sql of attempts) {
          const error = await readOnly.query(sql).catch((e: unknown) => e);
          expect(isTunelakeError(error, 'INVALID_ARGUMENT'), `${sql}: ${String(error)}`).toBe(true);
        }
        await expect(stat(target)).rejects.toMatchObject({ code: 'ENOENT' });
        // The read-only engine also follows the catalog after a refresh.
        await readOnly.refresh();
        expect((await readOnly.query(count)).rows).toEqual((await engine.query(count)).rows);
      } finally {
        await readOnly.close();
      }
    });
  });
}

describe('createQueryEngine() (DuckDB) on an S3 lake: the local cache', () => {
  test('downloads only the files that are missing or changed, and drops the ones that are gone', async () => {
    const lake = await LAKES[1]!.open();
    try {
      await buildLake(lake);
      const first = await createQueryEngine(config, {
        store: lake.store,
        catalog: lake.catalog,
        cacheDir: lake.cacheDir,
      });
      await first.close();
      const files = [
        'raw/artists/dt=2026-11-01/run=20261101T080000Z-aaaaaa/part-00000.ndjson.gz',
        'raw/artists/dt=2026-11-02/run=20261102T080000Z-bbbbbb/part-00000.ndjson.gz',
        'tables/releases/part-00000.parquet',
        'tables/tracks/snapshot_date=2026-11-01/part-00000.parquet',
        'tables/tracks/snapshot_date=2026-11-02/part-00000.parquet',
      ];
      expect([...lake.downloads].sort()).toEqual(files);

      // A second engine on the same cache downloads nothing.
      lake.downloads.length = 0;
      const second = await createQueryEngine(config, {
        store: lake.store,
        catalog: lake.catalog,
        cacheDir: lake.cacheDir,
      });
      expect(lake.downloads).toEqual([]);
      expect((await second.query('SELECT count(*) AS n FROM tracks')).rows).toEqual([{ n: 4 }]);

      // A rewritten file is fetched again on refresh; a deleted partition's file leaves the cache.
      await putParquet(
        lake.store,
        'tables/releases/part-00000.parquet',
        "SELECT 'al9' AS album_id, DATE '2026-12-01' AS release_date, 1::BIGINT AS big",
      );
      await lake.catalog.deletePartitions('tunelake', 'tracks', [['2026-11-02']]);
      await lake.store.delete('tables/tracks/snapshot_date=2026-11-02/part-00000.parquet');
      await second.refresh();
      expect(lake.downloads).toEqual(['tables/releases/part-00000.parquet']);
      expect((await second.query('SELECT album_id FROM releases')).rows).toEqual([{ album_id: 'al9' }]);
      expect((await second.query('SELECT count(*) AS n FROM tracks')).rows).toEqual([{ n: 3 }]);
      await expect(
        stat(
          join(
            lake.cacheDir,
            'objects',
            'tables',
            'tracks',
            'snapshot_date=2026-11-02',
            'part-00000.parquet',
          ),
        ),
      ).rejects.toMatchObject({ code: 'ENOENT' });
      await second.close();
    } finally {
      await lake.stop();
    }
  });
});
