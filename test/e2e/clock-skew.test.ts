// extract(runtime) under a skewed clock (#17: a run a day back, or in 2030, landed misdated snapshots
// without a word). The clock is injected (deps.now) for the check against the last committed run; the
// emulator's clockSkewSeconds knob shifts its Date header for the check against Spotify's clock.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { Emulator } from '../../src/emulator/server.js';
import { worldNowMs, worldSummary } from '../../src/emulator/world.js';
import { toTunelakeError } from '../../src/errors.js';
import { extract } from '../../src/extract/extract.js';
import { committedRunIds } from '../../src/extract/manifest.js';
import { EXTRACT_STATE_KEY } from '../../src/lake.js';
import { createLogger } from '../../src/log.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import type { ObjectStore } from '../../src/storage/store.js';

const DAY_MS = 86_400_000;
let emu: Emulator;
let playlist: string;

beforeAll(async () => {
  emu = await Emulator.create({ port: 0, seed: 11 });
  playlist = worldSummary(emu.world).playlists.owned[0]!.id;
});
afterAll(async () => {
  await emu?.close();
});
beforeEach(() => emu.setFaults({ clockSkewSeconds: 0 }));

async function lakeRuntime(env: Record<string, string> = {}): Promise<Runtime & { warnings: string[] }> {
  const lake = mkdtempSync(join(tmpdir(), 'tunelake-clock-'));
  const config = loadConfig(
    { lake, tier: emu.tier, sources: { playlists: [playlist] }, rateLimit: 5000 },
    { TUNELAKE_CREDENTIALS: '/nonexistent/credentials.json', ...env },
  );
  const warnings: string[] = [];
  const logger = createLogger({
    level: 'warn',
    write: (line) => {
      warnings.push(String(JSON.parse(line).msg));
    },
  });
  const runtime = await createRuntime(config, { emulator: emu, logger });
  return Object.assign(runtime, { warnings });
}

/** Every key of the lake, and the state's text. */
async function snapshot(store: ObjectStore): Promise<{ keys: string[]; state: string | undefined }> {
  const keys: string[] = [];
  for await (const o of store.list('')) keys.push(o.key);
  return { keys: keys.sort(), state: await store.getText(EXTRACT_STATE_KEY) };
}

async function failure(promise: Promise<unknown>) {
  return promise.then(
    () => undefined,
    (e: unknown) => toTunelakeError(e),
  );
}

describe('extract(runtime) against the last committed run', () => {
  it('stops with CLOCK_SKEW, committing nothing, when the clock is a day behind the last run', async () => {
    const runtime = await lakeRuntime();
    const t = worldNowMs(emu.world) - 3_600_000;
    const first = await extract(runtime, { now: () => new Date(t), logger: runtime.logger });
    const before = await snapshot(runtime.store);
    const error = await failure(
      extract(runtime, { now: () => new Date(t - DAY_MS), logger: runtime.logger }),
    );
    expect(error?.code).toBe('CLOCK_SKEW');
    expect(error?.message).toContain(first.runId);
    expect(error?.message).toMatch(/24 hours before the last committed run/);
    expect(error?.message).toContain('--allow-clock-skew');
    expect(await committedRunIds(runtime.store)).toEqual([first.runId]);
    // Not even a pending marker: the check comes before anything is written.
    expect(await snapshot(runtime.store)).toEqual(before);
    await runtime.close();
  });

  it('warns and goes on when the clock is two minutes behind the last run', async () => {
    const runtime = await lakeRuntime();
    const t = worldNowMs(emu.world) - 3_600_000;
    await extract(runtime, { now: () => new Date(t), logger: runtime.logger });
    const second = await extract(runtime, { now: () => new Date(t - 120_000), logger: runtime.logger });
    expect(await committedRunIds(runtime.store)).toContain(second.runId);
    expect(runtime.warnings.join('\n')).toMatch(/2 minutes before the last committed run.*run goes on/);
    await runtime.close();
  });

  it('goes on with a warning a day behind when TUNELAKE_ALLOW_CLOCK_SKEW=true', async () => {
    const runtime = await lakeRuntime({ TUNELAKE_ALLOW_CLOCK_SKEW: 'true' });
    const t = worldNowMs(emu.world) - 3_600_000;
    await extract(runtime, { now: () => new Date(t), logger: runtime.logger });
    const second = await extract(runtime, { now: () => new Date(t - DAY_MS), logger: runtime.logger });
    expect(await committedRunIds(runtime.store)).toContain(second.runId);
    expect(runtime.warnings.join('\n')).toMatch(/clock skew is allowed/);
    await runtime.close();
  });
});

describe("extract(runtime) against Spotify's Date header", () => {
  it('stops with CLOCK_SKEW, committing no run, when this clock is 10 minutes ahead of the API', async () => {
    const runtime = await lakeRuntime();
    emu.setFaults({ clockSkewSeconds: -600 });
    const error = await failure(extract(runtime, { now: runtime.now, logger: runtime.logger }));
    expect(error?.code).toBe('CLOCK_SKEW');
    expect(error?.message).toMatch(/clock is 10 minutes ahead of Spotify's \(Date header/);
    expect(await committedRunIds(runtime.store)).toEqual([]);
    await runtime.close();
  });

  it('stops when this clock is years behind the API, as under a clock set to 2030 the other way round', async () => {
    const runtime = await lakeRuntime();
    emu.setFaults({ clockSkewSeconds: 4 * 365 * 86_400 });
    const error = await failure(extract(runtime, { now: runtime.now, logger: runtime.logger }));
    expect(error?.code).toBe('CLOCK_SKEW');
    expect(error?.message).toMatch(/days behind Spotify's/);
    await runtime.close();
  });

  it('warns and commits when the clock is 2 minutes off, and when a larger skew is allowed', async () => {
    const runtime = await lakeRuntime();
    emu.setFaults({ clockSkewSeconds: 120 });
    const info = await extract(runtime, { now: runtime.now, logger: runtime.logger });
    expect(await committedRunIds(runtime.store)).toEqual([info.runId]);
    expect(runtime.warnings.join('\n')).toMatch(/behind Spotify's.*run goes on/);
    await runtime.close();

    const allowed = await lakeRuntime({ TUNELAKE_ALLOW_CLOCK_SKEW: 'true' });
    emu.setFaults({ clockSkewSeconds: -3600 });
    const landed = await extract(allowed, { now: allowed.now, logger: allowed.logger });
    expect(await committedRunIds(allowed.store)).toEqual([landed.runId]);
    expect(allowed.warnings.join('\n')).toMatch(/60 minutes ahead of Spotify's.*clock skew is allowed/);
    await allowed.close();
  });

  it('says nothing when the clocks agree', async () => {
    const runtime = await lakeRuntime();
    await extract(runtime, { now: runtime.now, logger: runtime.logger });
    expect(runtime.warnings.filter((w) => /clock/i.test(w))).toEqual([]);
    await runtime.close();
  });
});
