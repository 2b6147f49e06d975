// The incremental transform's proof (issue #15): after any sequence of runs, transformed one or a
// few at a time, some transforms killed with SIGKILL at a write point and then run again, the tables
// are byte-identical to a full rebuild from the raw zone, and so is what state/transform.json says
// about them. The runs are random (random-days.ts), from a logged seed.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tableHashes } from '../../test/support/lake.js';
import { isTunelakeError } from '../errors.js';
import { manifestKey } from '../lake.js';
import { type Logger, silentLogger } from '../log.js';
import { sizeInBytes } from '../settings.js';
import { createLocalObjectStore } from '../storage/local.js';
import type { ObjectStore } from '../storage/store.js';
import { CARRY_PREFIX, loadTransformState } from './state.js';
import { landRun } from './test-support/fixture-lake.js';
import { randomRuns, seededRandom } from './test-support/random-days.js';
import { rebuildBatches, transform } from './transform.js';

const CHILD = fileURLToPath(new URL('./test-support/transform-child.ts', import.meta.url));
// The write points of a transform, the incremental path's new ones (carried rows, then the sweep
// after the commit) included.
const CRASH_POINTS = ['uploaded:1', 'published', 'carried:1', 'carried', 'committed'];
const dirs: string[] = [];
// Transforms that had to read playlist_items' archived rows (a snapshot observed again): the
// sequences must exercise that path too.
let archiveReads = 0;

function newLake(): { dir: string; store: ObjectStore } {
  const dir = mkdtempSync(join(tmpdir(), 'tunelake-incremental-test-'));
  dirs.push(dir);
  return { dir, store: createLocalObjectStore({ root: dir }) };
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function runChild(args: Record<string, unknown>): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr += String(d);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== 0 && signal === null) reject(new Error(`child failed (${code}): ${stderr}`));
      else resolve({ code, signal });
    });
  });
}

/** The raw zone and manifests of `from`, in a new lake, rebuilt in one full transform. */
async function fullRebuild(from: string): Promise<{ dir: string; store: ObjectStore }> {
  const lake = newLake();
  for (const prefix of ['raw', 'runs'])
    cpSync(join(from, prefix), join(lake.dir, prefix), { recursive: true });
  const info = await transform({ store: lake.store }, { threads: 1 });
  expect(info.full).toBe(true);
  return lake;
}

describe('transform(runtime) incremental, over random sequences of runs', () => {
  it.each([11, 23])(
    'gives the same table bytes and table state as a full rebuild, crashes included (seed %i)',
    async (seed) => {
      const random = seededRandom(seed * 7919);
      const logger: Logger = {
        ...silentLogger,
        debug: (message) => {
          if (message === 'transform: reading archived rows') archiveReads++;
        },
      };
      const runs = randomRuns(seed, 7);
      const lake = newLake();
      const crashes: string[] = [];
      let fulls = 0;
      for (const [i, { run, datasets }] of runs.entries()) {
        await landRun(lake.store, run, datasets);
        // Sometimes several runs land before a transform.
        if (i < runs.length - 1 && random() < 0.25) continue;
        if (crashes.length < 1 && random() < 0.4) {
          const crashAt = CRASH_POINTS[Math.floor(random() * CRASH_POINTS.length)]!;
          const child = await runChild({ lake: lake.dir, crashAt });
          // A transform with nothing to write reaches no write point.
          if (child.signal === 'SIGKILL') crashes.push(crashAt);
        }
        const info = await transform({ store: lake.store, logger }, { threads: 1 });
        if (info.full) fulls++;
      }
      const full = await fullRebuild(lake.dir);
      expect(tableHashes(lake.dir), `seed ${seed}, crashes at ${crashes.join(', ')}`).toEqual(
        tableHashes(full.dir),
      );
      const [incremental, rebuilt] = await Promise.all([
        loadTransformState(lake.store),
        loadTransformState(full.store),
      ]);
      expect(incremental.state.runs).toEqual(rebuilt.state.runs);
      expect(incremental.state.tables).toEqual(rebuilt.state.tables);
      expect(incremental.state.carry?.partitionRows).toEqual(rebuilt.state.carry?.partitionRows);
      // Only the first transform (and one after a run dated before the latest day) rebuilt everything.
      expect(fulls).toBeLessThan(4);
      // The carried rows of earlier transforms were swept: one file per table that carries rows, and
      // the archived ones.
      const carried: string[] = [];
      for await (const o of lake.store.list(CARRY_PREFIX)) carried.push(o.key);
      const { files, archive } = incremental.state.carry!;
      expect(carried.sort()).toEqual([...Object.values(files), ...Object.values(archive).flat()].sort());
    },
    180_000,
  );

  it('read archived rows in some of those sequences', () => {
    expect(archiveReads).toBeGreaterThan(0);
  });
});

