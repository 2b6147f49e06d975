// The Athena engine. The API flow runs against moto_server with the real SDK client; moto runs no SQL
// (a query has 0 rows unless results are queued through its /moto-api/static/athena/query-results
// hook). What moto cannot do (several result pages, a query that fails, is cancelled or never ends) is
// tested with `fakeAthena` below: a MOCK of the Athena API, because no real Athena can run here.
import {
  AthenaClient,
  CreateWorkGroupCommand,
  GetQueryExecutionCommand,
  ListQueryExecutionsCommand,
} from '@aws-sdk/client-athena';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Moto, motoClientConfig, startMoto } from '../../test/support/moto.js';
import { loadConfig } from '../config.js';
import { isTunelakeError } from '../errors.js';
import {
  type AthenaClientLike,
  type AthenaEngineConfig,
  createAthenaEngine,
  parseComplex,
} from './athena.js';

const BASE: AthenaEngineConfig = {
  region: 'us-east-1',
  workGroup: 'primary',
  outputLocation: 's3://results-bucket/athena/',
  database: 'tunelake',
};

describe('createAthenaEngine(config, deps) on moto_server', () => {
  let moto: Moto;
  let client: AthenaClient;

  beforeAll(async () => {
    moto = await startMoto();
    client = new AthenaClient(motoClientConfig(moto.endpoint));
  });

  afterAll(async () => {
    client?.destroy();
    await moto?.stop();
  });

  async function executionOf(sql: string) {
    const { QueryExecutionIds = [] } = await client.send(new ListQueryExecutionsCommand({}));
    for (const id of QueryExecutionIds) {
      const { QueryExecution } = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
      if (QueryExecution?.Query === sql) return QueryExecution;
    }
    throw new Error(`no execution of ${sql}`);
  }

  test('starts the query in the database and workgroup, waits for it, and reads its (empty) result', async () => {
    const engine = createAthenaEngine(BASE, { athenaClient: client, sleep: async () => {} });
    const sql = 'SELECT count(*) FROM playlist_items';
    const result = await engine.query(sql);
    expect(result).toMatchObject({ engine: 'athena', columns: [], rows: [], stats: { bytesScanned: 0 } });
    const execution = await executionOf(sql);
    expect(execution.QueryExecutionContext).toEqual({ Database: 'tunelake' });
    expect(execution.WorkGroup).toBe('primary');
    expect(execution.ResultConfiguration?.OutputLocation).toMatch(/^s3:\/\/results-bucket\/athena\/.+\.csv$/);

    await engine.query('SELECT * FROM artists', { database: 'tunelake_raw' });
    expect((await executionOf('SELECT * FROM artists')).QueryExecutionContext).toEqual({
      Database: 'tunelake_raw',
    });
    await engine.close();
  });

  test('types the rows moto was told to return, and skips the header row', async () => {
    const response = await fetch(`${moto.endpoint}/moto-api/static/athena/query-results`, {
      method: 'POST',
      body: JSON.stringify({
        results: [
          {
            rows: [
              { Data: [{ VarCharValue: 'track_id' }, { VarCharValue: 'plays' }, { VarCharValue: 'day' }] },
              { Data: [{ VarCharValue: 't1' }, { VarCharValue: '12' }, { VarCharValue: '2026-11-01' }] },
              { Data: [{ VarCharValue: 't2' }, {}, { VarCharValue: '2026-11-02' }] },
            ],
            column_info: [
              { Name: 'track_id', Label: 'track_id', Type: 'varchar' },
              { Name: 'plays', Label: 'plays', Type: 'bigint' },
              { Name: 'day', Label: 'day', Type: 'date' },
            ],
          },
        ],
      }),
    });
    expect(response.status).toBe(201);
    const engine = createAthenaEngine(BASE, { athenaClient: client, sleep: async () => {} });
    const result = await engine.query('SELECT track_id, plays, day FROM plays_by_day');
    expect(result.columns).toEqual([
      { name: 'track_id', type: 'varchar' },
      { name: 'plays', type: 'bigint' },
      { name: 'day', type: 'date' },
    ]);
    expect(result.rows).toEqual([
      { track_id: 't1', plays: 12, day: '2026-11-01' },
      { track_id: 't2', plays: null, day: '2026-11-02' },
    ]);
    await engine.close();
  });

  test('sends no result location when the workgroup enforces its own', async () => {
    await client.send(
      new CreateWorkGroupCommand({
        Name: 'enforced',
        Configuration: {
          EnforceWorkGroupConfiguration: true,
          ResultConfiguration: { OutputLocation: 's3://wg-bucket/out/' },
        },
      }),
    );
    const engine = createAthenaEngine(
      { ...BASE, workGroup: 'enforced' },
      { athenaClient: client, sleep: async () => {} },
    );
    const sql = 'SELECT 1 AS enforced';
    await engine.query(sql);
    const execution = await executionOf(sql);
    expect(execution.WorkGroup).toBe('enforced');
    expect(execution.ResultConfiguration?.OutputLocation ?? '').not.toContain('results-bucket');
    await engine.close();
  });

  test('says which setting to fix when the workgroup does not exist', async () => {
    const engine = createAthenaEngine({ ...BASE, workGroup: 'missing' }, { athenaClient: client });
    const error = await engine.query('SELECT 1').catch((e: unknown) => e);
    expect(isTunelakeError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toContain('TUNELAKE_ATHENA_WORKGROUP');
    await engine.close();
  });
});

// --- a MOCK of the Athena API (no Athena can run here) ----------------------------------------------

type Input = Record<string, unknown>;
type Handler = (input: Input) => unknown;

/** A fake `send`: answers each command by its class name from `handlers`, and records every call. */
function fakeAthena(handlers: Record<string, Handler>) {
  const calls: Array<{ command: string; input: Input }> = [];
  const client = {
    async send(command: { constructor: { name: string }; input: Input }) {
      const name = command.constructor.name.replace(/Command$/, '');
      calls.push({ command: name, input: command.input });
      const handler = handlers[name];
      if (!handler) throw new Error(`fakeAthena: unexpected ${name}`);
      return handler(command.input);
    },
  };
  return { client: client as unknown as AthenaClientLike, calls };
}

const WORKGROUP = () => ({ WorkGroup: { Name: 'primary', Configuration: {} } });
const started = () => ({ QueryExecutionId: 'q-1' });
const succeeded = (extra: Input = {}) => ({
  QueryExecution: {
    Status: { State: 'SUCCEEDED' },
    StatementType: 'DML',
    Statistics: { DataScannedInBytes: 123 },
    ...extra,
  },
});

function awsError(name: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

describe('createAthenaEngine(config, deps).query(sql) with a fake Athena', () => {
  test('reads every page, skips the header on the first page only, and types each value', async () => {
    const columns = [
      { Name: 'id', Type: 'varchar' },
      { Name: 'n', Type: 'integer' },
      { Name: 'big', Type: 'bigint' },
      { Name: 'score', Type: 'double' },
      { Name: 'price', Type: 'decimal', Precision: 10, Scale: 2 },
      { Name: 'ok', Type: 'boolean' },
      { Name: 'at', Type: 'timestamp' },
      { Name: 'tags', Type: 'array' },
      { Name: 'artist', Type: 'row' },
      { Name: 'doc', Type: 'json' },
    ];
    const row = (...values: Array<string | undefined>) => ({
      Data: values.map((v) => (v === undefined ? {} : { VarCharValue: v })),
    });
    const pages: Record<string, unknown> = {
      first: {
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: columns },
          Rows: [
            row(...columns.map((c) => c.Name)),
            row(
              'a',
              '1',
              '9007199254740993',
              '0.5',
              '12.50',
              'true',
              '2026-11-01 08:00:00.123',
              '[x, y]',
              '{id=1, name=Ann}',
              '{"k":[1,2]}',
            ),
          ],
        },
        NextToken: 'page-2',
      },
      'page-2': {
        // Later pages have no header, even when a row looks like one.
        ResultSet: { ResultSetMetadata: { ColumnInfo: columns }, Rows: [row(...columns.map((c) => c.Name))] },
        NextToken: 'page-3',
      },
      'page-3': {
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: columns },
          Rows: [row('c', '-3', '42', 'NaN', '-1', 'false', undefined, '[]', '{id=2, name=null}', undefined)],
        },
      },
    };
    const { client, calls } = fakeAthena({
      GetWorkGroup: WORKGROUP,
      StartQueryExecution: started,
      GetQueryExecution: () => succeeded(),
      GetQueryResults: (input) => pages[(input.NextToken as string | undefined) ?? 'first'],
    });
    const engine = createAthenaEngine(
      { ...BASE, pageSize: 2 },
      { athenaClient: client, sleep: async () => {} },
    );
    const result = await engine.query('SELECT * FROM t');

    expect(result.columns.map((c) => c.type)).toEqual([
      'varchar',
      'integer',
      'bigint',
      'double',
      'decimal(10,2)',
      'boolean',
      'timestamp',
      'array',
      'row',
      'json',
    ]);
    expect(result.rows).toEqual([
      {
        id: 'a',
        n: 1,
        big: '9007199254740993',
        score: 0.5,
        price: 12.5,
        ok: true,
        at: '2026-11-01T08:00:00.123Z',
        tags: ['x', 'y'],
        artist: { id: '1', name: 'Ann' },
        doc: { k: [1, 2] },
      },
      {
        id: 'id',
        n: 'n',
        big: 'big',
        score: 'score',
        price: 'price',
        ok: 'ok',
        at: 'at',
        tags: 'tags',
        artist: 'artist',
        doc: 'doc',
      },
      {
        id: 'c',
        n: -3,
        big: 42,
        score: 'NaN',
        price: -1,
        ok: false,
        at: null,
        tags: [],
        artist: { id: '2', name: null },
        doc: null,
      },
    ]);
    expect(result.stats?.bytesScanned).toBe(123);
    const reads = calls.filter((c) => c.command === 'GetQueryResults').map((c) => c.input);
    expect(reads).toEqual([
      { QueryExecutionId: 'q-1', MaxResults: 2 },
      { QueryExecutionId: 'q-1', MaxResults: 2, NextToken: 'page-2' },
      { QueryExecutionId: 'q-1', MaxResults: 2, NextToken: 'page-3' },
    ]);
  });

  test('starts with a request token and the result location, then polls with a growing wait', async () => {
    const states = ['QUEUED', 'RUNNING', 'RUNNING', 'RUNNING', 'SUCCEEDED'];
    const { client, calls } = fakeAthena({
      GetWorkGroup: WORKGROUP,
      StartQueryExecution: started,
      GetQueryExecution: () => ({
        QueryExecution: { Status: { State: states.shift() ?? 'SUCCEEDED' }, StatementType: 'DML' },
      }),
      GetQueryResults: () => ({ ResultSet: { ResultSetMetadata: { ColumnInfo: [] }, Rows: [] } }),
    });
    const waits: number[] = [];
    const engine = createAthenaEngine(
      { ...BASE, pollInitialMs: 100, pollMaxMs: 300 },
      {
        athenaClient: client,
        sleep: async (ms) => void waits.push(ms),
        requestToken: () => 'token-0123456789abcdef0123456789ab',
      },
    );
    await engine.query('SELECT 1');
    expect(calls.find((c) => c.command === 'StartQueryExecution')?.input).toEqual({
      QueryString: 'SELECT 1',
      QueryExecutionContext: { Database: 'tunelake' },
      WorkGroup: 'primary',
      ResultConfiguration: { OutputLocation: 's3://results-bucket/athena/' },
      ClientRequestToken: 'token-0123456789abcdef0123456789ab',
    });
    expect(waits).toEqual([100, 150, 225, 300]);
    // The workgroup is asked about once, not per query.
    await engine.query('SELECT 2');
    expect(calls.filter((c) => c.command === 'GetWorkGroup')).toHaveLength(1);
  });

  test("does not skip a DDL result's first row, which is data", async () => {
    const { client } = fakeAthena({
      GetWorkGroup: WORKGROUP,
      StartQueryExecution: started,
      GetQueryExecution: () => succeeded({ StatementType: 'DDL' }),
      GetQueryResults: () => ({
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: [{ Name: 'tab_name', Type: 'string' }] },
          Rows: [{ Data: [{ VarCharValue: 'tab_name' }] }, { Data: [{ VarCharValue: 'tracks' }] }],
        },
      }),
    });
    const engine = createAthenaEngine(BASE, { athenaClient: client, sleep: async () => {} });
    expect((await engine.query('SHOW TABLES')).rows).toEqual([
      { tab_name: 'tab_name' },
      { tab_name: 'tracks' },
    ]);
  });

  test.each([
    [
      'a query error (category 2)',
      {
        State: 'FAILED',
        StateChangeReason: "line 1:8: Column 'x' cannot be resolved",
        AthenaError: { ErrorCategory: 2 },
      },
      {
        code: 'INVALID_ARGUMENT',
        retryable: false,
        message: "Query failed: line 1:8: Column 'x' cannot be resolved",
      },
    ],
    [
      'an Athena error (category 1)',
      {
        State: 'FAILED',
        StateChangeReason: 'Internal error',
        AthenaError: { ErrorCategory: 1, Retryable: true },
      },
      { code: 'STORAGE_FAILED', retryable: true, message: 'Athena query q-1 failed: Internal error' },
    ],
    [
      'a cancelled query',
      { State: 'CANCELLED', StateChangeReason: 'Query exceeded the data scanned limit' },
      {
        code: 'STORAGE_FAILED',
        retryable: false,
        message: 'Athena query q-1 was cancelled: Query exceeded the data scanned limit',
      },
    ],
  ])("turns %s into a TunelakeError with Athena's reason", async (_name, status, expected) => {
    const { client, calls } = fakeAthena({
      GetWorkGroup: WORKGROUP,
      StartQueryExecution: started,
      GetQueryExecution: () => ({ QueryExecution: { Status: status } }),
    });
    const engine = createAthenaEngine(BASE, { athenaClient: client, sleep: async () => {} });
    await expect(engine.query('SELECT x')).rejects.toMatchObject(expected);
    expect(calls.some((c) => c.command === 'GetQueryResults')).toBe(false);
  });

  test('stops a query that outlives the timeout', async () => {
    let clock = 0;
    const { client, calls } = fakeAthena({
      GetWorkGroup: WORKGROUP,
      StartQueryExecution: started,
      GetQueryExecution: () => ({ QueryExecution: { Status: { State: 'RUNNING' } } }),
      StopQueryExecution: () => ({}),
    });
    const engine = createAthenaEngine(
      { ...BASE, timeoutMs: 10_000, pollInitialMs: 1000, pollMaxMs: 4000 },
      {
        athenaClient: client,
        now: () => clock,
        sleep: async (ms) => {
          clock += ms;
        },
      },
    );
    await expect(engine.query('SELECT slow()')).rejects.toMatchObject({
      code: 'STORAGE_FAILED',
      retryable: true,
    });
    expect(calls.at(-1)).toEqual({ command: 'StopQueryExecution', input: { QueryExecutionId: 'q-1' } });
    expect(clock).toBe(10_000);
  });

  test('maps SDK errors: a query Athena cannot parse is INVALID_ARGUMENT, throttling is retryable', async () => {
    const { client } = fakeAthena({
      GetWorkGroup: WORKGROUP,
      StartQueryExecution: (input) => {
        if (input.QueryString === 'SELEC 1') {
          throw awsError(
            'InvalidRequestException',
            "line 1:1: mismatched input 'SELEC'.\nExpecting: 'SELECT'",
          );
        }
        throw awsError('TooManyRequestsException', 'Rate exceeded');
      },
    });
    const engine = createAthenaEngine(BASE, { athenaClient: client });
    await expect(engine.query('SELEC 1')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: "Query failed: line 1:1: mismatched input 'SELEC'. Expecting: 'SELECT'",
    });
    await expect(engine.query('SELECT 1')).rejects.toMatchObject({ code: 'STORAGE_FAILED', retryable: true });
  });

  test('needs a result location from the config or the workgroup', async () => {
    const { client } = fakeAthena({ GetWorkGroup: WORKGROUP });
    const engine = createAthenaEngine({ ...BASE, outputLocation: undefined }, { athenaClient: client });
    await expect(engine.query('SELECT 1')).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('TUNELAKE_ATHENA_OUTPUT'),
    });
  });

  test('readOnly: runs SELECT and WITH, refuses anything else before calling Athena', async () => {
    const { client, calls } = fakeAthena({
      GetWorkGroup: WORKGROUP,
      StartQueryExecution: started,
      GetQueryExecution: () => succeeded(),
      GetQueryResults: () => ({ ResultSet: { ResultSetMetadata: { ColumnInfo: [] }, Rows: [] } }),
    });
    const engine = createAthenaEngine(BASE, { athenaClient: client, sleep: async () => {}, readOnly: true });
    await engine.query('-- top tracks\n/* all */ (SELECT 1)');
    await engine.query('WITH t AS (SELECT 1) SELECT * FROM t');
    for (const sql of [
      'INSERT INTO t SELECT 1',
      'CREATE TABLE x AS SELECT 1',
      "UNLOAD (SELECT 1) TO 's3://x/'",
      'DROP TABLE t',
    ]) {
      const error = await engine.query(sql).catch((e: unknown) => e);
      expect(isTunelakeError(error, 'INVALID_ARGUMENT'), sql).toBe(true);
    }
    expect(calls.filter((c) => c.command === 'StartQueryExecution')).toHaveLength(2);
  });
});

