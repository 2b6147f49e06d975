import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConfigSpec, loadConfig } from '../config.js';
import { Emulator } from '../emulator/server.js';
import { TOP_50_GLOBAL_ID, worldSummary } from '../emulator/world.js';
import { RUN_LOCK_KEY } from '../lake.js';
import { silentLogger } from '../log.js';
import { createRuntime } from '../runtime.js';
import type { ObjectStore } from '../storage/store.js';
import { type DoctorReport, doctorExitCode, formatReport, runDoctor } from './doctor.js';

const DAY_MS = 86_400_000;
const CLIENT_ID = 'tunelake-demo';
const CLIENT_SECRET = 'tunelake-demo-secret';

let dir: string;
let dev: Emulator;
let ext: Emulator;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tunelake-doctor-'));
  [dev, ext] = await Promise.all([
    Emulator.create({ port: 0, tier: 'development', seed: 7 }),
    Emulator.create({ port: 0, tier: 'extended', seed: 7 }),
  ]);
});

afterAll(async () => {
  await Promise.all([dev.close(), ext.close()]);
  rmSync(dir, { recursive: true, force: true });
});

interface Setup {
  emulator: Emulator;
  lake?: string;
  secret?: string;
  refreshToken?: string | null;
  tier?: 'development' | 'extended';
  sources?: unknown;
  credentialsFile?: string;
  now?: () => Date;
}

let lakes = 0;

/** doctor on a runtime configured like a real app (client id and secret), pointed at `emulator`. */
async function doctor(setup: Setup): Promise<{ report: DoctorReport; keys: string[][] }> {
  const emu = setup.emulator;
  const env: Record<string, string | undefined> = {
    SPOTIFY_CLIENT_ID: CLIENT_ID,
    SPOTIFY_CLIENT_SECRET: setup.secret ?? CLIENT_SECRET,
    SPOTIFY_ACCOUNTS_URL: emu.url,
    SPOTIFY_API_URL: emu.apiUrl,
    SPOTIFY_ACCESS_TIER: setup.tier ?? emu.tier,
    SPOTIFY_REFRESH_TOKEN:
      setup.refreshToken === null ? undefined : (setup.refreshToken ?? emu.issueRefreshToken()),
    TUNELAKE_MAX_RETRIES: '1',
  };
  const spec: ConfigSpec = {
    lake: setup.lake ?? join(dir, `lake-${++lakes}`),
    sources: setup.sources ?? {},
    credentialsFile: setup.credentialsFile ?? join(dir, 'no-credentials.json'),
  };
  const config = loadConfig(spec, env);
  const runtime = await createRuntime(config, { logger: silentLogger, now: setup.now });
  try {
    const before = await listAll(runtime.store);
    const report = await runDoctor(runtime);
    const after = await listAll(runtime.store);
    return { report, keys: [before, after] };
  } finally {
    await runtime.close();
  }
}

async function listAll(store: ObjectStore): Promise<string[]> {
  const keys: string[] = [];
  try {
    for await (const info of store.list('')) keys.push(info.key);
  } catch {
    keys.push('<unlistable>');
  }
  return keys;
}

function line(report: DoctorReport, id: string) {
  const found = report.checks.find((c) => c.id === id);
  if (!found) throw new Error(`no check ${id} in ${report.checks.map((c) => c.id).join(', ')}`);
  return found;
}

const text = (report: DoctorReport) => formatReport(report, { tty: false });

function apiRoutes(emu: Emulator): Record<string, number> {
  return Object.fromEntries(Object.entries(emu.stats().byRoute).filter(([route]) => route.includes('/v1/')));
}

