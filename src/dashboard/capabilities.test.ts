import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimeFor } from '../cli/runtime-for.js';
import { loadConfig } from '../config.js';
import type { FaultOptions } from '../emulator/faults.js';
import { Emulator } from '../emulator/server.js';
import { silentLogger } from '../log.js';
import { createRuntime, type Runtime } from '../runtime.js';
import { DashboardServer } from './dashboard-server.js';

const ENV = { TUNELAKE_CREDENTIALS: '/nonexistent/credentials.json' };

// biome-ignore lint/suspicious/noExplicitAny: API bodies are arbitrary JSON, read field by field
type Json = any;

async function getJson(url: string): Promise<{ status: number; body: Json }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

const byId = (list: Json[], key: string, value: string): Json => list.find((x) => x[key] === value);

/** Requests the emulator counted on the /v1 routes (token requests aside). */
function apiRequests(emulator: Emulator): Record<string, number> {
  return Object.fromEntries(
    Object.entries(emulator.stats().byRoute).filter(([route]) => route.includes('/v1/')),
  );
}

/** A lake, an emulator of the tier, a runtime over it and a dashboard with a clock the test moves. */
async function setUp(tier: 'development' | 'extended', faults: Partial<FaultOptions> = {}) {
  const lake = mkdtempSync(join(tmpdir(), `tunelake-caps-${tier}-`));
  const emulator = await Emulator.create({ port: 0, tier, seed: 7, faults });
  const runtime = await createRuntime(loadConfig({ lake, tier }, ENV), { emulator, logger: silentLogger });
  const clock = { ms: Date.parse('2026-11-25T12:00:00Z') };
  const server = await DashboardServer.create(runtime, { port: 0, now: () => new Date(clock.ms) });
  return { lake, emulator, runtime, server, clock };
}

describe('GET /api/capabilities against the development-tier emulator', () => {
  let ctx: Awaited<ReturnType<typeof setUp>>;

  beforeAll(async () => {
    ctx = await setUp('development');
    ctx.emulator.resetStats();
  });
  afterAll(async () => {
    await ctx?.server.close();
    await ctx?.runtime.close();
    await ctx?.emulator.close();
    if (ctx?.lake) rmSync(ctx.lake, { recursive: true, force: true });
  });

  it('says the batch endpoint is forbidden, popularity absent, and rising_artists left empty', async () => {
    const { status, body } = await getJson(`${ctx.server.url}api/capabilities`);
    expect(status).toBe(200);
    expect(body.target.kind).toBe('emulator');
    expect(body.target.description).toContain('emulator in development tier');
    expect(body.tier).toEqual({
      configured: 'development',
      detected: 'development',
      effective: 'development',
      uncertain: '',
      safe: 'development',
      // The batch was refused: development mode's page size is documented, so it is not probed.
      evidence: { batch: 'forbidden', fields: 'absent', pageSize: null },
    });
    expect(body.reachable).toBe(true);
    expect(byId(body.endpoints, 'id', 'artists.batch')).toMatchObject({ status: 'forbidden' });
    expect(byId(body.endpoints, 'id', 'artists.batch').detail).toContain('403');
    expect(byId(body.endpoints, 'id', 'search')).toMatchObject({ status: 'answers' });
    expect(byId(body.endpoints, 'id', 'me')).toMatchObject({ status: 'answers' });
    expect(byId(body.fields, 'field', 'artist.popularity')).toMatchObject({ status: 'absent' });
    expect(byId(body.fields, 'field', 'artist.followers')).toMatchObject({ status: 'absent' });
    for (const table of ['artist_snapshots', 'track_snapshots']) {
      const entry = byId(body.tables, 'name', table);
      expect(entry.populated, table).toBe(false);
      expect(entry.reason).toContain('not sent to development-mode apps');
    }
    expect(byId(body.tables, 'name', 'playlist_items')).toEqual({ name: 'playlist_items', populated: true });
    const rising = byId(body.insights, 'name', 'rising_artists');
    expect(rising.populated).toBe(false);
    expect(rising.reason).toContain('development-mode apps no longer receive');
    expect(byId(body.insights, 'name', 'playlist_movers').populated).toBe(true);
  });

  it('is probed once for the server: a second GET sends no request, one per endpoint in all', async () => {
    const second = await getJson(`${ctx.server.url}api/capabilities`);
    expect(second.status).toBe(200);
    expect(apiRequests(ctx.emulator)).toEqual({
      'GET /v1/artists': 1,
      'GET /v1/me': 1,
      'GET /v1/search': 1,
    });
    expect(second.body.requests).toBe(3);
  });

  it('?refresh=1 within a minute returns the cached matrix and says when it may probe again', async () => {
    const first = (await getJson(`${ctx.server.url}api/capabilities`)).body;
    ctx.clock.ms += 30_000;
    const { status, body } = await getJson(`${ctx.server.url}api/capabilities?refresh=1`);
    expect(status).toBe(200);
    expect(body.refreshRefused).toMatch(/try again in 30 s/);
    expect(body.probedAt).toBe(first.probedAt);
    expect(apiRequests(ctx.emulator)['GET /v1/artists']).toBe(1);
  });

  it('?refresh=1 after a minute probes again, once per endpoint', async () => {
    ctx.clock.ms += 31_000;
    const { status, body } = await getJson(`${ctx.server.url}api/capabilities?refresh=1`);
    expect(status).toBe(200);
    expect(body.refreshRefused).toBeUndefined();
    expect(body.probedAt).toBe(new Date(ctx.clock.ms).toISOString());
    expect(apiRequests(ctx.emulator)).toEqual({
      'GET /v1/artists': 2,
      'GET /v1/me': 2,
      'GET /v1/search': 2,
    });
  });
});

