import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTunelakeError } from '../errors.js';
import { createLocalObjectStore } from './local.js';
import { makeDirs, makeDirsSync } from './make-dirs.js';

describe('makeDirs(dir) / makeDirsSync(dir)', () => {
  it('makes a folder and its missing parents, and accepts one that exists', async () => {
    const base = mkdtempSync(join(tmpdir(), 'tunelake-mkdirs-'));
    await makeDirs(join(base, 'a', 'b', 'c'));
    makeDirsSync(join(base, 'x', 'y'));
    await makeDirs(join(base, 'a', 'b', 'c'));
    expect(statSync(join(base, 'a', 'b', 'c')).isDirectory()).toBe(true);
    expect(statSync(join(base, 'x', 'y')).isDirectory()).toBe(true);
  });

  it('ends with ENOENT under a parent that refuses new folders (/proc), where a recursive mkdir never returns', async () => {
    await expect(makeDirs('/proc/tunelake-x/lake')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(() => makeDirsSync('/proc/tunelake-x/lake')).toThrow(/ENOENT/);
  });

  it('fails like a recursive mkdir where a file stands: EEXIST for the folder, ENOTDIR below it', async () => {
    const base = mkdtempSync(join(tmpdir(), 'tunelake-mkdirs-'));
    writeFileSync(join(base, 'file'), 'x');
    await expect(makeDirs(join(base, 'file'))).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(makeDirs(join(base, 'file', 'below'))).rejects.toMatchObject({ code: 'ENOTDIR' });
  });
});

describe('createLocalObjectStore({ root: "/proc/x" }).put(key, body)', () => {
  it('fails with STORAGE_FAILED naming the folder instead of retrying forever', async () => {
    const store = createLocalObjectStore({ root: '/proc/tunelake-x' });
    const error = await store.put('state/lock.json', '{}', { ifNoneMatch: '*' }).catch((e: unknown) => e);
    expect(isTunelakeError(error, 'STORAGE_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(/\/proc\/tunelake-x.*a folder cannot be created there/);
    expect(existsSync('/proc/tunelake-x')).toBe(false);
  });
});
