// A Parquet file's schema and row count, read from its footer with DuckDB (no row is read), as Hive
// types: what a Glue crawler records for Parquet (INT64 -> bigint, DOUBLE -> double, UTF8 -> string,
// LIST -> array<...>, ...; https://docs.aws.amazon.com/glue/latest/dg/crawler-running.html). One in-memory DuckDB serves a
// whole crawl. DuckDB reads local files only here (no httpfs offline), so S3 objects are first copied
// to a temp file by the caller.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type DuckDBConnection,
  DuckDBDecimalType,
  DuckDBInstance,
  DuckDBListType,
  DuckDBMapType,
  DuckDBStructType,
  type DuckDBType,
  DuckDBTypeId,
} from '@duckdb/node-api';
import { sqlString } from '../query/sql-text.js';
import { type HiveType, primitive, struct } from './infer.js';

export interface ParquetSchema {
  /** A struct of the file's columns, in file order. */
  schema: HiveType & { kind: 'struct' };
  rows: number;
}

export interface ParquetSchemaReader {
  read(path: string): Promise<ParquetSchema>;
  close(): Promise<void>;
}

export function createParquetSchemaReader(): ParquetSchemaReader {
  let opened: Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> | undefined;
  const open = () => {
    opened ??= (async () => {
      // Offline: a missing extension must fail at once, not try a download, and write nothing under ~.
      const instance = await DuckDBInstance.create(':memory:', {
        autoinstall_known_extensions: 'false',
        autoload_known_extensions: 'false',
        extension_directory: join(tmpdir(), 'tunelake-duckdb-extensions'),
        threads: '1',
      });
      return { instance, connection: await instance.connect() };
    })();
    return opened;
  };
  // One query at a time on the shared connection.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => {});
    return run;
  };

  return {
    read(path) {
      return serial(async () => {
        const { connection } = await open();
        const file = sqlString(path);
        // hive_partitioning=false: the partition columns come from the folders, not from the file.
        const described = await connection.runAndReadAll(
          `SELECT * FROM read_parquet(${file}, hive_partitioning = false, filename = false) LIMIT 0`,
        );
        const names = described.columnNames();
        const types = described.columnTypes();
        const schema = struct(names.map((name, i) => [name, hiveTypeOf(types[i]!)] as [string, HiveType]));
        const counted = await connection.runAndReadAll(`SELECT num_rows FROM parquet_file_metadata(${file})`);
        const rows = Number(counted.getRows()[0]?.[0] ?? 0);
        return { schema, rows };
      });
    },
    async close() {
      if (!opened) return;
      const { instance, connection } = await opened;
      connection.closeSync();
      instance.closeSync();
      opened = undefined;
    },
  };
}

/** DuckDB's view of a Parquet type -> the Hive type a Glue crawler writes. */
export function hiveTypeOf(type: DuckDBType): HiveType {
  if (type instanceof DuckDBStructType) {
    return struct(
      type.entryNames.map((name, i) => [name, hiveTypeOf(type.entryTypes[i]!)] as [string, HiveType]),
    );
  }
  if (type instanceof DuckDBListType) return { kind: 'array', element: hiveTypeOf(type.valueType) };
  if (type instanceof DuckDBMapType) {
    return { kind: 'map', key: hiveTypeOf(type.keyType), value: hiveTypeOf(type.valueType) };
  }
  if (type instanceof DuckDBDecimalType) return primitive(`decimal(${type.width},${type.scale})`);
  switch (type.typeId) {
    case DuckDBTypeId.ARRAY:
      return { kind: 'array', element: hiveTypeOf((type as { valueType: DuckDBType }).valueType) };
    case DuckDBTypeId.BOOLEAN:
      return primitive('boolean');
    case DuckDBTypeId.TINYINT:
      return primitive('tinyint');
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.UTINYINT:
      return primitive('smallint');
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.USMALLINT:
      return primitive('int');
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UINTEGER:
      return primitive('bigint');
    case DuckDBTypeId.UBIGINT:
      return primitive('decimal(20,0)');
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return primitive('decimal(38,0)');
    case DuckDBTypeId.FLOAT:
      return primitive('float');
    case DuckDBTypeId.DOUBLE:
      return primitive('double');
    case DuckDBTypeId.DATE:
      return primitive('date');
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return primitive('timestamp');
    case DuckDBTypeId.BLOB:
      return primitive('binary');
    default:
      // VARCHAR, UUID, ENUM, TIME, INTERVAL, ...: Hive has no closer type than string.
      return primitive('string');
  }
}
