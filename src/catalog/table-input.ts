// What a Glue crawler writes, as functions: the table writers (the crawler, the transform) build their
// TableInputs here so that every table in tunelake's catalog looks like one a real crawler made
// (https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-catalog-tables.html). Also the helpers both catalog
// implementations share: name checks and the equality that decides "unchanged".
import { TunelakeError } from '../errors.js';
import type { Catalog, Column, PartitionInput, StorageDescriptor, TableInput } from './catalog.js';

export const JSON_SERDE = 'org.openx.data.jsonserde.JsonSerDe';
export const TEXT_INPUT_FORMAT = 'org.apache.hadoop.mapred.TextInputFormat';
export const TEXT_OUTPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat';
export const PARQUET_SERDE = 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe';
export const PARQUET_INPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat';
export const PARQUET_OUTPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat';

/** The table parameter a crawler sets when the data of a table it made is gone (value: ISO time). */
export const DEPRECATED_BY_CRAWLER = 'DEPRECATED_BY_CRAWLER';
export const UPDATED_BY_CRAWLER = 'UPDATED_BY_CRAWLER';
/** The crawler name the helpers write unless told otherwise (= the tables' database). */
export const DEFAULT_CRAWLER_NAME = 'tunelake';

/** The parameters a crawler owns; on an update it replaces these and keeps everybody else's. */
export const CRAWLER_PARAMETER_KEYS = [
  'classification',
  'compressionType',
  'typeOfData',
  'objectCount',
  'recordCount',
  'averageRecordSize',
  'sizeKey',
  UPDATED_BY_CRAWLER,
  'CrawlerSchemaSerializerVersion',
  'CrawlerSchemaDeserializerVersion',
  'exclusions',
] as const;

export interface TableStats {
  objectCount: number;
  recordCount: number;
  /** Total bytes of the objects (as stored, so compressed for gzip). */
  sizeKey: number;
}

export interface TableInputOptions {
  name: string;
  /** The data's prefix (`store.uri(prefix)`); a missing trailing '/' is added. */
  location: string;
  columns: Column[];
  partitionKeys?: Column[];
  /** Extra table parameters; they win over the crawler's own. */
  parameters?: Record<string, string>;
  description?: string;
  stats?: TableStats;
  /** UPDATED_BY_CRAWLER; default 'tunelake'. */
  crawlerName?: string;
  /** Exclusion globs, stored on the table as a crawler does (Athena ignores them). */
  exclusions?: string[];
}

/** A Parquet table exactly as a Glue crawler registers one. */
export function parquetTableInput(options: TableInputOptions): TableInput {
  // Parquet's internal codecs are not whole-file compression: crawlers write compressionType=none.
  return tableInput(options, {
    classification: 'parquet',
    compressionType: 'none',
    serde: { SerializationLibrary: PARQUET_SERDE, Parameters: { 'serialization.format': '1' } },
    inputFormat: PARQUET_INPUT_FORMAT,
    outputFormat: PARQUET_OUTPUT_FORMAT,
  });
}

/** An NDJSON table (OpenX JsonSerDe) exactly as a Glue crawler registers one. */
export function jsonTableInput(options: TableInputOptions & { compression: 'gzip' | 'none' }): TableInput {
  const paths = options.columns.map((c) => c.Name).sort();
  return tableInput(options, {
    classification: 'json',
    compressionType: options.compression,
    serde: { SerializationLibrary: JSON_SERDE, Parameters: { paths: paths.join(',') } },
    inputFormat: TEXT_INPUT_FORMAT,
    outputFormat: TEXT_OUTPUT_FORMAT,
  });
}