describe('runDoctor(runtime) against the emulator', () => {
  it('in development mode: names the tier, the missing fields, the empty tables and insights, with one request per endpoint', async () => {
    const summary = worldSummary(dev.world);
    dev.resetStats();
    const { report, keys } = await doctor({
      emulator: dev,
      sources: { playlists: [summary.playlists.owned[0]!.id], artists: [summary.artists[0]!.id] },
    });

    expect(line(report, 'credentials.app-token').status).toBe('ok');
    expect(line(report, 'credentials.refresh-token').status).toBe('ok');
    expect(line(report, 'tier.batch')).toMatchObject({ status: 'ok' });
    expect(line(report, 'tier.batch').evidence).toContain('403');
    expect(line(report, 'tier.verdict')).toMatchObject({
      status: 'ok',
      summary: 'access tier: development mode (as configured)',
    });
    // Development mode's page size is documented (10): not probed, so search costs one request.
    expect(line(report, 'tier.page-size').status).toBe('skip');
    expect(report.tier).toMatchObject({
      configured: 'development',
      evidence: { batch: 'forbidden', fields: 'absent', pageSize: null },
      verdict: { tier: 'development', uncertain: '', safe: 'development' },
    });
    expect(line(report, 'tier.fields').status).toBe('warn');
    expect(line(report, 'tier.fields').summary).toMatch(/lack popularity and followers/);
    expect(line(report, 'tier.tables').summary).toMatch(/artist_snapshots .*track_snapshots/);
    expect(line(report, 'tier.insight.rising_artists').status).toBe('warn');
    // albums fills in development mode, only without labels.
    expect(line(report, 'tier.insight.label_share').summary).toMatch(
      /needs albums\.label, which development-mode/,
    );
    expect(line(report, `sources.playlist.${summary.playlists.owned[0]!.id}`).summary).toContain(
      'owned by you',
    );
    expect(line(report, `sources.artist.${summary.artists[0]!.id}`).status).toBe('ok');
    expect(line(report, 'lake.create-only').status).toBe('ok');
    expect(line(report, 'lake.compare-and-swap').status).toBe('ok');
    expect(line(report, 'lake.query').status).toBe('ok');
    expect(line(report, 'aws.deployment').status).toBe('skip');
    expect(report.ok).toBe(true);
    expect(doctorExitCode(report)).toBe(0);

    const routes = apiRoutes(dev);
    expect(Object.keys(routes).sort()).toEqual([
      'GET /v1/artists',
      'GET /v1/artists/{id}',
      'GET /v1/me',
      'GET /v1/playlists/{id}',
      'GET /v1/search',
    ]);
    for (const [route, count] of Object.entries(routes)) expect([route, count]).toEqual([route, 1]);
    // One token per grant: client credentials and one refresh.
    expect(dev.stats().tokenRequests).toBe(2);
    // The probe object is gone: the lake holds exactly what it held before.
    expect(keys[1]).toEqual(keys[0]);
  });

  it('in extended mode: every field and insight is available, and editorial playlists are readable', async () => {
    const summary = worldSummary(ext.world);
    ext.resetStats();
    const artists = summary.artists.slice(0, 3).map((a) => a.id);
    const { report, keys } = await doctor({
      emulator: ext,
      sources: { playlists: [TOP_50_GLOBAL_ID], artists },
    });
    expect(line(report, 'tier.verdict').summary).toBe('access tier: extended quota mode (as configured)');
    expect(line(report, 'tier.page-size').summary).toBe('page size: a search page of 50 was accepted');
    expect(line(report, 'tier.fields').status).toBe('ok');
    expect(report.checks.some((c) => c.id === 'tier.insight.rising_artists')).toBe(false);
    expect(report.checks.some((c) => c.id === 'tier.insight.label_share')).toBe(false);
    expect(line(report, `sources.playlist.${TOP_50_GLOBAL_ID}`).status).toBe('ok');
    for (const id of artists)
      expect(line(report, `sources.artist.${id}`).evidence).toContain('GET /artists?ids=');
    // The three artists rode on the tier probe's batch request.
    for (const [route, count] of Object.entries(apiRoutes(ext))) expect([route, count]).toEqual([route, 1]);
    expect(apiRoutes(ext)['GET /v1/artists/{id}']).toBeUndefined();
    expect(keys[1]).toEqual(keys[0]);
    expect(report.ok).toBe(true);
  });

  it('says the app runs in development mode when SPOTIFY_ACCESS_TIER=extended is configured', async () => {
    const { report } = await doctor({ emulator: dev, tier: 'extended' });
    const verdict = line(report, 'tier.verdict');
    expect(verdict.status).toBe('fail');
    expect(verdict.fix).toContain('SPOTIFY_ACCESS_TIER=development');
    expect(doctorExitCode(report)).toBe(4);
  });

  it('an older development-mode app (batch 200, no popularity, page of 50 refused): no tier named, development is the safe setting', async () => {
    const older = await Emulator.create({
      port: 0,
      tier: 'development',
      seed: 7,
      faults: { olderDevelopmentApp: true },
    });
    try {
      const asExtended = await doctor({ emulator: older, tier: 'extended' });
      expect(line(asExtended.report, 'tier.batch').evidence).toContain(': 200');
      expect(line(asExtended.report, 'tier.page-size').summary).toContain(
        'a search page of 50 was refused (400 Invalid limit)',
      );
      const verdict = line(asExtended.report, 'tier.verdict');
      expect(verdict.status).toBe('warn');
      expect(verdict.summary).toContain(
        'access tier uncertain: batch endpoints answer, but artists lack popularity',
      );
      expect(verdict.summary).not.toContain('extended quota mode (as configured)');
      expect(verdict.fix).toContain('set SPOTIFY_ACCESS_TIER=development (the safe setting)');
      expect(verdict.evidence).toBe(
        'batch endpoints allowed, popularity and followers absent, page size a search page of 50 was refused (400 Invalid limit): pages of 10 (the client falls back on its own)',
      );
      expect(asExtended.report.tier).toMatchObject({
        evidence: { batch: 'allowed', fields: 'absent', pageSize: { asked: 50, accepted: false } },
        verdict: { tier: null, safe: 'development' },
      });
      // Tables are judged by what was seen: no popularity, so no snapshots.
      expect(line(asExtended.report, 'tier.tables').summary).toContain('artist_snapshots');

      const asDevelopment = await doctor({ emulator: older, tier: 'development' });
      const ok = line(asDevelopment.report, 'tier.verdict');
      expect(ok.status).toBe('ok');
      expect(ok.summary).toContain('SPOTIFY_ACCESS_TIER=development (as configured) is the safe setting');
    } finally {
      await older.close();
    }
  });

  it('flags an editorial playlist and a playlist owned by someone else in development mode', async () => {
    const other = worldSummary(dev.world).playlists.other[0]!;
    const { report } = await doctor({ emulator: dev, sources: { playlists: [TOP_50_GLOBAL_ID, other.id] } });
    const editorial = line(report, `sources.playlist.${TOP_50_GLOBAL_ID}`);
    expect(editorial.status).toBe('fail');
    expect(editorial.summary).toContain(
      'Spotify-owned editorial playlists are not readable by apps created after 2024-11-27',
    );
    const foreign = line(report, `sources.playlist.${other.id}`);
    expect(foreign.status).toBe('fail');
    expect(foreign.summary).toContain(`owned by ${other.owner}`);
    expect(foreign.summary).toContain('not readable in development mode');
    expect(foreign.fix).toContain('remove it from sources.playlists');
    expect(report.ok).toBe(false);
    expect(doctorExitCode(report)).toBe(4);
    expect(text(report)).toMatch(/^ {2}fail playlist .*owned by/m);
  });

  it('reports a playlist and an artist that do not exist', async () => {
    const { report } = await doctor({
      emulator: dev,
      sources: { playlists: ['0000000000000000000000'], artists: ['0000000000000000000001'] },
    });
    expect(line(report, 'sources.playlist.0000000000000000000000').summary).toContain('not found');
    expect(line(report, 'sources.artist.0000000000000000000001').summary).toContain('not found');
  });

  it('needs a user token for /me sources, and says to log in', async () => {
    const { report } = await doctor({
      emulator: dev,
      refreshToken: null,
      sources: { me: { recentlyPlayed: true } },
    });
    const refresh = line(report, 'credentials.refresh-token');
    expect(refresh.status).toBe('fail');
    expect(refresh.summary).toContain('sources.me.recentlyPlayed');
    expect(refresh.fix).toContain('tunelake login');
    expect(line(report, 'tier.me').status).toBe('skip');
    expect(doctorExitCode(report)).toBe(3);
  });
});

