// Test helper: a lake of typed tables written from hand-made rows (test/golden/insights/dataset.ts)
// the way the transform writes them (one zstd Parquet file per table or partition, without the
// partition column, under tables/<name>/[<key>=<value>/]part-00000.parquet), recorded in the transform
// state as the transform records them, and registered in the catalog by the catalog stage itself.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Catalog } from '../../catalog/catalog.js';
import { register } from '../../catalog/register.js';
import { DuckDb } from '../../query/duckdb.js';
import { HIVE_TYPE_OF_DUCKDB } from '../../query/hive-types.js';
import { sqlIdentifier, sqlString } from '../../query/sql-text.js';
import type { ObjectStore } from '../../storage/store.js';
import { commitTransformState, loadTransformState, type TableState } from '../../transform/state.js';

export type FixtureValue = string | number | boolean | null | string[];
export type FixtureRow = Record<string, FixtureValue>;

export interface FixtureTableSchema {
  columns: Array<[name: string, duckDbType: string]>;
  partitionKey?: string;
}

/** The Hive type the transform declares for each DuckDB type it writes. */
export const HIVE_TYPE_OF = HIVE_TYPE_OF_DUCKDB;

function literal(value: FixtureValue | undefined): string {
  if (value === null || value === undefined) return 'NULL';
  if (Array.isArray(value)) return `[${value.map(sqlString).join(', ')}]`;
  if (typeof value === 'string') return sqlString(value);
  return String(value);
}

export async function writeFixtureLake(
  store: ObjectStore,
  catalog: Catalog,
  schemas: Record<string, FixtureTableSchema>,
  dataset: Record<string, FixtureRow[]>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tunelake-fixture-'));
  const db = await DuckDb.create({ threads: 1 });
  const tables: Record<string, TableState> = {};
  try {
    for (const [name, schema] of Object.entries(schemas)) {
      const rows = dataset[name] ?? [];
      const pk = schema.partitionKey;
      const all: Array<[string, string]> = pk ? [...schema.columns, [pk, 'VARCHAR']] : schema.columns;
      for (const row of rows) {
        const unknown = Object.keys(row).filter((k) => !all.some(([c]) => c === k));
        if (unknown.length > 0) throw new Error(`fixture ${name}: unknown column(s) ${unknown.join(', ')}`);
      }
      const t = sqlIdentifier(name);
      await db.run(`CREATE TABLE ${t} (${all.map(([c, type]) => `${sqlIdentifier(c)} ${type}`).join(', ')})`);
      if (rows.length > 0) {
        const values = rows.map((row) => `(${all.map(([c]) => literal(row[c])).join(', ')})`);
        await db.run(`INSERT INTO ${t} VALUES ${values.join(', ')}`);
      }
      const select = schema.columns.map(([c]) => sqlIdentifier(c)).join(', ');
      const partitions = pk ? [...new Set(rows.map((r) => String(r[pk])))].sort() : [];
      const files: Array<{ key: string; where: string }> = pk
        ? partitions.map((v) => ({
            key: `tables/${name}/${pk}=${v}/part-00000.parquet`,
            where: `WHERE ${sqlIdentifier(pk)} = ${sqlString(v)}`,
          }))
        : [{ key: `tables/${name}/part-00000.parquet`, where: '' }];
      for (const [i, file] of files.entries()) {
        const path = join(dir, `${name}-${i}.parquet`);
        await db.run(
          `COPY (SELECT ${select} FROM ${t} ${file.where} ORDER BY ALL) TO ${sqlString(path)} (FORMAT parquet, COMPRESSION zstd)`,
        );
        await store.put(file.key, await readFile(path));
      }
      tables[name] = {
        columns: schema.columns.map(([c, type]) => ({ name: c, type: hiveType(type) })),
        partitionKeys: pk ? [{ name: pk, type: 'string' }] : [],
        partitions: partitions.map((v) => [v]),
        rowCount: rows.length,
      };
    }
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
  const { state, etag } = await loadTransformState(store);
  await commitTransformState(store, { ...state, tables: { ...state.tables, ...tables } }, etag);
  await register({ store, catalog }, { raw: false });
}

function hiveType(duckDbType: string): string {
  const type = HIVE_TYPE_OF[duckDbType];
  if (!type) throw new Error(`fixture: no Hive type for ${duckDbType}`);
  return type;
}
