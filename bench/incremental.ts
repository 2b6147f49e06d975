// Benchmark of the incremental transform (issue #15; not a test: it measures and reports).
//
//   npx tsx bench/incremental.ts             # histories of 100k, 1M and 3M playlist items (long: generation and
//                                            # the unmeasured first transform of each history dominate)
//   npx tsx bench/incremental.ts --quick     # histories of 20k and 100k
//   npx tsx bench/incremental.ts --history 100000,1000000 --daily 10000
//   npm run bench:incremental -- --quick
//   npx tsx bench/incremental.ts --history 20000 --demo-days 14   # a small day: the last of `tunelake demo`
//   npx tsx bench/incremental.ts --history 1000000 --cache ~/tl-bench   # keep the generated, transformed
//                                            # history there and reuse it (transformed again if the SQL changed)
//   npx tsx bench/incremental.ts --history 1000000 --full-rebuild   # also a full rebuild of each history's
//                                            # raw zone at the default settings (in batches of days: wall,
//                                            # CPU, peak RSS)
//
// First a small day (issue #15: a day with little new data must cost well under a second): the
// last day of a `tunelake demo --days 14` lake (every source kind, against the built-in emulator;
// `--quick`: 7 days; `--demo-days 0` leaves it out). Then, for each history size, a raw zone of watched playlists is generated (bench/playlist-lake.ts: about
// `--daily` playlist items land each simulated day, the first day lands every playlist), and every
// run but the last is transformed (not measured; with `--history-memory-limit`, 2GB by default: a full
// rebuild of a 1M-item raw zone does not fit the 256MB default, docs/incremental.md "Memory"). Then, side by side, each in a child process of its
// own so that its peak RSS is its own:
// - incremental: the last run transformed on top of the history (what a daily `tunelake run` does);
// - alone: the same run's raw objects and manifest copied into an empty lake and transformed there.
// The ratios incremental / alone (wall and CPU time) say whether a daily run's cost is flat in the
// lake's age (median of --repetitions, 3 by default, the two sides alternating, each on a fresh copy of
// its lake); the target is <= 1.5 at every history size, with peak RSS <= 512 MiB. Both run with
// the default settings (the default DuckDB memory limit of src/config.ts).
// Results go to bench/results/incremental.json (incremental-quick.json with --quick) and stdout.
import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import type { RunManifest } from '../src/extract/manifest.js';
import { manifestKey } from '../src/lake.js';
import { type Logger, silentLogger } from '../src/log.js';
import { createLocalObjectStore } from '../src/storage/local.js';
import { codeVersion, transform } from '../src/transform/transform.js';
import { generatePlaylistLake, type PlaylistLakeInfo } from './playlist-lake.js';
import { formatTable, machineInfo, maxRssBytes, medianOf, mib, sampleRss, writeResults } from './support.js';

const USAGE =
  'Usage: npx tsx bench/incremental.ts [--quick] [--history N,N,...] [--daily N] [--playlists N] [--seed N] [--repetitions N] [--demo-days N] [--cache DIR] [--full-rebuild] [--history-memory-limit SIZE] [--out FILE]';
const TARGET_RATIO = 1.5;
const TARGET_RSS_MIB = 512;

interface Measurement {
  /** Batches of a full rebuild (transform's 'transform: batch' log); 0 when it was one transform. */
  batches?: number;
  wallMs: number;
  cpuMs: number;
  maxRssBytes: number;
  sampledPeakRssBytes: number;
  runsRead: number;
  full: boolean;
}

interface Job {
  lake: string;
  memoryLimit: string | undefined;
}

const SELF = fileURLToPath(import.meta.url);
/** What a cached history's folder records about it (History). */
const HISTORY_META = 'history.json';
const TUNELAKE_BIN = fileURLToPath(new URL('../bin/tunelake.js', import.meta.url));

