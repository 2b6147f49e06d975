// The Catalog port: what tunelake knows about the lake's tables, in AWS Glue Data Catalog shapes (with
// Glue's PascalCase names, so that the Glue adapter is a thin pass-through and a table written locally
// reads the same in Athena). Stages import this file only; `local.ts` keeps the catalog as JSON files in
// the lake itself (`catalog/`), `glue.ts` is AWS Glue, and the composition root (src/runtime.ts) picks
// one: this port imports neither. The two promise the same contract
// (test/contract/catalog.test.ts runs on both):
//
// - Names of databases and tables are lowercase Hive names: [a-z0-9_], starting with a letter or digit.
// - createTable on an existing table: STORAGE_CONFLICT. Any operation on a missing table (or a table in
//   a missing database), except getTable which returns undefined: STORAGE_NOT_FOUND.
// - updateTable archives the previous version (append-only history, getTableVersions) unless skipArchive.
// - putPartitions is idempotent: a partition that exists unchanged is neither rewritten nor counted.
// - Listings (tables, partitions, versions) come back in a stable order: by name, by values, by version.
//
// The data model is AWS Glue's (docs/aws.md; https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-catalog-tables.html).

/** The raw zone's database (gzipped NDJSON, one table per dataset). */
export const RAW_DATABASE = 'tunelake_raw';
/** The typed Parquet tables' database. */
export const TABLES_DATABASE = 'tunelake';

export interface Column {
  Name: string;
  /** A Hive type string: `bigint`, `decimal(10,2)`, `array<struct<id:string,name:string>>`. */
  Type: string;
  Comment?: string;
}

export interface SerDeInfo {
  SerializationLibrary: string;
  Parameters?: Record<string, string>;
}

export interface StorageDescriptor {
  Columns: Column[];
  /** The data's prefix, ending in '/': `s3://bucket/lake/raw/tracks/` or `/abs/lake/raw/tracks/`. */
  Location: string;
  InputFormat: string;
  OutputFormat: string;
  SerdeInfo: SerDeInfo;
  Compressed?: boolean;
  /** -1 when the table is not bucketed (what crawlers write). */
  NumberOfBuckets?: number;
  Parameters?: Record<string, string>;
}

export interface TableInput {
  Name: string;
  Description?: string;
  TableType: 'EXTERNAL_TABLE' | 'VIRTUAL_VIEW';
  Parameters?: Record<string, string>;
  /** Always present, `[]` when unpartitioned: Athena needs the empty list (https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-catalog-tables.html). */
  PartitionKeys: Column[];
  StorageDescriptor: StorageDescriptor;
  ViewOriginalText?: string;
  ViewExpandedText?: string;
}

export interface Table extends TableInput {
  DatabaseName: string;
  CreateTime?: Date;
  UpdateTime?: Date;
  /** A decimal integer as a string, incremented by each archiving update. */
  VersionId?: string;
}

export interface PartitionInput {
  /** In PartitionKeys order. */
  Values: string[];
  StorageDescriptor: StorageDescriptor;
  Parameters?: Record<string, string>;
}

export interface Partition extends PartitionInput {
  DatabaseName: string;
  TableName: string;
  CreationTime?: Date;
}

export interface Catalog {
  readonly kind: 'local' | 'glue';
  /** Creates the database unless it exists (then nothing changes, not even the description). */
  ensureDatabase(name: string, description?: string): Promise<void>;
  /** undefined when the table (or its database) does not exist. */
  getTable(db: string, name: string): Promise<Table | undefined>;
  /** Sorted by name. STORAGE_NOT_FOUND when the database does not exist. */
  listTables(db: string): Promise<Table[]>;
  /** STORAGE_CONFLICT when the table exists; STORAGE_NOT_FOUND when the database does not. */
  createTable(db: string, input: TableInput): Promise<void>;
  /** Replaces the table `input.Name`, archiving the previous version unless `skipArchive`. */
  updateTable(db: string, input: TableInput, options?: { skipArchive?: boolean }): Promise<void>;
  /** Creates, or updates (archiving) when different, or leaves alone when equal. */
  upsertTable(db: string, input: TableInput): Promise<'created' | 'updated' | 'unchanged'>;
  /** Deletes the table with its partitions and versions. */
  deleteTable(db: string, name: string): Promise<void>;
  /** Every version, oldest first, the current one last. */
  getTableVersions(db: string, name: string): Promise<Array<{ VersionId: string; Table: Table }>>;
  /**
   * Creates the missing partitions and rewrites those that differ; identical ones are left alone.
   * Glue: BatchCreatePartition in chunks of 100, then BatchUpdatePartition for the ones that existed.
   */
  putPartitions(
    db: string,
    table: string,
    partitions: PartitionInput[],
  ): Promise<{ created: number; updated: number }>;
  /**
   * Sorted by values. `expression` is Glue's partition filter (`dt >= '2024-05-01' AND run = 'x'`):
   * comparisons, [NOT] LIKE, [NOT] IN, [NOT] BETWEEN, IS [NOT] NULL, AND, OR, parentheses.
   */
  getPartitions(db: string, table: string, options?: { expression?: string }): Promise<Partition[]>;
  /** Partitions that do not exist are ignored. */
  deletePartitions(db: string, table: string, values: string[][]): Promise<void>;
  close(): Promise<void>;
}

/** What crawling the raw zone did: Glue's crawler runs on its own; tunelake's own runs in-process. */
export type RawCrawlResult = 'started' | 'already-running' | 'crawled-in-process';

/**
 * Crawls the raw zone into RAW_DATABASE: the stack's AWS Glue crawler (started, it runs on its own)
 * or tunelake's Glue-like crawler in this process (crawler.ts). The composition root picks one.
 */
export interface RawCrawler {
  readonly kind: 'glue' | 'in-process';
  crawl(): Promise<RawCrawlResult>;
}
