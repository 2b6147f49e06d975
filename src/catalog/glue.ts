// The AWS Glue Data Catalog behind the Catalog port: the only file that talks to `@aws-sdk/client-glue`,
// imported on first use so that a local run never loads it. The port already speaks Glue's shapes, so
// this is mostly a pass-through; what it adds is what the port promises on top of the API:
// - idempotent putPartitions: BatchCreatePartition (<= 100 per call); for the ones that already exist,
//   BatchGetPartition (<= 1000) to compare, and BatchUpdatePartition (<= 100) for those that differ;
// - BatchDeletePartition (<= 25 per call) that ignores partitions already gone;
// - pagination (NextToken) for tables, partitions and versions, and stable ordering;
// - Glue's exceptions mapped to TunelakeError codes (EntityNotFound -> STORAGE_NOT_FOUND, AlreadyExists
//   and ConcurrentModification -> STORAGE_CONFLICT, throttling and 5xx -> retryable STORAGE_FAILED).
// Limits: https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-catalog-partitions.html
import type {
  GlueClient,
  Column as GlueColumn,
  Partition as GluePartition,
  StorageDescriptor as GlueStorageDescriptor,
  Table as GlueTable,
} from '@aws-sdk/client-glue';
import { TunelakeError } from '../errors.js';
import { lazyAwsClient } from '../lazy-aws-client.js';
import { type Logger, silentLogger } from '../log.js';
import type {
  Catalog,
  Column,
  Partition,
  PartitionInput,
  RawCrawler,
  StorageDescriptor,
  Table,
} from './catalog.js';
import {
  assertCatalogName,
  assertPartitionValues,
  canonicalPartitionInput,
  compareValues,
  databaseNotFound,
  tableExists,
  tableNotFound,
  toTableInput,
  upsertTableVia,
} from './table-input.js';

/** The slice of the SDK's GlueClient this catalog uses. */
export type GlueClientLike = Pick<GlueClient, 'send' | 'destroy'>;

export interface GlueCatalogConfig {
  region: string;
  /** A Glue-compatible endpoint; undefined for AWS itself. */
  endpoint?: string | undefined;
  /** The AWS account whose catalog to use; undefined for the caller's own. */
  catalogId?: string | undefined;
}

export interface GlueCatalogDeps {
  /** Used instead of a client built from the standard AWS credential chain; not destroyed by close(). */
  glueClient?: GlueClientLike | undefined;
  logger?: Logger | undefined;
}

const CREATE_BATCH = 100;
const GET_BATCH = 1000;
const UPDATE_BATCH = 100;
const DELETE_BATCH = 25;

type Sdk = typeof import('@aws-sdk/client-glue');