async function childMain(job: Job): Promise<void> {
  // DuckDB's native module (about 0.5 s to load) is loaded before the clock starts: a process loads it
  // once, and `demo`, `schedule --every` and a warm Lambda transform many days with it.
  await import('../src/query/duckdb.js');
  const store = createLocalObjectStore({ root: job.lake });
  let runsRead = 0;
  let batches = 0;
  const logger: Logger = {
    ...silentLogger,
    info(message, fields) {
      if (message === 'transform: building tables')
        runsRead = Math.max(runsRead, Number(fields?.runsRead ?? 0));
      if (message === 'transform: batch') batches++;
    },
  };
  const cpuBefore = process.cpuUsage();
  const sampler = sampleRss(50);
  const started = performance.now();
  const info = await transform({ store, logger }, { memoryLimit: job.memoryLimit });
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const result: Measurement = {
    batches,
    wallMs: Math.round(wallMs),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    maxRssBytes: maxRssBytes(),
    sampledPeakRssBytes: sampler.stop().peakRssBytes,
    runsRead,
    full: info.full,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/**
 * A copied lake as a lake at rest: the local store stamps each file's etag with its inode, size and
 * mtime (src/storage/local.ts), which a copy changes, so the first listing of a copy hashes every
 * file again (at 1M, more than a second of md5 over the table files). A daily run finds its lake's
 * stamps valid; so does the measured one, after this untimed listing.
 */
async function settle(lake: string): Promise<void> {
  for await (const _ of createLocalObjectStore({ root: lake }).list('')) {
    // listing is what restamps
  }
}

function runChild(job: Job): Promise<Measurement> {
  const child = spawn(process.execPath, [...process.execArgv, SELF, '--child', JSON.stringify(job)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
  });
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) => {
      if (code !== 0) fail(new Error(`the transform child exited with code ${code}`));
      else done(JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Measurement);
    });
  });
}

