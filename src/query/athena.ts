// The QueryEngine on Amazon Athena: the only file that talks to `@aws-sdk/client-athena`, imported on
// first use. The API flow (https://docs.aws.amazon.com/athena/latest/APIReference/API_StartQueryExecution.html):
//
//   StartQueryExecution (ClientRequestToken: a retried start never runs the query twice)
//   -> GetQueryExecution, polled with backoff until SUCCEEDED, FAILED or CANCELLED
//   -> GetQueryResults, page by page (NextToken); for a SELECT the first row of the first page is the
//      header, not data
//   -> every value arrives as a string (NULL: no VarCharValue) and is typed by ResultSetMetadata.ColumnInfo.
//
// Athena reads the Glue catalog itself, so refresh() has nothing to do. Complex values (array, row, map)
// arrive in Athena's own text form (`[a, b]`, `{id=1, name=x}`), which is parsed into arrays and objects
// whose leaves stay strings: that form does not say a leaf's type and cannot tell `a, b` inside a string
// from two elements. `CAST(x AS JSON)` in the query gives exact, typed values instead.
import { randomUUID } from 'node:crypto';
import type {
  AthenaClient,
  ColumnInfo,
  GetQueryExecutionCommandOutput,
  GetQueryResultsCommandOutput,
  GetWorkGroupCommandOutput,
  QueryExecution,
  ResultConfiguration,
} from '@aws-sdk/client-athena';
import { TunelakeError } from '../errors.js';
import { lazyAwsClient } from '../lazy-aws-client.js';
import { type Logger, silentLogger } from '../log.js';
import {
  assertQueryText,
  type QueryColumn,
  type QueryEngine,
  type QueryOptions,
  type QueryResult,
  type Row,
  stripComments,
  uniqueColumnNames,
} from './engine.js';
import { bigIntegerValue, decimalValue, isoTimestamp } from './hive-types.js';

/** The slice of the SDK's AthenaClient this engine uses. */
export type AthenaClientLike = Pick<AthenaClient, 'send'> & Partial<Pick<AthenaClient, 'destroy'>>;

export interface AthenaEngineConfig {
  region: string;
  workGroup: string;
  /** `s3://bucket/prefix/` for the results; undefined: the workgroup's own location. */
  outputLocation: string | undefined;
  /** Unqualified table names resolve in this database unless a query says otherwise. */
  database: string;
  /** First wait between two polls; it grows by half each time up to `pollMaxMs`. */
  pollInitialMs?: number;
  pollMaxMs?: number;
  /** A query still running after this long is stopped (StopQueryExecution) and fails. */
  timeoutMs?: number;
  /** Rows per GetQueryResults page (1-1000). */
  pageSize?: number;
}

export interface AthenaEngineDeps {
  /** Used instead of a client built from the standard AWS credential chain; not destroyed by close(). */
  athenaClient?: AthenaClientLike | undefined;
  logger?: Logger | undefined;
  readOnly?: boolean | undefined;
  sleep?: (ms: number) => Promise<void>;
  /** Milliseconds (the poll deadline and `stats.durationMs`). */
  now?: () => number;
  /** The idempotency token of each StartQueryExecution (32-128 characters). */
  requestToken?: () => string;
}

type Sdk = typeof import('@aws-sdk/client-athena');

const DEFAULT_POLL_INITIAL_MS = 250;
const DEFAULT_POLL_MAX_MS = 5_000;
const DEFAULT_TIMEOUT_MS = 30 * 60_000; // Athena's own DML timeout
const DEFAULT_PAGE_SIZE = 1000; // GetQueryResults' maximum
const READ_ONLY_START = new Set(['select', 'with', 'values', 'table']);