function tableInput(
  options: TableInputOptions,
  format: {
    classification: string;
    compressionType: string;
    serde: StorageDescriptor['SerdeInfo'];
    inputFormat: string;
    outputFormat: string;
  },
): TableInput {
  const stats = options.stats;
  const parameters: Record<string, string> = {
    classification: format.classification,
    compressionType: format.compressionType,
    typeOfData: 'file',
    ...(stats
      ? {
          objectCount: String(stats.objectCount),
          recordCount: String(stats.recordCount),
          averageRecordSize: String(
            stats.recordCount > 0 ? Math.round(stats.sizeKey / stats.recordCount) : 0,
          ),
          sizeKey: String(stats.sizeKey),
        }
      : {}),
    [UPDATED_BY_CRAWLER]: options.crawlerName ?? DEFAULT_CRAWLER_NAME,
    CrawlerSchemaSerializerVersion: '1.0',
    CrawlerSchemaDeserializerVersion: '1.0',
    ...(options.exclusions && options.exclusions.length > 0
      ? { exclusions: JSON.stringify(options.exclusions) }
      : {}),
    ...options.parameters,
  };
  return {
    Name: options.name,
    ...(options.description !== undefined ? { Description: options.description } : {}),
    TableType: 'EXTERNAL_TABLE',
    Parameters: parameters,
    PartitionKeys: options.partitionKeys ?? [],
    StorageDescriptor: {
      Columns: options.columns,
      Location: withTrailingSlash(options.location),
      InputFormat: format.inputFormat,
      OutputFormat: format.outputFormat,
      Compressed: false,
      NumberOfBuckets: -1,
      SerdeInfo: format.serde,
      // Crawlers copy the table parameters into the storage descriptor.
      Parameters: { ...parameters },
    },
  };
}

/**
 * A partition under Glue's `InheritFromTable`: the table's columns, formats and SerDe, its own Location
 * and parameters (per-partition statistics).
 */
export function inheritedPartitionInput(
  table: TableInput,
  partition: { values: string[]; location: string; parameters?: Record<string, string> },
): PartitionInput {
  const sd = table.StorageDescriptor;
  return {
    Values: partition.values,
    StorageDescriptor: {
      ...sd,
      Columns: sd.Columns.map((c) => ({ ...c })),
      Location: withTrailingSlash(partition.location),
      SerdeInfo: {
        ...sd.SerdeInfo,
        ...(sd.SerdeInfo.Parameters ? { Parameters: { ...sd.SerdeInfo.Parameters } } : {}),
      },
      ...(partition.parameters ? { Parameters: { ...partition.parameters } } : {}),
    },
    ...(partition.parameters ? { Parameters: { ...partition.parameters } } : {}),
  };
}

export function withTrailingSlash(location: string): string {
  return location.endsWith('/') ? location : `${location}/`;
}

// --- names ---------------------------------------------------------------------------------------

const NAME = /^[a-z0-9][a-z0-9_]{0,254}$/;

/** Hive-compatible lowercase names; INVALID_ARGUMENT otherwise. */
export function assertCatalogName(what: 'database' | 'table', name: string): void {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Invalid ${what} name "${String(name)}": expected 1-255 lowercase letters, digits and '_', not starting with '_' ` +
        '(Glue and Hive names are lowercase).',
      { details: { [what]: name } },
    );
  }
}

export function assertPartitionValues(db: string, table: string, keys: Column[], values: string[][]): void {
  for (const v of values) {
    if (!Array.isArray(v) || v.length !== keys.length || v.some((x) => typeof x !== 'string')) {
      throw new TunelakeError(
        'INVALID_ARGUMENT',
        `Invalid partition values ${JSON.stringify(v)} for ${db}.${table}: expected ${keys.length} string(s), ` +
          `one per partition key (${keys.map((k) => k.Name).join(', ') || 'none'}).`,
        { details: { database: db, table, values: v } },
      );
    }
  }
}

export function tableNotFound(db: string, name: string, cause?: unknown): TunelakeError {
  return new TunelakeError(
    'STORAGE_NOT_FOUND',
    `Table ${db}.${name} does not exist in the catalog: run \`tunelake crawl\` (or the transform) to create it.`,
    { cause, details: { database: db, table: name } },
  );
}

export function databaseNotFound(db: string, cause?: unknown): TunelakeError {
  return new TunelakeError(
    'STORAGE_NOT_FOUND',
    `Database ${db} does not exist in the catalog: create it first (ensureDatabase, or \`tunelake crawl\`).`,
    { cause, details: { database: db } },
  );
}

