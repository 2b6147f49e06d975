// Writing tables: DuckDB writes each partition as one Parquet file into a local temp folder, then the
// files replace the lake's objects one key at a time, then stale objects of the rewritten scopes go.
//
// Every output key is a deterministic function of (table, partition): `tables/<table>/part-00000.parquet`
// or `tables/<table>/<key>=<value>/part-00000.parquet`, so a rewrite replaces an object in place (an
// atomic single-key write on disk and on S3) and a reader sees the old file or the new one, never a
// mix within a file. A file whose bytes equal the object already there is not uploaded again.
// One COPY per partition, rows in a total order: DuckDB's PARTITION_BY writes rows in thread order,
// which would make the bytes differ between runs.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TunelakeError } from '../errors.js';
import { tablePrefix } from '../lake.js';
import type { DuckDb } from '../query/duckdb.js';
import { sqlIdentifier, sqlString } from '../query/sql-text.js';
import { makeDirs } from '../storage/make-dirs.js';
import { type ObjectStore, sameEtag } from '../storage/store.js';
import type { TableFileRecord } from './state.js';

export const PART_FILE = 'part-00000.parquet';
const PARTITION_VALUE = /^\d{4}-\d{2}-\d{2}$/;
/** Files above this size are streamed to the store (S3: multipart) instead of read into memory. */
const STREAM_THRESHOLD_BYTES = 32 * 1024 * 1024;

export interface OutputFile {
  table: string;
  key: string;
  path: string;
  /** Partition values (empty for an unpartitioned table). */
  values: string[];
  rows: number;
}

/** A key prefix whose every object must be one of `keep` once the transform is done. */
export interface RewriteScope {
  prefix: string;
  keep: Set<string>;
}

export { tablePrefix };

export function partitionPrefix(table: string, partitionKey: string, value: string): string {
  return `${tablePrefix(table)}${partitionKey}=${value}/`;
}

/**
 * Writes the table (unpartitioned) or the given partitions of it into `outDir`. A partition without
 * rows gets no file; an unpartitioned table always gets one, empty if need be, so that its schema is
 * there for readers.
 */
export async function writeTable(
  db: DuckDb,
  table: string,
  columns: readonly string[],
  partitionKey: string | undefined,
  partitions: readonly string[],
  outDir: string,
): Promise<OutputFile[]> {
  const select = columns.map(sqlIdentifier).join(', ');
  const t = sqlIdentifier(table);
  if (partitionKey === undefined) {
    const key = `${tablePrefix(table)}${PART_FILE}`;
    const path = join(outDir, ...key.split('/'));
    await makeDirs(join(path, '..'));
    await copy(db, `SELECT ${select} FROM ${t} ORDER BY ALL`, path);
    const [row] = await db.all(`SELECT count(*) AS n FROM ${t}`);
    return [{ table, key, path, values: [], rows: Number(row?.n ?? 0) }];
  }

  const pk = sqlIdentifier(partitionKey);
  const counts = new Map<string, number>();
  for (const row of await db.all(`SELECT ${pk} AS v, count(*) AS n FROM ${t} GROUP BY ${pk}`)) {
    counts.set(String(row.v), Number(row.n));
  }
  const sorted = [...partitions].sort();
  for (const value of sorted) {
    if (!PARTITION_VALUE.test(value)) {
      throw new TunelakeError('INTERNAL', `Table ${table}: unexpected ${partitionKey} value "${value}".`);
    }
  }
  const wanted = sorted.filter((value) => (counts.get(value) ?? 0) > 0);
  // Each COPY below filters the table on its partition. The table's rows are in no order, so every
  // COPY would scan all of them: 130 monthly partitions of a 1M-stream history took 9 s that way.
  // Copied once in partition order, with the partition's number as an integer, each COPY reads only
  // the row groups of its partition (zone maps). A copy of a few partitions is not worth its memory.
  const grouped = wanted.length >= SORTED_COPY_MIN_PARTITIONS;
  const source = grouped ? sqlIdentifier(`${table}__write`) : t;
  if (grouped) {
    await db.run(`
      CREATE OR REPLACE TEMP TABLE ${source} AS
      SELECT ${select}, list_position([${wanted.map(sqlString).join(', ')}], ${pk}) AS __part
      FROM ${t} WHERE ${pk} IN (${wanted.map(sqlString).join(', ')}) ORDER BY __part
    `);
  }
  const files: OutputFile[] = [];
  try {
    for (const [i, value] of wanted.entries()) {
      const key = `${partitionPrefix(table, partitionKey, value)}${PART_FILE}`;
      const path = join(outDir, ...key.split('/'));
      await makeDirs(join(path, '..'));
      const filter = grouped ? `__part = ${i + 1}` : `${pk} = ${sqlString(value)}`;
      await copy(db, `SELECT ${select} FROM ${source} WHERE ${filter} ORDER BY ALL`, path);
      files.push({ table, key, path, values: [value], rows: counts.get(value) ?? 0 });
    }
  } finally {
    if (grouped) await db.run(`DROP TABLE IF EXISTS ${source}`);
  }
  return files;
}

