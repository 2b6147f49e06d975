// Two `tunelake run`s on one lake at once: exactly one proceeds, the other stops with exit code 8
// (RUN_IN_PROGRESS) and says why, whatever stage the first one is in. Started together, the second
// meets the first in its extract; the catalog and insights stages take no lock of their own (the
// pipeline's one lock covers them), so the second is also started while the first is paused there. The first run is a pipeline
// child that pauses inside a chosen stage; the second is the real command started in that window.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/cli/exit-codes.js';
import {
  type ChildResult,
  diffTables,
  lakeFingerprint,
  ROOT,
  runPipelineChild,
  startWorld,
  tableRows,
  tunelake,
  type World,
} from './support.js';

const PIPELINE_CHILD = join(import.meta.dirname, 'pipeline-child.ts');

describe('two runs of tunelake run on one lake at once', () => {
  let world: World;
  let expected: Map<string, string[]>;

  beforeAll(async () => {
    world = await startWorld({ seed: 33 });
    const lake = mkdtempSync(join(tmpdir(), 'tunelake-concurrency-clean-'));
    const clean = await runPipelineChild({ ...world.childArgs, lake });
    expect(clean.code).toBe(0);
    expected = await tableRows(lake);
  }, 60_000);
  afterAll(async () => {
    await world?.close();
  });

  it('started together: exactly one proceeds, the other exits 8 with a clear message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunelake-concurrency-'));
    const lake = join(dir, 'lake');
    const env = { ...world.env, TUNELAKE_LAKE: lake };
    const sourcesFile = join(dir, 'tunelake.config.json');
    writeFileSync(sourcesFile, JSON.stringify({ sources: world.sources }));
    const results = await Promise.all([tunelake(['run'], dir, env), tunelake(['run'], dir, env)]);
    const codes = results.map((r) => r.code).sort();
    expect(codes).toEqual([0, EXIT_CODES.RUN_IN_PROGRESS]);
    const loser = results.find((r) => r.code === EXIT_CODES.RUN_IN_PROGRESS)!;
    expect(loser.stderr).toMatch(/^tunelake: Another run is in progress \(run .+, pid \d+ on .+\)/m);
    // The winner's run is the only one in the lake, committed, with nothing left pending.
    const runs = readdirSync(join(lake, 'runs'));
    expect(runs.filter((f) => f.endsWith('.json'))).toHaveLength(1);
    expect(runs.filter((f) => f.endsWith('.pending'))).toEqual([]);
  }, 60_000);

  it.each(['catalog', 'insights'] as const)(
    'while the first is in its %s stage: the second exits 8 and changes nothing',
    async (stage) => {
      const dir = mkdtempSync(join(tmpdir(), 'tunelake-concurrency-'));
      const lake = join(dir, 'lake');
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          PIPELINE_CHILD,
          JSON.stringify({ ...world.childArgs, lake, holdInPhase: stage, holdMs: 3500 }),
        ],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const first = new Promise<ChildResult>((resolve) => {
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => {
          stdout += String(d);
        });
        child.stderr.on('data', (d) => {
          stderr += String(d);
        });
        child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
      });
      await new Promise<void>((resolve, reject) => {
        let seen = '';
        child.stderr.on('data', (d) => {
          seen += String(d);
          if (seen.includes(`HOLD ${stage}`)) resolve();
        });
        child.on('close', () => reject(new Error(`the first run never reached ${stage}: ${seen}`)));
      });
      const before = lakeFingerprint(lake);
      const second = await tunelake(['run', '--json'], dir, { ...world.env, TUNELAKE_LAKE: lake });
      const during = lakeFingerprint(lake);
      expect(second.code).toBe(EXIT_CODES.RUN_IN_PROGRESS);
      expect(second.stderr).toContain('Another run is in progress');
      expect(JSON.parse(second.stdout)).toMatchObject({ ok: false, error: { code: 'RUN_IN_PROGRESS' } });
      // The second run wrote nothing while the first was paused.
      expect(during).toEqual(before);
      const done = await first;
      expect(done.code).toBe(0);
      expect(diffTables(expected, await tableRows(lake))).toEqual([]);
    },
    60_000,
  );
});
