// Shared pieces of the reliability suite: the emulated world every trial runs against, child
// processes (the pipeline child and the real `tunelake` command), a row-level comparison of two
// lakes' tables through DuckDB, and a lake fingerprint. Everything runs on 127.0.0.1, port 0.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Sources } from '../../src/config.js';
import { createRandom } from '../../src/emulator/random.js';
import { Emulator, type FaultOptions } from '../../src/emulator/server.js';
import { worldNowMs, worldSummary } from '../../src/emulator/world.js';
import { DuckDb } from '../../src/query/duckdb.js';
import { sqlString } from '../../src/query/sql-text.js';
import { CHAOS, PATH } from '../support/env.js';
import type { PipelineChildArgs } from './pipeline-child.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'tunelake.js');
const PIPELINE_CHILD = join(import.meta.dirname, 'pipeline-child.ts');

/** The suite's sizes: small inside `npm test`, larger under `npm run chaos` (CHAOS=1). */
export const SCALE = CHAOS
  ? { emulatorScale: 2, crashSequences: 16, stormRuns: 3 }
  : { emulatorScale: 1, crashSequences: 8, stormRuns: 1 };

/** Distinctive credentials: the secret scan looks for these exact strings everywhere. */
export const CLIENT_ID = 'tunelake-reliability';
export const CLIENT_SECRET = 'cs-RELIABILITY-8f3a1c9e77d24b0b';

export interface World {
  emulator: Emulator;
  sources: Sources;
  /** A refresh token the emulator accepts for the demo user (minted by it: unique per world). */
  refreshToken: string;
  /** Arguments every pipeline child of this world shares (add `lake`). */
  childArgs: Omit<PipelineChildArgs, 'lake'>;
  /** Environment for the `tunelake` command pointed at this world (add TUNELAKE_LAKE or --lake). */
  env: Record<string, string>;
  close(): Promise<void>;
}

export interface WorldOptions {
  seed: number;
  /** The simulated day the world stays on for the whole suite, so every lake sees the same facts. */
  day?: number;
  tier?: 'development' | 'extended';
  faults?: Partial<FaultOptions>;
  sources?: (emulator: Emulator) => Sources;
}

export function watchedSources(emulator: Emulator): Sources {
  const summary = worldSummary(emulator.world);
  return {
    playlists: [...summary.playlists.owned, ...summary.playlists.collaborative].map((p) => p.id),
    artists: summary.artists.slice(0, 4).map((a) => a.id),
    artistIncludeGroups: ['album', 'single'],
    search: [{ q: 'tag:new', type: 'album', limit: 20 }],
    me: { recentlyPlayed: true, topItems: true, savedTracks: true, playlists: true },
  };
}

export async function startWorld(options: WorldOptions): Promise<World> {
  const tier = options.tier ?? 'development';
  const emulator = await Emulator.create({
    port: 0,
    tier,
    seed: options.seed,
    day: options.day ?? 2,
    scale: SCALE.emulatorScale,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    faults: options.faults,
  });
  const sources = (options.sources ?? watchedSources)(emulator);
  const refreshToken = emulator.issueRefreshToken();
  // Half an hour before the simulated day ends, moving with the wall clock: every run of the suite
  // lands on the same ingestion date, and runs on one lake follow each other in time.
  const baseMs = worldNowMs(emulator.world) - 30 * 60_000;
  const originMs = Date.now();
  return {
    emulator,
    sources,
    refreshToken,
    childArgs: {
      accountsUrl: emulator.url,
      apiUrl: emulator.apiUrl,
      tier,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      refreshToken,
      sources,
      baseMs,
      originMs,
    },
    // The tier is left to the config file or its default (development), so tests can set it there.
    env: {
      SPOTIFY_CLIENT_ID: CLIENT_ID,
      SPOTIFY_CLIENT_SECRET: CLIENT_SECRET,
      SPOTIFY_REFRESH_TOKEN: refreshToken,
      SPOTIFY_ACCOUNTS_URL: emulator.url,
      SPOTIFY_API_URL: emulator.apiUrl,
      TUNELAKE_RATE_LIMIT: '5000',
    },
    close: () => emulator.close(),
  };
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function collect(child: ChildProcess, killAfterMs?: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => {
      stdout += String(d);
    });
    child.stderr?.on('data', (d) => {
      stderr += String(d);
    });
    const timer =
      killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** One pipeline run in a child process; `killAfterMs` SIGKILLs it from here after that long. */
export function runPipelineChild(args: PipelineChildArgs, killAfterMs?: number): Promise<ChildResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', PIPELINE_CHILD, JSON.stringify(args)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return collect(child, killAfterMs);
}

