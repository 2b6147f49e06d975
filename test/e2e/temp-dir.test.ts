// `tunelake` honours TUNELAKE_TEMP_DIR for every temp file it makes (#17: only the Lambda did).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PATH } from '../support/env.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'tunelake.js');

describe('bin/tunelake.js with TUNELAKE_TEMP_DIR', () => {
  it('puts its temp files there, not under TMPDIR', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunelake-tempdir-'));
    const temp = join(dir, 'temp');
    const other = join(dir, 'tmpdir');
    for (const d of [temp, other]) mkdirSync(d);
    const result = spawnSync(process.execPath, [BIN, 'transform', '--lake', join(dir, 'lake')], {
      cwd: dir,
      env: { PATH, HOME: dir, TZ: 'UTC', TMPDIR: other, TUNELAKE_TEMP_DIR: temp },
      encoding: 'utf8',
    });
    expect(result.status, result.stderr).toBe(0);
    expect(readdirSync(temp).length).toBeGreaterThan(0);
    expect(readdirSync(other)).toEqual([]);
  }, 60_000);
});
