// What only the local store has to get right: its temp files, etag stamps, per-key locks (also across
// processes) and folders. The behaviour it shares with S3 is in test/contract/object-store.test.ts.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isTunelakeError } from '../errors.js';
import { createLocalObjectStore } from './local.js';
import type { ObjectStore } from './store.js';

const md5 = (data: string) => `"${createHash('md5').update(data).digest('hex')}"`;
const lockFileOf = (root: string, key: string) =>
  join(root, '.tunelake', 'locks', `${createHash('sha256').update(key).digest('hex')}.lock`);

async function keys(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const info of store.list(prefix)) out.push(info.key);
  return out;
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure, but it succeeded');
}

let dir: string;
let root: string;
let store: ObjectStore;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tunelake-local-'));
  root = join(dir, 'lake');
  store = createLocalObjectStore({ root, lockTimeoutMs: 300 });
});

afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('createLocalObjectStore({ root })', () => {
  test('resolves a relative root and names it as a file URL', () => {
    const relative = createLocalObjectStore({ root: 'some/lake' });
    expect(relative.location).toBe(`file://${resolve('some/lake')}`);
    expect(relative.localPath?.('a/b.parquet')).toBe(join(resolve('some/lake'), 'a', 'b.parquet'));
  });
});

describe('list(prefix) and listPrefixes(prefix)', () => {
  test('never show temp files, the .tunelake folder, or folders holding only temp files', async () => {
    await store.put('hidden/real.json', '{}');
    await writeFile(join(root, 'hidden', '.tmp-0123456789abcdef'), 'half-written');
    await mkdir(join(root, 'hidden', 'only-tmp'), { recursive: true });
    await writeFile(join(root, 'hidden', 'only-tmp', '.tmp-fedcba9876543210'), 'half-written');
    expect(await keys(store, 'hidden/')).toEqual(['hidden/real.json']);
    expect(await store.listPrefixes('hidden/')).toEqual([]);
    expect((await keys(store, '')).some((key) => key.startsWith('.'))).toBe(false);
    expect(await store.listPrefixes('')).not.toContain('.tunelake/');
  });
});

describe('delete(key)', () => {
  test('removes the folders it empties, up to the lake root', async () => {
    await store.put('deep/a/b/c.json', '{}');
    await store.put('deep/kept.json', '{}');
    await store.delete('deep/a/b/c.json');
    await expect(stat(join(root, 'deep', 'a'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await readdir(join(root, 'deep'))).sort()).toEqual(['kept.json']);
  });
});

describe('etags', () => {
  test('follow a file changed behind the store, even to the same size', async () => {
    await store.put('manual/edit.txt', 'abc');
    await writeFile(join(root, 'manual', 'edit.txt'), 'xyz');
    expect((await store.head('manual/edit.txt'))?.etag).toBe(md5('xyz'));
    expect((await store.get('manual/edit.txt'))?.etag).toBe(md5('xyz'));
    const [listed] = await Promise.all([keys(store, 'manual/'), store.head('manual/edit.txt')]);
    expect(listed).toEqual(['manual/edit.txt']);
  });

  test('exist for files the store did not write', async () => {
    await mkdir(join(root, 'copied'), { recursive: true });
    await writeFile(join(root, 'copied', 'in.json'), '{"a":1}');
    expect((await store.head('copied/in.json'))?.etag).toBe(md5('{"a":1}'));
    const { etag } = await store.put('copied/in.json', '{"a":2}', { ifMatch: md5('{"a":1}') });
    expect(etag).toBe(md5('{"a":2}'));
  });

  test('match the content after concurrent unconditional writes of one key', async () => {
    const bodies = Array.from({ length: 8 }, (_, i) => `writer ${i} ${'.'.repeat(i * 1000)}`);
    await Promise.all(bodies.map((body) => store.put('last-wins/k', body)));
    const text = await store.getText('last-wins/k');
    expect(bodies).toContain(text);
    expect((await store.head('last-wins/k'))?.etag).toBe(md5(text!));
  });
});

describe('per-key locks', () => {
  test('a held lock makes a write wait, then fail with a retryable STORAGE_CONFLICT', async () => {
    await store.put('locked/k', 'before');
    const lock = lockFileOf(root, 'locked/k');
    await writeFile(lock, '999999 someone-else');
    const error = await failure(store.put('locked/k', 'after'));
    expect(isTunelakeError(error, 'STORAGE_CONFLICT')).toBe(true);
    expect((error as { retryable: boolean }).retryable).toBe(true);
    expect((error as Error).message).toContain(lock);
    expect(await store.getText('locked/k')).toBe('before');
    await rm(lock);
    await store.put('locked/k', 'after');
    expect(await store.getText('locked/k')).toBe('after');
  });

  test('a stale lock, left by a crashed process, is broken', async () => {
    await store.put('stale/k', 'before');
    const lock = lockFileOf(root, 'stale/k');
    await writeFile(lock, '999999 crashed');
    const longAgo = new Date(Date.now() - 10 * 60_000);
    await utimes(lock, longAgo, longAgo);
    await store.put('stale/k', 'after');
    expect(await store.getText('stale/k')).toBe('after');
    await expect(stat(lock)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  test('keep compare-and-swap exact across two processes incrementing one counter', async () => {
    await store.put('shared/counter', '0');
    const moduleUrl = new URL('./local.ts', import.meta.url).href;
    const script = `
      import { createLocalObjectStore } from ${JSON.stringify(moduleUrl)};
      const store = createLocalObjectStore({ root: ${JSON.stringify(root)} });
      for (let done = 0; done < 25; ) {
        const current = await store.get('shared/counter');
        const next = String(Number(Buffer.from(current.body).toString()) + 1);
        try {
          await store.put('shared/counter', next, { ifMatch: current.etag });
          done++;
        } catch (error) {
          if (error.code !== 'STORAGE_CONFLICT') throw error;
        }
      }
    `;
    const run = () =>
      new Promise<void>((resolvePromise, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (chunk) => {
          stderr += chunk;
        });
        child.once('error', reject);
        child.once('exit', (code) =>
          code === 0 ? resolvePromise() : reject(new Error(`child exited with ${code}: ${stderr}`)),
        );
      });
    await Promise.all([run(), run()]);
    expect(await store.getText('shared/counter')).toBe('50');
  });
});

describe('keys and folders', () => {
  test('a key cannot also be a folder of keys, and the message says so', async () => {
    await store.put('clash/a/b', 'x');
    for (const options of [{}, { ifNoneMatch: '*' as const }]) {
      const error = await failure(store.put('clash/a', 'y', options));
      expect(isTunelakeError(error, 'STORAGE_FAILED')).toBe(true);
      expect((error as Error).message).toContain('folder holding other keys below "clash/a/"');
    }
    await store.put('clash2/a', 'x');
    const error = await failure(store.put('clash2/a/b', 'y'));
    expect(isTunelakeError(error, 'STORAGE_FAILED')).toBe(true);
    expect((error as Error).message).toContain('"clash2/a" is an object');
    expect(await store.getText('clash2/a')).toBe('x');
  });
});
