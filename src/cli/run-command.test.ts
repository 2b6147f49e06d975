// `tunelake demo`, `tunelake run` and `tunelake schedule`, run as a user runs them: the real command in a child process.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tunelake } from '../../test/support/cli.js';

describe('tunelake demo / run / schedule (the commands)', () => {
  it('demo runs the pipeline once per simulated day, and a second demo runs only today again', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunelake-cli-'));
    const lake = join(dir, 'lake');
    const first = tunelake(['demo', '--days', '3', '--json', '--lake', lake], dir);
    expect(first.code).toBe(0);
    const days = JSON.parse(first.stdout) as Array<{
      ok: boolean;
      extract: { dt: string };
      transform: { rows: Record<string, number> };
    }>;
    expect(days).toHaveLength(3);
    expect(days.every((d) => d.ok)).toBe(true);
    const dates = days.map((d) => d.extract.dt);
    expect(new Set(dates).size).toBe(3);
    expect(days[0]!.transform.rows.playlist_items).toBeGreaterThan(0);

    const again = tunelake(['demo', '--days', '3', '--json', '--lake', lake], dir);
    expect(again.code).toBe(0);
    const rerun = JSON.parse(again.stdout) as Array<{
      extract: { dt: string; records: Record<string, number> };
    }>;
    expect(rerun).toHaveLength(1);
    expect(rerun[0]!.extract.dt).toBe(dates[2]);
    expect(rerun[0]!.extract.records).toEqual({});
  });

  it('query reads a demo lake copied to another folder (catalog locations are relative to the lake)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunelake-cli-'));
    const lake = join(dir, 'lake');
    expect(tunelake(['demo', '--days', '2', '--json', '--lake', lake], dir).code).toBe(0);
    const count = (at: string) => {
      const result = tunelake(
        ['query', '--format', 'json', '--lake', at, 'SELECT count(*) AS n FROM playlist_items'],
        dir,
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      return (JSON.parse(result.stdout) as Array<{ n: number }>)[0]!.n;
    };
    const before = count(lake);
    expect(before).toBeGreaterThan(0);
    const moved = join(dir, 'elsewhere', 'lake');
    cpSync(lake, moved, { recursive: true });
    rmSync(lake, { recursive: true });
    expect(count(moved)).toBe(before);
  }, 120_000);

  it('run exits 10 when a source failed, and reports it while landing the rest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunelake-cli-'));
    writeFileSync(
      join(dir, 'tunelake.config.json'),
      JSON.stringify({ sources: { playlists: ['37i9dQZEVXbNG2KDcFcKOF'], me: { topItems: true } } }),
    );
    const result = tunelake(['run', '--json', '--lake', join(dir, 'lake')], dir);
    expect(result.code).toBe(10);
    const info = JSON.parse(result.stdout) as {
      ok: boolean;
      extract: { errors: Array<{ source: string; code: string }>; records: Record<string, number> };
    };
    expect(info.ok).toBe(false);
    expect(info.extract.errors).toEqual([
      expect.objectContaining({ source: 'playlist:37i9dQZEVXbNG2KDcFcKOF', code: 'SPOTIFY_NOT_FOUND' }),
    ]);
    expect(info.extract.records.top_items).toBeGreaterThan(0);
  });

  it('schedule says what it needs when given neither --every nor --cron, or a bad expression', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunelake-cli-'));
    const none = tunelake(['schedule'], dir);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--every 1h');
    const bad = tunelake(['schedule', '--cron', '61 * * * *'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Invalid --cron "61 * * * *": Invalid value for minute: 61');
  });
});
