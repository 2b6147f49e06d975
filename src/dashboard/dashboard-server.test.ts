import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../cli/serve-command.js';
import { loadConfig } from '../config.js';
import { Emulator } from '../emulator/server.js';
import { silentLogger } from '../log.js';
import { run } from '../pipeline.js';
import type { QueryEngine } from '../query/engine.js';
import { createRuntime, type Runtime } from '../runtime.js';
import { DashboardServer, openDashboardEngine } from './dashboard-server.js';

const ENV = { TUNELAKE_CREDENTIALS: '/nonexistent/credentials.json' };

/** GET through node:http, which sends the path and Host header exactly as given (fetch normalises `..`). */
function rawGet(
  url: string,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

// biome-ignore lint/suspicious/noExplicitAny: API bodies are arbitrary JSON, read field by field
type Json = any;

async function getJson(url: string): Promise<{ status: number; body: Json }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

describe('GET /api/status: the Spotify login in the freshness bar (#14)', () => {
  const NOW = new Date('2026-12-07T12:00:00Z');
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tunelake-dash-login-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** /api/status of a server over an empty lake, with a credentials file logged in at `obtainedAt`. */
  async function loginOf(obtainedAt: string | undefined, env: Record<string, string> = {}): Promise<Json> {
    const file = join(dir, `credentials-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(
      file,
      JSON.stringify({ refresh_token: 'AQ-file-token', ...(obtainedAt ? { obtained_at: obtainedAt } : {}) }),
    );
    const config = loadConfig({ lake: join(dir, 'lake') }, { TUNELAKE_CREDENTIALS: file, ...env });
    const runtime = await createRuntime(config, { logger: silentLogger, spotify: false });
    const server = await DashboardServer.create(runtime, { port: 0, now: () => NOW });
    try {
      const { status, body } = await getJson(`${server.url}api/status`);
      expect(status).toBe(200);
      expect(JSON.stringify(body)).not.toContain('AQ-file-token');
      return body.login;
    } finally {
      await server.close();
      await runtime.close();
    }
  }

  it('is ok with the age and expiry date more than 30 days before expiry', async () => {
    expect(await loginOf('2026-10-01T00:00:00Z')).toMatchObject({
      status: 'ok',
      obtainedAt: '2026-10-01T00:00:00.000Z',
      expiresAt: '2027-04-01T00:00:00.000Z',
      ageDays: 67,
      message: 'the Spotify login is 67 days old; it expires on 2027-04-01',
    });
  });

  it('warns from 30 days before expiry, then says it expired, naming `tunelake login`', async () => {
    const expiring = await loginOf('2026-06-20T00:00:00Z');
    expect(expiring).toMatchObject({
      status: 'expiring',
      daysLeft: 12,
      expiresAt: '2026-12-20T00:00:00.000Z',
    });
    expect(expiring.message).toBe(
      'the Spotify login is 170 days old and expires in 12 days (2026-12-20): run `tunelake login` before then',
    );
    const expired = await loginOf('2026-05-01T00:00:00Z');
    expect(expired.status).toBe('expired');
    expect(expired.message).toContain('expired on 2026-11-01');
  });

  it('is unknown without obtained_at, and null when the token comes from SPOTIFY_REFRESH_TOKEN', async () => {
    expect(await loginOf(undefined)).toMatchObject({ status: 'unknown' });
    expect(await loginOf('2026-06-20T00:00:00Z', { SPOTIFY_REFRESH_TOKEN: 'AQ-env-token' })).toBeNull();
  });
});

describe('DashboardServer.create(runtime) on an empty lake', () => {
  let lake: string;
  let runtime: Runtime;
  let server: DashboardServer;

  beforeAll(async () => {
    lake = mkdtempSync(join(tmpdir(), 'tunelake-serve-empty-'));
    runtime = await createRuntime(loadConfig({ lake }, ENV), { logger: silentLogger, spotify: false });
    server = await DashboardServer.create(runtime, { port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await runtime?.close();
    if (lake) rmSync(lake, { recursive: true, force: true });
  });

  it('GET /api/status says the lake is empty and what to run', async () => {
    const { status, body } = await getJson(`${server.url}api/status`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      empty: true,
      lastRun: null,
      runs: 0,
      tier: 'development',
      tierSource: 'config',
      engine: 'duckdb',
    });
    expect(body.hint).toContain('npx tunelake demo --days 14');
    expect(body.hint).toContain('npx tunelake run');
    expect(body.insights.map((i: { name: string }) => i.name)).toContain('playlist_movers');
  });

  it('GET /api/insights/<name> answers 404 with why and what to run', async () => {
    const { status, body } = await getJson(`${server.url}api/insights/playlist_movers`);
    expect(status).toBe(404);
    expect(body.error.code).toBe('STORAGE_NOT_FOUND');
    expect(body.error.message).toContain('Insight playlist_movers is unavailable in this lake');
    expect(body.error.message).toContain('tunelake run');
  });

  it('GET /api/filters is empty', async () => {
    const { body } = await getJson(`${server.url}api/filters`);
    expect(body).toEqual({ playlists: [], artists: [], dates: null });
  });
});

describe('DashboardServer.create(runtime) after two simulated days', () => {
  let lake: string;
  let emulator: Emulator;
  let runtime: Runtime;
  let server: DashboardServer;
  let playlists: Array<{ id: string; name: string }>;

  beforeAll(async () => {
    lake = mkdtempSync(join(tmpdir(), 'tunelake-serve-'));
    emulator = await Emulator.create({ port: 0, tier: 'development', seed: 13 });
    runtime = await createRuntime(loadConfig({ lake, rateLimit: 5000, concurrency: 4 }, ENV), {
      emulator,
      logger: silentLogger,
    });
    await run(runtime, { crawlRaw: false, insights: false });
    emulator.advanceDay();
    await run(runtime, { crawlRaw: false });
    server = await DashboardServer.create(runtime, { port: 0 });
    playlists = (await getJson(`${server.url}api/filters`)).body.playlists;
  });
  afterAll(async () => {
    await server?.close();
    await runtime?.close();
    await emulator?.close();
    if (lake) rmSync(lake, { recursive: true, force: true });
  });

  it('GET /api/status has the last run, tier, engine, and why rising_artists is unavailable', async () => {
    const { status, body } = await getJson(`${server.url}api/status`);
    expect(status).toBe(200);
    expect(body.empty).toBe(false);
    expect(body.runs).toBe(2);
    expect(body.lastRun.dt).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(body).toMatchObject({ tier: 'development', engine: 'duckdb', catalog: 'local' });
    const rising = body.insights.find((i: { name: string }) => i.name === 'rising_artists');
    expect(rising.available).toBe(false);
    expect(rising.reason).toContain('development-mode apps no longer receive');
    const movers = body.insights.find((i: { name: string }) => i.name === 'playlist_movers');
    expect(movers).toMatchObject({
      available: true,
      filters: { date: 'snapshot_date', playlist: true, artist: false },
    });
    expect(movers.views).toEqual(['rows', 'latest', 'timeline']);
  });

  it('GET /api/status takes the tier from the lake, not from the serving config (#18)', async () => {
    // A server configured for the extended tier over a lake built in development mode.
    const other = await createRuntime(loadConfig({ lake, tier: 'extended' }, ENV), {
      logger: silentLogger,
      spotify: false,
    });
    const extendedServer = await DashboardServer.create(other, { port: 0 });
    try {
      const { body } = await getJson(`${extendedServer.url}api/status`);
      expect(body).toMatchObject({ tier: 'development', tierSource: 'last run' });
      expect(Date.parse(body.lastRun.finishedAt)).toBeLessThanOrEqual(runtime.now().getTime());
    } finally {
      await extendedServer.close();
      await other.close();
    }
  });

  it('GET /api/insights/playlist_movers?playlist= returns that playlist only, and fewer rows than unfiltered', async () => {
    expect(playlists.length).toBeGreaterThan(1);
    const all = (await getJson(`${server.url}api/insights/playlist_movers`)).body;
    const counts = new Map<string, number>();
    for (const row of all.rows) counts.set(row.playlist_id, (counts.get(row.playlist_id) ?? 0) + 1);
    const [id, expected] = [...counts.entries()].sort((a, b) => a[1] - b[1])[0]!;
    const { status, body } = await getJson(`${server.url}api/insights/playlist_movers?playlist=${id}`);
    expect(status).toBe(200);
    expect(body.applied).toEqual({ playlist: id });
    expect(body.rows).toHaveLength(expected);
    expect(body.rows.length).toBeLessThan(all.rows.length);
    expect(new Set(body.rows.map((r: { playlist_id: string }) => r.playlist_id))).toEqual(new Set([id]));
  });

  it('GET /api/insights/playlist_movers?view=timeline counts the moves per day', async () => {
    const rows = (await getJson(`${server.url}api/insights/playlist_movers`)).body.rows;
    const { body } = await getJson(`${server.url}api/insights/playlist_movers?view=timeline`);
    const total = body.rows.reduce(
      (n: number, r: Record<string, number>) => n + r.entries! + r.exits! + r.climbs! + r.falls!,
      0,
    );
    expect(total).toBe(rows.length);
    expect(body.columns.map((c: { name: string }) => c.name)).toEqual([
      'snapshot_date',
      'entries',
      'exits',
      'climbs',
      'falls',
    ]);
  });

  /** A CSV body as rows of fields (the test data has no quoted line breaks). */
  function parseCsv(text: string): string[][] {
    expect(text.endsWith('\r\n')).toBe(true);
    return text
      .slice(0, -2)
      .split('\r\n')
      .map((line) => [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)].map((m) => m[1]!).slice(0, -1));
  }

  it('GET /api/insights/<name>.csv serves every written insight as the JSON route does, else its error', async () => {
    const status = (await getJson(`${server.url}api/status`)).body;
    let served = 0;
    for (const insight of status.insights as Array<{ name: string; available: boolean; rows?: number }>) {
      const response = await fetch(`${server.url}api/insights/${insight.name}.csv?limit=10000`);
      if (!insight.available || insight.rows === undefined) {
        expect(response.status, insight.name).toBe(404);
        expect((await response.json()).error.code, insight.name).toBe('STORAGE_NOT_FOUND');
        continue;
      }
      served++;
      expect(response.status, insight.name).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(response.headers.get('content-disposition')).toBe(
        `attachment; filename="tunelake-${insight.name}-rows.csv"`,
      );
      const lines = parseCsv(await response.text());
      const json = (await getJson(`${server.url}api/insights/${insight.name}?limit=10000`)).body;
      expect(lines[0], insight.name).toEqual(json.columns.map((c: { name: string }) => c.name));
      expect(lines.length - 1, insight.name).toBe(json.rows.length);
    }
    expect(served).toBeGreaterThan(5);
  });

  it('GET /api/insights/<name>.csv takes the same filters and view as the JSON route', async () => {
    const id = playlists[0]!.id;
    const query = `view=latest&playlist=${id}`;
    const response = await fetch(`${server.url}api/insights/playlist_movers.csv?${query}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="tunelake-playlist_movers-latest-${id}.csv"`,
    );
    const lines = parseCsv(await response.text());
    const json = (await getJson(`${server.url}api/insights/playlist_movers?${query}`)).body;
    const column = lines[0]!.indexOf('playlist_id');
    expect(lines.length - 1).toBe(json.rows.length);
    expect(lines.slice(1).every((fields) => fields[column] === id)).toBe(true);
    const first = json.rows[0];
    if (first) expect(lines[1]![lines[0]!.indexOf('track_id')]).toBe(first.track_id);
    const cut = await fetch(`${server.url}api/insights/content_mix.csv?limit=2`);
    expect(cut.headers.get('x-tunelake-truncated')).toBe('true');
    expect(parseCsv(await cut.text())).toHaveLength(3);
  });

  it.each([
    ['/api/insights/content_mix.csv?from=2026-13-01', 400, 'is not a date'],
    ['/api/insights/content_mix.csv?sql=select%201', 400, 'unknown parameter "sql"'],
    ['/api/insights/nope.csv', 400, 'Unknown insight "nope"'],
    ['/api/insights/listening_hours.csv?from=2026-11-01', 400, 'does not apply to insight listening_hours'],
  ])('GET %s -> %i with the JSON error', async (path, code, message) => {
    const { status, body } = await getJson(`${server.url}${path.slice(1)}`);
    expect(status).toBe(code);
    expect(body.error.message).toContain(message);
  });

  it('GET /api/tracks/<id> gives the places of a track by day and playlist, as the movers insight saw them', async () => {
    const movers = (await getJson(`${server.url}api/insights/playlist_movers?view=latest`)).body
      .rows as Array<{
      snapshot_date: string;
      playlist_id: string;
      track_id: string | null;
      to_position: number | null;
    }>;
    const moved = movers.find((r) => r.track_id !== null && r.to_position !== null)!;
    expect(moved).toBeDefined();
    const { status, body } = await getJson(`${server.url}api/tracks/${moved.track_id}`);
    expect(status).toBe(200);
    expect(body.columns.map((c: { name: string }) => c.name)).toEqual([
      'snapshot_date',
      'playlist_id',
      'playlist_name',
      'place',
      'track_name',
    ]);
    expect(body.rows).toContainEqual(
      expect.objectContaining({
        snapshot_date: moved.snapshot_date,
        playlist_id: moved.playlist_id,
        place: moved.to_position,
      }),
    );
    const narrowed = (
      await getJson(
        `${server.url}api/tracks/${moved.track_id}?playlist=${moved.playlist_id}&from=${moved.snapshot_date}`,
      )
    ).body;
    expect(narrowed.error, JSON.stringify(narrowed.error)).toBeUndefined();
    expect(narrowed.applied).toEqual({ playlist: moved.playlist_id, from: moved.snapshot_date });
    expect(narrowed.rows.length).toBeGreaterThan(0);
    expect(
      narrowed.rows.every(
        (r: { playlist_id: string; snapshot_date: string }) =>
          r.playlist_id === moved.playlist_id && r.snapshot_date >= moved.snapshot_date,
      ),
    ).toBe(true);
  });

  it('GET /api/tracks/<id>?view=chart_history and ?view=track_journey give its rows of those insights', async () => {
    const movers = (await getJson(`${server.url}api/insights/playlist_movers?view=latest`)).body
      .rows as Array<{
      track_id: string | null;
      to_position: number | null;
    }>;
    const trackOnPlaylists = movers.find((r) => r.track_id !== null && r.to_position !== null)!.track_id!;
    const places = (await getJson(`${server.url}api/tracks/${trackOnPlaylists}`)).body.rows as Array<{
      snapshot_date: string;
      playlist_id: string;
      place: number;
    }>;
    const history = (await getJson(`${server.url}api/tracks/${trackOnPlaylists}?view=chart_history`)).body;
    expect(history.error, JSON.stringify(history.error)).toBeUndefined();
    expect(history.view).toBe('chart_history');
    // The insight's places are the base table's, day by day and playlist by playlist.
    expect(
      history.rows.map((r: { snapshot_date: string; playlist_id: string; position: number }) => [
        r.snapshot_date,
        r.playlist_id,
        r.position,
      ]),
    ).toEqual(places.map((r) => [r.snapshot_date, r.playlist_id, r.place]));
    expect(history.rows.every((r: { track_id: string }) => r.track_id === trackOnPlaylists)).toBe(true);

    const journey = (await getJson(`${server.url}api/tracks/${trackOnPlaylists}?view=track_journey`)).body;
    expect(journey.error, JSON.stringify(journey.error)).toBeUndefined();
    const playlists = [...new Set(places.map((r) => r.playlist_id))].sort();
    expect(journey.rows.map((r: { playlist_id: string }) => r.playlist_id).sort()).toEqual(playlists);
    expect(journey.rows.map((r: { step: number }) => r.step)).toEqual(playlists.map((_, i) => i + 1));

    const last = places.at(-1)!.snapshot_date;
    const narrowed = (
      await getJson(`${server.url}api/tracks/${trackOnPlaylists}?view=chart_history&from=${last}`)
    ).body;
    expect(narrowed.applied).toEqual({ from: last });
    expect(narrowed.rows.length).toBeGreaterThan(0);
    expect(narrowed.rows.every((r: { snapshot_date: string }) => r.snapshot_date === last)).toBe(true);
  });

  it.each([
    ['/api/tracks/abc', 'is not a Spotify track id'],
    ['/api/tracks/0000000000000000000000?artist=0000000000000000000000', 'only: leave out artist.'],
    [
      '/api/tracks/0000000000000000000000?view=latest',
      'view (rows, chart_history, track_journey) only: view "latest" is none of them.',
    ],
    ['/api/tracks/0000000000000000000000?from=2026-02-30', 'is not a date'],
  ])('GET %s -> 400 with a clear message', async (path, message) => {
    const { status, body } = await getJson(`${server.url}${path.slice(1)}`);
    expect(status).toBe(400);
    expect(body.error.message).toContain(message);
  });

  it('a date range and a limit narrow the answer, and say when it was cut', async () => {
    const all = (await getJson(`${server.url}api/insights/content_mix`)).body.rows as Array<{
      snapshot_date: string;
    }>;
    const first = all.map((r) => r.snapshot_date).sort()[0]!;
    const { body } = await getJson(`${server.url}api/insights/content_mix?from=${first}&to=${first}`);
    expect(body.rows.length).toBeGreaterThan(0);
    expect(body.rows.length).toBeLessThan(all.length);
    expect(body.rows.every((r: { snapshot_date: string }) => r.snapshot_date === first)).toBe(true);
    const cut = (await getJson(`${server.url}api/insights/content_mix?limit=2`)).body;
    expect(cut.rows).toHaveLength(2);
    expect(cut.truncated).toBe(true);
  });

  it.each([
    ['/api/insights/nope', 'Unknown insight "nope": expected one of playlist_movers'],
    ['/api/insights/content_mix?from=2026-13-01', 'from "2026-13-01" is not a date: expected YYYY-MM-DD'],
    ['/api/insights/content_mix?to=yesterday', 'to "yesterday" is not a date'],
    ['/api/insights/content_mix?from=2026-11-05&to=2026-11-01', 'from is after to'],
    ['/api/insights/content_mix?playlist=abc', 'playlist "abc" is not a Spotify playlist id'],
    [
      '/api/insights/content_mix?playlist=0000000000000000000000',
      'unknown playlist "0000000000000000000000"',
    ],
    [
      '/api/insights/artist_presence?artist=0000000000000000000000',
      'unknown artist "0000000000000000000000"',
    ],
    ['/api/insights/content_mix?limit=0', 'limit: expected a whole number from 1 to 10000'],
    ['/api/insights/content_mix?limit=-5', 'limit: expected a whole number'],
    ['/api/insights/content_mix?sql=select%201', 'unknown parameter "sql"'],
    ['/api/insights/content_mix?from=2026-11-01&from=2026-11-02', 'from given more than once'],
    ['/api/insights/content_mix?view=timeline', 'Unknown view "timeline" of insight content_mix'],
    [
      '/api/insights/listening_hours?from=2026-11-01',
      'from/to filter does not apply to insight listening_hours',
    ],
    ['/api/insights/listening_hours?playlist=PLAYLIST', 'playlist filter does not apply'],
  ])('GET %s -> 400 with a clear message', async (path, message) => {
    const { status, body } = await getJson(
      `${server.url}${path.slice(1).replace('PLAYLIST', playlists[0]!.id)}`,
    );
    expect(status).toBe(400);
    expect(body.error.code).toBe('INVALID_ARGUMENT');
    expect(body.error.message).toContain(message);
  });

  it.each([
    ["playlist=x' OR '1'='1", 'is not a Spotify playlist id'],
    ["from=2026-11-01' OR 1=1 --", 'is not a date'],
    ["to=2026-11-01'; DROP TABLE insight_content_mix; --", 'is not a date'],
    ['view=rows UNION SELECT * FROM playlists', 'expected a view name'],
    ["limit=1; COPY insight_content_mix TO '/tmp/x.csv'", 'limit: expected a whole number'],
    ["playlist=0000000000000000000000') OR ('1'='1", 'is not a Spotify playlist id'],
  ])('an injection attempt (%s) is refused with 400', async (query, message) => {
    const { status, body } = await getJson(
      `${server.url}api/insights/content_mix?${new URLSearchParams(query)}`,
    );
    expect(status).toBe(400);
    expect(body.error.message).toContain(message);
  });

  it('an insight name carrying SQL is an unknown insight', async () => {
    const name = encodeURIComponent("content_mix\"; SELECT * FROM read_csv('/etc/passwd') --");
    const { status, body } = await getJson(`${server.url}api/insights/${name}`);
    expect(status).toBe(400);
    expect(body.error.message).toContain('Unknown insight');
  });

  it('no parameter or path makes the server read /etc/passwd', async () => {
    const attempts = [
      `/api/insights/content_mix?${new URLSearchParams({ from: "read_csv('/etc/passwd')" })}`,
      `/api/insights/content_mix?${new URLSearchParams({ playlist: '/etc/passwd' })}`,
      `/api/insights/${encodeURIComponent("read_text('/etc/passwd')")}`,
      '/api/insights/..%2F..%2F..%2Fetc%2Fpasswd',
      '/assets/../../../../etc/passwd',
      '/assets/..%2F..%2F..%2F..%2Fetc%2Fpasswd',
      '/etc/passwd',
      '/../../../../etc/passwd',
    ];
    for (const path of attempts) {
      const res = await rawGet(server.url, path, { host: new URL(server.url).host });
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.body, path).not.toContain('root:');
    }
  });

  it('refuses other methods with 405, and Host headers other than loopback with 421', async () => {
    const host = new URL(server.url).host;
    const post = await rawGet(server.url, '/api/status', { host }, 'POST');
    expect(post.status).toBe(405);
    expect(JSON.parse(post.body).error.message).toContain('read-only');
    const rebound = await rawGet(server.url, '/api/status', { host: 'attacker.example:80' });
    expect(rebound.status).toBe(421);
  });

  it('serves the page and echarts from node_modules with a same-origin content security policy', async () => {
    const page = await fetch(server.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('/assets/echarts.min.js');
    expect(html).not.toMatch(/https?:\/\/(?!open\.spotify)/);
    const echarts = await fetch(`${server.url}assets/echarts.min.js`);
    expect(echarts.status).toBe(200);
    expect((await echarts.text()).length).toBeGreaterThan(500_000);
  });

  // Last in this describe: it adds a day to the lake.
  it('GET /api/status picks up a run made while serving, and the filters and rows follow', async () => {
    const before = (await getJson(`${server.url}api/filters`)).body.dates.max as string;
    emulator.advanceDay();
    await run(runtime, { crawlRaw: false });
    const status = (await getJson(`${server.url}api/status`)).body;
    expect(status.runs).toBe(3);
    const after = (await getJson(`${server.url}api/filters`)).body.dates.max as string;
    expect(after > before).toBe(true);
    const { body } = await getJson(`${server.url}api/insights/content_mix?view=latest`);
    expect(body.rows.length).toBeGreaterThan(0);
    expect(body.rows.every((r: { snapshot_date: string }) => r.snapshot_date === after)).toBe(true);
  });
});

describe('openDashboardEngine(runtime)', () => {
  let lake: string;
  let runtime: Runtime;
  let engine: QueryEngine;

  beforeAll(async () => {
    lake = mkdtempSync(join(tmpdir(), 'tunelake-serve-engine-'));
    runtime = await createRuntime(loadConfig({ lake }, ENV), { logger: silentLogger, spotify: false });
    engine = await openDashboardEngine(runtime);
  });
  afterAll(async () => {
    await engine?.close();
    await runtime?.close();
    if (lake) rmSync(lake, { recursive: true, force: true });
  });

  it.each([
    "SELECT * FROM read_csv('/etc/passwd', sep = ':')",
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM sniff_csv('/etc/passwd')",
    "SELECT * FROM glob('/etc/*')",
    "COPY (SELECT 1) TO '/tmp/tunelake-dashboard-escape.csv'",
    'SET enable_external_access = true',
    "ATTACH '/tmp/tunelake-dashboard-escape.db' AS x",
  ])('refuses %s', async (sql) => {
    await expect(engine.query(sql)).rejects.toMatchObject({ name: 'TunelakeError' });
  });

  it('still answers a SELECT', async () => {
    expect((await engine.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });
});

describe('serve(flags)', () => {
  it('prints the URL, serves until stopped, then closes', async () => {
    const lake = mkdtempSync(join(tmpdir(), 'tunelake-serve-cmd-'));
    const lines: string[] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    let status = 0;
    try {
      await serve(
        { port: '0', host: '127.0.0.1', lake },
        {
          env: ENV,
          write: (text) => lines.push(text),
          stopped: () => stopped,
          onListening: async (url) => {
            status = (await fetch(`${url}api/status`)).status;
            stop();
          },
        },
      );
    } finally {
      rmSync(lake, { recursive: true, force: true });
    }
    expect(status).toBe(200);
    expect(lines[0]).toMatch(/^tunelake dashboard: http:\/\/127\.0\.0\.1:\d+\/ /);
    expect(lines.at(-1)).toBe('dashboard stopped');
  });

  it('refuses a bad --port before starting anything', async () => {
    await expect(serve({ port: '80a', host: '127.0.0.1' }, { env: ENV })).rejects.toThrow(
      'Invalid --port "80a": expected a whole number from 0 to 65535.',
    );
  });
});

describe('serve(flags) beyond loopback', () => {
  it('refuses --host 0.0.0.0 without --allow-host, before starting anything', async () => {
    await expect(serve({ port: '0', host: '0.0.0.0' }, { env: ENV })).rejects.toThrow(
      /--host 0\.0\.0\.0 is not a loopback address, and no --allow-host was given/,
    );
  });

  it('refuses an --allow-host with a port or a path', async () => {
    await expect(
      serve({ port: '0', host: '0.0.0.0', allowHost: ['nas.local:8080'] }, { env: ENV }),
    ).rejects.toThrow(/Invalid --allow-host "nas\.local:8080"/);
  });

  // Bound on loopback here (tests never listen beyond it): the allowed set is the same on any address.
  it('with --allow-host answers that name and loopback, and still refuses any other Host with 421', async () => {
    const lake = mkdtempSync(join(tmpdir(), 'tunelake-serve-allow-'));
    const seen: Record<string, number> = {};
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    try {
      await serve(
        { port: '0', host: '127.0.0.1', allowHost: ['nas.local'], lake },
        {
          env: ENV,
          write: () => {},
          warn: () => {},
          stopped: () => stopped,
          onListening: async (url) => {
            const port = new URL(url).port;
            const at = `http://127.0.0.1:${port}/`;
            for (const host of [`nas.local:${port}`, `127.0.0.1:${port}`, `attacker.example:${port}`]) {
              seen[host.split(':')[0]!] = (await rawGet(at, '/api/status', { host })).status;
            }
            stop();
          },
        },
      );
    } finally {
      rmSync(lake, { recursive: true, force: true });
    }
    expect(seen).toEqual({ 'nas.local': 200, '127.0.0.1': 200, 'attacker.example': 421 });
  });
});
