import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type MotoGlue,
  type MotoS3,
  motoGlueClient,
  motoS3Client,
  startMoto,
} from '../../test/support/moto.js';
import { registerCrawlCommand } from '../cli/crawl-command.js';
import { isTunelakeError } from '../errors.js';
import { createCatalog, createObjectStore } from '../runtime.js';
import type { ObjectStore } from '../storage/store.js';
import { type Catalog, RAW_DATABASE, TABLES_DATABASE, type Table } from './catalog.js';
import { type CrawlResult, crawl, RAW_TARGET, readCrawlRecord, TABLES_TARGET } from './crawler.js';

const REGION = 'us-east-1';
const RUN_1 = '20240501T060000Z-aaaaaa';
const RUN_2 = '20240502T060000Z-bbbbbb';
const RUN_3 = '20240502T180000Z-cccccc';

function ndjson(records: unknown[], gzip = true): Uint8Array {
  const text = `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;
  return gzip ? gzipSync(text) : Buffer.from(text);
}

function context(dataset: string, runId: string, position: number) {
  return {
    source: `playlist:37i9dQZF1DXcBWIGoYBM5M`,
    request: `/v1/${dataset}`,
    fetched_at: '2024-05-01T06:00:00Z',
    run_id: runId,
    position,
  };
}

// Type drift across files: popularity int -> double, track_number int -> string, preview_url only null,
// a nested struct with arrays of structs, a field that appears in the second file only.
const TRACKS_1 = [1, 2, 3].map((i) => ({
  context: context('tracks', RUN_1, i),
  data: {
    id: `track${i}`,
    name: `Song ${i}`,
    popularity: 50 + i,
    duration_ms: 200_000 + i,
    explicit: i % 2 === 0,
    preview_url: null,
    track_number: i,
    artists: [{ id: `artist${i}`, name: `Artist ${i}` }],
    album: { id: 'album1', name: 'Album', images: [{ url: 'https://i/1', height: 640, width: 640 }] },
  },
}));
const TRACKS_2 = [4, 5].map((i) => ({
  context: context('tracks', RUN_2, i),
  data: {
    id: `track${i}`,
    name: `Song ${i}`,
    popularity: 50.5,
    duration_ms: 200_000 + i,
    explicit: false,
    preview_url: null,
    track_number: `${i}`,
    artists: [],
    album: { id: 'album2', name: 'Album 2', images: [], album_type: 'single' },
    is_local: false,
  },
}));
const ARTISTS = [
  {
    context: context('artists', RUN_1, 0),
    data: { id: 'a1', name: 'A', genres: [], followers: { total: 5_000_000_000 }, images: [] },
  },
  {
    context: context('artists', RUN_1, 1),
    data: { id: 'a2', name: 'B', genres: ['pop'], followers: { total: 12 }, images: [] },
  },
];
const ME = [
  { context: context('me', RUN_1, 0), data: { id: 'user1', display_name: 'Me', product: 'premium' } },
];

const TRACKS_DATA_TYPE =
  'struct<id:string,name:string,popularity:double,duration_ms:int,explicit:boolean,preview_url:string,' +
  'track_number:string,artists:array<struct<id:string,name:string>>,' +
  'album:struct<id:string,name:string,images:array<struct<url:string,height:int,width:int>>,album_type:string>,' +
  'is_local:boolean>';
const CONTEXT_TYPE = 'struct<source:string,request:string,fetched_at:string,run_id:string,position:int>';

async function writeParquet(dir: string, store: ObjectStore, files: Record<string, string>): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    extension_directory: join(dir, 'duckdb-extensions'),
  });
  const conn = await instance.connect();
  try {
    for (const [key, select] of Object.entries(files)) {
      const path = join(dir, `${key.replaceAll('/', '_')}`);
      await conn.run(`COPY (${select}) TO '${path}' (FORMAT parquet, COMPRESSION zstd)`);
      await store.put(key, await readFile(path));
    }
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

const PARQUET_TRACKS = (day: string, n: number) => `
  SELECT 'track' || i AS id, (i * 3)::INTEGER AS popularity, (200000 + i)::BIGINT AS duration_ms,
    [{'id': 'a' || i, 'name': 'Artist'}] AS artists, 12.34::DECIMAL(10,2) AS price,
    TIMESTAMP '${day} 10:00:00' AS played_at, DATE '${day}' AS day, i / 3.0 AS score, i % 2 = 0 AS explicit
  FROM range(${n}) t(i)`;

/** `root`: the lake's folder when it is local (a writer's temp file is then left in it too). */
async function buildLake(root: string | undefined, store: ObjectStore): Promise<void> {
  await store.put(`raw/tracks/dt=2024-05-01/run=${RUN_1}/part-00000.ndjson.gz`, ndjson(TRACKS_1));
  await store.put(`raw/tracks/dt=2024-05-02/run=${RUN_2}/part-00000.ndjson.gz`, ndjson(TRACKS_2));
  await store.put(`raw/artists/dt=2024-05-01/run=${RUN_1}/part-00000.ndjson.gz`, ndjson(ARTISTS));
  await store.put(`raw/artists/dt=2024-05-02/run=${RUN_3}/part-00000.ndjson.gz`, ndjson(ARTISTS.slice(0, 1)));
  await store.put(`raw/me/dt=2024-05-01/run=${RUN_1}/part-00000.ndjson`, ndjson(ME, false));
  // Ignored: Hive's hidden files, and a file no classifier knows (counted as UNKNOWN).
  await store.put('raw/tracks/_SUCCESS', '');
  await store.put(`raw/tracks/dt=2024-05-01/_temporary/part-00009.ndjson.gz`, ndjson([{ junk: 1 }]));
  await store.put(`raw/tracks/dt=2024-05-01/run=${RUN_1}/.part-00001.ndjson.gz.crc`, 'crc');
  await store.put(`raw/tracks/dt=2024-05-01/run=${RUN_1}/notes.txt`, 'not json, not parquet\n');
  if (root) {
    // A writer's temp file, as the local store leaves it mid-write.
    const tmpFolder = join(root, 'raw', 'tracks', 'dt=2024-05-02', `run=${RUN_2}`);
    await mkdir(tmpFolder, { recursive: true });
    await writeFile(join(tmpFolder, '.tmp-1a2b3c'), '{"half": ');
  }
  // Not data: never catalogued.
  await store.put(`runs/${RUN_1}.json`, '{"runId": "x"}');
}

function columnsOf(table: Table | undefined): Record<string, string> {
  return Object.fromEntries((table?.StorageDescriptor.Columns ?? []).map((c) => [c.Name, c.Type]));
}

describe('crawl(store, catalog, target, options) on the local catalog', () => {
  let dir: string;
  let lake: string;
  let store: ObjectStore;
  let catalog: Catalog;
  let clock = new Date('2024-05-03T00:00:00Z');
  const now = () => clock;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tunelake-crawl-'));
    lake = join(dir, 'lake');
    store = createObjectStore({ lake, s3Endpoint: undefined, awsRegion: REGION });
    catalog = createCatalog({ catalog: 'local', lake, s3Endpoint: undefined, awsRegion: REGION }, { store });
    await buildLake(lake, store);
    await writeParquet(dir, store, {
      'tables/tracks/dt=2024-05-01/data_0.parquet': PARQUET_TRACKS('2024-05-01', 5),
      'tables/tracks/dt=2024-05-02/data_0.parquet': PARQUET_TRACKS('2024-05-02', 7),
      'tables/artists/data_0.parquet':
        "SELECT 'a' || i AS id, ['pop', 'rock'] AS genres, {'total': i}::STRUCT(total BIGINT) AS followers FROM range(4) t(i)",
    });
  });
  afterAll(async () => {
    await catalog?.close();
    await store?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('catalogues the raw zone: one table per dataset, partitions from dt= and run=, widened JSON types', async () => {
    const result = await crawl(store, catalog, RAW_TARGET, {}, { now });
    expect(result).toMatchObject({
      database: RAW_DATABASE,
      tables: ['artists', 'me', 'tracks'],
      tablesCreated: 3,
      tablesUpdated: 0,
      partitionsCreated: 5,
      partitionsUpdated: 0,
      unknownObjects: 1,
      objects: 6,
    });
    expect(result.warnings.some((w) => w.includes('notes.txt'))).toBe(true);

    const tracks = await catalog.getTable(RAW_DATABASE, 'tracks');
    expect(tracks!.PartitionKeys).toEqual([
      { Name: 'dt', Type: 'string' },
      { Name: 'run', Type: 'string' },
    ]);
    expect(tracks!.StorageDescriptor.Columns).toEqual([
      { Name: 'context', Type: CONTEXT_TYPE },
      { Name: 'data', Type: TRACKS_DATA_TYPE },
    ]);
    expect(tracks!.StorageDescriptor.Location).toBe(`${join(lake, 'raw', 'tracks')}/`);
    expect(tracks!.StorageDescriptor).toMatchObject({
      InputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
      OutputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
      SerdeInfo: {
        SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
        Parameters: { paths: 'context,data' },
      },
      Compressed: false,
      NumberOfBuckets: -1,
    });
    const sizes = await Promise.all(
      [`dt=2024-05-01/run=${RUN_1}`, `dt=2024-05-02/run=${RUN_2}`].map(
        async (p) => (await store.head(`raw/tracks/${p}/part-00000.ndjson.gz`))!.size,
      ),
    );
    const sizeKey = sizes[0]! + sizes[1]!;
    expect(tracks!.Parameters).toEqual({
      classification: 'json',
      compressionType: 'gzip',
      typeOfData: 'file',
      objectCount: '2',
      recordCount: '5',
      averageRecordSize: String(Math.round(sizeKey / 5)),
      sizeKey: String(sizeKey),
      UPDATED_BY_CRAWLER: 'tunelake_raw',
      CrawlerSchemaSerializerVersion: '1.0',
      CrawlerSchemaDeserializerVersion: '1.0',
    });
    expect(tracks!.StorageDescriptor.Parameters).toEqual(tracks!.Parameters);

    const artists = await catalog.getTable(RAW_DATABASE, 'artists');
    expect(columnsOf(artists).data).toBe(
      'struct<id:string,name:string,genres:array<string>,followers:struct<total:bigint>,images:array<string>>',
    );
    const me = await catalog.getTable(RAW_DATABASE, 'me');
    expect(me!.Parameters).toMatchObject({
      classification: 'json',
      compressionType: 'none',
      recordCount: '1',
    });

    const partitions = await catalog.getPartitions(RAW_DATABASE, 'tracks');
    expect(partitions.map((p) => p.Values)).toEqual([
      ['2024-05-01', RUN_1],
      ['2024-05-02', RUN_2],
    ]);
    const first = partitions[0]!;
    // InheritFromTable: the table's columns and formats, the partition's folder and statistics.
    expect(first.StorageDescriptor.Columns).toEqual(tracks!.StorageDescriptor.Columns);
    expect(first.StorageDescriptor.SerdeInfo).toEqual(tracks!.StorageDescriptor.SerdeInfo);
    expect(first.StorageDescriptor.Location).toBe(
      `${join(lake, 'raw', 'tracks', 'dt=2024-05-01', `run=${RUN_1}`)}/`,
    );
    expect(first.Parameters).toMatchObject({ classification: 'json', recordCount: '3', objectCount: '1' });

    expect((await catalog.listTables(RAW_DATABASE)).map((t) => t.Name)).toEqual(['artists', 'me', 'tracks']);
    const record = await readCrawlRecord(store, 'tunelake_raw');
    expect(record?.LastCrawl.Status).toBe('SUCCEEDED');
    expect(record?.LastResult?.tablesCreated).toBe(3);
  });

  test('catalogues Parquet tables from their footers, partitioned and not', async () => {
    const result = await crawl(store, catalog, TABLES_TARGET, {}, { now });
    expect(result).toMatchObject({
      database: TABLES_DATABASE,
      tables: ['artists', 'tracks'],
      tablesCreated: 2,
      partitionsCreated: 2,
    });
    const tracks = await catalog.getTable(TABLES_DATABASE, 'tracks');
    expect(tracks!.StorageDescriptor.Columns).toEqual([
      { Name: 'id', Type: 'string' },
      { Name: 'popularity', Type: 'int' },
      { Name: 'duration_ms', Type: 'bigint' },
      { Name: 'artists', Type: 'array<struct<id:string,name:string>>' },
      { Name: 'price', Type: 'decimal(10,2)' },
      { Name: 'played_at', Type: 'timestamp' },
      { Name: 'day', Type: 'date' },
      { Name: 'score', Type: 'double' },
      { Name: 'explicit', Type: 'boolean' },
    ]);
    expect(tracks!.PartitionKeys).toEqual([{ Name: 'dt', Type: 'string' }]);
    expect(tracks!.StorageDescriptor.SerdeInfo).toEqual({
      SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
      Parameters: { 'serialization.format': '1' },
    });
    expect(tracks!.StorageDescriptor.InputFormat).toBe(
      'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
    );
    expect(tracks!.Parameters).toMatchObject({
      classification: 'parquet',
      compressionType: 'none',
      recordCount: '12',
      objectCount: '2',
      UPDATED_BY_CRAWLER: 'tunelake',
    });
    const partitions = await catalog.getPartitions(TABLES_DATABASE, 'tracks', {
      expression: "dt = '2024-05-02'",
    });
    expect(partitions.map((p) => p.Parameters?.recordCount)).toEqual(['7']);

    const artists = await catalog.getTable(TABLES_DATABASE, 'artists');
    expect(artists!.PartitionKeys).toEqual([]);
    expect(columnsOf(artists)).toEqual({
      id: 'string',
      genres: 'array<string>',
      followers: 'struct<total:bigint>',
    });
    expect(await catalog.getPartitions(TABLES_DATABASE, 'artists')).toEqual([]);
  });

  test('a re-crawl of unchanged data changes nothing', async () => {
    const versionsBefore = (await catalog.getTableVersions(RAW_DATABASE, 'tracks')).length;
    const raw = await crawl(store, catalog, RAW_TARGET, {}, { now });
    expect(raw).toMatchObject({
      tablesCreated: 0,
      tablesUpdated: 0,
      tablesUnchanged: 3,
      tablesDeprecated: 0,
      partitionsCreated: 0,
      partitionsUpdated: 0,
    });
    const tables = await crawl(store, catalog, TABLES_TARGET, {}, { now });
    expect(tables).toMatchObject({
      tablesCreated: 0,
      tablesUpdated: 0,
      tablesUnchanged: 2,
      partitionsCreated: 0,
      partitionsUpdated: 0,
    });
    expect(await catalog.getTableVersions(RAW_DATABASE, 'tracks')).toHaveLength(versionsBefore);
  });

  test('exclusions drop objects before they are classified', async () => {
    const result = await crawl(
      store,
      catalog,
      { ...RAW_TARGET, database: 'excluded', exclusions: ['**/*.txt'] },
      { writeRecord: false },
      { now },
    );
    expect(result.unknownObjects).toBe(0);
    expect(result.objects).toBe(5);
    // Stored on the table as a crawler does (Athena ignores them).
    expect((await catalog.getTable('excluded', 'tracks'))!.Parameters?.exclusions).toBe('["**/*.txt"]');
  });

  test('a new run folder becomes a new partition, and the statistics follow', async () => {
    await store.put(
      `raw/tracks/dt=2024-05-03/run=20240503T060000Z-dddddd/part-00000.ndjson.gz`,
      ndjson(TRACKS_1),
    );
    const result = await crawl(store, catalog, RAW_TARGET, {}, { now });
    expect(result).toMatchObject({ tablesUpdated: 1, partitionsCreated: 1, partitionsUpdated: 0 });
    const tracks = await catalog.getTable(RAW_DATABASE, 'tracks');
    expect(tracks!.Parameters).toMatchObject({ objectCount: '3', recordCount: '8' });
    expect(
      await catalog.getPartitions(RAW_DATABASE, 'tracks', { expression: "dt >= '2024-05-03'" }),
    ).toHaveLength(1);
    // The update archived the previous version.
    const versions = await catalog.getTableVersions(RAW_DATABASE, 'tracks');
    expect(versions.at(-2)!.Table.Parameters?.objectCount).toBe('2');
  });

  test('MergeNewColumns adds new columns and nested fields, and keeps a changed type', async () => {
    const drifted = {
      context: context('tracks', 'x', 0),
      data: { ...TRACKS_2[0]!.data, popularity: 'very', label: 'EMI' },
      meta: { tier: 'development' },
    };
    await store.put(
      `raw/tracks/dt=2024-05-04/run=20240504T060000Z-eeeeee/part-00000.ndjson.gz`,
      ndjson([drifted]),
    );
    const result = await crawl(store, catalog, RAW_TARGET, {}, { now });
    expect(result.tablesUpdated).toBe(1);
    const tracks = await catalog.getTable(RAW_DATABASE, 'tracks');
    const columns = columnsOf(tracks);
    expect(Object.keys(columns)).toEqual(['context', 'data', 'meta']);
    expect(columns.meta).toBe('struct<tier:string>');
    // popularity stays double (the data now says string); label is a new nested field.
    expect(columns.data).toBe(TRACKS_DATA_TYPE.replace(/>$/, ',label:string>'));
    expect(
      result.warnings.some((w) => w.includes('tracks.data.popularity') && w.includes('kept double')),
    ).toBe(true);
    expect(tracks!.StorageDescriptor.SerdeInfo.Parameters?.paths).toBe('context,data,meta');
    // Every partition inherits the merged schema.
    for (const p of await catalog.getPartitions(RAW_DATABASE, 'tracks')) {
      expect(p.StorageDescriptor.Columns).toEqual(tracks!.StorageDescriptor.Columns);
    }
  });

  test('UpdateBehavior LOG leaves the table alone but still adds new partitions', async () => {
    await store.put(
      `raw/me/dt=2024-05-05/run=20240505T060000Z-ffffff/part-00000.ndjson`,
      ndjson([{ context: context('me', 'y', 0), data: { id: 'user1', country: 'SE' } }], false),
    );
    const before = await catalog.getTable(RAW_DATABASE, 'me');
    const result = await crawl(
      store,
      catalog,
      RAW_TARGET,
      { schemaChangePolicy: { UpdateBehavior: 'LOG' } },
      { now },
    );
    expect(result).toMatchObject({ tablesUpdated: 0, partitionsCreated: 1, partitionsUpdated: 0 });
    expect(result.warnings.some((w) => w.includes('table me') && w.includes('LOG'))).toBe(true);
    const after = await catalog.getTable(RAW_DATABASE, 'me');
    expect(after!.StorageDescriptor.Columns).toEqual(before!.StorageDescriptor.Columns);
    expect(after!.VersionId).toBe(before!.VersionId);
  });

  test('a table whose data is gone is deprecated (once), and deleted under DELETE_FROM_DATABASE', async () => {
    const keys: string[] = [];
    for await (const info of store.list('raw/artists/')) keys.push(info.key);
    await store.deleteMany(keys);
    clock = new Date('2024-05-06T00:00:00Z');

    const result = await crawl(store, catalog, RAW_TARGET, {}, { now });
    expect(result.tablesDeprecated).toBe(1);
    expect(result.tables).toEqual(['me', 'tracks']);
    const artists = await catalog.getTable(RAW_DATABASE, 'artists');
    expect(artists!.Parameters?.DEPRECATED_BY_CRAWLER).toBe('2024-05-06T00:00:00.000Z');
    expect((await crawl(store, catalog, RAW_TARGET, {}, { now })).tablesDeprecated).toBe(0);

    await store.delete('tables/artists/data_0.parquet');
    const logged = await crawl(
      store,
      catalog,
      TABLES_TARGET,
      { schemaChangePolicy: { DeleteBehavior: 'LOG' } },
      { now },
    );
    expect(logged.tablesDeprecated).toBe(0);
    expect(logged.warnings.some((w) => w.includes('tunelake.artists') && w.includes('LOG'))).toBe(true);
    expect(
      (await catalog.getTable(TABLES_DATABASE, 'artists'))!.Parameters?.DEPRECATED_BY_CRAWLER,
    ).toBeUndefined();

    const deleted = await crawl(
      store,
      catalog,
      RAW_TARGET,
      { schemaChangePolicy: { DeleteBehavior: 'DELETE_FROM_DATABASE' } },
      { now },
    );
    expect(deleted.tablesDeleted).toBe(1);
    expect(await catalog.getTable(RAW_DATABASE, 'artists')).toBeUndefined();
  });

  test('tableThreshold fails the crawl before anything is written', async () => {
    let error: unknown;
    try {
      await crawl(store, catalog, { path: 'raw/', database: 'threshold_db' }, { tableThreshold: 1 }, { now });
    } catch (e) {
      error = e;
    }
    expect(isTunelakeError(error, 'INVALID_ARGUMENT')).toBe(true);
    // Not even the database was created.
    await expect(catalog.listTables('threshold_db')).rejects.toMatchObject({ code: 'STORAGE_NOT_FOUND' });
    expect((await readCrawlRecord(store, 'threshold_db'))?.LastCrawl.Status).toBe('FAILED');
  });

  test('an include path that is one table folder catalogues that table', async () => {
    const result: CrawlResult = await crawl(
      store,
      catalog,
      { path: 'raw/me/', database: 'single' },
      {},
      { now },
    );
    expect(result.tables).toEqual(['me']);
    const me = await catalog.getTable('single', 'me');
    expect(me!.PartitionKeys.map((k) => k.Name)).toEqual(['dt', 'run']);
  });
});

describe('crawl(store, catalog, target, options) on Glue (moto), over an S3 lake', () => {
  let dir: string;
  let store: ObjectStore;
  let catalog: Catalog;
  let glue: MotoGlue;
  let s3: MotoS3;
  let moto: Awaited<ReturnType<typeof startMoto>>;
  // Large enough to be streamed, and twice the JSON sample: its record count is extrapolated.
  const BIG_RECORDS = 8000;

  beforeAll(async () => {
    moto = await startMoto();
    glue = motoGlueClient(moto.endpoint);
    s3 = await motoS3Client(moto.endpoint, ['crawl-lake']);
    dir = await mkdtemp(join(tmpdir(), 'tunelake-crawl-glue-'));
    const config = { lake: 's3://crawl-lake/lake', s3Endpoint: moto.endpoint, awsRegion: REGION };
    store = createObjectStore(config, { s3Client: s3 });
    catalog = createCatalog({ ...config, catalog: 'glue' }, { store, glueClient: glue });
    await buildLake(undefined, store);
    const big = Array.from({ length: BIG_RECORDS }, (_, i) => ({
      context: context('playlist_items', RUN_1, i),
      data: { id: randomBytes(24).toString('hex'), added_at: '2024-05-01T00:00:00Z', position: i },
    }));
    await store.put(`raw/playlist_items/dt=2024-05-01/run=${RUN_1}/part-00000.ndjson.gz`, ndjson(big));
    await writeParquet(dir, store, {
      'tables/tracks/dt=2024-05-01/data_0.parquet': PARQUET_TRACKS('2024-05-01', 5),
    });
  });
  afterAll(async () => {
    await catalog?.close();
    await store?.close();
    glue?.destroy();
    s3?.destroy();
    await moto?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('writes the same tables and partitions, and a re-crawl is a no-op', async () => {
    const first = await crawl(store, catalog, RAW_TARGET);
    expect(first).toMatchObject({
      tables: ['artists', 'me', 'playlist_items', 'tracks'],
      tablesCreated: 4,
      partitionsCreated: 6,
      unknownObjects: 1,
    });
    const tracks = await catalog.getTable(RAW_DATABASE, 'tracks');
    expect(tracks!.StorageDescriptor.Columns).toEqual([
      { Name: 'context', Type: CONTEXT_TYPE },
      { Name: 'data', Type: TRACKS_DATA_TYPE },
    ]);
    expect(tracks!.StorageDescriptor.Location).toBe('s3://crawl-lake/lake/raw/tracks/');
    expect(tracks!.Parameters).toMatchObject({
      classification: 'json',
      compressionType: 'gzip',
      recordCount: '5',
    });
    const partitions = await catalog.getPartitions(RAW_DATABASE, 'tracks', {
      expression: "dt = '2024-05-02'",
    });
    expect(partitions.map((p) => [p.Values, p.StorageDescriptor.Location])).toEqual([
      [['2024-05-02', RUN_2], `s3://crawl-lake/lake/raw/tracks/dt=2024-05-02/run=${RUN_2}/`],
    ]);

    // Only the first 1 MB of the big object was read: its count is an estimate from the bytes read.
    const items = await catalog.getTable(RAW_DATABASE, 'playlist_items');
    expect(columnsOf(items).data).toBe('struct<id:string,added_at:string,position:int>');
    const estimate = Number(items!.Parameters?.recordCount);
    expect(estimate).toBeGreaterThan(BIG_RECORDS * 0.9);
    expect(estimate).toBeLessThan(BIG_RECORDS * 1.1);

    const again = await crawl(store, catalog, RAW_TARGET);
    expect(again).toMatchObject({
      tablesCreated: 0,
      tablesUpdated: 0,
      tablesUnchanged: 4,
      partitionsCreated: 0,
      partitionsUpdated: 0,
    });
    const record = await readCrawlRecord(store, 'tunelake_raw');
    expect(record?.Targets.S3Targets[0]?.Path).toBe('s3://crawl-lake/lake/raw');
  });

  test('reads the schema of a Parquet object copied from S3', async () => {
    const result = await crawl(store, catalog, TABLES_TARGET);
    expect(result).toMatchObject({ tables: ['tracks'], tablesCreated: 1, partitionsCreated: 1 });
    const tracks = await catalog.getTable(TABLES_DATABASE, 'tracks');
    expect(columnsOf(tracks)).toMatchObject({
      price: 'decimal(10,2)',
      artists: 'array<struct<id:string,name:string>>',
    });
    expect(tracks!.Parameters).toMatchObject({ classification: 'parquet', recordCount: '5' });
  });
});

