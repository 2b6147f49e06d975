// createObjectStore's choice of adapter and the shared key rules. Nothing here opens a connection:
// the S3 store makes its client on first use.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { isTunelakeError } from '../errors.js';
import { createObjectStore } from '../runtime.js';
import { assertValidKey, assertValidPrefix, compareKeys, parseS3Location } from './store.js';

const base = { s3Endpoint: undefined, awsRegion: 'us-east-1' };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isTunelakeError(error) ? error.code : 'not a TunelakeError';
  }
  return undefined;
}

describe('createObjectStore(config)', () => {
  test('picks the local store for a folder or a file URL', async () => {
    const relative = createObjectStore({ ...base, lake: './lake' });
    expect(relative.location).toBe(pathToFileURL(resolve('lake')).href);
    expect(relative.localPath).toBeTypeOf('function');
    const fromUrl = createObjectStore({ ...base, lake: 'file:///var/data/lake' });
    expect(fromUrl.uri('raw/x.json')).toBe('/var/data/lake/raw/x.json');
    await relative.close();
    await fromUrl.close();
  });

  test('picks the S3 store for s3://bucket/prefix, trimming slashes from the prefix', async () => {
    const store = createObjectStore({ ...base, lake: 's3://my-lake/some/prefix/' });
    expect(store.location).toBe('s3://my-lake/some/prefix');
    expect(store.uri('tables/t/part-0.parquet')).toBe('s3://my-lake/some/prefix/tables/t/part-0.parquet');
    expect(store.localPath).toBeUndefined();
    await store.close();
    const bucketRoot = createObjectStore({ ...base, lake: 's3://my-lake' });
    expect(bucketRoot.location).toBe('s3://my-lake');
    expect(bucketRoot.uri('a')).toBe('s3://my-lake/a');
  });

  test('refuses other URL schemes and malformed S3 locations with CONFIG_INVALID', () => {
    expect(codeOf(() => createObjectStore({ ...base, lake: 'gs://bucket/x' }))).toBe('CONFIG_INVALID');
    expect(codeOf(() => createObjectStore({ ...base, lake: 's3://Bad_Bucket/x' }))).toBe('CONFIG_INVALID');
    expect(codeOf(() => createObjectStore({ ...base, lake: 's3://bucket//x' }))).toBe('CONFIG_INVALID');
  });
});

describe('parseS3Location(location)', () => {
  test('splits bucket and prefix', () => {
    expect(parseS3Location('s3://b-1.x/a/b')).toEqual({ bucket: 'b-1.x', prefix: 'a/b' });
    expect(parseS3Location('s3://bucket/')).toEqual({ bucket: 'bucket', prefix: '' });
  });
});

describe('assertValidKey(key) and assertValidPrefix(prefix)', () => {
  test('accept relative paths and refuse the rest with INVALID_ARGUMENT', () => {
    expect(
      codeOf(() => assertValidKey('raw/tracks/dt=2024-01-01/run=abc/part-0000.json.gz')),
    ).toBeUndefined();
    expect(codeOf(() => assertValidKey('a/..b/.hidden'))).toBeUndefined();
    expect(codeOf(() => assertValidKey('a/../b'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => assertValidPrefix(''))).toBeUndefined();
    expect(codeOf(() => assertValidPrefix('raw/'))).toBeUndefined();
    expect(codeOf(() => assertValidPrefix('raw/tr'))).toBeUndefined();
    expect(codeOf(() => assertValidPrefix('/'))).toBe('INVALID_ARGUMENT');
  });

  test('say what is wrong and what is expected', () => {
    try {
      assertValidKey('a//b');
    } catch (error) {
      expect((error as Error).message).toBe(
        'Invalid object key "a//b": it has an empty segment. Keys are \'/\'-separated relative paths: ' +
          "no leading '/', no empty, '.' or '..' segments, no control characters.",
      );
    }
    expect.assertions(1);
  });
});

describe('compareKeys(a, b)', () => {
  test('orders by UTF-8 bytes, as S3 lists', () => {
    const sorted = ['🎵', '～', 'a/b', 'a-b', 'a0'].sort(compareKeys);
    expect(sorted).toEqual(['a-b', 'a/b', 'a0', '～', '🎵']);
  });
});