/** The real `tunelake` command with a clean environment (nothing inherited but PATH). */
export function tunelake(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<ChildResult> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH,
      HOME: cwd,
      TZ: 'UTC',
      TUNELAKE_CREDENTIALS: join(cwd, 'no-credentials.json'),
      ...env,
    },
  });
  return collect(child);
}

/**
 * Columns whose values legitimately differ between two lakes with the same facts: when a row was
 * first and last fetched (a resumed run fetches again, later). Everything else must be equal.
 */
export const VOLATILE_COLUMNS = ['first_seen_at', 'last_seen_at'];

/** Every table (`tables/<name>`) and insight (`insights/<name>`) of a local lake: name -> sorted rows as JSON. */
export async function tableRows(lake: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const db = await DuckDb.create();
  try {
    for (const zone of ['tables', 'insights']) {
      const dir = join(lake, zone);
      if (!existsSync(dir)) continue;
      for (const name of readdirSync(dir).sort()) {
        if (!statSync(join(dir, name)).isDirectory()) continue;
        const files = parquetFiles(join(dir, name));
        if (files.length === 0) continue;
        const list = `[${files.map(sqlString).join(', ')}]`;
        const exclude = VOLATILE_COLUMNS.map(sqlString).join(', ');
        const rows = await db.all<{ row: string }>(`
          SELECT CAST(to_json(t) AS VARCHAR) AS row FROM (
            SELECT COLUMNS(c -> c NOT IN (${exclude}))
            FROM read_parquet(${list}, hive_partitioning = true, union_by_name = true)
          ) AS t ORDER BY row`);
        out.set(
          `${zone}/${name}`,
          rows.map((r) => r.row),
        );
      }
    }
  } finally {
    await db.close();
  }
  return out;
}

function parquetFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...parquetFiles(path));
    else if (entry.name.endsWith('.parquet')) out.push(path);
  }
  return out.sort();
}

export interface TableDiff {
  table: string;
  /** Rows of the expected table missing from the actual one (counting multiplicity). */
  lost: number;
  /** Rows of the actual table not in the expected one, duplicates included. */
  extra: number;
  sample: string[];
}

/** Row-for-row differences between two lakes' tables (as multisets); [] when they are equal. */
export function diffTables(expected: Map<string, string[]>, actual: Map<string, string[]>): TableDiff[] {
  const diffs: TableDiff[] = [];
  for (const table of [...new Set([...expected.keys(), ...actual.keys()])].sort()) {
    const counts = new Map<string, number>();
    for (const row of expected.get(table) ?? []) counts.set(row, (counts.get(row) ?? 0) + 1);
    let extra = 0;
    const sample: string[] = [];
    for (const row of actual.get(table) ?? []) {
      const n = counts.get(row) ?? 0;
      if (n > 0) counts.set(row, n - 1);
      else {
        extra++;
        if (sample.length < 3) sample.push(`+ ${row}`);
      }
    }
    let lost = 0;
    for (const [row, n] of counts) {
      lost += n;
      if (n > 0 && sample.length < 6) sample.push(`- ${row}`);
    }
    if (lost > 0 || extra > 0) diffs.push({ table, lost, extra, sample });
  }
  return diffs;
}

/** Every file of a local lake (bookkeeping under .tunelake/ excluded) with a hash of its bytes. */
export function lakeFingerprint(lake: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(lake)) return out;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== '.tunelake') walk(path);
      } else {
        out.set(relative(lake, path), createHash('sha256').update(readFileSync(path)).digest('hex'));
      }
    }
  };
  walk(lake);
  return out;
}

/** `count` distinct integers from [min, max], drawn from a seeded stream (all of them when the range is small). */
export function seededPoints(seed: number, count: number, min: number, max: number): number[] {
  const random = createRandom(seed);
  const all = Array.from({ length: max - min + 1 }, (_, i) => min + i);
  for (let i = all.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, Math.min(count, all.length));
}