export function tableExists(db: string, name: string, cause?: unknown): TunelakeError {
  return new TunelakeError(
    'STORAGE_CONFLICT',
    `Table ${db}.${name} already exists: update it (updateTable/upsertTable) or delete it first.`,
    { cause, details: { database: db, table: name } },
  );
}

// --- equality ------------------------------------------------------------------------------------

function sortedRecord(record: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(record ?? {}).sort()) out[key] = record![key]!;
  return out;
}

function canonicalColumns(columns: Column[] | undefined): unknown[] {
  return (columns ?? []).map((c) => [c.Name, c.Type, c.Comment ?? null]);
}

function canonicalStorageDescriptor(sd: StorageDescriptor | undefined): unknown {
  if (!sd) return null;
  return {
    Columns: canonicalColumns(sd.Columns),
    Location: sd.Location ?? '',
    InputFormat: sd.InputFormat ?? '',
    OutputFormat: sd.OutputFormat ?? '',
    SerdeInfo: {
      SerializationLibrary: sd.SerdeInfo?.SerializationLibrary ?? '',
      Parameters: sortedRecord(sd.SerdeInfo?.Parameters),
    },
    Compressed: sd.Compressed ?? false,
    // Unbucketed reads back as -1 or 0 depending on who wrote it.
    NumberOfBuckets: sd.NumberOfBuckets === undefined || sd.NumberOfBuckets <= 0 ? -1 : sd.NumberOfBuckets,
    Parameters: sortedRecord(sd.Parameters),
  };
}

/** The fields of a table that a writer controls, in one comparable string (absent = empty). */
export function canonicalTableInput(t: TableInput): string {
  return JSON.stringify({
    Name: t.Name,
    Description: t.Description ?? '',
    TableType: t.TableType,
    Parameters: sortedRecord(t.Parameters),
    PartitionKeys: canonicalColumns(t.PartitionKeys),
    StorageDescriptor: canonicalStorageDescriptor(t.StorageDescriptor),
    ViewOriginalText: t.ViewOriginalText ?? '',
    ViewExpandedText: t.ViewExpandedText ?? '',
  });
}

export function canonicalPartitionInput(p: PartitionInput): string {
  return JSON.stringify({
    Values: p.Values,
    StorageDescriptor: canonicalStorageDescriptor(p.StorageDescriptor),
    Parameters: sortedRecord(p.Parameters),
  });
}

/** Only the TableInput fields of a Table (what updateTable takes back). */
export function toTableInput(t: TableInput): TableInput {
  return {
    Name: t.Name,
    ...(t.Description !== undefined ? { Description: t.Description } : {}),
    TableType: t.TableType,
    ...(t.Parameters !== undefined ? { Parameters: t.Parameters } : {}),
    PartitionKeys: t.PartitionKeys ?? [],
    StorageDescriptor: t.StorageDescriptor,
    ...(t.ViewOriginalText !== undefined ? { ViewOriginalText: t.ViewOriginalText } : {}),
    ...(t.ViewExpandedText !== undefined ? { ViewExpandedText: t.ViewExpandedText } : {}),
  };
}

export function compareValues(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** upsertTable in terms of get/create/update, for both implementations; a lost create race becomes an update. */
export async function upsertTableVia(
  catalog: Pick<Catalog, 'getTable' | 'createTable' | 'updateTable'>,
  db: string,
  input: TableInput,
): Promise<'created' | 'updated' | 'unchanged'> {
  for (let attempt = 0; ; attempt++) {
    const current = await catalog.getTable(db, input.Name);
    if (!current) {
      try {
        await catalog.createTable(db, input);
        return 'created';
      } catch (error) {
        if (attempt < 3 && error instanceof TunelakeError && error.code === 'STORAGE_CONFLICT') continue;
        throw error;
      }
    }
    if (canonicalTableInput(current) === canonicalTableInput(input)) return 'unchanged';
    try {
      await catalog.updateTable(db, input);
      return 'updated';
    } catch (error) {
      if (attempt < 3 && error instanceof TunelakeError && error.code === 'STORAGE_NOT_FOUND') continue;
      throw error;
    }
  }
}
