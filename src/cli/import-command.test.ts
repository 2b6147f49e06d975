import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PATH } from '../../test/support/env.js';
import { EXIT_CODES } from './exit-codes.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'tunelake.js');
const EXPORT_DIR = join(import.meta.dirname, '..', '..', 'test', 'golden', 'streaming-history', 'export');

/** The real `tunelake` command, with a clean environment (no Spotify credentials). */
function tunelake(args: string[], cwd: string) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH, HOME: cwd, TZ: 'UTC' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('registerImportCommand(program): tunelake import streaming-history', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'tunelake-import-cli-'));
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('--json prints the summary; a second import finds everything already there', () => {
    const first = tunelake(['import', 'streaming-history', EXPORT_DIR, '--lake', 'lake', '--json'], cwd);
    expect(first.status, first.stderr).toBe(0);
    const info = JSON.parse(first.stdout) as {
      runId: string;
      records: number;
      new: number;
      quarantined: number;
    };
    expect(info).toMatchObject({ records: 16, new: 15, quarantined: 3 });
    expect(info.runId).toMatch(/^\d{8}T\d{6}Z-/);

    const second = tunelake(['import', 'streaming-history', EXPORT_DIR, '--lake', 'lake'], cwd);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toMatch(
      /^import streaming-history: 5 file\(s\), 16 records: 0 new, 16 already imported/,
    );
    expect(second.stdout).toContain('nothing new, nothing written');
  });

  it('a file that is not an export exits with the invalid-argument code and one clear line', () => {
    const result = tunelake(
      ['import', 'streaming-history', join(EXPORT_DIR, 'account', 'Userdata.json'), '--lake', 'lake'],
      cwd,
    );
    expect(result.status).toBe(EXIT_CODES.INVALID_ARGUMENT);
    expect(result.stderr).toMatch(/Userdata\.json" is not a Spotify streaming-history file/);
    expect(result.stdout).toBe('');
  });
});
