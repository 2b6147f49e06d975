import { describe, expect, test } from 'vitest';
import { isTunelakeError } from '../errors.js';
import { DuckDb } from './duckdb.js';
import {
  bigIntegerValue,
  decimalValue,
  hiveToDuckDbType,
  isoTimestamp,
  parseHiveType,
} from './hive-types.js';

describe('hiveToDuckDbType(hive)', () => {
  test.each([
    ['string', 'VARCHAR'],
    ['varchar(20)', 'VARCHAR'],
    ['char(2)', 'VARCHAR'],
    ['boolean', 'BOOLEAN'],
    ['tinyint', 'TINYINT'],
    ['smallint', 'SMALLINT'],
    ['int', 'INTEGER'],
    ['INTEGER', 'INTEGER'],
    ['bigint', 'BIGINT'],
    ['float', 'FLOAT'],
    ['double', 'DOUBLE'],
    ['decimal', 'DECIMAL(10,0)'],
    ['decimal(38, 6)', 'DECIMAL(38,6)'],
    ['date', 'DATE'],
    ['timestamp', 'TIMESTAMP'],
    ['binary', 'BLOB'],
    ['array<string>', 'VARCHAR[]'],
    ['array<struct<id:string,name:string>>', 'STRUCT("id" VARCHAR, "name" VARCHAR)[]'],
    ['map<string,bigint>', 'MAP(VARCHAR, BIGINT)'],
    ['map<string,array<int>>', 'MAP(VARCHAR, INTEGER[])'],
    [
      'struct<a:struct<b:array<map<string,decimal(5,2)>>>, `odd name`:int, `x``y`:string>',
      'STRUCT("a" STRUCT("b" MAP(VARCHAR, DECIMAL(5,2))[]), "odd name" INTEGER, "x`y" VARCHAR)',
    ],
  ])('%s -> %s', (hive, duck) => {
    expect(hiveToDuckDbType(hive)).toBe(duck);
  });

  test('gives types DuckDB accepts, with keyword field names', async () => {
    const db = await DuckDb.create();
    try {
      const type = hiveToDuckDbType('array<struct<name:string,type:string,order:int,select:bigint>>');
      const [row] = await db.all(
        `SELECT CAST([{'name': 'n', 'type': 't', 'order': 1, 'select': 2}] AS ${type}) AS v`,
      );
      expect(row).toEqual({ v: [{ name: 'n', type: 't', order: 1, select: 2 }] });
    } finally {
      await db.close();
    }
  });

  test.each([
    ['array<string', 'expected ">"'],
    ['struct<>', 'at least one field'],
    ['uniontype<int,string>', 'unexpected "<int,string>"'],
    ['interval', 'no DuckDB equivalent'],
    ['decimal(50,2)', 'out of range'],
    ['map<string>', 'expected ","'],
    ['string extra', 'unexpected "extra"'],
  ])('refuses %s with INVALID_ARGUMENT', (hive, problem) => {
    let error: unknown;
    try {
      hiveToDuckDbType(hive);
    } catch (e) {
      error = e;
    }
    expect(isTunelakeError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect((error as Error).message).toContain(problem);
  });
});

describe('parseHiveType(text)', () => {
  test('parses nested types into a tree', () => {
    expect(parseHiveType('array<struct<id:string,n:decimal(4,1)>>')).toEqual({
      kind: 'array',
      element: {
        kind: 'struct',
        fields: [
          { name: 'id', type: { kind: 'primitive', name: 'string', params: [] } },
          { name: 'n', type: { kind: 'primitive', name: 'decimal', params: [4, 1] } },
        ],
      },
    });
  });
});

describe('isoTimestamp(text)', () => {
  test('writes what Date#toISOString writes for a millisecond timestamp', () => {
    const instant = new Date(Date.UTC(2026, 10, 1, 8, 0, 0, 120));
    expect(isoTimestamp('2026-11-01 08:00:00.12')).toBe(instant.toISOString());
  });

  test.each([
    ['2026-11-01 08:00:00', '2026-11-01T08:00:00.000Z'],
    ['2026-11-01 08:00', '2026-11-01T08:00:00.000Z'],
    ['2026-11-01 08:00:00.12', '2026-11-01T08:00:00.120Z'],
    ['2026-11-01 08:00:00.123', '2026-11-01T08:00:00.123Z'],
    ['2026-11-01 08:00:00.123456789', '2026-11-01T08:00:00.123456789Z'],
    ['2026-11-01 08:00:00+00', '2026-11-01T08:00:00.000Z'],
    ['2026-11-01 08:00:00.5+05:30', '2026-11-01T08:00:00.500+05:30'],
    ['2026-11-01 08:00:00-07', '2026-11-01T08:00:00.000-07:00'],
    ['2026-11-01 08:00:00.000 UTC', '2026-11-01T08:00:00.000Z'],
    ['2026-11-01T08:00:00Z', '2026-11-01T08:00:00.000Z'],
    ['infinity', 'infinity'],
    ['2026-11-01 08:00:00 Europe/Stockholm', '2026-11-01 08:00:00 Europe/Stockholm'],
  ])('%s -> %s', (text, iso) => {
    expect(isoTimestamp(text)).toBe(iso);
  });
});

describe('decimalValue(text)', () => {
  test.each([
    ['1.50', 1.5],
    ['-0.25', -0.25],
    ['123456789012345', 123456789012345],
    ['0.000000000000001', 0.000000000000001],
    ['1234567890123456', '1234567890123456'],
    ['12345678901234567.89', '12345678901234567.89'],
    ['abc', 'abc'],
  ])('%s -> %s', (text, value) => {
    expect(decimalValue(text)).toBe(value);
  });
});

describe('bigIntegerValue(text)', () => {
  test.each([
    ['42', 42],
    ['-9007199254740991', -9007199254740991],
    ['9007199254740993', '9007199254740993'],
    ['1.5', '1.5'],
  ])('%s -> %s', (text, value) => {
    expect(bigIntegerValue(text)).toBe(value);
  });
});