describe('parseComplex(text)', () => {
  test.each([
    ['[]', []],
    ['[1, 2, 3]', ['1', '2', '3']],
    ['[[a, b], [c]]', [['a', 'b'], ['c']]],
    [
      '[{id=1, name=A}, {id=2, name=null}]',
      [
        { id: '1', name: 'A' },
        { id: '2', name: null },
      ],
    ],
    ['{k1=[x], k2={a=b}}', { k1: ['x'], k2: { a: 'b' } }],
    ['{}', {}],
    ['[unterminated', '[unterminated'],
  ])('%s', (text, value) => {
    expect(parseComplex(text)).toEqual(value);
  });
});

describe('loadConfig(spec, env): the Athena settings', () => {
  test('default to the primary workgroup, the tunelake database, and results next to an S3 lake', () => {
    expect(loadConfig({}, {}).athena).toEqual({
      workGroup: 'primary',
      outputLocation: undefined,
      database: 'tunelake',
    });
    expect(loadConfig({ lake: 's3://my-lake/data/' }, {}).athena.outputLocation).toBe(
      's3://my-lake/data/athena-results/',
    );
  });

  test('read TUNELAKE_ATHENA_WORKGROUP, TUNELAKE_ATHENA_OUTPUT and TUNELAKE_ATHENA_DATABASE', () => {
    const config = loadConfig(
      { lake: 's3://my-lake' },
      {
        TUNELAKE_ATHENA_WORKGROUP: 'analytics',
        TUNELAKE_ATHENA_OUTPUT: 's3://results/q',
        TUNELAKE_ATHENA_DATABASE: 'Tunelake_Raw',
      },
    );
    expect(config.athena).toEqual({
      workGroup: 'analytics',
      outputLocation: 's3://results/q/',
      database: 'tunelake_raw',
    });
    expect(config.origins['athena.workGroup']).toBe('env');
  });

  test('report every invalid Athena setting at once', () => {
    let error: unknown;
    try {
      loadConfig(
        {},
        {
          TUNELAKE_ATHENA_WORKGROUP: 'bad name',
          TUNELAKE_ATHENA_OUTPUT: '/tmp/out',
          TUNELAKE_ATHENA_DATABASE: 'a-b',
        },
      );
    } catch (e) {
      error = e;
    }
    expect(isTunelakeError(error, 'CONFIG_INVALID')).toBe(true);
    const problems = (error as { details: { problems: string[] } }).details.problems;
    expect(problems).toHaveLength(3);
    expect(problems[0]).toContain('TUNELAKE_ATHENA_WORKGROUP');
    expect(problems[1]).toContain('TUNELAKE_ATHENA_OUTPUT');
    expect(problems[2]).toContain('TUNELAKE_ATHENA_DATABASE');
  });
});