export function createAthenaEngine(config: AthenaEngineConfig, deps: AthenaEngineDeps = {}): QueryEngine {
  const logger = deps.logger ?? silentLogger;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = deps.now ?? (() => Date.now());
  const requestToken = deps.requestToken ?? (() => randomUUID());
  const pollInitialMs = config.pollInitialMs ?? DEFAULT_POLL_INITIAL_MS;
  const pollMaxMs = config.pollMaxMs ?? DEFAULT_POLL_MAX_MS;
  const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const pageSize = config.pageSize ?? DEFAULT_PAGE_SIZE;
  let closed = false;

  const aws = lazyAwsClient(
    () => import('@aws-sdk/client-athena'),
    // Credentials come from the SDK's standard chain (env, profile, SSO, instance role).
    ({ AthenaClient }): AthenaClientLike => new AthenaClient({ region: config.region }),
    deps.athenaClient,
  );
  const { sdk, client } = aws;

  async function call<T>(action: string, build: (sdk: Sdk) => unknown): Promise<T> {
    const [s, c] = await Promise.all([sdk(), client()]);
    try {
      return (await c.send(build(s) as never)) as T;
    } catch (error) {
      throw athenaError(action, error);
    }
  }

  // Whether to send a result location: not when the workgroup enforces its own (Athena would ignore
  // ours), and it must come from somewhere. Asked once; a caller without athena:GetWorkGroup still
  // works when TUNELAKE_ATHENA_OUTPUT (or an S3 lake) gives the location.
  let resultConfiguration: Promise<ResultConfiguration | undefined> | undefined;
  const resolveResultConfiguration = async (): Promise<ResultConfiguration | undefined> => {
    let workGroup: GetWorkGroupCommandOutput['WorkGroup'];
    try {
      const out = await call<GetWorkGroupCommandOutput>(
        'GetWorkGroup',
        (s) => new s.GetWorkGroupCommand({ WorkGroup: config.workGroup }),
      );
      workGroup = out.WorkGroup;
    } catch (error) {
      if (error instanceof TunelakeError && error.code === 'INVALID_ARGUMENT') {
        throw new TunelakeError(
          'CONFIG_INVALID',
          `Athena workgroup "${config.workGroup}" cannot be used: ${error.message} Set TUNELAKE_ATHENA_WORKGROUP to an existing workgroup.`,
          { cause: error, details: { workGroup: config.workGroup } },
        );
      }
      logger.debug('athena: GetWorkGroup failed; sending the configured result location', {
        error: (error as Error).message,
      });
      return config.outputLocation ? { OutputLocation: config.outputLocation } : undefined;
    }
    if (!workGroup) {
      throw new TunelakeError(
        'CONFIG_INVALID',
        `Athena workgroup "${config.workGroup}" does not exist: set TUNELAKE_ATHENA_WORKGROUP to an existing workgroup.`,
        { details: { workGroup: config.workGroup } },
      );
    }
    const wgConfig = workGroup.Configuration;
    if (wgConfig?.EnforceWorkGroupConfiguration) return undefined;
    if (config.outputLocation) return { OutputLocation: config.outputLocation };
    if (wgConfig?.ResultConfiguration?.OutputLocation) return undefined;
    throw new TunelakeError(
      'CONFIG_INVALID',
      `Athena needs a location for query results, and workgroup "${config.workGroup}" has none: set ` +
        'TUNELAKE_ATHENA_OUTPUT (athena.outputLocation in the config file) to s3://bucket/prefix/, or use an S3 lake.',
      { details: { workGroup: config.workGroup } },
    );
  };

  async function waitFor(id: string, sql: string): Promise<QueryExecution> {
    const deadline = now() + timeoutMs;
    let delay = pollInitialMs;
    for (;;) {
      const out = await call<GetQueryExecutionCommandOutput>(
        'GetQueryExecution',
        (s) => new s.GetQueryExecutionCommand({ QueryExecutionId: id }),
      );
      const execution = out.QueryExecution ?? {};
      const state = execution.Status?.State;
      if (state === 'SUCCEEDED') return execution;
      if (state === 'FAILED' || state === 'CANCELLED') throw failedQuery(id, execution, sql);
      if (now() >= deadline) {
        await call(
          'StopQueryExecution',
          (s) => new s.StopQueryExecutionCommand({ QueryExecutionId: id }),
        ).catch(() => {});
        throw new TunelakeError(
          'STORAGE_FAILED',
          `Athena query ${id} was still ${state ?? 'pending'} after ${Math.round(timeoutMs / 1000)} s, so it was stopped.`,
          { retryable: true, details: { queryExecutionId: id, sql: clip(sql) } },
        );
      }
      await sleep(Math.min(delay, Math.max(0, deadline - now())));
      delay = Math.min(pollMaxMs, Math.ceil(delay * 1.5));
    }
  }

  async function readResults(
    id: string,
    execution: QueryExecution,
  ): Promise<{ columns: QueryColumn[]; rows: Row[] }> {
    let infos: ColumnInfo[] | undefined;
    let names: string[] = [];
    const rows: Row[] = [];
    let token: string | undefined;
    let first = true;
    do {
      const page = await call<GetQueryResultsCommandOutput>(
        'GetQueryResults',
        (s) =>
          new s.GetQueryResultsCommand({
            QueryExecutionId: id,
            MaxResults: pageSize,
            ...(token ? { NextToken: token } : {}),
          }),
      );
      infos ??= page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
      if (first) names = uniqueColumnNames(infos.map((c, i) => c.Name ?? c.Label ?? `_col${i}`));
      let data = page.ResultSet?.Rows ?? [];
      if (first && execution.StatementType !== 'DDL' && isHeader(data[0]?.Data, infos)) data = data.slice(1);
      for (const r of data) {
        const row: Row = {};
        infos.forEach((info, i) => {
          row[names[i]!] = athenaValue(r.Data?.[i]?.VarCharValue, info);
        });
        rows.push(row);
      }
      first = false;
      token = page.NextToken;
    } while (token);
    return {
      columns: (infos ?? []).map((info, i) => ({ name: names[i]!, type: athenaTypeName(info) })),
      rows,
    };
  }

  return {
    name: 'athena',
    async query(sql: string, options: QueryOptions = {}): Promise<QueryResult> {
      if (closed) throw new TunelakeError('INTERNAL', 'This query engine is closed.');
      assertQueryText(sql);
      if (deps.readOnly) assertReadOnly(sql);
      const started = now();
      resultConfiguration ??= resolveResultConfiguration().catch((error: unknown) => {
        resultConfiguration = undefined; // ask again next time
        throw error;
      });
      const result = await resultConfiguration;
      const database = options.database ?? config.database;
      const start = await call<{ QueryExecutionId?: string }>(
        'StartQueryExecution',
        (s) =>
          new s.StartQueryExecutionCommand({
            QueryString: sql,
            QueryExecutionContext: { Database: database },
            WorkGroup: config.workGroup,
            ...(result ? { ResultConfiguration: result } : {}),
            ClientRequestToken: requestToken(),
          }),
      );
      const id = start.QueryExecutionId;
      if (!id)
        throw new TunelakeError('STORAGE_FAILED', 'Athena StartQueryExecution returned no QueryExecutionId.');
      logger.debug('athena: query started', { queryExecutionId: id, database, workGroup: config.workGroup });
      const execution = await waitFor(id, sql);
      const { columns, rows } = await readResults(id, execution);
      const bytesScanned = execution.Statistics?.DataScannedInBytes;
      return {
        columns,
        rows,
        engine: 'athena',
        stats: {
          durationMs: Math.max(0, now() - started),
          ...(bytesScanned === undefined ? {} : { bytesScanned }),
        },
      };
    },
    async refresh() {},
    async close() {
      if (closed) return;
      closed = true;
      await aws.destroy();
    },
  };
}