describe('runDoctor(runtime) with broken credentials', () => {
  let wrongSecret: Emulator;
  let shortTokens: Emulator;
  beforeAll(async () => {
    [wrongSecret, shortTokens] = await Promise.all([
      Emulator.create({ port: 0, clientSecret: 'other' }),
      Emulator.create({ port: 0, refreshTokenMaxAgeDays: 1 }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([wrongSecret.close(), shortTokens.close()]);
  });

  it('a wrong client secret fails the credentials and names SPOTIFY_CLIENT_SECRET', async () => {
    const { report } = await doctor({ emulator: wrongSecret });
    const app = line(report, 'credentials.app-token');
    expect(app.status).toBe('fail');
    expect(app.evidence).toContain('AUTH_INVALID_CLIENT');
    expect(app.fix).toContain('SPOTIFY_CLIENT_SECRET');
    expect(line(report, 'tier.batch').status).toBe('skip');
    expect(doctorExitCode(report)).toBe(3);
    expect(text(report)).toMatch(/^ {2}fail no client-credentials .*SPOTIFY_CLIENT_SECRET/m);
    // The secret itself never shows.
    expect(text(report)).not.toContain(CLIENT_SECRET);
  });

  it('an expired refresh token fails the credentials and says `tunelake login`', async () => {
    const refreshToken = shortTokens.issueRefreshToken({ issuedAt: Date.now() - 3 * DAY_MS });
    const { report } = await doctor({ emulator: shortTokens, refreshToken });
    const refresh = line(report, 'credentials.refresh-token');
    expect(refresh.status).toBe('fail');
    expect(refresh.evidence).toContain('AUTH_INVALID_GRANT');
    expect(refresh.fix).toContain('tunelake login');
    expect(line(report, 'credentials.app-token').status).toBe('ok');
  });

  it('reads the token age from the credentials file and warns 30 days before the six months are up', async () => {
    const now = new Date('2026-12-01T00:00:00Z');
    const file = join(dir, 'credentials.json');
    const write = (obtainedAt: string) =>
      writeFileSync(
        file,
        JSON.stringify({
          refresh_token: dev.issueRefreshToken(),
          scope: 'user-top-read',
          obtained_at: obtainedAt,
        }),
      );
    write('2026-06-10T00:00:00Z');
    let { report } = await doctor({
      emulator: dev,
      refreshToken: null,
      credentialsFile: file,
      now: () => now,
    });
    let age = line(report, 'credentials.refresh-token-age');
    expect(age.status).toBe('warn');
    expect(age.summary).toContain('174 days old and expires in 9 days (2026-12-10)');
    expect(age.fix).toContain('tunelake login');

    // 25 days left: inside the 30-day warning window.
    write('2026-06-26T00:00:00Z');
    ({ report } = await doctor({ emulator: dev, refreshToken: null, credentialsFile: file, now: () => now }));
    age = line(report, 'credentials.refresh-token-age');
    expect(age.status).toBe('warn');
    expect(age.summary).toContain('expires in 25 days (2026-12-26)');

    write('2026-09-01T00:00:00Z');
    ({ report } = await doctor({ emulator: dev, refreshToken: null, credentialsFile: file, now: () => now }));
    age = line(report, 'credentials.refresh-token-age');
    expect(age.status).toBe('ok');
    expect(age.summary).toContain('91 days old');
  });
});

describe('runDoctor(runtime) on the lake', () => {
  it('an unwritable lake path fails the lake with STORAGE_FAILED', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a folder');
    const { report } = await doctor({ emulator: dev, lake: join(file, 'lake') });
    const writable = line(report, 'lake.writable');
    expect(writable.status).toBe('fail');
    expect(writable.fix).toContain('TUNELAKE_LAKE');
    expect(line(report, 'lake.create-only').status).toBe('skip');
    expect(doctorExitCode(report)).toBe(7);
  });

  it('reports the last run, its age, and a held run lock', async () => {
    const lake = join(dir, 'lake-with-runs');
    const now = new Date('2026-11-25T12:00:00Z');
    const runId = '20261124T080000Z-abcdef';
    mkdirSync(join(lake, 'runs'), { recursive: true });
    mkdirSync(join(lake, 'state'), { recursive: true });
    writeFileSync(
      join(lake, 'runs', `${runId}.json`),
      JSON.stringify({ runId, finishedAt: '2026-11-24T08:00:00Z', errors: [], objects: [] }),
    );
    writeFileSync(
      join(lake, RUN_LOCK_KEY),
      JSON.stringify({ runId: 'x', pid: 1, host: 'h', expiresAt: '2026-11-25T13:00:00Z' }),
    );
    const { report, keys } = await doctor({ emulator: dev, lake, now: () => now });
    const last = line(report, 'lake.last-run');
    expect(last.status).toBe('warn');
    expect(last.summary).toContain('28.0 h old');
    expect(line(report, 'lake.lock').status).toBe('warn');
    expect(keys[1]).toEqual(keys[0]);
  });

  it('summarizes verify in lake.integrity: a missing table file warns (the next run rebuilds it), a missing raw object fails with exit 7', async () => {
    const lake = join(dir, 'lake-damaged');
    const runId = '20261124T080000Z-abcdef';
    mkdirSync(join(lake, 'runs'), { recursive: true });
    mkdirSync(join(lake, 'state'), { recursive: true });
    const manifest = (objects: unknown[]) =>
      writeFileSync(
        join(lake, 'runs', `${runId}.json`),
        JSON.stringify({ runId, finishedAt: '2026-11-24T08:00:00Z', errors: [], objects }),
      );
    manifest([]);
    const record = { bytes: 10, sha256: 'ab'.repeat(32), etag: '"x"', rows: 3 };
    writeFileSync(
      join(lake, 'state', 'transform.json'),
      JSON.stringify({
        version: 1,
        runs: [runId],
        codeVersion: 'x',
        tables: {},
        files: { 'tables/plays/part-00000.parquet': record },
      }),
    );
    let { report } = await doctor({ emulator: dev, lake });
    let integrity = line(report, 'lake.integrity');
    expect(integrity.status).toBe('warn');
    expect(integrity.summary).toContain('the next run rebuilds them');
    expect(integrity.evidence).toContain('tables/plays/part-00000.parquet: it is missing');

    manifest([
      {
        key: 'raw/tracks/dt=2026-11-24/run=20261124T080000Z-abcdef/part-00000.ndjson.gz',
        records: 1,
        bytes: 5,
      },
    ]);
    ({ report } = await doctor({ emulator: dev, lake }));
    integrity = line(report, 'lake.integrity');
    expect(integrity.status).toBe('fail');
    expect(integrity.fix).toContain('tunelake verify');
    expect(report.checks.filter((c) => c.status === 'fail').map((c) => c.id)).toEqual(['lake.integrity']);
    expect(doctorExitCode(report)).toBe(7);
  });
});