export function createGlueCatalog(config: GlueCatalogConfig, deps: GlueCatalogDeps = {}): Catalog {
  const logger = deps.logger ?? silentLogger;
  const catalogId = config.catalogId ? { CatalogId: config.catalogId } : {};
  const aws = lazyAwsClient(
    () => import('@aws-sdk/client-glue'),
    ({ GlueClient }): GlueClientLike =>
      // Credentials come from the SDK's standard chain (env, profile, SSO, instance role).
      new GlueClient({ region: config.region, ...(config.endpoint ? { endpoint: config.endpoint } : {}) }),
    deps.glueClient,
  );
  const { sdk, client } = aws;

  /** Runs one API call; every failure leaves as a TunelakeError. */
  async function call<T>(
    action: string,
    run: (sdk: Sdk, glue: GlueClientLike) => Promise<T>,
    notFound?: () => TunelakeError,
  ): Promise<T> {
    const [s, glue] = await Promise.all([sdk(), client()]);
    try {
      return await run(s, glue);
    } catch (error) {
      throw glueError(action, error, notFound);
    }
  }

  async function requireTable(db: string, name: string): Promise<Table> {
    const table = await catalog.getTable(db, name);
    if (!table) throw tableNotFound(db, name);
    return table;
  }

  const catalog: Catalog = {
    kind: 'glue',

    async ensureDatabase(name, description) {
      assertCatalogName('database', name);
      try {
        await call('CreateDatabase', (s, glue) =>
          glue.send(
            new s.CreateDatabaseCommand({
              ...catalogId,
              DatabaseInput: { Name: name, ...(description ? { Description: description } : {}) },
            }),
          ),
        );
        logger.debug('catalog: created Glue database', { database: name });
      } catch (error) {
        if (error instanceof TunelakeError && error.code === 'STORAGE_CONFLICT') return;
        throw error;
      }
    },

    async getTable(db, name) {
      assertCatalogName('database', db);
      assertCatalogName('table', name);
      try {
        const out = await call('GetTable', (s, glue) =>
          glue.send(new s.GetTableCommand({ ...catalogId, DatabaseName: db, Name: name })),
        );
        return out.Table ? fromGlueTable(out.Table, db) : undefined;
      } catch (error) {
        if (error instanceof TunelakeError && error.code === 'STORAGE_NOT_FOUND') return undefined;
        throw error;
      }
    },

    async listTables(db) {
      assertCatalogName('database', db);
      const tables: Table[] = [];
      let token: string | undefined;
      do {
        const out = await call(
          'GetTables',
          (s, glue) =>
            glue.send(new s.GetTablesCommand({ ...catalogId, DatabaseName: db, NextToken: token })),
          () => databaseNotFound(db),
        );
        for (const t of out.TableList ?? []) tables.push(fromGlueTable(t, db));
        token = out.NextToken || undefined;
      } while (token);
      return tables.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
    },

    async createTable(db, input) {
      assertCatalogName('database', db);
      assertCatalogName('table', input?.Name);
      try {
        await call(
          'CreateTable',
          (s, glue) =>
            glue.send(
              new s.CreateTableCommand({ ...catalogId, DatabaseName: db, TableInput: toTableInput(input) }),
            ),
          () => databaseNotFound(db),
        );
      } catch (error) {
        if (error instanceof TunelakeError && error.code === 'STORAGE_CONFLICT' && !error.retryable) {
          throw tableExists(db, input.Name, error);
        }
        throw error;
      }
    },

    async updateTable(db, input, options = {}) {
      assertCatalogName('database', db);
      assertCatalogName('table', input?.Name);
      await call(
        'UpdateTable',
        (s, glue) =>
          glue.send(
            new s.UpdateTableCommand({
              ...catalogId,
              DatabaseName: db,
              TableInput: toTableInput(input),
              ...(options.skipArchive ? { SkipArchive: true } : {}),
            }),
          ),
        () => tableNotFound(db, input.Name),
      );
    },

    upsertTable(db, input) {
      return upsertTableVia(catalog, db, input);
    },

    async deleteTable(db, name) {
      assertCatalogName('database', db);
      assertCatalogName('table', name);
      await call(
        'DeleteTable',
        (s, glue) => glue.send(new s.DeleteTableCommand({ ...catalogId, DatabaseName: db, Name: name })),
        () => tableNotFound(db, name),
      );
    },

    async getTableVersions(db, name) {
      assertCatalogName('database', db);
      assertCatalogName('table', name);
      const versions: Array<{ VersionId: string; Table: Table }> = [];
      let token: string | undefined;
      do {
        const out = await call(
          'GetTableVersions',
          (s, glue) =>
            glue.send(
              new s.GetTableVersionsCommand({
                ...catalogId,
                DatabaseName: db,
                TableName: name,
                NextToken: token,
              }),
            ),
          () => tableNotFound(db, name),
        );
        for (const v of out.TableVersions ?? []) {
          if (!v.Table) continue;
          const versionId = v.VersionId ?? v.Table.VersionId ?? '0';
          versions.push({
            VersionId: versionId,
            Table: { ...fromGlueTable(v.Table, db), VersionId: versionId },
          });
        }
        token = out.NextToken || undefined;
      } while (token);
      return versions.sort((a, b) => Number(a.VersionId) - Number(b.VersionId));
    },

    async putPartitions(db, name, partitions) {
      const table = await requireTable(db, name);
      assertPartitionValues(
        db,
        name,
        table.PartitionKeys,
        partitions.map((p) => p.Values),
      );
      const inputs = [...new Map(partitions.map((p) => [JSON.stringify(p.Values), p])).values()];
      let created = 0;
      const existing: PartitionInput[] = [];
      for (const chunk of chunks(inputs, CREATE_BATCH)) {
        const out = await call(
          'BatchCreatePartition',
          (s, glue) =>
            glue.send(
              new s.BatchCreatePartitionCommand({
                ...catalogId,
                DatabaseName: db,
                TableName: name,
                PartitionInputList: chunk.map(toGluePartitionInput),
              }),
            ),
          () => tableNotFound(db, name),
        );
        const failed = new Set<string>();
        for (const e of out.Errors ?? []) {
          const key = JSON.stringify(e.PartitionValues ?? []);
          if (e.ErrorDetail?.ErrorCode === 'AlreadyExistsException') {
            failed.add(key);
            continue;
          }
          throw partitionError('BatchCreatePartition', db, name, e.PartitionValues, e.ErrorDetail);
        }
        for (const p of chunk) {
          if (failed.has(JSON.stringify(p.Values))) existing.push(p);
          else created++;
        }
      }

      // Those that existed: rewrite only the ones that differ, so that a re-run is a no-op.
      const changed: PartitionInput[] = [];
      for (const chunk of chunks(existing, GET_BATCH)) {
        const out = await call(
          'BatchGetPartition',
          (s, glue) =>
            glue.send(
              new s.BatchGetPartitionCommand({
                ...catalogId,
                DatabaseName: db,
                TableName: name,
                PartitionsToGet: chunk.map((p) => ({ Values: p.Values })),
              }),
            ),
          () => tableNotFound(db, name),
        );
        const current = new Map(
          (out.Partitions ?? []).map((p) => [JSON.stringify(p.Values ?? []), fromGluePartition(p, db, name)]),
        );
        for (const p of chunk) {
          const now = current.get(JSON.stringify(p.Values));
          if (!now || canonicalPartitionInput(now) !== canonicalPartitionInput(p)) changed.push(p);
        }
      }
      for (const chunk of chunks(changed, UPDATE_BATCH)) {
        const out = await call(
          'BatchUpdatePartition',
          (s, glue) =>
            glue.send(
              new s.BatchUpdatePartitionCommand({
                ...catalogId,
                DatabaseName: db,
                TableName: name,
                Entries: chunk.map((p) => ({
                  PartitionValueList: p.Values,
                  PartitionInput: toGluePartitionInput(p),
                })),
              }),
            ),
          () => tableNotFound(db, name),
        );
        const first = out.Errors?.[0];
        if (first)
          throw partitionError('BatchUpdatePartition', db, name, first.PartitionValueList, first.ErrorDetail);
      }
      return { created, updated: changed.length };
    },

    async getPartitions(db, name, options = {}) {
      assertCatalogName('database', db);
      assertCatalogName('table', name);
      const expression = options.expression?.trim() ? options.expression : undefined;
      const out: Partition[] = [];
      let token: string | undefined;
      do {
        const page = await call(
          'GetPartitions',
          (s, glue) =>
            glue.send(
              new s.GetPartitionsCommand({
                ...catalogId,
                DatabaseName: db,
                TableName: name,
                ...(expression ? { Expression: expression } : {}),
                NextToken: token,
              }),
            ),
          () => tableNotFound(db, name),
        );
        for (const p of page.Partitions ?? []) out.push(fromGluePartition(p, db, name));
        token = page.NextToken || undefined;
      } while (token);
      return out.sort((a, b) => compareValues(a.Values, b.Values));
    },

    async deletePartitions(db, name, values) {
      if (values.length === 0) return;
      const table = await requireTable(db, name);
      assertPartitionValues(db, name, table.PartitionKeys, values);
      for (const chunk of chunks(values, DELETE_BATCH)) {
        const out = await call(
          'BatchDeletePartition',
          (s, glue) =>
            glue.send(
              new s.BatchDeletePartitionCommand({
                ...catalogId,
                DatabaseName: db,
                TableName: name,
                PartitionsToDelete: chunk.map((v) => ({ Values: v })),
              }),
            ),
          () => tableNotFound(db, name),
        );
        const first = (out.Errors ?? []).find((e) => e.ErrorDetail?.ErrorCode !== 'EntityNotFoundException');
        if (first)
          throw partitionError('BatchDeletePartition', db, name, first.PartitionValues, first.ErrorDetail);
      }
    },

    async close() {
      await aws.destroy();
    },
  };
  return catalog;
}