interface SizeResult {
  history: number;
  /** Set for the small day: the history is a `tunelake demo` lake of this many days. */
  demoDays?: number;
  historyRuns: number;
  newRunRecords: number;
  generationMs: number;
  historyTransformMs: number;
  repetitions: number;
  incremental: Measurement;
  alone: Measurement;
  ratios: { wall: number; cpu: number; peakRss: number };
  /** With --full-rebuild: the history's whole raw zone (the new run included) rebuilt at the default settings. */
  fullRebuild?: Measurement;
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

interface History {
  /** The history lake (every run but the new one transformed; the new run committed, not yet transformed). */
  lake: string;
  /** The new run's raw objects and manifest alone in an empty lake. */
  alone: string;
  history: number;
  historyRuns: number;
  newRunRecords: number;
  generationMs: number;
  historyTransformMs: number;
  /** The transform SQL's version the history was transformed with (codeVersion()). */
  codeVersion: string;
}

/**
 * Generates a history (or reuses the one under `cacheDir`, whose generation and first transform take
 * most of a large size's time), transformed up to the new run. A cached history transformed by other
 * SQL is transformed again (the incremental run would otherwise be a full rebuild).
 */
/**
 * The history kept under `root` by an earlier run (--cache), or undefined. A history whose tables
 * were built by other SQL (its transform state names the SQL's version) is transformed again first.
 */
async function cachedHistory(
  root: string,
  label: string,
  historyMemoryLimit: string,
  log: (m: string) => void,
): Promise<History | undefined> {
  const metaPath = join(root, HISTORY_META);
  if (!existsSync(metaPath)) return undefined;
  const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as History;
  if (stateCodeVersion(meta.lake) === codeVersion()) {
    log(`${label}: reusing ${root}`);
    return meta;
  }
  log(`${label}: the cached history was transformed by other SQL; transforming it again`);
  meta.historyTransformMs = await transformHistory(meta.lake, historyMemoryLimit, true);
  meta.codeVersion = stateCodeVersion(meta.lake);
  writeFileSync(metaPath, JSON.stringify(meta, null, 2));
  return meta;
}

async function prepareHistory(
  root: string,
  history: number,
  daily: number,
  playlists: number,
  seed: number,
  historyMemoryLimit: string,
  log: (m: string) => void,
): Promise<History> {
  const cached = await cachedHistory(root, `history ${history}`, historyMemoryLimit, log);
  if (cached) return cached;
  rmSync(root, { recursive: true, force: true });
  const lakeDir = join(root, 'lake');
  const store = createLocalObjectStore({ root: lakeDir });
  // The first day lands every playlist (about 5 days' worth), later days about `daily` items each.
  const firstDay = 5 * daily;
  const runs = Math.max(2, Math.round((history + daily - firstDay) / daily) + 1);
  // One run more than measured: the generator's last run absorbs what its calibration missed (at 1M
  // it landed 54 items), so the measured run is the one before, a typical day, and the spare one's
  // manifest is removed (a run that never committed: the transform does not see it).
  const info: PlaylistLakeInfo = await generatePlaylistLake(
    store,
    {
      records: history + 2 * daily,
      playlists,
      runs: runs + 1,
      seed,
      changeProbability: daily / firstDay,
      catalogScale: 4,
    },
    () => {},
  );
  const spare = info.runs.at(-1)!;
  rmSync(store.localPath!(manifestKey(spare.runId)));
  const last = info.runs.at(-2)!;
  log(
    `history ${history}: ${runs} runs generated in ${(info.generationMs / 1000).toFixed(0)} s; the new run lands ${last.playlistItems} items`,
  );
  const historyTransformMs = await transformHistory(lakeDir, historyMemoryLimit, false);
  log(`history ${history}: first transform of the history took ${(historyTransformMs / 1000).toFixed(1)} s`);

  // The same run alone in an empty lake.
  const aloneDir = join(root, 'alone');
  copyRunAlone(lakeDir, aloneDir, last.runId, last.dt);
  const meta: History = {
    lake: lakeDir,
    alone: aloneDir,
    history: info.records - last.playlistItems - spare.playlistItems,
    historyRuns: runs - 1,
    newRunRecords: last.playlistItems,
    generationMs: info.generationMs,
    historyTransformMs,
    codeVersion: stateCodeVersion(lakeDir),
  };
  writeFileSync(join(root, HISTORY_META), JSON.stringify(meta, null, 2));
  return meta;
}

function stateCodeVersion(lakeDir: string): string {
  const path = join(lakeDir, 'state', 'transform.json');
  return existsSync(path)
    ? String((JSON.parse(readFileSync(path, 'utf8')) as { codeVersion?: string }).codeVersion)
    : '';
}

/** Transforms every committed run but the newest (its manifest set aside meanwhile); returns the ms taken. */
async function transformHistory(lakeDir: string, memoryLimit: string, full: boolean): Promise<number> {
  const store = createLocalObjectStore({ root: lakeDir });
  const newest = readdirSync(join(lakeDir, 'runs'))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .at(-1)!;
  const manifest = join(lakeDir, 'runs', newest);
  renameSync(manifest, `${manifest}.aside`);
  try {
    const t0 = performance.now();
    await transform({ store }, { memoryLimit, full });
    return Math.round(performance.now() - t0);
  } finally {
    renameSync(`${manifest}.aside`, manifest);
  }
}

/**
 * A small day (issue #15: "small days are cheap"): `tunelake demo --days N` against the built-in
 * emulator (every source kind: playlists, artists, search, the `me` feeds), then every run but the
 * last transformed; the last day is the one measured. `history` counts the raw records before it.
 */
async function prepareDemo(root: string, days: number, log: (m: string) => void): Promise<History> {
  const cached = await cachedHistory(root, `demo ${days} days`, '2GB', log);
  if (cached) return cached;
  rmSync(root, { recursive: true, force: true });
  const lakeDir = join(root, 'lake');
  const t0 = performance.now();
  const env: NodeJS.ProcessEnv = { ...process.env, TUNELAKE_LAKE: lakeDir };
  for (const name of ['SPOTIFY_CLIENT_ID', 'SPOTIFY_CLIENT_SECRET', 'SPOTIFY_REFRESH_TOKEN'])
    delete env[name];
  await new Promise<void>((done, fail) => {
    const child = spawn(process.execPath, [TUNELAKE_BIN, 'demo', '--days', String(days), '--json'], {
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('error', fail);
    child.on('close', (code) =>
      code === 0 ? done() : fail(new Error(`tunelake demo exited with code ${code}`)),
    );
  });
  const generationMs = Math.round(performance.now() - t0);
  const manifests = readdirSync(join(lakeDir, 'runs'))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(lakeDir, 'runs', f), 'utf8')) as RunManifest);
  const last = manifests.at(-1)!;
  const count = (m: RunManifest) => Object.values(m.records).reduce((n, r) => n + r, 0);
  const historyTransformMs = await transformHistory(lakeDir, '2GB', true);
  const aloneDir = join(root, 'alone');
  copyRunAlone(lakeDir, aloneDir, last.runId, last.dt);
  const meta: History = {
    lake: lakeDir,
    alone: aloneDir,
    history: manifests.slice(0, -1).reduce((n, m) => n + count(m), 0),
    historyRuns: manifests.length - 1,
    newRunRecords: count(last),
    generationMs,
    historyTransformMs,
    codeVersion: stateCodeVersion(lakeDir),
  };
  log(
    `demo ${days} days: ${meta.history} raw records before the measured day, which brings ${meta.newRunRecords}`,
  );
  writeFileSync(join(root, HISTORY_META), JSON.stringify(meta, null, 2));
  return meta;
}

