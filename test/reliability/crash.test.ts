// Crash trials: the whole pipeline (extract -> transform -> catalog -> insights) in a child
// process, SIGKILLed at seeded points, then resumed; the lake must end with exactly the tables of an
// uninterrupted run, row for row. Kill points are (a) "right after the lake's Nth mutation" (put,
// putStream, delete, deleteMany: every commit point of every stage is one of them), spread over the
// whole clean run, (b) early in the resumed run (a crash during recovery), and (c) a seeded delay
// after the child starts (a crash in the middle of a write, a DuckDB query, a request). Every point
// and the seed are logged, so a failure reproduces with the same numbers.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createRandom } from '../../src/emulator/random.js';
import { verifyLake } from '../../src/integrity/verify.js';
import { silentLogger } from '../../src/log.js';
import { createRuntime } from '../../src/runtime.js';
import { CHAOS, CRASH_SEED } from '../support/env.js';
import {
  type ChildResult,
  diffTables,
  runPipelineChild,
  SCALE,
  seededPoints,
  startWorld,
  tableRows,
  type World,
} from './support.js';

// Fixed inside `npm test`; a new one per `npm run chaos`, to explore. Either way it is logged, and
// TUNELAKE_CRASH_SEED=<seed> replays it (the delays scale with the clean run's duration).
const SEED = CRASH_SEED ?? (CHAOS ? Date.now() % 1_000_000_007 : 20261125);

interface ChildSummary {
  ok: boolean;
  runId: string;
  mutations: number;
}

function summary(result: ChildResult): ChildSummary {
  if (result.code !== 0) throw new Error(`pipeline child failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as ChildSummary;
}

async function verifyFindings(lake: string) {
  const runtime = await createRuntime(loadConfig({ lake }, {}), { logger: silentLogger, spotify: false });
  try {
    return (await verifyLake(runtime)).findings;
  } finally {
    await runtime.close();
  }
}

describe('run(runtime) killed with SIGKILL at seeded points, then run again', () => {
  let world: World;
  let expected: Map<string, string[]>;
  let cleanMutations: number;
  let cleanMs: number;

  beforeAll(async () => {
    world = await startWorld({ seed: 21 });
    const lake = mkdtempSync(join(tmpdir(), 'tunelake-crash-clean-'));
    const started = performance.now();
    const clean = summary(await runPipelineChild({ ...world.childArgs, lake }));
    cleanMs = performance.now() - started;
    expect(clean.ok).toBe(true);
    cleanMutations = clean.mutations;
    expected = await tableRows(lake);
    expect(await verifyFindings(lake)).toEqual([]);
    // A world big enough to be worth crashing: every table and most insights have rows.
    expect(expected.get('tables/playlist_items')?.length).toBeGreaterThan(50);
    expect([...expected.keys()].filter((t) => t.startsWith('insights/')).length).toBeGreaterThan(3);
  }, 120_000);
  afterAll(async () => {
    await world?.close();
  });

  it("every table equals the uninterrupted run's tables after each crash: 0 rows lost, 0 duplicated", async () => {
    const sequences = SCALE.crashSequences;
    // (a) spread over the whole clean run, so every stage's writes are hit.
    const firstKills = seededPoints(SEED, sequences, 1, cleanMutations - 1);
    const random = createRandom(SEED + 1);
    const plans = firstKills.map((first) => ({
      first,
      // (b) a crash while the next run recovers (its first few writes: lock, marker, cleanup).
      second: random.int(1, 6),
      // (c) a crash after a random delay, anywhere in a run (mid-write, mid-query, mid-request).
      delayMs: random.int(50, Math.max(100, Math.round(cleanMs * 0.7))),
    }));
    console.log(
      `crash trials (seed ${SEED}): clean run = ${cleanMutations} lake mutations in ${Math.round(cleanMs)} ms; ` +
        `plans ${JSON.stringify(plans)}`,
    );

    let killed = 0;
    const failures: string[] = [];
    const trial = async (plan: (typeof plans)[number], index: number) => {
      const lake = mkdtempSync(join(tmpdir(), 'tunelake-crash-'));
      const args = { ...world.childArgs, lake };
      const steps: string[] = [];
      const a = await runPipelineChild({ ...args, killAfterMutations: plan.first });
      steps.push(`after mutation ${plan.first}: ${a.signal ?? `exit ${a.code}`}`);
      const b = await runPipelineChild({ ...args, killAfterMutations: plan.second });
      steps.push(`after mutation ${plan.second} of the resumed run: ${b.signal ?? `exit ${b.code}`}`);
      const c = await runPipelineChild(args, plan.delayMs);
      steps.push(`after ${plan.delayMs} ms: ${c.signal ?? `exit ${c.code}`}`);
      for (const r of [a, b, c]) {
        if (r.signal === 'SIGKILL') killed++;
        else if (r.code !== 0) failures.push(`sequence ${index}: a run failed after a crash: ${r.stderr}`);
      }
      const last = summary(await runPipelineChild(args));
      if (!last.ok)
        failures.push(`sequence ${index}: the final run did not complete: ${JSON.stringify(last)}`);
      // The run after the crashes left nothing pending, and no lock.
      const leftovers = readdirSync(join(lake, 'runs')).filter((f) => f.endsWith('.pending'));
      if (leftovers.length > 0) failures.push(`sequence ${index}: pending markers left: ${leftovers}`);
      if (readdirSync(join(lake, 'state')).includes('lock.json')) {
        failures.push(
          `sequence ${index}: the run lock was not released: ${readFileSync(join(lake, 'state', 'lock.json'))}`,
        );
      }
      // The lake checks out against its own records: every crash left nothing `verify` calls damage.
      const findings = await verifyFindings(lake);
      if (findings.length > 0)
        failures.push(`sequence ${index}: verify found ${JSON.stringify(findings.slice(0, 5), null, 1)}`);
      const diffs = diffTables(expected, await tableRows(lake));
      console.log(
        `crash sequence ${index}: ${steps.join('; ')}; ${diffs.length === 0 ? 'tables equal' : 'TABLES DIFFER'}`,
      );
      if (diffs.length > 0)
        failures.push(`sequence ${index} (${steps.join('; ')}): ${JSON.stringify(diffs, null, 1)}`);
    };
    // Two sequences at a time: each is a chain of child processes on its own lake.
    for (let i = 0; i < plans.length; i += 2) {
      await Promise.all(plans.slice(i, i + 2).map((plan, j) => trial(plan, i + j)));
    }
    expect(failures).toEqual([]);
    console.log(`crash trials: ${killed} SIGKILLs landed`);
    // At least 20 distinct crash points were exercised (mutation points and timed kills).
    expect(killed).toBeGreaterThanOrEqual(20);
  }, 600_000);
});
