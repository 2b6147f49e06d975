// One contract, every ObjectStore: the same tests run on the local-disk store (a temp folder) and on the
// S3 store against moto_server, with a key prefix so that s3://bucket/some/prefix is exercised
// (kysely's DIALECTS loop). A behaviour that differs between the two is a bug in one of them.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { CreateBucketCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isTunelakeError } from '../../src/errors.js';
import { createObjectStore } from '../../src/runtime.js';
import type { ObjectInfo, ObjectStore } from '../../src/storage/store.js';
import { motoClientConfig, startMoto } from '../support/moto.js';

interface Harness {
  store: ObjectStore;
  /** A store whose location cannot work: a folder under a regular file, or a missing bucket. */
  broken: ObjectStore;
  /** What the broken store's error message must name. */
  brokenCulprit: string;
  location: string;
  uri(key: string): string;
  /** Checks where the object landed without going through the store. */
  storedAt(key: string): Promise<boolean>;
  localPath: boolean;
  /** S3 uploads a large stream in parts, and its etag is then "<md5 of the part md5s>-<parts>". */
  multipartStreams: boolean;
  stop(): Promise<void>;
}

const REGION = 'us-east-1';

const IMPLEMENTATIONS: Array<{ name: string; start(): Promise<Harness> }> = [
  {
    name: 'local disk',
    async start() {
      const dir = await mkdtemp(join(tmpdir(), 'tunelake-store-'));
      const lake = join(dir, 'lake');
      // Tests run as root, where a chmod'ed folder is still writable; a path below a file fails for everyone.
      const aFile = join(dir, 'not-a-folder');
      await writeFile(aFile, 'x');
      const store = createObjectStore({ lake, s3Endpoint: undefined, awsRegion: REGION });
      return {
        store,
        broken: createObjectStore({ lake: join(aFile, 'lake'), s3Endpoint: undefined, awsRegion: REGION }),
        brokenCulprit: `${aFile} is a file, not a folder`,
        location: pathToFileURL(lake).href,
        uri: (key) => join(lake, ...key.split('/')),
        storedAt: (key) =>
          stat(join(lake, ...key.split('/'))).then(
            (s) => s.isFile(),
            () => false,
          ),
        localPath: true,
        multipartStreams: false,
        async stop() {
          await store.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'S3 (moto)',
    async start() {
      // One request at a time: moto's conditional writes are not atomic across its threads, and the
      // compare-and-swap cases below hold S3 to what it guarantees (moto.ts, `serial`).
      const moto = await startMoto({ serial: true });
      const s3 = new S3Client(motoClientConfig(moto.endpoint));
      await s3.send(new CreateBucketCommand({ Bucket: 'tunelake-test' }));
      const config = { s3Endpoint: moto.endpoint, awsRegion: REGION };
      const store = createObjectStore(
        { lake: 's3://tunelake-test/some/prefix', ...config },
        { s3Client: s3 },
      );
      return {
        store,
        broken: createObjectStore({ lake: 's3://no-such-bucket/lake', ...config }, { s3Client: s3 }),
        brokenCulprit: 'bucket "no-such-bucket" does not exist',
        location: 's3://tunelake-test/some/prefix',
        uri: (key) => `s3://tunelake-test/some/prefix/${key}`,
        storedAt: (key) =>
          s3.send(new HeadObjectCommand({ Bucket: 'tunelake-test', Key: `some/prefix/${key}` })).then(
            () => true,
            () => false,
          ),
        localPath: false,
        multipartStreams: true,
        async stop() {
          await store.close();
          s3.destroy();
          await moto.stop();
        },
      };
    },
  },
];

const md5 = (data: Uint8Array | string) => `"${createHash('md5').update(data).digest('hex')}"`;

async function collect(objects: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const object of objects) out.push(object);
  return out;
}

async function keysOf(objects: AsyncIterable<ObjectInfo>): Promise<string[]> {
  return (await collect(objects)).map((o) => o.key);
}

/** Runs `fn` and returns what it threw (synchronously or not), so that both styles are held to one contract. */
async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure, but it succeeded');
}

async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

/** Deterministic pseudo-random bytes, in 64 KiB chunks, so that a wrong byte anywhere changes the md5. */
async function* bytes(total: number, seed: number): AsyncGenerator<Uint8Array> {
  let x = seed >>> 0 || 1;
  for (let sent = 0; sent < total; ) {
    const chunk = new Uint8Array(Math.min(64 * 1024, total - sent));
    for (let i = 0; i < chunk.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      chunk[i] = x & 0xff;
    }
    sent += chunk.length;
    yield chunk;
  }
}

async function md5Of(chunks: AsyncIterable<Uint8Array | string>): Promise<{ md5: string; size: number }> {
  const hash = createHash('md5');
  let size = 0;
  for await (const chunk of chunks) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { md5: hash.digest('hex'), size };
}

describe.each(IMPLEMENTATIONS)('ObjectStore on $name', (implementation) => {
  let h: Harness;

  beforeAll(async () => {
    h = await implementation.start();
  });

  afterAll(async () => {
    await h?.stop();
  });

  describe('put(key, body) and get(key)', () => {
    test('round-trips binary bytes, including every byte value', async () => {
      const body = new Uint8Array(1024).map((_, i) => (i * 7 + 3) % 256);
      const { etag } = await h.store.put('roundtrip/binary.bin', body);
      const got = await h.store.get('roundtrip/binary.bin');
      expect(got).toBeDefined();
      expect(Buffer.from(got!.body).equals(Buffer.from(body))).toBe(true);
      expect(got!.etag).toBe(etag);
    });

    test('round-trips UTF-8 text through getText, and stores a string as its UTF-8 bytes', async () => {
      const text = 'héllo wörld 🎵\nsecond line\n';
      await h.store.put('roundtrip/text.txt', text, { contentType: 'text/plain; charset=utf-8' });
      expect(await h.store.getText('roundtrip/text.txt')).toBe(text);
      const got = await h.store.get('roundtrip/text.txt');
      expect(Buffer.from(got!.body).equals(Buffer.from(text, 'utf8'))).toBe(true);
    });

    test('stores an empty object', async () => {
      const { etag } = await h.store.put('roundtrip/empty', '');
      expect(etag).toBe(md5(''));
      expect((await h.store.get('roundtrip/empty'))?.body.length).toBe(0);
      expect((await h.store.head('roundtrip/empty'))?.size).toBe(0);
    });

    test('accepts keys with spaces, unicode, "=" and "+" and keeps them as given', async () => {
      const key = 'odd keys/dt=2024-01-01/ünïcode + plus 🎵.json';
      await h.store.put(key, '{"ok":true}');
      expect(await h.store.getText(key)).toBe('{"ok":true}');
      expect(await keysOf(h.store.list('odd keys/'))).toEqual([key]);
    });

    test('writes where uri() and location say', async () => {
      await h.store.put('where/is/it.json', '{}');
      expect(h.store.location).toBe(h.location);
      expect(h.store.uri('where/is/it.json')).toBe(h.uri('where/is/it.json'));
      expect(await h.storedAt('where/is/it.json')).toBe(true);
      if (h.localPath) expect(h.store.localPath?.('where/is/it.json')).toBe(h.uri('where/is/it.json'));
      else expect(h.store.localPath).toBeUndefined();
    });
  });

  describe('etags', () => {
    test('are the quoted md5 of a single-part object and change with the content', async () => {
      const first = await h.store.put('etag/k', 'one');
      expect(first.etag).toBe(md5('one'));
      const second = await h.store.put('etag/k', 'two');
      expect(second.etag).toBe(md5('two'));
      expect(second.etag).not.toBe(first.etag);
      expect((await h.store.get('etag/k'))?.etag).toBe(second.etag);
      expect((await h.store.head('etag/k'))?.etag).toBe(second.etag);
    });

    test('head(key) reports size, etag and a plausible lastModified', async () => {
      const { etag } = await h.store.put('etag/head', 'twelve bytes');
      const info = await h.store.head('etag/head');
      expect(info).toMatchObject({ key: 'etag/head', size: 12, etag });
      expect(info!.lastModified).toBeInstanceOf(Date);
      expect(Math.abs(info!.lastModified.getTime() - Date.now())).toBeLessThan(3_600_000);
    });
  });

  describe('put(key, body, { ifNoneMatch: "*" })', () => {
    test('creates a missing key and refuses to overwrite it with STORAGE_CONFLICT', async () => {
      await h.store.put('create-only/k', 'first', { ifNoneMatch: '*' });
      const error = await thrown(() => h.store.put('create-only/k', 'second', { ifNoneMatch: '*' }));
      expect(isTunelakeError(error, 'STORAGE_CONFLICT')).toBe(true);
      expect(await h.store.getText('create-only/k')).toBe('first');
    });

    test('creates again after a delete', async () => {
      await h.store.put('create-only/again', 'one', { ifNoneMatch: '*' });
      await h.store.delete('create-only/again');
      await h.store.put('create-only/again', 'two', { ifNoneMatch: '*' });
      expect(await h.store.getText('create-only/again')).toBe('two');
    });

    test('lets exactly one of 8 concurrent creators win', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          h.store.put('create-only/race', `writer ${i}`, { ifNoneMatch: '*' }).then(() => i),
        ),
      );
      const winners = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      expect(winners).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect(isTunelakeError(r.reason, 'STORAGE_CONFLICT')).toBe(true);
      }
      expect(await h.store.getText('create-only/race')).toBe(`writer ${winners[0]}`);
    });
  });

  describe('put(key, body, { ifMatch })', () => {
    test('replaces when the etag matches and refuses a stale etag', async () => {
      const v1 = await h.store.put('cas/k', 'v1');
      const v2 = await h.store.put('cas/k', 'v2', { ifMatch: v1.etag });
      expect(v2.etag).toBe(md5('v2'));
      const error = await thrown(() => h.store.put('cas/k', 'v3', { ifMatch: v1.etag }));
      expect(isTunelakeError(error, 'STORAGE_CONFLICT')).toBe(true);
      expect(await h.store.getText('cas/k')).toBe('v2');
    });

    test('refuses a key that does not exist', async () => {
      const error = await thrown(() => h.store.put('cas/missing', 'v', { ifMatch: md5('anything') }));
      expect(isTunelakeError(error, 'STORAGE_CONFLICT')).toBe(true);
      expect(await h.store.head('cas/missing')).toBeUndefined();
    });

    test('lets exactly one of 8 concurrent writers holding the same etag win', async () => {
      const { etag } = await h.store.put('cas/race', 'start');
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          h.store.put('cas/race', `writer ${i}`, { ifMatch: etag }).then(() => i),
        ),
      );
      const winners = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      expect(winners).toHaveLength(1);
      expect(await h.store.getText('cas/race')).toBe(`writer ${winners[0]}`);
    });

    test('loses no update when 4 writers each increment a counter 10 times', async () => {
      await h.store.put('cas/counter', '0');
      const increment = async () => {
        for (;;) {
          const current = await h.store.get('cas/counter');
          const next = String(Number(Buffer.from(current!.body).toString()) + 1);
          try {
            await h.store.put('cas/counter', next, { ifMatch: current!.etag });
            return;
          } catch (error) {
            if (!isTunelakeError(error, 'STORAGE_CONFLICT')) throw error;
          }
        }
      };
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let i = 0; i < 10; i++) await increment();
        }),
      );
      expect(await h.store.getText('cas/counter')).toBe('40');
    });
  });

  describe('list(prefix)', () => {
    const keys = ['o/b', 'o/a/x', 'o/～', 'o/a0', 'o/é', 'o/A', 'o/a/y/z', 'o/🎵', 'o/a-c', 'o/z'];

    beforeAll(async () => {
      await Promise.all(keys.map((key) => h.store.put(key, key)));
    });

    test('returns every key below the prefix, recursively, in UTF-8 byte order', async () => {
      // '-' < '/' < '0' puts a folder's keys between its siblings; '～' (U+FF5E) sorts before '🎵' in
      // UTF-8 although JavaScript's UTF-16 comparison puts it after.
      expect(await keysOf(h.store.list('o/'))).toEqual([
        'o/A',
        'o/a-c',
        'o/a/x',
        'o/a/y/z',
        'o/a0',
        'o/b',
        'o/z',
        'o/é',
        'o/～',
        'o/🎵',
      ]);
    });

    test('treats the prefix as a plain string prefix, as S3 does', async () => {
      expect(await keysOf(h.store.list('o/a'))).toEqual(['o/a-c', 'o/a/x', 'o/a/y/z', 'o/a0']);
      expect(await keysOf(h.store.list('o/a/'))).toEqual(['o/a/x', 'o/a/y/z']);
      expect(await keysOf(h.store.list('o/b'))).toEqual(['o/b']);
      expect(await keysOf(h.store.list('o/nothing/'))).toEqual([]);
      expect(await keysOf(h.store.list('nothing-at-all'))).toEqual([]);
    });

    test('lists everything from the root with prefix ""', async () => {
      const all = await keysOf(h.store.list(''));
      expect(all).toEqual(expect.arrayContaining(keys));
      expect(all).toEqual([...all].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    });

    test('reports size and etag as head(key) does', async () => {
      const listed = await collect(h.store.list('o/a/'));
      for (const info of listed) {
        const head = await h.store.head(info.key);
        expect(info).toMatchObject({ key: head!.key, size: head!.size, etag: head!.etag });
        expect(info.etag).toBe(md5(info.key));
      }
    });

    test('pages past 1000 keys (S3 lists 1000 per page)', async () => {
      const many = Array.from({ length: 1100 }, (_, i) => `paged/${String(i).padStart(5, '0')}.json`);
      await inParallel(many, 16, (key) => h.store.put(key, '{}'));
      expect(await keysOf(h.store.list('paged/'))).toEqual(many);
    });
  });

  describe('listPrefixes(prefix)', () => {
    beforeAll(async () => {
      for (const key of ['lp/x/1', 'lp/x/2', 'lp/x-1/k', 'lp/y/z/3', 'lp/top']) await h.store.put(key, '.');
    });

    test('returns the folders one level below, each ending in "/", in key order', async () => {
      expect(await h.store.listPrefixes('lp/')).toEqual(['lp/x-1/', 'lp/x/', 'lp/y/']);
      expect(await h.store.listPrefixes('lp/y/')).toEqual(['lp/y/z/']);
      expect(await h.store.listPrefixes('lp/x')).toEqual(['lp/x-1/', 'lp/x/']);
      expect(await h.store.listPrefixes('lp/x/')).toEqual([]);
      expect(await h.store.listPrefixes('lp/missing/')).toEqual([]);
      expect(await h.store.listPrefixes('')).toEqual(expect.arrayContaining(['lp/', 'o/']));
    });

    test('forgets a folder once its last object is deleted', async () => {
      await h.store.put('lp2/gone/only', '.');
      await h.store.put('lp2/kept/only', '.');
      await h.store.delete('lp2/gone/only');
      expect(await h.store.listPrefixes('lp2/')).toEqual(['lp2/kept/']);
    });
  });

  describe('delete(key) and deleteMany(keys)', () => {
    test('delete removes an object, and a missing key is not an error', async () => {
      await h.store.put('del/k', 'x');
      await h.store.delete('del/k');
      expect(await h.store.get('del/k')).toBeUndefined();
      expect(await h.store.head('del/k')).toBeUndefined();
      await h.store.delete('del/k');
      await h.store.delete('del/never/existed');
      expect(await keysOf(h.store.list('del/'))).toEqual([]);
    });

    test('delete(key, {ifMatch}) removes the object only while it still has that etag', async () => {
      const first = await h.store.put('del/cas', 'one');
      const second = await h.store.put('del/cas', 'two');
      await expect(h.store.delete('del/cas', { ifMatch: first.etag })).rejects.toMatchObject({
        code: 'STORAGE_CONFLICT',
      });
      expect(await h.store.getText('del/cas')).toBe('two');
      await h.store.delete('del/cas', { ifMatch: second.etag });
      expect(await h.store.head('del/cas')).toBeUndefined();
    });

    test('deleteMany removes 2100 keys (S3 deletes 1000 per request: three requests), skipping missing ones', async () => {
      const keys = Array.from({ length: 2100 }, (_, i) => `bulk/${i % 10}/${i}`);
      await inParallel(keys, 16, (key) => h.store.put(key, 'x'));
      await h.store.put('bulk-neighbour', 'kept');
      await h.store.deleteMany([...keys, 'bulk/missing', keys[0]!]);
      expect(await keysOf(h.store.list('bulk/'))).toEqual([]);
      expect(await h.store.getText('bulk-neighbour')).toBe('kept');
      await h.store.deleteMany([]);
    }, 120_000);
  });

  describe('missing keys', () => {
    test('get, getText, getStream and head answer undefined', async () => {
      for (const key of ['missing', 'missing/deep/key.json']) {
        expect(await h.store.get(key)).toBeUndefined();
        expect(await h.store.getText(key)).toBeUndefined();
        expect(await h.store.getStream(key)).toBeUndefined();
        expect(await h.store.head(key)).toBeUndefined();
      }
    });

    test('a "folder" of other keys is not an object', async () => {
      await h.store.put('folder/inside', 'x');
      expect(await h.store.get('folder')).toBeUndefined();
      expect(await h.store.head('folder')).toBeUndefined();
      expect(await h.store.getStream('folder')).toBeUndefined();
      await h.store.delete('folder');
      expect(await h.store.getText('folder/inside')).toBe('x');
    });
  });

  describe('putStream(key, body) and getStream(key)', () => {
    const SIZE = 12 * 1024 * 1024; // three 5 MiB parts on S3: a multipart upload

    test('round-trips a 12 MiB stream', async () => {
      const expected = await md5Of(bytes(SIZE, 42));
      const { etag } = await h.store.putStream('stream/big.bin', bytes(SIZE, 42), {
        contentType: 'application/octet-stream',
      });
      expect(etag).toMatch(h.multipartStreams ? /^"[0-9a-f]{32}-3"$/ : new RegExp(`^"${expected.md5}"$`));
      const info = await h.store.head('stream/big.bin');
      expect(info).toMatchObject({ size: SIZE, etag });
      const stream = await h.store.getStream('stream/big.bin');
      expect(await md5Of(stream!)).toEqual(expected);
    });

    test('create-only holds for a multipart stream', async () => {
      await h.store.putStream('stream/once.bin', bytes(SIZE, 1), { ifNoneMatch: '*' });
      const error = await thrown(() =>
        h.store.putStream('stream/once.bin', bytes(SIZE, 2), { ifNoneMatch: '*' }),
      );
      expect(isTunelakeError(error, 'STORAGE_CONFLICT')).toBe(true);
      expect(await md5Of((await h.store.getStream('stream/once.bin'))!)).toEqual(await md5Of(bytes(SIZE, 1)));
    });

    test('compare-and-swap holds for a stream', async () => {
      const { etag } = await h.store.putStream('stream/cas.bin', Readable.from([Buffer.from('v1')]));
      expect(etag).toBe(md5('v1'));
      await h.store.putStream('stream/cas.bin', Readable.from([Buffer.from('v2')]), { ifMatch: etag });
      const error = await thrown(() =>
        h.store.putStream('stream/cas.bin', Readable.from([Buffer.from('v3')]), { ifMatch: etag }),
      );
      expect(isTunelakeError(error, 'STORAGE_CONFLICT')).toBe(true);
      expect(await h.store.getText('stream/cas.bin')).toBe('v2');
    });

    test('accepts a Node Readable that yields strings', async () => {
      await h.store.putStream('stream/text.txt', Readable.from(['a line\n', 'another 🎵\n']));
      expect(await h.store.getText('stream/text.txt')).toBe('a line\nanother 🎵\n');
    });

    test('fails with STORAGE_FAILED, and writes nothing, when the body stream fails', async () => {
      async function* failing(): AsyncGenerator<Uint8Array> {
        yield Buffer.from('partial');
        throw new Error('source broke');
      }
      const error = await thrown(() => h.store.putStream('stream/failed.bin', failing()));
      expect(isTunelakeError(error, 'STORAGE_FAILED')).toBe(true);
      expect(await h.store.head('stream/failed.bin')).toBeUndefined();
    });
  });

  describe('key validation', () => {
    const invalid = [
      '',
      '/absolute',
      'trailing/',
      'double//slash',
      '../escape',
      'a/../b',
      'a/./b',
      '.',
      'control\u0000char',
      'line\nbreak',
      '.tmp-reserved',
      'a/.tmp-reserved',
      '.tunelake/etags/x',
      'x'.repeat(1025),
      `a/${'y'.repeat(256)}`,
    ];

    test.each(invalid.map((key) => [JSON.stringify(key).slice(0, 40), key]))(
      'refuses %s with INVALID_ARGUMENT everywhere',
      async (_, key) => {
        const calls: Array<() => unknown> = [
          () => h.store.put(key, 'x'),
          () => h.store.putStream(key, Readable.from([Buffer.from('x')])),
          () => h.store.get(key),
          () => h.store.getText(key),
          () => h.store.getStream(key),
          () => h.store.head(key),
          () => h.store.delete(key),
          () => h.store.deleteMany(['fine', key]),
          () => h.store.uri(key),
        ];
        for (const call of calls) {
          const error = await thrown(call);
          expect(isTunelakeError(error, 'INVALID_ARGUMENT'), String(error)).toBe(true);
        }
      },
    );

    test('refuses invalid listing prefixes', async () => {
      for (const prefix of ['/x', 'a//', '../', 'a/../']) {
        const error = await thrown(() => collect(h.store.list(prefix)));
        expect(isTunelakeError(error, 'INVALID_ARGUMENT')).toBe(true);
        const error2 = await thrown(() => h.store.listPrefixes(prefix));
        expect(isTunelakeError(error2, 'INVALID_ARGUMENT')).toBe(true);
      }
    });

    test('refuses contradictory or malformed conditions', async () => {
      const both = await thrown(() => h.store.put('opts/k', 'x', { ifNoneMatch: '*', ifMatch: md5('x') }));
      expect(isTunelakeError(both, 'INVALID_ARGUMENT')).toBe(true);
      const empty = await thrown(() => h.store.put('opts/k', 'x', { ifMatch: '' }));
      expect(isTunelakeError(empty, 'INVALID_ARGUMENT')).toBe(true);
      expect(await h.store.head('opts/k')).toBeUndefined();
    });
  });

  describe('an unusable location', () => {
    test('fails writes with STORAGE_FAILED and a message naming the location and the cause', async () => {
      const error = await thrown(() => h.broken.put('raw/x.json', '{}'));
      expect(isTunelakeError(error, 'STORAGE_FAILED')).toBe(true);
      const message = (error as Error).message;
      expect(message).toContain(h.brokenCulprit);
      expect(message).toContain('raw/x.json');
      expect(message).toContain('TUNELAKE_LAKE');
    });

    test('fails reads and listings with STORAGE_FAILED rather than answering "missing"', async () => {
      for (const call of [() => h.broken.get('raw/x.json'), () => collect(h.broken.list('raw/'))]) {
        const error = await thrown(call);
        expect(isTunelakeError(error, 'STORAGE_FAILED'), String(error)).toBe(true);
        expect((error as Error).message).toContain(h.brokenCulprit);
      }
    });
  });
});