function assertReadOnly(sql: string): void {
  const first = /^[\s(]*([A-Za-z]+)/.exec(stripComments(sql))?.[1]?.toLowerCase();
  if (!first || !READ_ONLY_START.has(first)) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `This query engine is read-only: it runs a single SELECT (or WITH ... SELECT), not ${first?.toUpperCase() ?? 'this statement'}.`,
      { details: { sql: clip(sql) } },
    );
  }
}

/** Athena repeats the column labels as the first row of a SELECT's first page. */
function isHeader(data: Array<{ VarCharValue?: string }> | undefined, infos: ColumnInfo[]): boolean {
  if (!data || data.length !== infos.length) return false;
  return infos.every((info, i) => {
    const v = data[i]?.VarCharValue;
    return v !== undefined && (v === info.Label || v === info.Name);
  });
}

function athenaTypeName(info: ColumnInfo): string {
  const type = (info.Type ?? 'varchar').toLowerCase();
  if (type === 'decimal' && info.Precision !== undefined)
    return `decimal(${info.Precision},${info.Scale ?? 0})`;
  return type;
}

/** One result value (always a string, undefined for NULL) as the port types it. */
export function athenaValue(text: string | undefined, info: Pick<ColumnInfo, 'Type'>): unknown {
  if (text === undefined) return null;
  const type = (info.Type ?? 'varchar').toLowerCase();
  switch (type) {
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'tinyint':
    case 'smallint':
    case 'integer':
    case 'int': {
      const n = Number(text);
      return Number.isInteger(n) ? n : text;
    }
    case 'bigint':
      return bigIntegerValue(text);
    case 'real':
    case 'float':
    case 'double': {
      const n = Number(text);
      // NaN and the infinities have no JSON number: keep Athena's spelling, as DuckDB's rows do.
      return Number.isFinite(n) && text.trim() !== '' ? n : text;
    }
    case 'decimal':
      return decimalValue(text);
    case 'json':
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    case 'array':
    case 'map':
    case 'row':
      return parseComplex(text);
    default:
      if (type.startsWith('timestamp')) return isoTimestamp(text);
      if (type.startsWith('decimal')) return decimalValue(text);
      return text;
  }
}

/**
 * Athena's text form of arrays (`[a, b]`), rows and maps (`{k=v, k2=v2}`) -> arrays and objects, leaves
 * as strings (`null` -> null). Text that does not parse is returned as is.
 */
