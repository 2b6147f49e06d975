import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWorkDir, removeStaleWorkDirs } from './work-dir.js';

describe('createWorkDir(base)', () => {
  let base: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'tunelake-workdir-test-'));
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  function leftBy(name: string, owner: object | undefined): string {
    const dir = join(base, `tunelake-transform-${name}`);
    mkdirSync(join(dir, 'duckdb'), { recursive: true });
    writeFileSync(join(dir, 'duckdb', 'spill.tmp'), 'x'.repeat(1024));
    if (owner) writeFileSync(join(dir, 'owner.json'), JSON.stringify(owner));
    return dir;
  }

  it('removes the folders of transforms that died, keeps live and foreign ones, and records its owner', () => {
    // A pid that surely ran and ended: a child process that has exited.
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
    const dead = leftBy('dead', { pid: deadPid, host: hostname() });
    const live = leftBy('live', { pid: process.pid, host: hostname() });
    const foreign = leftBy('foreign', { pid: deadPid, host: 'another-host' });
    const orphanOld = leftBy('orphan-old', undefined);
    const hourAgo = (Date.now() - 2 * 60 * 60 * 1000) / 1000;
    utimesSync(orphanOld, hourAgo, hourAgo);
    const orphanNew = leftBy('orphan-new', undefined);
    const unrelated = join(base, 'something-else');
    mkdirSync(unrelated);

    const mine = createWorkDir(base);

    expect(existsSync(dead)).toBe(false);
    expect(existsSync(orphanOld)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(foreign)).toBe(true);
    expect(existsSync(orphanNew)).toBe(true);
    expect(existsSync(unrelated)).toBe(true);
    expect(JSON.parse(readFileSync(join(mine, 'owner.json'), 'utf8'))).toEqual({
      pid: process.pid,
      host: hostname(),
    });
    // Its own folder is live while this process runs: a second sweep keeps it.
    expect(removeStaleWorkDirs(base)).toEqual([]);
    expect(existsSync(mine)).toBe(true);
  });

  it('sweeps nothing when the temp folder does not exist', () => {
    expect(removeStaleWorkDirs(join(base, 'missing'))).toEqual([]);
  });
});
