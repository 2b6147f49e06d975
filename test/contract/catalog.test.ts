// One contract, every Catalog: the same tests run on the local catalog (JSON files in a temp-dir lake)
// and on the Glue catalog against moto_server (kysely's DIALECTS loop). A behaviour that differs
// between the two is a bug in one of them, except where moto itself differs from AWS (flagged below).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GlueClient } from '@aws-sdk/client-glue';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Catalog, PartitionInput, TableInput } from '../../src/catalog/catalog.js';
import { jsonTableInput, parquetTableInput } from '../../src/catalog/table-input.js';
import { type ErrorCode, isTunelakeError } from '../../src/errors.js';
import { createCatalog, createObjectStore } from '../../src/runtime.js';
import type { ObjectStore } from '../../src/storage/store.js';
import { motoClientConfig, startMoto } from '../support/moto.js';

interface Harness {
  catalog: Catalog;
  /**
   * moto 5 ignores UpdateTable's SkipArchive and archives anyway (moto/glue/models.py FakeTable.update);
   * AWS does not archive. The local catalog follows AWS.
   */
  honorsSkipArchive: boolean;
  stop(): Promise<void>;
}

const REGION = 'us-east-1';

const IMPLEMENTATIONS: Array<{ name: string; start(): Promise<Harness> }> = [
  {
    name: 'local',
    async start() {
      const dir = await mkdtemp(join(tmpdir(), 'tunelake-catalog-'));
      const lake = join(dir, 'lake');
      const store = createObjectStore({ lake, s3Endpoint: undefined, awsRegion: REGION });
      const catalog = createCatalog(
        { catalog: 'local', lake, s3Endpoint: undefined, awsRegion: REGION },
        { store },
      );
      return {
        catalog,
        honorsSkipArchive: true,
        async stop() {
          await catalog.close();
          await store.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'Glue (moto)',
    async start() {
      const moto = await startMoto();
      const glue = new GlueClient(motoClientConfig(moto.endpoint));
      // The Glue catalog never touches the store; it is the lake the crawler would read.
      const store: ObjectStore = createObjectStore({
        lake: 's3://unused-bucket',
        s3Endpoint: moto.endpoint,
        awsRegion: REGION,
      });
      const catalog = createCatalog(
        { catalog: 'glue', lake: 's3://unused-bucket', s3Endpoint: moto.endpoint, awsRegion: REGION },
        { store, glueClient: glue },
      );
      return {
        catalog,
        honorsSkipArchive: false,
        async stop() {
          await catalog.close();
          await store.close();
          glue.destroy();
          await moto.stop();
        },
      };
    },
  },
];

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (!isTunelakeError(error)) throw error;
    expect(error.code).toBe(code);
    return error;
  }
  throw new Error(`expected a TunelakeError ${code}, but the call succeeded`);
}

const NESTED = 'array<struct<id:string,name:string>>';

function tracksTable(name: string, extra: Partial<TableInput> = {}): TableInput {
  const base = parquetTableInput({
    name,
    location: `s3://lake/tables/${name}`,
    columns: [
      { Name: 'id', Type: 'string', Comment: 'Spotify track id' },
      { Name: 'artists', Type: NESTED },
      { Name: 'price', Type: 'decimal(10,2)' },
      { Name: 'duration_ms', Type: 'bigint' },
      { Name: 'attrs', Type: 'map<string,int>' },
    ],
    partitionKeys: [
      { Name: 'dt', Type: 'string' },
      { Name: 'run', Type: 'string' },
    ],
    parameters: { 'projection.enabled': 'false', owner_team: 'music' },
    stats: { objectCount: 3, recordCount: 300, sizeKey: 30_000 },
  });
  return { ...base, Description: 'tracks, one row per track', ...extra };
}

function partition(
  table: TableInput,
  dt: string,
  run: string,
  extra: Record<string, string> = {},
): PartitionInput {
  return {
    Values: [dt, run],
    StorageDescriptor: {
      ...table.StorageDescriptor,
      Location: `${table.StorageDescriptor.Location}dt=${dt}/run=${run}/`,
    },
    Parameters: { recordCount: '10', ...extra },
  };
}

for (const impl of IMPLEMENTATIONS) {
  describe(`Catalog (${impl.name})`, () => {
    let h: Harness;
    let catalog: Catalog;
    beforeAll(async () => {
      h = await impl.start();
      catalog = h.catalog;
      await catalog.ensureDatabase('music', 'tunelake contract tests');
    });
    afterAll(async () => {
      await h?.stop();
    });

    describe('ensureDatabase(name)', () => {
      test('is idempotent, and a new database has no tables', async () => {
        await catalog.ensureDatabase('empty_db');
        await catalog.ensureDatabase('empty_db', 'again');
        expect(await catalog.listTables('empty_db')).toEqual([]);
      });

      test('refuses names Glue and Hive would not keep as given', async () => {
        await rejectsWith(catalog.ensureDatabase('Music'), 'INVALID_ARGUMENT');
        await rejectsWith(catalog.ensureDatabase('my-db'), 'INVALID_ARGUMENT');
        await rejectsWith(catalog.ensureDatabase('_hidden'), 'INVALID_ARGUMENT');
      });
    });

    describe('createTable(db, input) / getTable(db, name)', () => {
      test('round-trips every field a writer sets, complex and parameterized types included', async () => {
        const input = tracksTable('tracks_roundtrip');
        await catalog.createTable('music', input);
        const table = await catalog.getTable('music', 'tracks_roundtrip');
        expect(table).toBeDefined();
        expect(table).toMatchObject({
          Name: 'tracks_roundtrip',
          DatabaseName: 'music',
          Description: 'tracks, one row per track',
          TableType: 'EXTERNAL_TABLE',
          PartitionKeys: input.PartitionKeys,
          Parameters: input.Parameters,
        });
        expect(table!.StorageDescriptor).toEqual(input.StorageDescriptor);
        expect(table!.StorageDescriptor.Columns.map((c) => c.Type)).toEqual([
          'string',
          NESTED,
          'decimal(10,2)',
          'bigint',
          'map<string,int>',
        ]);
        expect(table!.Parameters).toMatchObject({
          owner_team: 'music',
          classification: 'parquet',
          recordCount: '300',
        });
        expect(table!.CreateTime).toBeInstanceOf(Date);
        expect(table!.VersionId).toMatch(/^\d+$/);
      });

      test('keeps an unpartitioned JSON table with its SerDe parameters', async () => {
        const input = jsonTableInput({
          name: 'events_json',
          location: '/lake/raw/events/',
          columns: [
            { Name: 'data', Type: 'struct<id:string>' },
            { Name: 'context', Type: 'struct<source:string>' },
          ],
          compression: 'gzip',
        });
        await catalog.createTable('music', input);
        const table = await catalog.getTable('music', 'events_json');
        expect(table!.PartitionKeys).toEqual([]);
        expect(table!.StorageDescriptor.SerdeInfo).toEqual({
          SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
          Parameters: { paths: 'context,data' },
        });
        expect(table!.Parameters).toMatchObject({ classification: 'json', compressionType: 'gzip' });
      });

      test('an existing table is a STORAGE_CONFLICT, and the original is kept', async () => {
        await catalog.createTable('music', tracksTable('tracks_dup'));
        await rejectsWith(
          catalog.createTable('music', tracksTable('tracks_dup', { Description: 'other' })),
          'STORAGE_CONFLICT',
        );
        expect((await catalog.getTable('music', 'tracks_dup'))!.Description).toBe(
          'tracks, one row per track',
        );
      });

      test('a missing database is STORAGE_NOT_FOUND', async () => {
        await rejectsWith(catalog.createTable('no_such_db', tracksTable('t')), 'STORAGE_NOT_FOUND');
        await rejectsWith(catalog.listTables('no_such_db'), 'STORAGE_NOT_FOUND');
      });

      test('a missing table reads as undefined', async () => {
        expect(await catalog.getTable('music', 'no_such_table')).toBeUndefined();
        expect(await catalog.getTable('no_such_db', 'no_such_table')).toBeUndefined();
      });
    });

    describe('listTables(db)', () => {
      test('lists every table, sorted by name', async () => {
        await catalog.ensureDatabase('listing');
        for (const name of ['zeta', 'alpha', 'mid_1'])
          await catalog.createTable('listing', tracksTable(name));
        const tables = await catalog.listTables('listing');
        expect(tables.map((t) => t.Name)).toEqual(['alpha', 'mid_1', 'zeta']);
        expect(tables[0]!.StorageDescriptor.Columns[1]!.Type).toBe(NESTED);
        expect(tables.every((t) => t.DatabaseName === 'listing')).toBe(true);
      });
    });

    describe('updateTable(db, input, options)', () => {
      test('archives the previous version', async () => {
        await catalog.createTable('music', tracksTable('versioned'));
        const before = await catalog.getTableVersions('music', 'versioned');
        expect(before).toHaveLength(1);

        const v2 = tracksTable('versioned', {
          Parameters: { ...tracksTable('x').Parameters, recordCount: '999' },
        });
        v2.StorageDescriptor = {
          ...v2.StorageDescriptor,
          Columns: [...v2.StorageDescriptor.Columns, { Name: 'added', Type: 'double' }],
        };
        await catalog.updateTable('music', v2);

        const versions = await catalog.getTableVersions('music', 'versioned');
        expect(versions).toHaveLength(2);
        const [old, current] = versions;
        expect(Number(current!.VersionId)).toBe(Number(old!.VersionId) + 1);
        expect(old!.Table.Parameters?.recordCount).toBe('300');
        expect(old!.Table.StorageDescriptor.Columns.map((c) => c.Name)).not.toContain('added');
        expect(current!.Table.Parameters?.recordCount).toBe('999');
        const table = await catalog.getTable('music', 'versioned');
        expect(table!.VersionId).toBe(current!.VersionId);
        expect(table!.StorageDescriptor.Columns.at(-1)).toEqual({ Name: 'added', Type: 'double' });
      });

      test('with skipArchive, replaces the table without archiving', async () => {
        await catalog.createTable('music', tracksTable('unarchived'));
        await catalog.updateTable('music', tracksTable('unarchived', { Description: 'second' }), {
          skipArchive: true,
        });
        expect((await catalog.getTable('music', 'unarchived'))!.Description).toBe('second');
        const versions = await catalog.getTableVersions('music', 'unarchived');
        if (h.honorsSkipArchive) {
          expect(versions).toHaveLength(1);
          expect(versions[0]!.Table.Description).toBe('second');
        } else {
          expect(versions.at(-1)!.Table.Description).toBe('second');
        }
      });

      test('a missing table is STORAGE_NOT_FOUND', async () => {
        await rejectsWith(catalog.updateTable('music', tracksTable('never_created')), 'STORAGE_NOT_FOUND');
        await rejectsWith(catalog.getTableVersions('music', 'never_created'), 'STORAGE_NOT_FOUND');
      });
    });

    describe('upsertTable(db, input)', () => {
      test('creates, then leaves an equal table alone, then updates a different one', async () => {
        const input = tracksTable('upserted');
        expect(await catalog.upsertTable('music', input)).toBe('created');
        expect(await catalog.upsertTable('music', input)).toBe('unchanged');
        expect(await catalog.upsertTable('music', structuredClone(input))).toBe('unchanged');
        const changed = tracksTable('upserted', { Parameters: { ...input.Parameters, recordCount: '301' } });
        expect(await catalog.upsertTable('music', changed)).toBe('updated');
        expect(await catalog.upsertTable('music', changed)).toBe('unchanged');
        expect(await catalog.getTableVersions('music', 'upserted')).toHaveLength(2);
      });
    });

    describe('deleteTable(db, name)', () => {
      test('deletes the table with its partitions; a table created again under the name starts empty', async () => {
        const input = tracksTable('doomed');
        await catalog.createTable('music', input);
        await catalog.putPartitions('music', 'doomed', [partition(input, '2024-01-01', 'r1')]);
        await catalog.updateTable('music', tracksTable('doomed', { Description: 'v2' }));
        await catalog.deleteTable('music', 'doomed');
        expect(await catalog.getTable('music', 'doomed')).toBeUndefined();
        expect((await catalog.listTables('music')).map((t) => t.Name)).not.toContain('doomed');
        await rejectsWith(catalog.deleteTable('music', 'doomed'), 'STORAGE_NOT_FOUND');
        await rejectsWith(catalog.getPartitions('music', 'doomed'), 'STORAGE_NOT_FOUND');

        await catalog.createTable('music', input);
        expect(await catalog.getPartitions('music', 'doomed')).toEqual([]);
        expect(await catalog.getTableVersions('music', 'doomed')).toHaveLength(1);
      });
    });

    describe('putPartitions(db, table, partitions) / getPartitions(db, table, options)', () => {
      const input = tracksTable('plays');
      const dates = Array.from({ length: 65 }, (_, i) =>
        new Date(Date.UTC(2024, 0, 1) + i * 86_400_000).toISOString().slice(0, 10),
      );
      // 130 partitions: more than one BatchCreatePartition call (100 each) on Glue.
      const all = dates.flatMap((dt) => [partition(input, dt, 'r1'), partition(input, dt, 'r2')]);

      beforeAll(async () => {
        await catalog.createTable('music', input);
      });

      test('creates every partition, then a re-run changes nothing', async () => {
        expect(await catalog.putPartitions('music', 'plays', all)).toEqual({ created: 130, updated: 0 });
        expect(await catalog.putPartitions('music', 'plays', all)).toEqual({ created: 0, updated: 0 });
        const got = await catalog.getPartitions('music', 'plays');
        expect(got).toHaveLength(130);
        expect(got.map((p) => p.Values)).toEqual(all.map((p) => p.Values)); // sorted by values
        const first = got[0]!;
        expect(first).toMatchObject({
          DatabaseName: 'music',
          TableName: 'plays',
          Values: ['2024-01-01', 'r1'],
          Parameters: { recordCount: '10' },
        });
        expect(first.StorageDescriptor).toEqual(all[0]!.StorageDescriptor);
        expect(first.StorageDescriptor.Columns[1]!.Type).toBe(NESTED);
        expect(first.CreationTime).toBeInstanceOf(Date);
      });

      test('rewrites only the partitions that differ, and adds the new ones', async () => {
        const changed = all.slice(0, 3).map((p) => ({ ...p, Parameters: { recordCount: '11' } }));
        const added = [partition(input, '2025-01-01', 'r1'), partition(input, '2025-01-02', 'r1')];
        expect(await catalog.putPartitions('music', 'plays', [...changed, ...added, all[10]!])).toEqual({
          created: 2,
          updated: 3,
        });
        const got = await catalog.getPartitions('music', 'plays', { expression: "dt = '2024-01-01'" });
        expect(got.map((p) => [p.Values, p.Parameters?.recordCount])).toEqual([
          [['2024-01-01', 'r1'], '11'],
          [['2024-01-01', 'r2'], '11'],
        ]);
      });

      test('filters with Glue expressions', async () => {
        const values = async (expression: string) =>
          (await catalog.getPartitions('music', 'plays', { expression })).map((p) => p.Values.join('/'));
        expect(await values("dt >= '2024-03-05'")).toEqual([
          '2024-03-05/r1',
          '2024-03-05/r2',
          '2025-01-01/r1',
          '2025-01-02/r1',
        ]);
        expect(await values("dt >= '2024-03-04' AND run = 'r2'")).toEqual(['2024-03-04/r2', '2024-03-05/r2']);
        expect(await values("dt < '2024-01-02' OR dt = '2025-01-02'")).toEqual([
          '2024-01-01/r1',
          '2024-01-01/r2',
          '2025-01-02/r1',
        ]);
        expect(await values("dt BETWEEN '2024-01-02' AND '2024-01-03' AND run <> 'r1'")).toEqual([
          '2024-01-02/r2',
          '2024-01-03/r2',
        ]);
        expect(await values("dt IN ('2024-02-01', '2099-01-01') AND run = 'r1'")).toEqual(['2024-02-01/r1']);
        expect(await values("dt LIKE '2025-%'")).toEqual(['2025-01-01/r1', '2025-01-02/r1']);
      });

      test('deletePartitions removes those given and ignores the ones that do not exist', async () => {
        await catalog.deletePartitions('music', 'plays', [
          ['2025-01-01', 'r1'],
          ['2025-01-02', 'r1'],
          ['2099-12-31', 'r9'],
        ]);
        const got = await catalog.getPartitions('music', 'plays', { expression: "dt >= '2025-01-01'" });
        expect(got).toEqual([]);
        expect(await catalog.getPartitions('music', 'plays')).toHaveLength(130);
      });

      test('values that do not match the partition keys are INVALID_ARGUMENT', async () => {
        await rejectsWith(
          catalog.putPartitions('music', 'plays', [{ ...all[0]!, Values: ['2024-01-01'] }]),
          'INVALID_ARGUMENT',
        );
        await rejectsWith(catalog.deletePartitions('music', 'plays', [['a', 'b', 'c']]), 'INVALID_ARGUMENT');
      });

      test('a missing table is STORAGE_NOT_FOUND', async () => {
        await rejectsWith(catalog.putPartitions('music', 'nope', all.slice(0, 1)), 'STORAGE_NOT_FOUND');
        await rejectsWith(catalog.getPartitions('music', 'nope'), 'STORAGE_NOT_FOUND');
        await rejectsWith(catalog.deletePartitions('music', 'nope', [['a', 'b']]), 'STORAGE_NOT_FOUND');
        await rejectsWith(catalog.deleteTable('music', 'nope'), 'STORAGE_NOT_FOUND');
      });
    });
  });
}
