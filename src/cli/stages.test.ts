// The stage-by-stage path the README documents: `tunelake extract`, then `tunelake transform`, leaves
// a lake that `tunelake query` can read, because the transform command runs the catalog stage too
// (src/catalog/register.ts), as `run` does.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PATH } from '../../test/support/env.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'tunelake.js');

function tunelake(args: string[], cwd: string) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: { PATH, HOME: cwd, TZ: 'UTC' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('tunelake extract, then tunelake transform, then tunelake query (the stage commands)', () => {
  it('leaves a queryable lake: the transform registers its tables and the raw zone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunelake-stages-'));
    const lake = join(dir, 'lake');
    const extracted = tunelake(['extract', '--json', '--lake', lake], dir);
    expect(extracted.code, extracted.stderr).toBe(0);
    const landed = (JSON.parse(extracted.stdout) as { records: Record<string, number> }).records;

    const transformed = tunelake(['transform', '--json', '--lake', lake], dir);
    expect(transformed.code, transformed.stderr).toBe(0);
    const info = JSON.parse(transformed.stdout) as {
      catalog: { tablesCreated: number; raw: { crawler: string } };
    };
    expect(info.catalog.tablesCreated).toBeGreaterThan(5);
    expect(info.catalog.raw.crawler).toBe('crawled-in-process');

    const items = tunelake(
      ['query', 'select count(*) as n from playlist_items', '--format', 'json', '--lake', lake],
      dir,
    );
    expect(items.code, items.stderr).toBe(0);
    expect((JSON.parse(items.stdout) as Array<{ n: number }>)[0]?.n).toBeGreaterThan(0);

    const raw = tunelake(
      ['query', 'select count(*) as n from tunelake_raw.playlist_items', '--format', 'json', '--lake', lake],
      dir,
    );
    expect(raw.code, raw.stderr).toBe(0);
    expect((JSON.parse(raw.stdout) as Array<{ n: number }>)[0]?.n).toBe(landed.playlist_items);
  }, 300_000);
});
