import { describe, expect, test } from 'vitest';
import {
  createRecordSchemaAccumulator,
  inferJsonType,
  mergeTypes,
  parseHiveType,
  renderType,
} from './infer.js';

const render = (json: string) => {
  const type = inferJsonType(json);
  return type && renderType(type);
};

describe('inferJsonType(text)', () => {
  test('maps JSON values to Hive types, telling 1 from 1.0 and int from bigint', () => {
    expect(render('{"a": 1, "b": 1.0, "c": 2e3, "d": "x", "e": true, "f": null}')).toBe(
      'struct<a:int,b:double,c:double,d:string,e:boolean,f:string>',
    );
    expect(
      render('{"n": 2147483647, "m": -2147483648, "big": 2147483648, "huge": 9223372036854775807}'),
    ).toBe('struct<n:int,m:int,big:bigint,huge:bigint>');
    expect(render('{"beyond": 9223372036854775808}')).toBe('struct<beyond:double>');
  });

  test('nests structs and arrays, merging array elements', () => {
    expect(
      render('{"artists": [{"id": "1"}, {"id": "2", "name": "B"}], "empty": [], "mixed": [1, 2.5]}'),
    ).toBe('struct<artists:array<struct<id:string,name:string>>,empty:array<string>,mixed:array<double>>');
  });

  test('decodes escaped keys and skips escaped quotes in values', () => {
    expect(render('{"say \\"hi\\"": "a \\"quoted\\" \\\\", "next": 1}')).toBe(
      'struct<`say "hi"`:string,next:int>',
    );
  });

  test('returns undefined for text that is not one JSON value', () => {
    for (const bad of ['{"a": 1', '{"a": 1}}', '{a: 1}', 'hello', '{"a": tru}', '{"a": 01}', '']) {
      expect(inferJsonType(bad)).toBeUndefined();
    }
  });
});

describe('mergeTypes(a, b)', () => {
  const merge = (a: string, b: string) => renderType(mergeTypes(parseHiveType(a), parseHiveType(b)));

  test('widens along int -> bigint -> double, and anything else that conflicts becomes string', () => {
    expect(merge('int', 'bigint')).toBe('bigint');
    expect(merge('bigint', 'double')).toBe('double');
    expect(merge('int', 'string')).toBe('string');
    expect(merge('boolean', 'int')).toBe('string');
    expect(merge('struct<a:int>', 'array<int>')).toBe('string');
    expect(merge('tinyint', 'smallint')).toBe('smallint');
  });

  test('merges structs field-wise in first-seen order, and arrays element-wise', () => {
    expect(merge('struct<a:int,b:string>', 'struct<c:boolean,a:double>')).toBe(
      'struct<a:double,b:string,c:boolean>',
    );
    expect(merge('array<struct<id:string>>', 'array<struct<id:string,n:int>>')).toBe(
      'array<struct<id:string,n:int>>',
    );
  });
});

describe('createRecordSchemaAccumulator()', () => {
  test('merges records across lines and counts the lines that are not records', () => {
    const acc = createRecordSchemaAccumulator();
    const lines = [
      '{"id": 1, "tags": []}',
      '',
      '{"id": 2.5, "extra": null}',
      '[1,2]',
      'garbage',
      '{"id": "x", "tags": ["a"]}',
    ];
    for (const line of lines) acc.add(line);
    expect(acc.records).toBe(3);
    expect(acc.invalid).toBe(2);
    expect(renderType(acc.schema())).toBe('struct<id:string,tags:array<string>,extra:string>');
  });

  test('a record that breaks half-way leaves the schema as it was', () => {
    const acc = createRecordSchemaAccumulator();
    acc.add('{"a": {"b": 1}}');
    acc.add('{"a": {"b": 2.5, "c": 1}, "d": ');
    expect(renderType(acc.schema())).toBe('struct<a:struct<b:int>>');
  });
});

describe('parseHiveType(text)', () => {
  test('round-trips complex and parameterized types', () => {
    for (const type of [
      'array<struct<id:string,name:string>>',
      'decimal(10,2)',
      'map<string,array<int>>',
      'struct<`odd name`:int,ok:varchar(20)>',
    ]) {
      expect(renderType(parseHiveType(type))).toBe(type);
    }
    expect(renderType(parseHiveType('STRUCT< a : INT , b : ARRAY<BIGINT> >'))).toBe(
      'struct<a:int,b:array<bigint>>',
    );
  });

  test('rejects malformed types', () => {
    expect(() => parseHiveType('array<int')).toThrow(/Invalid Hive type/);
    expect(() => parseHiveType('struct<a int>')).toThrow(/Invalid Hive type/);
  });
});
