// `tunelake extract`, run as a user runs it: the real command in a child process.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tunelake } from '../../test/support/cli.js';
import { loadConfig } from '../config.js';
import { committedRunIds } from '../extract/manifest.js';
import { commitState, emptyState } from '../extract/state.js';
import { silentLogger } from '../log.js';
import { createObjectStore } from '../runtime.js';

describe('tunelake extract (the command)', () => {
  it('runs against the built-in emulator without credentials, says so, and prints a JSON summary', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunelake-cli-'));
    const first = tunelake(['extract', '--json', '--lake', join(dir, 'lake')], dir);
    expect(first.stderr).toContain('No SPOTIFY_CLIENT_ID is set: using the built-in Spotify emulator');
    expect(first.code).toBe(0);
    const info = JSON.parse(first.stdout) as Record<string, unknown>;
    for (const key of ['runId', 'requests', 'retries', 'records', 'skipped', 'objects'])
      expect(info).toHaveProperty(key);
    expect((info.records as Record<string, number>).playlist_items).toBeGreaterThan(0);

    const second = tunelake(['extract', '--json', '--lake', join(dir, 'lake')], dir);
    expect(second.code).toBe(0);
    const again = JSON.parse(second.stdout) as { records: Record<string, number>; requests: number };
    expect(again.records).toEqual({});
    expect(again.requests).toBeLessThan((info.requests as number) / 2);
  });

  it('lists every problem of a bad config file with its key path, and exits 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunelake-cli-'));
    const file = join(dir, 'tunelake.config.json');
    writeFileSync(
      file,
      JSON.stringify({
        engine: 'duckdv',
        sources: { playlists: ['nope'], search: [{ q: 'x', type: 'song' }] },
      }),
    );
    const result = tunelake(['extract', '--config', file], dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('3 problems');
    expect(result.stderr).toContain('"duckdv"');
    expect(result.stderr).toContain('sources.playlists[0]');
    expect(result.stderr).toContain('sources.search.0.type');
  });

  it('gives a JSON error object and exit code 7 when the lake is not writable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunelake-cli-'));
    const notADir = join(dir, 'file');
    writeFileSync(notADir, 'x');
    const result = tunelake(['extract', '--json', '--lake', join(notADir, 'lake')], dir);
    expect(result.code).toBe(7);
    const out = JSON.parse(result.stdout) as { ok: boolean; error: { code: string; message: string } };
    expect(out.ok).toBe(false);
    expect(out.error.code).toBe('STORAGE_FAILED');
    expect(result.stderr).toContain(notADir);
  });

  it('stops at once with exit 5 and the time while the lake holds a "not before" time from a long Retry-After (#14)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunelake-cli-'));
    const lake = join(dir, 'lake');
    const until = new Date(Date.now() + 2 * 3_600_000).toISOString();
    const store = createObjectStore(loadConfig({ lake }, {}), { logger: silentLogger });
    await commitState(
      store,
      {
        ...emptyState(),
        notBefore: { until, code: 'SPOTIFY_RATE_LIMITED', route: 'GET /v1/artists/{id}', runId: 'r1' },
      },
      undefined,
    );
    for (const command of ['extract', 'run']) {
      const result = tunelake([command, '--json', '--lake', lake], dir);
      expect([command, result.code]).toEqual([command, 5]);
      const out = JSON.parse(result.stdout) as { ok: boolean; error: { code: string; message: string } };
      expect(out.error.code).toBe('SPOTIFY_RATE_LIMITED');
      expect(out.error.message).toContain(`not to call again before ${until}`);
      expect(result.stderr).toContain(until);
    }
    // Nothing landed: no run was committed.
    expect(await committedRunIds(store)).toEqual([]);
  });

  it('prints help for every command', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunelake-cli-'));
    const help = tunelake(['--help'], dir);
    expect(help.code).toBe(0);
    for (const command of ['start', 'extract', 'emulator', 'login']) expect(help.stdout).toContain(command);
    const extractHelp = tunelake(['extract', '--help'], dir);
    expect(extractHelp.stdout).toContain('--json');
  });
});