function* chunks<T>(items: T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

function toGluePartitionInput(p: PartitionInput) {
  return {
    Values: p.Values,
    StorageDescriptor: p.StorageDescriptor,
    ...(p.Parameters ? { Parameters: p.Parameters } : {}),
  };
}

function fromGlueColumns(columns: GlueColumn[] | undefined): Column[] {
  return (columns ?? []).map((c) => ({
    Name: c.Name ?? '',
    Type: c.Type ?? '',
    ...(c.Comment !== undefined ? { Comment: c.Comment } : {}),
  }));
}

function fromGlueStorageDescriptor(sd: GlueStorageDescriptor | undefined): StorageDescriptor {
  return {
    Columns: fromGlueColumns(sd?.Columns),
    Location: sd?.Location ?? '',
    InputFormat: sd?.InputFormat ?? '',
    OutputFormat: sd?.OutputFormat ?? '',
    SerdeInfo: {
      SerializationLibrary: sd?.SerdeInfo?.SerializationLibrary ?? '',
      ...(sd?.SerdeInfo?.Parameters ? { Parameters: sd.SerdeInfo.Parameters } : {}),
    },
    ...(sd?.Compressed !== undefined ? { Compressed: sd.Compressed } : {}),
    ...(sd?.NumberOfBuckets !== undefined ? { NumberOfBuckets: sd.NumberOfBuckets } : {}),
    ...(sd?.Parameters ? { Parameters: sd.Parameters } : {}),
  };
}

function fromGlueTable(t: GlueTable, db: string): Table {
  return {
    Name: t.Name ?? '',
    DatabaseName: t.DatabaseName ?? db,
    ...(t.Description !== undefined ? { Description: t.Description } : {}),
    TableType: t.TableType === 'VIRTUAL_VIEW' ? 'VIRTUAL_VIEW' : 'EXTERNAL_TABLE',
    ...(t.Parameters ? { Parameters: t.Parameters } : {}),
    PartitionKeys: fromGlueColumns(t.PartitionKeys),
    StorageDescriptor: fromGlueStorageDescriptor(t.StorageDescriptor),
    ...(t.ViewOriginalText !== undefined ? { ViewOriginalText: t.ViewOriginalText } : {}),
    ...(t.ViewExpandedText !== undefined ? { ViewExpandedText: t.ViewExpandedText } : {}),
    ...(t.CreateTime ? { CreateTime: new Date(t.CreateTime) } : {}),
    ...(t.UpdateTime ? { UpdateTime: new Date(t.UpdateTime) } : {}),
    ...(t.VersionId !== undefined ? { VersionId: t.VersionId } : {}),
  };
}

function fromGluePartition(p: GluePartition, db: string, table: string): Partition {
  return {
    Values: p.Values ?? [],
    StorageDescriptor: fromGlueStorageDescriptor(p.StorageDescriptor),
    ...(p.Parameters ? { Parameters: p.Parameters } : {}),
    DatabaseName: p.DatabaseName ?? db,
    TableName: p.TableName ?? table,
    ...(p.CreationTime ? { CreationTime: new Date(p.CreationTime) } : {}),
  };
}

function partitionError(
  action: string,
  db: string,
  table: string,
  values: string[] | undefined,
  detail: { ErrorCode?: string | undefined; ErrorMessage?: string | undefined } | undefined,
): TunelakeError {
  const code = detail?.ErrorCode ?? 'UnknownError';
  return new TunelakeError(
    code === 'EntityNotFoundException'
      ? 'STORAGE_NOT_FOUND'
      : code === 'InvalidInputException'
        ? 'INVALID_ARGUMENT'
        : 'STORAGE_FAILED',
    `Glue ${action} failed for ${db}.${table} partition ${JSON.stringify(values ?? [])}: ${code}: ${detail?.ErrorMessage ?? ''}`,
    { retryable: RETRYABLE.has(code), details: { action, database: db, table, values, glueError: code } },
  );
}

const RETRYABLE = new Set([
  'ThrottlingException',
  'InternalServiceException',
  'OperationTimeoutException',
  'ConcurrentModificationException',
  'ResourceNotReadyException',
  'TimeoutError',
  'RequestTimeout',
]);

function glueError(action: string, error: unknown, notFound?: () => TunelakeError): TunelakeError {
  if (error instanceof TunelakeError) return error;
  const e = error as {
    name?: string;
    message?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const name = e?.name ?? 'Error';
  const message = `Glue ${action} failed: ${name}: ${e?.message ?? String(error)}`;
  if (name === 'EntityNotFoundException') {
    const specific = notFound?.();
    if (specific)
      return new TunelakeError(specific.code, specific.message, { cause: error, details: specific.details });
    return new TunelakeError('STORAGE_NOT_FOUND', message, { cause: error, details: { action } });
  }
  if (name === 'AlreadyExistsException')
    return new TunelakeError('STORAGE_CONFLICT', message, { cause: error, retryable: false });
  if (name === 'ConcurrentModificationException') {
    return new TunelakeError('STORAGE_CONFLICT', `${message} Try again.`, { cause: error, retryable: true });
  }
  if (name === 'InvalidInputException' || name === 'ValidationException') {
    return new TunelakeError('INVALID_ARGUMENT', message, { cause: error, details: { action } });
  }
  if (
    name === 'AccessDeniedException' ||
    name === 'UnrecognizedClientException' ||
    name === 'ExpiredTokenException'
  ) {
    return new TunelakeError(
      'STORAGE_FAILED',
      `${message} Check the AWS credentials and their Glue permissions (glue:${action}).`,
      { cause: error, details: { action } },
    );
  }
  const status = e?.$metadata?.httpStatusCode;
  const retryable =
    RETRYABLE.has(name) ||
    (status !== undefined && status >= 500) ||
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(e?.code ?? '');
  return new TunelakeError('STORAGE_FAILED', message, {
    cause: error,
    retryable,
    details: { action, status },
  });
}

// --- the raw zone's crawler ----------------------------------------------------------------------
// Starts the stack's Glue crawler over the raw zone. StartCrawler only asks: the crawl runs on its own
// (minutes), and its failures reach the crawler-state EventBridge rule the stack alarms on, not this
// process. A crawler already running is not an error: it will see the new objects too (or the next
// run's start will).

export function createGlueCrawler(
  name: string,
  config: { region: string },
  deps: { glueClient?: GlueClientLike | undefined } = {},
): RawCrawler {
  return {
    kind: 'glue',
    crawl: () => startGlueCrawler(name, { region: config.region, glueClient: deps.glueClient }),
  };
}

async function startGlueCrawler(
  name: string,
  deps: { glueClient?: GlueClientLike | undefined; region: string },
): Promise<'started' | 'already-running'> {
  const { GlueClient, StartCrawlerCommand } = await import('@aws-sdk/client-glue');
  const client: GlueClientLike = deps.glueClient ?? new GlueClient({ region: deps.region });
  try {
    await client.send(new StartCrawlerCommand({ Name: name }));
    return 'started';
  } catch (error) {
    const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    if (e?.name === 'CrawlerRunningException') return 'already-running';
    if (e?.name === 'EntityNotFoundException') {
      throw new TunelakeError(
        'CONFIG_INVALID',
        `The Glue crawler "${name}" (TUNELAKE_GLUE_CRAWLER) does not exist: ${e.message ?? ''}`.trim(),
        { cause: error, details: { crawler: name } },
      );
    }
    const status = e?.$metadata?.httpStatusCode;
    throw new TunelakeError(
      'STORAGE_FAILED',
      `Glue StartCrawler "${name}" failed: ${e?.name ?? 'Error'}: ${e?.message ?? String(error)}`,
      {
        cause: error,
        retryable:
          e?.name === 'ThrottlingException' ||
          e?.name === 'OperationTimeoutException' ||
          (status !== undefined && status >= 500),
        details: { crawler: name },
      },
    );
  } finally {
    if (!deps.glueClient) client.destroy();
  }
}
