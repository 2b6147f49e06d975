import { describe, expect, test } from 'vitest';
import { isTunelakeError } from '../errors.js';
import { compilePartitionExpression } from './partition-expression.js';

const KEYS = [
  { Name: 'dt', Type: 'string' },
  { Name: 'hour', Type: 'int' },
];
const VALUES = [
  ['2024-05-01', '9'],
  ['2024-05-01', '10'],
  ['2024-05-02', '2'],
  ["it's", '0'],
];

function select(expression: string): string[] {
  const predicate = compilePartitionExpression(expression, KEYS);
  return VALUES.filter(predicate).map((v) => v.join('/'));
}

describe('compilePartitionExpression(expression, keys)', () => {
  test('compares string keys as strings and integral keys as numbers', () => {
    expect(select("dt >= '2024-05-02'")).toEqual(['2024-05-02/2', "it's/0"]);
    expect(select('hour >= 9')).toEqual(['2024-05-01/9', '2024-05-01/10']); // '10' < '9' as strings
    expect(select("dt = '2024-05-01' AND hour < 10")).toEqual(['2024-05-01/9']);
  });

  test('supports OR, NOT, parentheses, IN, BETWEEN, LIKE and quoted quotes', () => {
    expect(select("(dt = '2024-05-02' OR hour = 10) AND NOT dt LIKE 'it%'")).toEqual([
      '2024-05-01/10',
      '2024-05-02/2',
    ]);
    expect(select('hour IN (0, 2)')).toEqual(['2024-05-02/2', "it's/0"]);
    expect(select('hour NOT BETWEEN 1 AND 9')).toEqual(['2024-05-01/10', "it's/0"]);
    expect(select("dt = 'it''s'")).toEqual(["it's/0"]);
    expect(select("DT <> '2024-05-01' and hour != 0")).toEqual(['2024-05-02/2']);
    expect(select('dt IS NOT NULL AND hour IS NULL')).toEqual([]);
  });

  test('rejects unknown keys, bad syntax, and non-numbers for integral keys', () => {
    for (const bad of ["month = '5'", "dt = '2024", 'dt >', "hour = 'x'", 'dt LIKE 5 5', "hour LIKE '1%'"]) {
      let error: unknown;
      try {
        compilePartitionExpression(bad, KEYS)(VALUES[0]!);
      } catch (e) {
        error = e;
      }
      expect(isTunelakeError(error, 'INVALID_ARGUMENT'), bad).toBe(true);
    }
  });
});