/** From this many partitions to write on, they are copied in partition order first (writeTable). */
const SORTED_COPY_MIN_PARTITIONS = 8;

async function copy(db: DuckDb, query: string, path: string): Promise<void> {
  await db.run(`COPY (${query}) TO ${sqlString(path)} (FORMAT parquet, COMPRESSION zstd)`);
}

export interface PublishResult {
  uploaded: number;
  unchanged: number;
  deleted: string[];
  /** What each file now in the lake holds, by key: recorded in the transform state (#17). */
  files: Record<string, TableFileRecord>;
}

/**
 * Puts every file at its key (skipping identical ones), then deletes what the scopes no longer
 * hold. `checkpoint` is called after each upload (`uploaded:<n>`), for crash tests.
 */
export async function publish(
  store: ObjectStore,
  files: readonly OutputFile[],
  scopes: readonly RewriteScope[],
  checkpoint: (name: string) => void | Promise<void>,
): Promise<PublishResult> {
  let uploaded = 0;
  let unchanged = 0;
  const records: Record<string, TableFileRecord> = {};
  for (const file of files) {
    const { md5, sha256, bytes } = await hashFile(file.path);
    const existing = await store.head(file.key);
    if (existing && sameEtag(existing.etag, `"${md5}"`) && existing.size === bytes) {
      records[file.key] = { bytes, sha256, etag: existing.etag, rows: file.rows };
      unchanged++;
      continue;
    }
    const written =
      bytes > STREAM_THRESHOLD_BYTES
        ? await store.putStream(file.key, createReadStream(file.path), {
            contentType: 'application/vnd.apache.parquet',
          })
        : await store.put(file.key, await readFile(file.path), {
            contentType: 'application/vnd.apache.parquet',
          });
    records[file.key] = { bytes, sha256, etag: written.etag, rows: file.rows };
    uploaded++;
    await checkpoint(`uploaded:${uploaded}`);
  }

  const deleted: string[] = [];
  for (const scope of scopes) {
    const stale: string[] = [];
    for await (const info of store.list(scope.prefix)) {
      if (!scope.keep.has(info.key)) stale.push(info.key);
    }
    if (stale.length > 0) {
      await store.deleteMany(stale);
      deleted.push(...stale);
    }
  }
  return { uploaded, unchanged, deleted: deleted.sort(), files: records };
}

async function hashFile(path: string): Promise<{ md5: string; sha256: string; bytes: number }> {
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    md5.update(chunk);
    sha256.update(chunk);
    bytes += chunk.byteLength;
  }
  return { md5: md5.digest('hex'), sha256: sha256.digest('hex'), bytes };
}