/** The run's raw objects and manifest alone in an empty lake. */
function copyRunAlone(lakeDir: string, aloneDir: string, runId: string, dt: string): void {
  mkdirSync(join(aloneDir, 'runs'), { recursive: true });
  cpSync(join(lakeDir, 'runs', `${runId}.json`), join(aloneDir, 'runs', `${runId}.json`));
  for (const dataset of readdirSync(join(lakeDir, 'raw'))) {
    const from = join(lakeDir, 'raw', dataset, `dt=${dt}`, `run=${runId}`);
    if (!existsSync(from)) continue;
    cpSync(from, join(aloneDir, 'raw', dataset, `dt=${dt}`, `run=${runId}`), { recursive: true });
  }
}

async function measureSize(
  history: number | { demoDays: number },
  daily: number,
  playlists: number,
  seed: number,
  repetitions: number,
  memoryLimit: string | undefined,
  historyMemoryLimit: string,
  cacheDir: string | undefined,
  fullRebuild: boolean,
  log: (m: string) => void,
): Promise<SizeResult> {
  const scratch = mkdtempSync(join(tmpdir(), 'tl-bench-incremental-'));
  const name =
    typeof history === 'number'
      ? `h${history}-d${daily}-p${playlists}-s${seed}`
      : `demo-${history.demoDays}d`;
  const root = cacheDir === undefined ? join(scratch, 'history') : join(cacheDir, name);
  try {
    const h =
      typeof history === 'number'
        ? await prepareHistory(root, history, daily, playlists, seed, historyMemoryLimit, log)
        : await prepareDemo(root, history.demoDays, log);
    // Side by side, alternating, each on a fresh copy (a transform changes its lake).
    const incremental: Measurement[] = [];
    const alone: Measurement[] = [];
    for (let i = 0; i < repetitions; i++) {
      for (const [from, into] of [
        [h.lake, incremental],
        [h.alone, alone],
      ] as const) {
        const copy = join(scratch, `copy-${i}`);
        cpSync(from, copy, { recursive: true });
        await settle(copy);
        try {
          into.push(await runChild({ lake: copy, memoryLimit }));
        } finally {
          rmSync(copy, { recursive: true, force: true });
        }
      }
      if (incremental.at(-1)!.full)
        throw new Error('the incremental transform rebuilt everything: the history is not what it should be');
    }
    const inc = medianOf(incremental);
    const one = medianOf(alone);
    const result: SizeResult = {
      history: h.history,
      ...(typeof history === 'number' ? {} : { demoDays: history.demoDays }),
      historyRuns: h.historyRuns,
      newRunRecords: h.newRunRecords,
      generationMs: h.generationMs,
      historyTransformMs: h.historyTransformMs,
      repetitions,
      incremental: inc,
      alone: one,
      ratios: {
        wall: round(inc.wallMs / one.wallMs),
        cpu: round(inc.cpuMs / one.cpuMs),
        peakRss: round(inc.maxRssBytes / one.maxRssBytes),
      },
    };
    if (fullRebuild) {
      // The first transform of a lake, or --full, at the default memory limit: in batches of days.
      const copy = join(scratch, 'full');
      for (const folder of ['raw', 'runs'])
        cpSync(join(h.lake, folder), join(copy, folder), { recursive: true });
      result.fullRebuild = await runChild({ lake: copy, memoryLimit });
      rmSync(copy, { recursive: true, force: true });
      const f = result.fullRebuild;
      log(
        `full rebuild of the ${h.historyRuns + 1} runs: ${(f.wallMs / 1000).toFixed(1)} s wall, ${(f.cpuMs / 1000).toFixed(1)} s CPU, ` +
          `${f.batches} batch(es), peak RSS ${mib(f.maxRssBytes)}`,
      );
    }
    log(
      `${typeof history === 'number' ? `history ${history}` : `demo day`}: incremental ${inc.wallMs} ms / ${inc.cpuMs} ms CPU (read ${inc.runsRead} run), alone ${one.wallMs} ms / ${one.cpuMs} ms CPU ` +
        `(median of ${repetitions}): ${result.ratios.wall}x wall, ${result.ratios.cpu}x CPU; peak RSS ${mib(inc.maxRssBytes)} vs ${mib(one.maxRssBytes)}`,
    );
    return result;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      quick: { type: 'boolean', default: false },
      history: { type: 'string' },
      daily: { type: 'string' },
      playlists: { type: 'string' },
      seed: { type: 'string' },
      'history-memory-limit': { type: 'string' },
      repetitions: { type: 'string' },
      cache: { type: 'string' },
      'full-rebuild': { type: 'boolean', default: false },
      'demo-days': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const quick = values.quick === true;
  const histories = (values.history ?? (quick ? '20000,100000' : '100000,1000000,3000000'))
    .split(',')
    .map((s) => Number(s.trim()));
  const daily = Number(values.daily ?? 10_000);
  const playlists = Number(values.playlists ?? 300);
  const seed = Number(values.seed ?? 15);
  const repetitions = Number(values.repetitions ?? 3);
  // A small day first: the last day of a `tunelake demo` lake (0 leaves it out).
  const demoDays = Number(values['demo-days'] ?? (quick ? 7 : 14));
  if (!Number.isInteger(demoDays) || demoDays < 0 || demoDays === 1) {
    throw new Error(`--demo-days must be 0 or a whole number from 2 on. ${USAGE}`);
  }
  if ([...histories, daily, playlists, seed, repetitions].some((n) => !Number.isFinite(n) || n <= 0)) {
    throw new Error(`Every number must be positive. ${USAGE}`);
  }
  // The default settings, as `tunelake run` has them.
  const memoryLimit = loadConfig({}, {}).duckdb.memoryLimit;
  const historyMemoryLimit = values['history-memory-limit'] ?? '2GB';
  const log = (m: string) => console.error(`[bench/incremental] ${m}`);
  log(
    `DuckDB memory limit: ${memoryLimit ?? "DuckDB's default"}; ${playlists} playlists, ~${daily} items a day`,
  );

  const results: SizeResult[] = [];
  const sizes: Array<number | { demoDays: number }> = [...(demoDays > 0 ? [{ demoDays }] : []), ...histories];
  for (const history of sizes)
    results.push(
      await measureSize(
        history,
        daily,
        playlists,
        seed,
        repetitions,
        memoryLimit,
        historyMemoryLimit,
        values.cache,
        values['full-rebuild'] === true,
        log,
      ),
    );

  const table = formatTable(
    [
      'history',
      'runs',
      'new run',
      'incremental',
      'alone',
      'wall ratio',
      'CPU ratio',
      'peak RSS (incr.)',
      'peak RSS (alone)',
    ],
    results.map((r) => [
      r.demoDays === undefined ? String(r.history) : `${r.history} (demo, ${r.demoDays} days)`,
      String(r.historyRuns),
      String(r.newRunRecords),
      `${(r.incremental.wallMs / 1000).toFixed(2)} s`,
      `${(r.alone.wallMs / 1000).toFixed(2)} s`,
      `${r.ratios.wall}x`,
      `${r.ratios.cpu}x`,
      mib(r.incremental.maxRssBytes),
      mib(r.alone.maxRssBytes),
    ]),
  );
  console.log(table);
  const small = results.find((r) => r.demoDays !== undefined);
  if (small) {
    console.log(
      `small day (the demo's last): ${small.incremental.wallMs} ms wall, ${small.incremental.cpuMs} ms CPU (target: well under a second)`,
    );
  }
  const worst = Math.max(...results.map((r) => r.ratios.wall));
  const peak = Math.max(...results.map((r) => r.incremental.maxRssBytes)) / 1024 / 1024;
  console.log(
    `worst wall ratio ${worst}x (target <= ${TARGET_RATIO}x), peak RSS ${peak.toFixed(0)} MiB (target <= ${TARGET_RSS_MIB} MiB)`,
  );
  const out =
    values.out ?? fileURLToPath(new URL(`results/incremental${quick ? '-quick' : ''}.json`, import.meta.url));
  await writeResults(out, {
    benchmark: 'incremental',
    machine: machineInfo(),
    params: {
      histories,
      demoDays,
      daily,
      playlists,
      seed,
      repetitions,
      memoryLimit: memoryLimit ?? null,
      historyMemoryLimit,
    },
    targets: { ratio: TARGET_RATIO, peakRssMiB: TARGET_RSS_MIB },
    results,
  });
  log(`results written to ${out}`);
}

if (process.argv[2] === '--child') await childMain(JSON.parse(process.argv[3] ?? '{}') as Job);
else await main();