export function parseComplex(text: string): unknown {
  const p = { s: text, i: 0 };
  try {
    const value = parseNode(p, '');
    return p.i === text.length ? value : text;
  } catch {
    return text;
  }
}

function parseNode(p: { s: string; i: number }, closers: string): unknown {
  const c = p.s[p.i];
  if (c === '[') {
    p.i++;
    const out: unknown[] = [];
    if (p.s[p.i] === ']') {
      p.i++;
      return out;
    }
    for (;;) {
      out.push(parseNode(p, ']'));
      if (p.s.startsWith(', ', p.i)) p.i += 2;
      else if (p.s[p.i] === ']') {
        p.i++;
        return out;
      } else throw new Error(`unexpected ${p.s[p.i]} at ${p.i}`);
    }
  }
  if (c === '{') {
    p.i++;
    const out: Record<string, unknown> = {};
    if (p.s[p.i] === '}') {
      p.i++;
      return out;
    }
    for (;;) {
      const eq = p.s.indexOf('=', p.i);
      if (eq === -1) throw new Error('expected =');
      const key = p.s.slice(p.i, eq);
      p.i = eq + 1;
      out[key] = parseNode(p, '}');
      if (p.s.startsWith(', ', p.i)) p.i += 2;
      else if (p.s[p.i] === '}') {
        p.i++;
        return out;
      } else throw new Error(`unexpected ${p.s[p.i]} at ${p.i}`);
    }
  }
  // A leaf runs to the next ", " or closing bracket of its container.
  let end = p.i;
  while (end < p.s.length && !(closers && (p.s[end] === closers || p.s.startsWith(', ', end)))) end++;
  const leaf = p.s.slice(p.i, end);
  p.i = end;
  return leaf === 'null' ? null : leaf;
}

function failedQuery(id: string, execution: QueryExecution, sql: string): TunelakeError {
  const state = execution.Status?.State;
  const athena = execution.Status?.AthenaError;
  const reason = execution.Status?.StateChangeReason ?? athena?.ErrorMessage ?? 'no reason given';
  const details = {
    queryExecutionId: id,
    state,
    errorCategory: athena?.ErrorCategory,
    errorType: athena?.ErrorType,
    sql: clip(sql),
  };
  if (state === 'CANCELLED') {
    return new TunelakeError('STORAGE_FAILED', `Athena query ${id} was cancelled: ${reason}`, {
      retryable: false,
      details,
    });
  }
  // ErrorCategory 2 is the query's own fault (syntax, missing table, type mismatch); 1 is Athena's.
  // https://docs.aws.amazon.com/athena/latest/ug/error-reference.html
  if (athena?.ErrorCategory === 2) {
    return new TunelakeError('INVALID_ARGUMENT', `Query failed: ${oneLine(reason)}`, { details });
  }
  return new TunelakeError('STORAGE_FAILED', `Athena query ${id} failed: ${oneLine(reason)}`, {
    retryable: athena?.Retryable ?? athena?.ErrorCategory === 1,
    details,
  });
}

const RETRYABLE_ERRORS = new Set([
  'TooManyRequestsException',
  'InternalServerException',
  'ThrottlingException',
  'ServiceUnavailable',
]);

function athenaError(action: string, error: unknown): TunelakeError {
  if (error instanceof TunelakeError) return error;
  const e = error as {
    name?: string;
    message?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const name = e?.name ?? 'Error';
  const message = `Athena ${action} failed: ${name}: ${oneLine(e?.message ?? String(error))}`;
  // Athena reports a query it cannot parse or resolve at StartQueryExecution as InvalidRequestException.
  if (name === 'InvalidRequestException') {
    return new TunelakeError(
      'INVALID_ARGUMENT',
      action === 'StartQueryExecution' ? `Query failed: ${oneLine(e?.message ?? '')}` : message,
      { cause: error, details: { action } },
    );
  }
  if (
    name === 'AccessDeniedException' ||
    name === 'UnrecognizedClientException' ||
    name === 'ExpiredTokenException'
  ) {
    return new TunelakeError(
      'STORAGE_FAILED',
      `${message} Check the AWS credentials and their Athena permissions (athena:${action}).`,
      { cause: error, details: { action } },
    );
  }
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'].includes(e?.code ?? '')) {
    return new TunelakeError('NETWORK', message, { cause: error, details: { action } });
  }
  const status = e?.$metadata?.httpStatusCode;
  return new TunelakeError('STORAGE_FAILED', message, {
    cause: error,
    retryable: RETRYABLE_ERRORS.has(name) || (status !== undefined && status >= 500),
    details: { action },
  });
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

function clip(sql: string): string {
  return sql.length > 2000 ? `${sql.slice(0, 2000)}...` : sql;
}