describe('registerCrawlCommand(program): tunelake crawl', () => {
  let dir: string;
  let lake: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tunelake-crawl-cli-'));
    lake = join(dir, 'lake');
    const store = createObjectStore({ lake, s3Endpoint: undefined, awsRegion: REGION });
    await buildLake(lake, store);
    await store.close();
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const run = async (...args: string[]) => {
    const printed: string[] = [];
    const program = new Command('tunelake').exitOverride();
    registerCrawlCommand(program, { env: {}, stdout: (text) => printed.push(text) });
    await program.parseAsync(['crawl', '--lake', lake, ...args], { from: 'user' });
    return printed.join('');
  };

  test('prints a one-line summary per target, or the results as JSON', async () => {
    const line = await run('--target', 'raw');
    expect(line).toMatch(
      /^crawl raw\/ -> tunelake_raw \(local catalog\): 3 tables \(3 created, 0 updated, 0 deprecated, 0 deleted\), partitions 5 created/,
    );
    expect(line.trim().split('\n')).toHaveLength(1);
    const json = JSON.parse(await run('--target', 'all', '--json')) as { ok: boolean; crawls: CrawlResult[] };
    expect(json.ok).toBe(true);
    expect(json.crawls.map((c) => [c.database, c.tablesCreated, c.tablesUnchanged])).toEqual([
      [RAW_DATABASE, 0, 3],
      [TABLES_DATABASE, 0, 0],
    ]);
  });

  test('crawls only the raw zone by default (the transform registers its own tables)', async () => {
    const json = JSON.parse(await run('--json')) as { ok: boolean; crawls: CrawlResult[] };
    expect(json.crawls.map((c) => c.database)).toEqual([RAW_DATABASE]);
  });

  test('refuses an unknown target', async () => {
    await expect(run('--target', 'everything')).rejects.toThrow(/expected "raw", "tables" or "all"/);
  });
});