describe('transform(runtime) incremental reads', () => {
  it('reads only the new run and the earlier runs of its day, and stops when a processed run lost its manifest', async () => {
    const lake = newLake();
    const runs = randomRuns(5, 4).map((r) => ({ ...r, run: { ...r.run, committed: true } }));
    // Two days: runs 0-1 on the first, runs 2-3 on the second.
    const days = ['2026-11-01', '2026-11-01', '2026-11-02', '2026-11-02'];
    const ids = [
      '20261101T060000Z-aaaaaa',
      '20261101T070000Z-bbbbbb',
      '20261102T060000Z-cccccc',
      '20261102T070000Z-dddddd',
    ];
    const logged: Array<Record<string, unknown>> = [];
    const logger: Logger = {
      ...silentLogger,
      info: (message, fields) => {
        if (message === 'transform: building tables') logged.push(fields ?? {});
      },
    };
    for (const [i, r] of runs.entries()) {
      await landRun(lake.store, { ...r.run, runId: ids[i]!, dt: days[i]! }, r.datasets);
      await transform({ store: lake.store, logger }, { threads: 1 });
    }
    expect(logged.map((f) => [f.newRuns, f.runsRead, f.full])).toEqual([
      [1, 1, true],
      [1, 2, false],
      [1, 1, false],
      [1, 2, false],
    ]);

    await lake.store.delete(manifestKey(ids[1]!));
    await landRun(
      lake.store,
      { ...runs[0]!.run, runId: '20261103T060000Z-eeeeee', dt: '2026-11-03' },
      runs[0]!.datasets,
    );
    const error = await transform({ store: lake.store }, { threads: 1 }).catch((e: unknown) => e);
    expect(isTunelakeError(error, 'STORAGE_NOT_FOUND')).toBe(true);
    expect((error as Error).message).toMatch(
      /no longer have a manifest.*runs\/20261101T070000Z-bbbbbb\.json.*--full/s,
    );
    const before = await loadTransformState(lake.store);
    expect(before.state.runs).toContain(ids[1]);

    const info = await transform({ store: lake.store }, { full: true, threads: 1 });
    expect(info.full).toBe(true);
    const after = await loadTransformState(lake.store);
    expect(after.state.runs).not.toContain(ids[1]);
    const rebuilt = await fullRebuild(lake.dir);
    expect(tableHashes(lake.dir)).toEqual(tableHashes(rebuilt.dir));
  }, 180_000);
});

describe('transform(runtime) full rebuild in batches of days', () => {
  it('gives the same tables as one full rebuild, and a rebuild killed between two batches goes on from there', async () => {
    const lake = newLake();
    const runs = randomRuns(31, 6);
    for (const { run, datasets } of runs) await landRun(lake.store, run, datasets);
    const committed = runs.filter((r) => r.run.committed).map((r) => r.run);
    const days = new Set(committed.map((r) => r.dt));
    expect(days.size).toBeGreaterThan(2);
    const whole = await fullRebuild(lake.dir);

    // Every day its own batch (a budget of one byte).
    const batched = newLake();
    for (const prefix of ['raw', 'runs'])
      cpSync(join(lake.dir, prefix), join(batched.dir, prefix), { recursive: true });
    const batches: Array<Record<string, unknown>> = [];
    const steps: Array<Record<string, unknown>> = [];
    const logger: Logger = {
      ...silentLogger,
      info: (message, fields) => {
        if (message === 'transform: batch') batches.push(fields ?? {});
        if (message === 'transform: building tables') steps.push(fields ?? {});
      },
    };
    const info = await transform({ store: batched.store, logger }, { threads: 1, rebuildBatchBytes: 1 });
    expect(batches.length).toBe(days.size);
    // The first batch rebuilt from scratch, every other one incremental on top of it.
    expect(steps.map((f) => f.full)).toEqual([true, ...Array(days.size - 1).fill(false)]);
    expect(info.full).toBe(true);
    expect([...info.runs].sort()).toEqual(committed.map((r) => r.runId).sort());
    expect(tableHashes(batched.dir)).toEqual(tableHashes(whole.dir));
    const [a, b] = await Promise.all([loadTransformState(batched.store), loadTransformState(whole.store)]);
    expect(a.state.tables).toEqual(b.state.tables);
    expect(a.state.carry?.partitionRows).toEqual(b.state.carry?.partitionRows);
    // Reported as one rebuild: every row of every table written.
    for (const t of info.tables) expect(info.rows[t.name]).toBe(t.rowCount);

    // Killed when the first batch has committed: the next (plain) transform reads the other days only.
    const killed = newLake();
    for (const prefix of ['raw', 'runs'])
      cpSync(join(lake.dir, prefix), join(killed.dir, prefix), { recursive: true });
    const child = await runChild({ lake: killed.dir, crashAt: 'committed', rebuildBatchBytes: 1 });
    expect(child.signal).toBe('SIGKILL');
    const done = await loadTransformState(killed.store);
    expect(done.state.runs.length).toBeGreaterThan(0);
    expect(done.state.runs.length).toBeLessThan(committed.length);
    const resumed = await transform({ store: killed.store }, { threads: 1 });
    expect(resumed.full).toBe(false);
    expect(tableHashes(killed.dir)).toEqual(tableHashes(whole.dir));
  }, 180_000);

  it('batches whole days in date order, within the byte budget unless one day alone is more', () => {
    const manifest = (runId: string, dt: string, bytes: number[]) =>
      ({ runId, dt, objects: bytes.map((b, i) => ({ key: `${runId}/${i}`, bytes: b })) }) as never;
    const ms = [
      manifest('20261103T06', '2026-11-03', [30]),
      manifest('20261101T06', '2026-11-01', [40, 20]),
      manifest('20261101T07', '2026-11-01', [10]),
      manifest('20261102T06', '2026-11-02', [25]),
      manifest('20261104T06', '2026-11-04', [200]),
    ];
    const ids = (batches: Array<Array<{ runId: string }>>) => batches.map((b) => b.map((m) => m.runId));
    expect(ids(rebuildBatches(ms, 100))).toEqual([
      ['20261101T06', '20261101T07', '20261102T06'],
      ['20261103T06'],
      ['20261104T06'],
    ]);
    expect(ids(rebuildBatches(ms, Number.POSITIVE_INFINITY))).toEqual([
      ['20261101T06', '20261101T07', '20261102T06', '20261103T06', '20261104T06'],
    ]);
    expect(sizeInBytes('256MB')).toBe(256_000_000);
    expect(sizeInBytes('1.5GiB')).toBe(1.5 * 1024 ** 3);
    expect(sizeInBytes('lots')).toBeUndefined();
  });
});
