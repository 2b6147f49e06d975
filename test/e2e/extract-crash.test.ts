import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sources } from '../../src/config.js';
import { createRandom } from '../../src/emulator/random.js';
import { Emulator } from '../../src/emulator/server.js';
import { worldNowMs, worldSummary } from '../../src/emulator/world.js';
import { createObjectStore } from '../../src/runtime.js';
import { fingerprint, rawKeys, readRawRecords } from '../support/lake.js';

const CHILD = join(import.meta.dirname, 'extract-child.ts');

function runChild(
  args: Record<string, unknown>,
): Promise<{ code: number | null; signal: string | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr?.on('data', (d) => {
      stderr += String(d);
    });
    child.stdout?.on('data', (d) => {
      stdout += String(d);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== 0 && signal === null) reject(new Error(`child failed (${code}): ${stderr}`));
      else resolve({ code, signal, stdout });
    });
  });
}

describe('extract(runtime) killed with SIGKILL at any point', () => {
  let emu: Emulator;
  let base: Record<string, unknown>;
  let expected: string[];
  let cleanWrites: number;

  beforeAll(async () => {
    emu = await Emulator.create({ port: 0, tier: 'development', seed: 21, faults: { latencyMs: 2 } });
    const summary = worldSummary(emu.world);
    const sources: Sources = {
      playlists: [...summary.playlists.owned, ...summary.playlists.collaborative].map((p) => p.id),
      artists: summary.artists.slice(0, 4).map((a) => a.id),
      artistIncludeGroups: ['album', 'single'],
      search: [{ q: 'tag:new', type: 'album', limit: 20 }],
      me: { recentlyPlayed: true, topItems: true, savedTracks: true, playlists: true },
    };
    base = {
      accountsUrl: emu.url,
      apiUrl: emu.apiUrl,
      tier: 'development',
      refreshToken: emu.issueRefreshToken(),
      sources,
      nowMs: worldNowMs(emu.world) - 60_000,
    };
    const clean = mkdtempSync(join(tmpdir(), 'tunelake-crash-clean-'));
    const run = await runChild({ ...base, lake: clean });
    cleanWrites = (JSON.parse(run.stdout) as { writes: number }).writes;
    expected = fingerprint(
      await readRawRecords(createObjectStore({ lake: clean, s3Endpoint: undefined, awsRegion: 'us-east-1' })),
    );
    expect(expected.length).toBeGreaterThan(100);
  }, 120_000);
  afterAll(async () => {
    await emu?.close();
  });

  async function crashThenResume(crash: { crashAt?: string; crashAfterWrites?: number }) {
    const lake = mkdtempSync(join(tmpdir(), 'tunelake-crash-'));
    const first = await runChild({ ...base, lake, ...crash });
    await runChild({ ...base, lake });
    const store = createObjectStore({ lake, s3Endpoint: undefined, awsRegion: 'us-east-1' });
    const records = await readRawRecords(store);
    // Nothing lost, nothing duplicated: the same facts as the uninterrupted run.
    expect(fingerprint(records)).toEqual(expected);
    // Nothing half-done is left: every raw object belongs to a committed run, and no run is pending.
    const committed = new Set(records.map((r) => r.runId));
    for (const key of await rawKeys(store)) expect(committed.has(/run=([^/]+)\//.exec(key)![1]!)).toBe(true);
    const pending: string[] = [];
    for await (const info of store.list('runs/')) if (info.key.endsWith('.pending')) pending.push(info.key);
    expect(pending).toEqual([]);
    return first;
  }

  it.each(['recovered', 'playlists', 'artists', 'me', 'flushed', 'manifest', 'state'])(
    'at checkpoint "%s": the next run completes with the uninterrupted run\'s raw content',
    async (crashAt) => {
      const first = await crashThenResume({ crashAt });
      expect(first.signal).toBe('SIGKILL');
    },
    60_000,
  );

  it('after seeded random object writes: the next run completes with the same raw content', async () => {
    const random = createRandom(20261125);
    expect(cleanWrites).toBeGreaterThan(8);
    for (let trial = 0; trial < 4; trial++) {
      const crashAfterWrites = random.int(1, cleanWrites - 1);
      console.log(`crash trial ${trial}: SIGKILL after write ${crashAfterWrites} of ${cleanWrites}`);
      const first = await crashThenResume({ crashAfterWrites });
      expect(first.signal).toBe('SIGKILL');
    }
  }, 120_000);
});
