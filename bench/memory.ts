// Benchmark of the pipeline's memory (not a test: it measures and reports, it asserts nothing).
//
//   npx tsx bench/memory.ts              # run() at 100,000 and 1,000,000 playlist items (~10 min on 2 cores)
//   npx tsx bench/memory.ts --quick      # run() at 20,000 and 100,000 playlist items (~1 min)
//   npx tsx bench/memory.ts --records 100000,300000 --playlists 300
//
// Per size: the emulator (in this process, extended tier, no latency, no rate limit) serves
// `playlists` extra playlists holding `records` tracks in all (bench/playlist-lake.ts's sizes and
// track mix); a child process configured like a user's real deployment (app credentials, refresh
// token, base URLs, a local lake) watches them and calls `run()` once: extract over real HTTP,
// transform, catalog, raw crawl and insights. The child's peak RSS is the kernel's high-water mark
// (VmHWM in /proc/self/status), read at the end of each stage, so the stage that set the peak shows;
// RSS is also sampled every 100 ms per stage. The emulator's own memory is not in the figure.
// Flat means: ten times the records, about the same peak (streaming, not buffering).
// Results go to bench/results/memory.json (memory-quick.json with --quick) and a table on stdout.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Emulator } from '../src/emulator/server.js';
import { silentLogger } from '../src/log.js';
import { run } from '../src/pipeline.js';
import { createRuntime } from '../src/runtime.js';
import { addWatchedPlaylists } from './playlist-lake.js';
import { formatTable, machineInfo, mib, optionChecker, writeResults } from './support.js';

/** The project's target: peak RSS of run() at a million tracks. */
const TARGET_BYTES = 512 * 1024 * 1024;

interface Params {
  quick: boolean;
  sizes: number[];
  playlists: number;
  seed: number;
  concurrency: number;
  /** TUNELAKE_DUCKDB_MEMORY_LIMIT for the run (e.g. 512MB); undefined: DuckDB's default. */
  memoryLimit: string | undefined;
  out: string;
}

const USAGE =
  'Usage: npx tsx bench/memory.ts [--quick] [--records N[,N...]] [--playlists N] [--concurrency N] [--memory-limit SIZE] [--seed N] [--out FILE]';

