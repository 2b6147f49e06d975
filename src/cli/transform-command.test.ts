import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLocalObjectStore } from '../storage/local.js';
import { fixtureRuns, landFixtureRun } from '../transform/test-support/fixture-lake.js';
import type { TransformInfo } from '../transform/transform.js';
import { registerTransformCommand } from './transform-command.js';

async function run(args: string[]): Promise<string> {
  const program = new Command('tunelake').exitOverride();
  registerTransformCommand(program);
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    spy.mockRestore();
  }
  return out;
}

describe('tunelake transform', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('prints one line per table with rows written and quarantined, then nothing to do on a second run', async () => {
    const lake = mkdtempSync(join(tmpdir(), 'tunelake-cli-transform-'));
    const store = createLocalObjectStore({ root: lake });
    for (const r of fixtureRuns()) await landFixtureRun(store, r);

    const text = await run(['transform', '--lake', lake]);
    const lines = text.trim().split('\n');
    expect(lines[0]).toMatch(
      /^transform: 3 run\(s\) \(full rebuild\) -> 15 tables in .*, 8 row\(s\) quarantined/,
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}tracks +4 rows written \(4 in table\), 5 quarantined$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^ {2}playlist_items +14 rows written, 2 partition\(s\) \(14 in table\), 1 quarantined$/,
      ),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}! tracks\.popularity_range: 2 of 23 /));

    const json = JSON.parse(await run(['transform', '--lake', lake, '--json'])) as TransformInfo;
    expect(json.runs).toEqual([]);
    expect(json.tables).toHaveLength(15);

    const full = JSON.parse(await run(['transform', '--lake', lake, '--json', '--full'])) as TransformInfo;
    expect(full.full).toBe(true);
    expect(full.rows.tracks).toBe(4);
  });
});
