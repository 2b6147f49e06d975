// What only the local catalog has to prove (the shared contract is test/contract/catalog.test.ts): that
// writers racing on the same table through separate catalogs (as separate processes would) lose nothing.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createObjectStore } from '../runtime.js';
import type { ObjectStore } from '../storage/store.js';
import { createLocalCatalog } from './local.js';
import { parquetTableInput } from './table-input.js';

describe('createLocalCatalog(config, deps)', () => {
  let dir: string;
  let stores: ObjectStore[];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tunelake-local-catalog-'));
    stores = Array.from({ length: 4 }, () =>
      createObjectStore({ lake: join(dir, 'lake'), s3Endpoint: undefined, awsRegion: 'us-east-1' }),
    );
  });
  afterAll(async () => {
    for (const store of stores ?? []) await store.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const table = (name: string, description: string) => ({
    ...parquetTableInput({
      name,
      location: `/lake/tables/${name}`,
      columns: [{ Name: 'id', Type: 'string' }],
      partitionKeys: [{ Name: 'dt', Type: 'string' }],
    }),
    Description: description,
  });

  test('concurrent putPartitions from four catalogs keep every partition', async () => {
    const catalogs = stores.map((store) => createLocalCatalog({}, { store }));
    await catalogs[0]!.ensureDatabase('race');
    const input = table('plays', 'v1');
    await catalogs[0]!.createTable('race', input);
    const batches = catalogs.map((_, w) =>
      Array.from({ length: 25 }, (_, i) => ({
        Values: [`2024-${String(w + 1).padStart(2, '0')}-${String(i + 1).padStart(2, '0')}`],
        StorageDescriptor: { ...input.StorageDescriptor, Location: `/lake/tables/plays/w${w}/${i}/` },
      })),
    );
    const results = await Promise.all(catalogs.map((c, w) => c.putPartitions('race', 'plays', batches[w]!)));
    expect(results.reduce((sum, r) => sum + r.created, 0)).toBe(100);
    const partitions = await catalogs[1]!.getPartitions('race', 'plays');
    expect(partitions).toHaveLength(100);
    expect(new Set(partitions.map((p) => p.Values[0])).size).toBe(100);
  });

  test('concurrent updateTable calls each archive a version; none is lost', async () => {
    const catalogs = stores.map((store) => createLocalCatalog({}, { store }));
    await catalogs[0]!.ensureDatabase('race');
    await catalogs[0]!.createTable('race', table('dims', 'v0'));
    await Promise.all(catalogs.map((c, w) => c.updateTable('race', table('dims', `writer ${w}`))));
    const versions = await catalogs[2]!.getTableVersions('race', 'dims');
    expect(versions.map((v) => v.VersionId)).toEqual(['1', '2', '3', '4', '5']);
    const descriptions = versions.map((v) => v.Table.Description);
    expect(descriptions[0]).toBe('v0');
    expect(descriptions.slice(1).sort()).toEqual(['writer 0', 'writer 1', 'writer 2', 'writer 3']);
  });

  test('deleteTable leaves none of the table files behind', async () => {
    const catalog = createLocalCatalog({}, { store: stores[0]! });
    await catalog.ensureDatabase('again');
    const input = table('t', 'first');
    await catalog.createTable('again', input);
    await catalog.putPartitions('again', 't', [
      { Values: ['x'], StorageDescriptor: input.StorageDescriptor },
    ]);
    await catalog.deleteTable('again', 't');
    const keys: string[] = [];
    for await (const info of stores[0]!.list('catalog/again/')) keys.push(info.key);
    expect(keys).toEqual(['catalog/again/database.json']);
  });

  test.each([
    ['tunelake', /delete it and run `tunelake run` \(or `tunelake transform`\)/],
    ['tunelake_raw', /delete it and run `tunelake crawl`/],
  ])(
    'getTable over a damaged table file in %s names the command that registers it again',
    async (db, fix) => {
      const catalog = createLocalCatalog({}, { store: stores[0]! });
      await catalog.ensureDatabase(db);
      await catalog.createTable(db, table('damaged', 'v1'));
      await stores[0]!.put(`catalog/${db}/damaged/table.json`, '{"format": 1, ');
      const error = await catalog.getTable(db, 'damaged').then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message).toMatch(new RegExp(`catalog/${db}/damaged/table\\.json is not valid JSON`));
      expect(error?.message).toMatch(fix);
      // A crawl registers only the raw zone: it must not be the advice for a typed table (#17).
      if (db === 'tunelake') expect(error?.message).not.toMatch(/crawl/);
    },
  );
});