function parseParams(argv: string[]): Params {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      records: { type: 'string' },
      playlists: { type: 'string' },
      concurrency: { type: 'string' },
      'memory-limit': { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const { num, finish } = optionChecker(USAGE);
  const quick = values.quick ?? false;
  const sizes = (values.records ?? (quick ? '20000,100000' : '100000,1000000'))
    .split(',')
    .map((s) => num('records', s.trim(), 0, 1, 10_000_000));
  const params: Params = {
    quick,
    sizes,
    playlists: num('playlists', values.playlists, 300, 1, 10_000),
    seed: num('seed', values.seed, 42, 0),
    concurrency: num('concurrency', values.concurrency, 8, 1, 64),
    memoryLimit: values['memory-limit'],
    out:
      values.out ??
      `bench/results/memory${quick ? '-quick' : ''}${values['memory-limit'] ? `-limit-${values['memory-limit'].toLowerCase()}` : ''}.json`,
  };
  finish();
  return params;
}

// --- the child: one run() ---------------------------------------------------------------------------

interface ChildJob {
  lake: string;
  accountsUrl: string;
  apiUrl: string;
  refreshToken: string;
  playlists: string[];
  concurrency: number;
  memoryLimit: string | undefined;
}

type Stage = 'start' | 'extract' | 'transform' | 'catalog' | 'insights';

interface StageMemory {
  stage: Stage;
  wallMs: number;
  /** VmHWM at the end of the stage: the process's peak so far. */
  highWaterMarkBytes: number;
  /** Largest RSS sampled every 100 ms during the stage. */
  sampledPeakBytes: number;
}

interface ChildResult {
  wallMs: number;
  peakRssBytes: number;
  stages: StageMemory[];
  requests: number;
  records: Record<string, number>;
  rows: Record<string, number>;
  errors: number;
  insights: number;
}

/** VmHWM (the kernel's peak RSS) and VmRSS of this process, in bytes. */
function procStatus(): { hwm: number; rss: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { hwm: kb('VmHWM'), rss: kb('VmRSS') };
}

async function child(job: ChildJob): Promise<ChildResult> {
  const config = loadConfig(
    {
      lake: job.lake,
      tier: 'extended',
      accountsUrl: job.accountsUrl,
      apiUrl: job.apiUrl,
      clientId: DEFAULT_CLIENT_ID,
      rateLimit: 100_000,
      concurrency: job.concurrency,
      readStoredCredentials: false,
      sources: {
        playlists: job.playlists,
        artists: [],
        artistIncludeGroups: ['album', 'single'],
        search: [],
        me: { recentlyPlayed: false, topItems: false, savedTracks: false, playlists: false },
      },
    },
    {
      SPOTIFY_CLIENT_SECRET: DEFAULT_CLIENT_SECRET,
      SPOTIFY_REFRESH_TOKEN: job.refreshToken,
      TUNELAKE_CREDENTIALS: '/nonexistent/credentials.json',
      // Validated by loadConfig like any user's setting: a bad size fails before the run.
      ...(job.memoryLimit ? { TUNELAKE_DUCKDB_MEMORY_LIMIT: job.memoryLimit } : {}),
    },
  );
  const stages: StageMemory[] = [];
  const started = performance.now();
  let stage: Stage = 'start';
  let stageStarted = started;
  let sampled = procStatus().rss;
  const timer = setInterval(() => {
    sampled = Math.max(sampled, procStatus().rss);
  }, 100);
  const endStage = (next: Stage) => {
    const now = performance.now();
    const { hwm, rss } = procStatus();
    stages.push({
      stage,
      wallMs: Math.round(now - stageStarted),
      highWaterMarkBytes: hwm,
      sampledPeakBytes: Math.max(sampled, rss),
    });
    stage = next;
    stageStarted = now;
    sampled = rss;
  };
  const runtime = await createRuntime(config, { logger: silentLogger });
  endStage('extract');
  const info = await run(runtime, {
    onProgress: (event) => {
      const phase = event.phase;
      if (phase === 'transform' || phase === 'catalog' || phase === 'insights') endStage(phase);
    },
  });
  endStage('start');
  await runtime.close();
  clearInterval(timer);
  stages.shift(); // runtime creation: start-up, not a stage of run()
  return {
    wallMs: Math.round(performance.now() - started),
    peakRssBytes: procStatus().hwm,
    stages,
    requests: info.extract.requests,
    records: info.extract.records,
    rows: info.transform.rows,
    errors: info.extract.errors.length,
    insights: info.insights?.insights.length ?? 0,
  };
}

async function runChild(job: ChildJob): Promise<ChildResult> {
  const proc = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  proc.stdin.end(JSON.stringify(job));
  let stdout = '';
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  const code = await new Promise<number | null>((done, fail) => {
    proc.on('error', fail);
    proc.on('close', done);
  });
  if (code !== 0) throw new Error(`the run() child process exited with code ${code}`);
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as ChildResult;
}

// --- main -----------------------------------------------------------------------------------------

interface SizeResult extends ChildResult {
  records: Record<string, number>;
  playlistItems: number;
  playlists: number;
  catalogScale: number;
  /** The stage whose end first showed the peak. */
  peakStage: Stage | undefined;
}

async function measureSize(p: Params, records: number): Promise<SizeResult> {
  // The catalogue grows with the records, as in the transform benchmark, so tracks repeat as in real playlists.
  const catalogScale = Math.max(3, Math.min(50, Math.round(records / 20_000)));
  const emulator = await Emulator.create({
    port: 0,
    tier: 'extended',
    seed: p.seed,
    scale: catalogScale,
    rateLimit: 0,
  });
  const lake = mkdtempSync(join(tmpdir(), 'tunelake-bench-memory-'));
  try {
    const playlists = addWatchedPlaylists(emulator.world, {
      records,
      playlists: p.playlists,
      seed: p.seed,
    });
    const result = await runChild({
      lake,
      accountsUrl: emulator.url,
      apiUrl: emulator.apiUrl,
      refreshToken: emulator.issueRefreshToken(),
      playlists,
      concurrency: p.concurrency,
      memoryLimit: p.memoryLimit,
    });
    const peakStage = result.stages.find((s) => s.highWaterMarkBytes >= result.peakRssBytes)?.stage;
    return {
      ...result,
      playlistItems: result.records.playlist_items ?? 0,
      playlists: playlists.length,
      catalogScale,
      peakStage,
    };
  } finally {
    await emulator.close();
    rmSync(lake, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const p = parseParams(process.argv.slice(2));
  const machine = machineInfo();
  console.log(
    `memory benchmark: run() at ${p.sizes.join(', ')} playlist items (${p.playlists} playlists); ` +
      `${machine.cpus} CPUs, Node ${machine.node}, load ${machine.loadAverage.join(' ')}`,
  );
  const started = performance.now();
  const results: SizeResult[] = [];
  for (const records of p.sizes) {
    const r = await measureSize(p, records);
    results.push(r);
    console.log(
      `  ${records} items: peak RSS ${mib(r.peakRssBytes)} (reached in ${r.peakStage}), ${(r.wallMs / 1000).toFixed(1)} s, ` +
        `${r.requests} requests, ${r.errors} source errors`,
    );
  }

  const stages: Stage[] = ['extract', 'transform', 'catalog', 'insights'];
  const rows = results.map((r) => [
    String(r.playlistItems),
    mib(r.peakRssBytes),
    r.peakRssBytes <= TARGET_BYTES ? 'yes' : 'no',
    ...stages.map((s) => {
      const st = r.stages.find((x) => x.stage === s);
      return st ? `${mib(st.sampledPeakBytes)} / ${(st.wallMs / 1000).toFixed(1)} s` : '-';
    }),
  ]);
  console.log(
    `\n${formatTable(
      ['playlist items', 'peak RSS (VmHWM)', '<= 512 MiB', ...stages.map((s) => `${s}: peak / time`)],
      rows,
    )}`,
  );
  const first = results[0];
  const last = results.at(-1);
  const growth =
    first && last && first !== last ? Math.round((100 * last.peakRssBytes) / first.peakRssBytes) / 100 : null;
  if (growth !== null) {
    console.log(
      `\n${(last!.playlistItems / first!.playlistItems).toFixed(1)}x the records, ${growth}x the peak RSS ` +
        '(flat = streaming; proportional = buffering).',
    );
  }
  await writeResults(p.out, {
    benchmark: 'memory',
    machine,
    loadAverageAfter: os.loadavg().map((n) => Math.round(n * 100) / 100),
    parameters: p,
    command:
      "run(createRuntime(loadConfig({ tier: 'extended', apiUrl, accountsUrl, clientId, sources: { playlists } }, { secret, refresh token })))",
    targetBytes: TARGET_BYTES,
    growth,
    results,
    totalMs: Math.round(performance.now() - started),
  });
  console.log(`results: ${p.out}`);
}

if (process.argv[2] === '--child') {
  let job = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) job += chunk;
  process.stdout.write(`${JSON.stringify(await child(JSON.parse(job) as ChildJob))}\n`);
  // DuckDB's and the HTTP agent's handles must not keep the child alive after its answer.
  process.exit(0);
} else {
  await main();
}