describe('GET /api/capabilities against an older development-mode app (olderDevelopmentApp)', () => {
  let ctx: Awaited<ReturnType<typeof setUp>>;

  beforeAll(async () => {
    ctx = await setUp('development', { olderDevelopmentApp: true });
  });
  afterAll(async () => {
    await ctx?.server.close();
    await ctx?.runtime.close();
    await ctx?.emulator.close();
    if (ctx?.lake) rmSync(ctx.lake, { recursive: true, force: true });
  });

  it('names no tier although the batch endpoint answers, and says development is the safe setting', async () => {
    const { body } = await getJson(`${ctx.server.url}api/capabilities`);
    expect(byId(body.endpoints, 'id', 'artists.batch')).toMatchObject({ status: 'answers' });
    expect(body.tier).toMatchObject({
      configured: 'development',
      detected: null,
      effective: 'development',
      safe: 'development',
      evidence: { batch: 'allowed', fields: 'absent', pageSize: { asked: 50, accepted: false } },
    });
    expect(body.tier.uncertain).toContain('created before 2026-02-11');
    expect(byId(body.fields, 'field', 'artist.popularity').status).toBe('absent');
    // The development rules judge the tables: no snapshots without popularity.
    expect(byId(body.tables, 'name', 'artist_snapshots').populated).toBe(false);
    // batch, me, search at 50 (refused), search at 1.
    expect(body.requests).toBe(4);
  });
});

describe('GET /api/capabilities against the extended-tier emulator', () => {
  let ctx: Awaited<ReturnType<typeof setUp>>;

  beforeAll(async () => {
    ctx = await setUp('extended');
  });
  afterAll(async () => {
    await ctx?.server.close();
    await ctx?.runtime.close();
    await ctx?.emulator.close();
    if (ctx?.lake) rmSync(ctx.lake, { recursive: true, force: true });
  });

  it('every endpoint answers, the fields are present, and the snapshot tables and rising_artists fill', async () => {
    const { status, body } = await getJson(`${ctx.server.url}api/capabilities`);
    expect(status).toBe(200);
    expect(body.target.description).toContain('emulator in extended tier');
    expect(body.tier.detected).toBe('extended');
    expect(body.tier.evidence).toEqual({
      batch: 'allowed',
      fields: 'present',
      pageSize: { asked: 50, accepted: true },
    });
    expect(body.endpoints.map((e: Json) => [e.id, e.status])).toEqual([
      ['artists.batch', 'answers'],
      ['me', 'answers'],
      ['search', 'answers'],
    ]);
    expect(byId(body.fields, 'field', 'artist.popularity').status).toBe('present');
    expect(byId(body.fields, 'field', 'artist.followers').status).toBe('present');
    expect(byId(body.tables, 'name', 'artist_snapshots').populated).toBe(true);
    expect(byId(body.tables, 'name', 'track_snapshots').populated).toBe(true);
    expect(byId(body.insights, 'name', 'rising_artists').populated).toBe(true);
  });
});

describe('GET /api/capabilities without Spotify access', () => {
  let lake: string;
  let runtime: Runtime;
  let server: DashboardServer;

  beforeAll(async () => {
    // A port nothing listens on: every token request is refused.
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    lake = mkdtempSync(join(tmpdir(), 'tunelake-caps-offline-'));
    const env = {
      ...ENV,
      SPOTIFY_CLIENT_ID: 'offline-app',
      SPOTIFY_CLIENT_SECRET: 'offline-secret',
      SPOTIFY_ACCOUNTS_URL: `http://127.0.0.1:${closed}`,
      SPOTIFY_API_URL: `http://127.0.0.1:${closed}/v1`,
      TUNELAKE_MAX_RETRIES: '0',
    };
    // As `tunelake serve` builds it: no Spotify client in the server's runtime; the probes open one.
    const config = loadConfig({ lake }, env);
    runtime = await createRuntime(config, { logger: silentLogger, spotify: false });
    server = await DashboardServer.create(runtime, {
      port: 0,
      openSpotify: () => runtimeFor(config, { logger: silentLogger }),
    });
  });
  afterAll(async () => {
    await server?.close();
    await runtime?.close();
    if (lake) rmSync(lake, { recursive: true, force: true });
  });

  it('answers 200 with every probe unknown and the error, never a 500', async () => {
    const { status, body } = await getJson(`${server.url}api/capabilities`);
    expect(status).toBe(200);
    expect(body.reachable).toBe(false);
    expect(body.target).toMatchObject({ kind: 'spotify' });
    expect(body.target.description).toContain('offline-app');
    expect(body.tier.detected).toBeNull();
    expect(body.endpoints.map((e: Json) => [e.id, e.status])).toEqual([
      ['artists.batch', 'unknown'],
      ['me', 'not probed'],
      ['search', 'unknown'],
    ]);
    expect(byId(body.endpoints, 'id', 'artists.batch').detail).toMatch(/^NETWORK: .*POST \/api\/token/);
    // One failed token request is enough: search is not sent to repeat it.
    expect(byId(body.endpoints, 'id', 'search').detail).toMatch(/^not sent: NETWORK: /);
    expect(body.requests).toBe(1);
    expect(byId(body.fields, 'field', 'artist.popularity').status).toBe('unknown');
    // The tables are judged by the configured (development) tier.
    expect(byId(body.tables, 'name', 'artist_snapshots').populated).toBe(false);
    expect(JSON.stringify(body)).not.toContain('offline-secret');
  });
});
