// `tunelake query` over a small local lake (a Parquet table written by DuckDB, in the local catalog),
// and once on Athena against moto_server.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { motoAthenaClient, startMoto } from '../../test/support/moto.js';
import { parquetTableInput } from '../catalog/table-input.js';
import { isTunelakeError } from '../errors.js';
import { DuckDb } from '../query/duckdb.js';
import { type AthenaClientLike, createCatalog, createObjectStore } from '../runtime.js';
import { EXIT_CODES } from './exit-codes.js';
import { formatCsv, formatTable, registerQueryCommand } from './query-command.js';

let dir: string;
let lake: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tunelake-query-cli-'));
  lake = join(dir, 'lake');
  const store = createObjectStore({ lake, s3Endpoint: undefined, awsRegion: 'us-east-1' });
  const catalog = createCatalog(
    { catalog: 'local', lake, s3Endpoint: undefined, awsRegion: 'us-east-1' },
    { store },
  );
  const db = await DuckDb.create();
  const file = join(dir, 'tracks.parquet');
  await db.run(`COPY (SELECT * FROM (VALUES
      ('t1', 'Plain', 180000::BIGINT, 0.5, true),
      ('t2', 'Comma, "quotes"' || chr(10) || 'and a newline', 9007199254740993::BIGINT, NULL, false)
    ) AS t(id, name, duration_ms, energy, explicit)) TO '${file}' (FORMAT parquet)`);
  await db.close();
  await store.put('tables/tracks/part-00000.parquet', await readFile(file));
  await catalog.ensureDatabase('tunelake');
  await catalog.upsertTable(
    'tunelake',
    parquetTableInput({
      name: 'tracks',
      location: store.uri('tables/tracks'),
      columns: [
        { Name: 'id', Type: 'string' },
        { Name: 'name', Type: 'string' },
        { Name: 'duration_ms', Type: 'bigint' },
        { Name: 'energy', Type: 'double' },
        { Name: 'explicit', Type: 'boolean' },
      ],
    }),
  );
  await catalog.close();
  await store.close();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(
  args: string[],
  deps: { athenaClient?: AthenaClientLike; env?: Record<string, string> } = {},
) {
  let out = '';
  const program = new Command('tunelake').exitOverride().configureOutput({ writeErr: () => {} });
  registerQueryCommand(program, {
    env: deps.env ?? {},
    stdout: (text) => {
      out += text;
    },
    athenaClient: deps.athenaClient,
  });
  await program.parseAsync(['query', ...args, '--lake', lake], { from: 'user' });
  return out;
}

describe('tunelake query', () => {
  test('prints an aligned table by default, numbers right-aligned', async () => {
    const out = await run(['SELECT id, duration_ms, explicit FROM tracks ORDER BY id']);
    expect(out).toBe(
      [
        'id | duration_ms      | explicit',
        '---+------------------+---------',
        't1 |           180000 | true',
        't2 | 9007199254740993 | false',
        '(2 rows)',
        '',
      ].join('\n'),
    );
  });

  test('--format json prints an array of row objects with numbers as numbers', async () => {
    const out = await run([
      'SELECT id, duration_ms, energy, explicit FROM tracks ORDER BY id',
      '--format',
      'json',
    ]);
    expect(JSON.parse(out)).toEqual([
      { id: 't1', duration_ms: 180000, energy: 0.5, explicit: true },
      // Past 2^53 a BIGINT stays exact, as a string.
      { id: 't2', duration_ms: '9007199254740993', energy: null, explicit: false },
    ]);
  });

  test('--format csv quotes by RFC 4180', async () => {
    const out = await run(['SELECT id, name, energy FROM tracks ORDER BY id', '--format', 'csv']);
    expect(out).toBe('id,name,energy\r\nt1,Plain,0.5\r\nt2,"Comma, ""quotes""\nand a newline",\r\n');
  });

  test('a SQL error is one line, INVALID_ARGUMENT, which the CLI exits with as 2', async () => {
    for (const sql of ['SELECT nope FROM tracks', 'SELEC 1', 'SELECT * FROM missing_table']) {
      const error = await run([sql]).catch((e: unknown) => e);
      expect(isTunelakeError(error, 'INVALID_ARGUMENT'), String(error)).toBe(true);
      expect((error as Error).message).not.toContain('\n');
      expect(EXIT_CODES[(error as { code: 'INVALID_ARGUMENT' }).code]).toBe(2);
    }
  });

  test("an unaliased count(*) is headed `count`, not DuckDB's count_star(), in every format", async () => {
    expect(await run(['SELECT count(*) FROM tracks'])).toBe(
      ['count', '-----', '    2', '(1 row)', ''].join('\n'),
    );
    expect(await run(['SELECT COUNT(*) FROM tracks', '--format', 'csv'])).toBe('count\r\n2\r\n');
    expect(JSON.parse(await run(['SELECT count(*) FROM tracks', '--format', 'json']))).toEqual([
      { count: 2 },
    ]);
    // Inside an expression, the expression as written; an alias is left alone.
    expect(await run(['SELECT count(*) + 1, count(*) AS n FROM tracks', '--format', 'csv'])).toBe(
      '(count(*) + 1),n\r\n3,2\r\n',
    );
  });

  test('a column the query names `count` keeps its name; the count(*) beside it reads count(*)', async () => {
    const out = await run(['SELECT 7 AS count, count(*) FROM tracks', '--format', 'csv']);
    expect(out).toBe('count,count(*)\r\n7,2\r\n');
  });

  test('refuses an unknown --format before doing anything', async () => {
    await expect(run(['SELECT 1', '--format', 'xml'])).rejects.toMatchObject({
      code: 'commander.invalidArgument',
    });
  });

  test('--engine athena runs the query on Athena (moto)', async () => {
    const moto = await startMoto();
    const athena = motoAthenaClient(moto.endpoint);
    try {
      const out = await run(['SELECT count(*) FROM tracks', '--engine', 'athena'], {
        athenaClient: athena,
        env: { TUNELAKE_ATHENA_OUTPUT: 's3://results/q/', TUNELAKE_LOG_LEVEL: 'error' },
      });
      // moto runs no SQL: an empty result, printed as such.
      expect(out).toBe('(0 rows)\n');
    } finally {
      athena.destroy();
      await moto.stop();
    }
  });
});

describe('formatTable(result) and formatCsv(result)', () => {
  const result = {
    engine: 'duckdb' as const,
    columns: [
      { name: 'n', type: 'INTEGER' },
      { name: 'tags', type: 'VARCHAR[]' },
      { name: 'note', type: 'VARCHAR' },
    ],
    rows: [
      { n: 1, tags: ['a', 'b'], note: 'tab\there' },
      { n: null, tags: null, note: null },
    ],
  };

  test('writes NULL, JSON for nested values, and escapes control characters in a table', () => {
    expect(formatTable(result)).toBe(
      [
        'n    | tags      | note',
        '-----+-----------+----------',
        '   1 | ["a","b"] | tab\\there',
        'NULL | NULL      | NULL',
        '(2 rows)',
        '',
      ].join('\n'),
    );
  });

  test('writes NULL as an empty field and nested values as JSON in CSV', () => {
    expect(formatCsv(result)).toBe('n,tags,note\r\n1,"[""a"",""b""]",tab\there\r\n,,\r\n');
  });
});
