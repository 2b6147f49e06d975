// The dashboard in real Chromium: a lake built by 14 simulated days of the pipeline against the
// emulator (extended tier, so that every page has data) after the import of a generated
// streaming-history export (so that the habits page has sessions, streaks and completion over
// more than a year), served by DashboardServer on port 0. Each
// page must draw its charts with data (counted as SVG marks and as the chart's own series data),
// filters must change what is drawn, an empty lake must show what to run, and the freshness panel's
// capability matrix must list each probed endpoint and field. Screenshots land in
// test-artifacts/dashboard/<page>.png (ignored by git; CI's artifacts); with UPDATE_GOLDEN=1 in
// test/artifacts/dashboard/, the committed copies the README links to.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimeFor } from '../../src/cli/runtime-for.js';
import { loadConfig } from '../../src/config.js';
import { DashboardServer } from '../../src/dashboard/dashboard-server.js';
import { Emulator } from '../../src/emulator/server.js';
import { dayStartMs } from '../../src/emulator/world.js';
import { importStreamingHistory } from '../../src/import/streaming-history.js';
import { silentLogger } from '../../src/log.js';
import { run } from '../../src/pipeline.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { UPDATE_GOLDEN } from '../support/env.js';

const DAYS = 14;
// biome-ignore lint/suspicious/noExplicitAny: ECharts options, read field by field
type Json = any;
const ARTIFACTS = UPDATE_GOLDEN
  ? join(import.meta.dirname, '..', 'artifacts', 'dashboard')
  : join(import.meta.dirname, '..', '..', 'test-artifacts', 'dashboard');
const ENV = { TUNELAKE_CREDENTIALS: '/nonexistent/credentials.json' };
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Each page and the charts it must draw. */
const PAGES: Record<string, string[]> = {
  movers: ['movers-timeline'],
  artists: ['artists-top'],
  releases: ['recency-age', 'cadence'],
  listening: ['hours-heatmap', 'top-played', 'discovery'],
  habits: ['sessions-chart', 'streaks-chart', 'completion-chart'],
  taste: ['taste-status', 'taste-scatter'],
  mix: ['mix-latest', 'mix-explicit'],
  rising: ['rising-top'],
};

/** Distinct tracks the generated export names (none of them in the emulator's catalogue). */
const EXPORT_TRACKS = 40;

/**
 * A streaming-history export (Extended format) of 300 streams over 2025-06 .. 2026-09: a few streams
 * on most days, with gaps (streaks), some skipped and some short (completion).
 */
function writeExport(dir: string): void {
  const start = Date.UTC(2025, 5, 1, 7);
  const records = Array.from({ length: 300 }, (_, i) => {
    const day = Math.floor(i * 1.6) + (i % 7 === 0 ? 3 : 0);
    const ts = new Date(start + day * 86_400_000 + (i % 5) * 1_500_000).toISOString().replace('.000', '');
    const skipped = i % 4 === 0;
    return {
      ts,
      platform: 'linux',
      ms_played: skipped ? 12_000 + i * 10 : 150_000 + (i % 9) * 10_000,
      conn_country: 'DE',
      master_metadata_track_name: `Exported ${i % EXPORT_TRACKS}`,
      master_metadata_album_artist_name: 'Someone Real',
      master_metadata_album_album_name: 'A Real Album',
      spotify_track_uri: `spotify:track:Exp${String(i % EXPORT_TRACKS).padStart(3, '0')}QrStUvWxYzAbCdEf`,
      episode_name: null,
      episode_show_name: null,
      spotify_episode_uri: null,
      reason_start: 'trackdone',
      reason_end: skipped ? 'fwdbtn' : 'trackdone',
      shuffle: false,
      skipped,
      offline: false,
      offline_timestamp: null,
      incognito_mode: false,
    };
  });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Streaming_History_Audio_2025-2026_0.json'), JSON.stringify(records));
}

/** The slice of an ECharts option the assertions read. */
interface EChartsOptionSlice {
  series: Array<{ name: string; data: unknown[] }>;
  xAxis?: Array<{ type?: string; data?: unknown[] }>;
  yAxis?: Array<{ type?: string; data?: unknown[] }>;
  legend?: Array<{ type?: string }>;
}

interface ChartInfo {
  points: number;
  marks: number;
  series: Array<{ name: string; data: unknown[] }>;
  categories: unknown[];
  xAxisType: string | undefined;
  legendType: string | undefined;
}

describe('tunelake serve in Chromium', () => {
  const dirs: string[] = [];
  let emulator: Emulator | undefined;
  let runtime: Runtime | undefined;
  let emptyRuntime: Runtime | undefined;
  let server: DashboardServer | undefined;
  let emptyServer: DashboardServer | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  const errors: string[] = [];

  const tempDir = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const lake = tempDir('tunelake-dashboard-e2e-');
    // As `tunelake demo` starts it: the export's track ids get stand-in tracks.
    emulator = await Emulator.create({ port: 0, tier: 'extended', resolveImportedTracks: true });
    runtime = await createRuntime(
      loadConfig({ lake, tier: 'extended', rateLimit: 5000, concurrency: 4 }, ENV),
      {
        emulator,
        logger: silentLogger,
      },
    );
    // Imported before the first run, on the emulator's clock (run ids order the lake's manifests).
    const exportDir = tempDir('tunelake-dashboard-export-');
    writeExport(exportDir);
    await importStreamingHistory(
      { store: runtime.store },
      [exportDir],
      {},
      {
        now: () => new Date(dayStartMs(0) + 12 * 3_600_000),
      },
    );
    // As `tunelake demo --days 14`: one run per simulated day, the insights refreshed after the last.
    for (let day = 0; day < DAYS; day++) {
      if (day > 0) emulator.advanceDay(1);
      const info = await run(runtime, { crawlRaw: false, insights: day === DAYS - 1 });
      expect(info.extract.errors).toEqual([]);
    }
    // The runs carry the emulator's simulated dates: the freshness panel measures age on that clock.
    server = await DashboardServer.create(runtime, { port: 0, now: runtime.now });

    const emptyLake = tempDir('tunelake-dashboard-empty-');
    const emptyConfig = loadConfig({ lake: emptyLake }, ENV);
    emptyRuntime = await createRuntime(emptyConfig, { logger: silentLogger, spotify: false });
    // As `tunelake serve`: the capability probes get a runtime of their own, with the built-in
    // emulator standing in for Spotify when no SPOTIFY_CLIENT_ID is set.
    emptyServer = await DashboardServer.create(emptyRuntime, {
      port: 0,
      openSpotify: () => runtimeFor(emptyConfig, { logger: silentLogger }),
    });

    context = await chromium.launchPersistentContext(tempDir('tunelake-chromium-'), {
      executablePath: '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
      viewport: { width: 1400, height: 1000 },
      acceptDownloads: true,
    });
    page = await context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    // Generous: the machine running the suite may be shared; nothing here is a timed assertion.
  }, 600_000);

  afterAll(async () => {
    await context?.close();
    await server?.close();
    await emptyServer?.close();
    await runtime?.close();
    await emptyRuntime?.close();
    await emulator?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function open(name: string): Promise<void> {
    await page.goto(`${server!.url}#${name}`);
    await page.waitForSelector(`#page[data-page="${name}"][data-ready="true"]`, { timeout: 20_000 });
  }

  /** After a filter changed: the page redraws (data-ready is removed synchronously, then set again). */
  async function redrawn(): Promise<void> {
    await page.waitForSelector('#page[data-ready="true"]', { timeout: 20_000 });
  }

  /**
   * After back or forward: the form follows the URL and the page redraws, in the same task as the
   * form is set (so once the value shows, data-ready has been taken away until the redraw ends).
   */
  async function filterIs(id: string, value: string): Promise<void> {
    await page.waitForFunction(
      ([input, expected]) => (document.getElementById(input!) as HTMLInputElement).value === expected,
      [id, value],
      { timeout: 20_000 },
    );
    await redrawn();
  }

  function chartInfo(id: string): Promise<ChartInfo> {
    return page.evaluate((chartId) => {
      const box = document.querySelector(`[data-chart="${chartId}"]`) as HTMLElement | null;
      const instance = (
        window as unknown as { tunelakeCharts: Map<string, { getOption(): EChartsOptionSlice }> }
      ).tunelakeCharts.get(chartId);
      if (!box || !instance) {
        return {
          points: 0,
          marks: 0,
          series: [],
          categories: [],
          xAxisType: undefined,
          legendType: undefined,
        };
      }
      const option = instance.getOption();
      const axis = [...(option.xAxis ?? []), ...(option.yAxis ?? [])].find((a) => a.type === 'category');
      return {
        points: Number(box.dataset.points ?? 0),
        marks: box.querySelectorAll('svg path, svg rect').length,
        series: option.series.map((s) => ({ name: s.name, data: s.data })),
        categories: axis?.data ?? [],
        xAxisType: option.xAxis?.[0]?.type,
        legendType: option.legend?.[0]?.type,
      };
    }, id);
  }

  function tableColumn(name: string, column: number): Promise<string[]> {
    return page.$$eval(
      `table[data-table="${name}"] tbody tr`,
      (rows, col) => rows.map((r) => r.children[col]?.textContent ?? ''),
      column,
    );
  }

  it.each(Object.entries(PAGES))('page %s draws its charts with data', async (name, chartIds) => {
    await open(name);
    for (const id of chartIds) {
      const info = await chartInfo(id);
      expect(info.points, id).toBeGreaterThan(0);
      const values = info.series.flatMap((s) => s.data).filter((v) => v !== null && v !== undefined);
      expect(values.length, id).toBeGreaterThan(0);
      // Axes, grid lines and legend icons are paths too: the data adds at least one mark per point.
      expect(info.marks, id).toBeGreaterThan(Math.min(info.points, 20));
      // Legends wrap instead of paging (a paged legend hid most series).
      expect(info.legendType ?? 'plain', id).toBe('plain');
      // Every chart downloads as PNG.
      expect(await page.locator(`[data-png="${id}"]`).count(), id).toBe(1);
    }
    // Every table downloads as CSV.
    const tables = await page.$$eval('#page table[data-table]', (ts) =>
      ts.map((t) => t.getAttribute('data-table')),
    );
    const csvs = await page.$$eval('#page [data-csv]', (as) => as.map((a) => a.getAttribute('data-csv')));
    expect(csvs.length, name).toBeGreaterThanOrEqual(tables.length);
    expect(await page.locator('.card .error').count()).toBe(0);
    expect(await page.locator('[data-unavailable]').count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  });

  it('the freshness panel shows the last run, tier and engine', async () => {
    await open('movers');
    const text = await page.locator('#freshness').textContent();
    expect(text).toMatch(/Last run \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    expect(text).toContain('Tier extended (of the last run)');
    expect(text).toContain('Engine duckdb');
    // Extended tier: 500 lookups a run, so the export's tracks all joined in the first run.
    expect(text).toContain(`Imported history ${EXPORT_TRACKS} of ${EXPORT_TRACKS} tracks fetched`);
  });

  /** Opens the freshness panel's capability section and returns its rows as [endpoint or field, status]. */
  async function capabilityRows(): Promise<string[][]> {
    await page.click('#capabilities summary');
    await page.waitForSelector('#capabilities[data-ready="true"]', { timeout: 20_000 });
    return page.$$eval('#capabilities tr[data-capability]', (rows) =>
      rows.map((r) => [r.getAttribute('data-capability') ?? '', r.getAttribute('data-status') ?? '']),
    );
  }

  it('the freshness panel says what this Spotify app can do: in extended tier every endpoint answers', async () => {
    await open('movers');
    const rows = await capabilityRows();
    expect(rows).toEqual([
      ['artists.batch', 'answers'],
      ['me', 'answers'],
      ['search', 'answers'],
      ['artist.popularity', 'present'],
      ['artist.followers', 'present'],
      ['artist.genres', 'present'],
    ]);
    const section = page.locator('#capabilities');
    expect(await section.locator('.cap-target').textContent()).toContain('emulator in extended tier');
    expect(await section.locator('[data-empty="insight:insight_rising_artists"]').count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, 'capabilities.png'), fullPage: true });
    // A second probe within the minute is refused by the server, and the panel says so.
    await page.click('#cap-refresh');
    await page.waitForSelector('#capabilities[data-ready="true"]', { timeout: 20_000 });
    expect(await section.textContent()).toMatch(/Not probed again: probed less than 60 s ago/);
  });

  it('the playlist filter narrows the movers chart and table to one playlist', async () => {
    await open('movers');
    const before = await chartInfo('movers-timeline');
    const total = (info: ChartInfo) =>
      info.series.flatMap((s) => s.data).reduce((n: number, v) => n + Math.abs(Number(v ?? 0)), 0);
    const options = await page.$$eval('#f-playlist option', (os) =>
      os.map((o) => ({ value: (o as HTMLOptionElement).value, label: o.textContent ?? '' })),
    );
    // The playlist with the most moves in the unfiltered table is certain to have some.
    const names = await tableColumn('movers-latest', 4);
    const counts = new Map<string, number>();
    for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
    const busiest = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    const chosen = options.find((o) => o.label === busiest)!;
    expect(chosen).toBeDefined();
    await page.selectOption('#f-playlist', chosen.value);
    await redrawn();
    const after = await chartInfo('movers-timeline');
    expect(total(after)).toBeGreaterThan(0);
    expect(total(after)).toBeLessThan(total(before));
    const filtered = await tableColumn('movers-latest', 4);
    expect(filtered.length).toBeGreaterThan(0);
    expect(new Set(filtered)).toEqual(new Set([busiest]));
    const href = await page.locator('table[data-table="movers-latest"] tbody a').first().getAttribute('href');
    expect(href).toMatch(/^https:\/\/open\.spotify\.com\/(track|playlist)\/[0-9A-Za-z]{22}$/);
    await page.click('#f-reset');
    await redrawn();
    expect(total(await chartInfo('movers-timeline'))).toBe(total(before));
  });

  it('the artist filter draws one artist on the presence page', async () => {
    await open('artists');
    expect((await chartInfo('artists-top')).series.length).toBeGreaterThan(1);
    const artist = await page.$eval('#f-artist option:nth-child(2)', (o) => ({
      value: (o as HTMLOptionElement).value,
      label: o.textContent ?? '',
    }));
    await page.selectOption('#f-artist', artist.value);
    await redrawn();
    const info = await chartInfo('artists-top');
    expect(info.series.map((s) => s.name)).toEqual([artist.label]);
    expect(new Set(await tableColumn('artists-latest', 0))).toEqual(new Set([artist.label]));
    await page.click('#f-reset');
    await redrawn();
  });

  it('the date range limits the days drawn', async () => {
    await open('mix');
    const before = await chartInfo('mix-explicit');
    expect(before.categories.length).toBe(DAYS);
    const last = String(before.categories.at(-1));
    const third = String(before.categories.at(-3));
    await page.fill('#f-from', third);
    await page.dispatchEvent('#f-from', 'change');
    await redrawn();
    await page.fill('#f-to', last);
    await page.dispatchEvent('#f-to', 'change');
    await redrawn();
    const after = await chartInfo('mix-explicit');
    expect(after.categories).toEqual(before.categories.slice(-3));
    await page.click('#f-reset');
    await redrawn();
  });

  it('clicking a column header sorts the table', async () => {
    await open('mix');
    const header = page.locator('table[data-table="mix-table"] th[data-key="items"]');
    const numbers = async () => (await tableColumn('mix-table', 1)).map((t) => Number(t.replaceAll(',', '')));
    const desc = await numbers();
    expect(desc).toEqual([...desc].sort((a, b) => b - a));
    await header.click();
    const asc = await numbers();
    expect(asc).toEqual([...desc].sort((a, b) => a - b));
    expect(await header.getAttribute('aria-sort')).toBe('ascending');
  });

  it('an insight without a page of its own gets one with its table, or says why it is missing', async () => {
    const status = (await (await fetch(`${server!.url}api/status`)).json()) as {
      insights: Array<{ name: string; available: boolean; rows?: number }>;
    };
    const known = new Set([
      'playlist_movers',
      'artist_presence',
      'release_recency',
      'discography_cadence',
      'listening_hours',
      'top_played',
      'discovery_rate',
      'listening_sessions',
      'listening_streaks',
      'listening_completion',
      'taste_drift',
      'content_mix',
      'rising_artists',
    ]);
    for (const insight of status.insights.filter((i) => !known.has(i.name))) {
      await open(insight.name);
      const panel = page.locator(`[data-panel="${insight.name}-rows"]`);
      if (insight.available && (insight.rows ?? 0) > 0) {
        const rows = Number(await panel.locator('table').getAttribute('data-rows'));
        expect(rows, insight.name).toBeGreaterThan(0);
      } else {
        const notice = await panel.locator('.notice').textContent();
        expect(notice, insight.name).toMatch(/Unavailable|Not written|has no rows in this lake yet/);
        // No filter is set on this walk: an empty table must not be blamed on one.
        expect(notice, insight.name).not.toContain('match these filters');
      }
      await page.screenshot({ path: join(ARTIFACTS, `${insight.name}.png`), fullPage: true });
    }
  });

  it('the discovery chart and the habits charts put dates on a time axis, an imported year included', async () => {
    await open('listening');
    const discovery = await chartInfo('discovery');
    expect(discovery.xAxisType).toBe('time');
    const weeks = discovery.series[0]!.data as Array<[string, number]>;
    // The export starts in 2025-06: more than a year before the simulated days of 2026-11.
    expect(weeks[0]![0] < '2025-07-01').toBe(true);
    expect(weeks.at(-1)![0] > '2026-10-01').toBe(true);
    await open('habits');
    for (const id of ['sessions-chart', 'completion-chart']) {
      expect((await chartInfo(id)).xAxisType, id).toBe('time');
    }
    // Rates read as percentages, not 0.00 / 1.00.
    const rates = await tableColumn('completion-table', 3);
    expect(rates.length).toBeGreaterThan(0);
    for (const rate of rates) expect(rate).toMatch(/^\d{1,3}\.\d%$/);
    expect(await page.locator('table[data-table="completion-table"] th').first().textContent()).toBe('Month');
  });

  it('a table downloads as CSV: the rows of its insight view with the filters of the page', async () => {
    await open('movers');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('[data-csv="movers-latest"]'),
    ]);
    expect(download.suggestedFilename()).toMatch(/^tunelake-playlist_movers-latest\.csv$/);
    const text = readFileSync((await download.path())!, 'utf8');
    const lines = text.trimEnd().split('\r\n');
    const json = (await (
      await fetch(`${server!.url}api/insights/playlist_movers?view=latest&limit=10000`)
    ).json()) as {
      columns: Array<{ name: string }>;
      rows: unknown[];
    };
    expect(lines[0]).toBe(json.columns.map((c) => c.name).join(','));
    expect(lines.length - 1).toBe(json.rows.length);
  });

  it('a chart downloads as PNG', async () => {
    await open('movers');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('[data-png="movers-timeline"]'),
    ]);
    expect(download.suggestedFilename()).toBe('tunelake-movers-timeline.png');
    const bytes = readFileSync((await download.path())!);
    expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(bytes.length).toBeGreaterThan(5000);
  });

  it('filters live in the URL: a link opens the same view, back and forward restore it', async () => {
    await open('movers');
    const playlist = await page.$eval(
      '#f-playlist option:nth-child(2)',
      (o) => (o as HTMLOptionElement).value,
    );
    await page.selectOption('#f-playlist', playlist);
    await redrawn();
    expect(new URL(page.url()).hash).toBe(`#movers?playlist=${playlist}`);
    // The nav keeps the filter on every page.
    expect(await page.locator('#nav a[data-page="artists"]').getAttribute('href')).toBe(
      `#artists?playlist=${playlist}`,
    );
    const filtered = await tableColumn('movers-latest', 4);
    // Opened in another tab, the link shows the same view.
    const other = await context!.newPage();
    try {
      await other.goto(page.url());
      await other.waitForSelector('#page[data-page="movers"][data-ready="true"]', { timeout: 20_000 });
      expect(await other.inputValue('#f-playlist')).toBe(playlist);
      expect(
        await other.$$eval('table[data-table="movers-latest"] tbody tr', (rows) =>
          rows.map((r) => r.children[4]?.textContent ?? ''),
        ),
      ).toEqual(filtered);
    } finally {
      await other.close();
    }
    // Back: the unfiltered view; forward: the filtered one again.
    await page.goBack();
    await filterIs('f-playlist', '');
    expect(new URL(page.url()).hash).toBe('#movers');
    await page.goForward();
    await filterIs('f-playlist', playlist);
    expect(await tableColumn('movers-latest', 4)).toEqual(filtered);
    await page.click('#f-reset');
    await redrawn();
    expect(new URL(page.url()).hash).toBe('#movers');
  });

  it('a page says which filter it ignores, and a link with a value the lake lacks says so', async () => {
    const playlist = (
      (await (await fetch(`${server!.url}api/filters`)).json()) as { playlists: Array<{ id: string }> }
    ).playlists[0]!.id;
    await page.goto(`${server!.url}#listening?playlist=${playlist}`);
    await page.waitForSelector('#page[data-page="listening"][data-ready="true"]', { timeout: 20_000 });
    const note = page.locator('#page .page-ignored');
    expect(await note.getAttribute('data-ignored')).toBe('playlist');
    expect(await note.textContent()).toContain('This page ignores the playlist filter');
    expect(await page.locator('[data-panel="hours-heatmap"] .ignored').textContent()).toContain(
      'Not filtered by playlist',
    );
    await page.goto(`${server!.url}#movers?playlist=0000000000000000000000`);
    await page.waitForSelector('#page[data-page="movers"][data-ready="true"]', { timeout: 20_000 });
    expect(await page.locator('#f-url-note').textContent()).toContain(
      'playlist "0000000000000000000000" is not in this lake',
    );
    await page.goto(`${server!.url}#movers`);
    await page.waitForSelector('#page[data-page="movers"][data-ready="true"]', { timeout: 20_000 });
  });

  it('a track row opens the track page: its chart history and its journey through the playlists', async () => {
    await open('movers');
    const row = page
      .locator('table[data-table="movers-latest"] tbody tr', { has: page.locator('a.track-page') })
      .first();
    const link = row.locator('a.track-page');
    const id = await link.getAttribute('data-track');
    const name = await row.locator('td').nth(2).locator('a').first().textContent();
    await link.click();
    await page.waitForSelector('#page[data-page="track"][data-ready="true"]', { timeout: 20_000 });
    expect(new URL(page.url()).hash).toBe(`#track?id=${id}`);
    const history = await chartInfo('track-history');
    expect(history.points).toBeGreaterThan(0);
    expect(await page.locator('#page h1').textContent()).toBe(name);
    const journey = Number(await page.locator('table[data-table="track-journey"]').getAttribute('data-rows'));
    expect(journey).toBe(history.series.length);
    expect(await page.locator('[data-panel="track-journey"] [data-csv="track-journey"]').count()).toBe(1);
    expect(await page.locator('[data-png="track-history"]').count()).toBe(1);
    // Read from insight_chart_history and insight_track_journey: place 1 on top, each line's peak
    // pinned; the journey a timeline with a bar per playlist reached, step 1 first.
    const options = await page.evaluate(() => {
      const charts = (window as unknown as { tunelakeCharts: Map<string, { getOption(): Json }> })
        .tunelakeCharts;
      const history = charts.get('track-history')!.getOption();
      const journey = charts.get('track-journey')?.getOption();
      return {
        inverse: history.yAxis[0].inverse,
        peaks: history.series.map((s: Json) => s.markPoint?.data?.[0]?.type),
        steps: journey?.yAxis[0].data as string[] | undefined,
        bars: journey?.series[1].data as number[] | undefined,
      };
    });
    expect(options.inverse).toBe(true);
    expect(options.peaks).toEqual(history.series.map(() => 'min'));
    expect(options.steps).toHaveLength(journey);
    expect(options.steps![0]).toMatch(/^1\. /);
    expect(options.bars!.every((days) => days >= 1)).toBe(true);
    expect(await page.locator('[data-png="track-journey"]').count()).toBe(1);
    const requested = await page.evaluate(() =>
      performance.getEntriesByType('resource').map((e) => new URL(e.name).search),
    );
    expect(requested.some((q) => q.includes('view=chart_history'))).toBe(true);
    expect(requested.some((q) => q.includes('view=track_journey'))).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'track.png'), fullPage: true });
  });

  it('every page with a track table links its rows to the track page', async () => {
    for (const name of ['movers', 'taste']) {
      await open(name);
      expect(await page.locator('#page a.track-page').count(), name).toBeGreaterThan(0);
    }
  });

  it('an empty lake shows what to run instead of charts', async () => {
    await page.goto(emptyServer!.url);
    await page.waitForSelector('body[data-ready="empty"]', { timeout: 20_000 });
    const empty = page.locator('#empty');
    expect(await empty.isVisible()).toBe(true);
    const text = await empty.textContent();
    expect(text).toContain('npx tunelake demo --days 14');
    expect(text).toContain('npx tunelake run');
    expect(await page.locator('[data-chart]').count()).toBe(0);
    expect(await page.locator('#nav').isVisible()).toBe(false);
    await page.screenshot({ path: join(ARTIFACTS, 'empty.png'), fullPage: true });
  });

  it('on a development-tier app the matrix shows the batch endpoint forbidden and what it leaves empty', async () => {
    // The empty lake's server has no Spotify credentials: its probes run against a built-in emulator.
    await page.goto(emptyServer!.url);
    await page.waitForSelector('body[data-ready="empty"]', { timeout: 20_000 });
    const rows = await capabilityRows();
    expect(rows).toContainEqual(['artists.batch', 'forbidden']);
    expect(rows).toContainEqual(['search', 'answers']);
    expect(rows).toContainEqual(['artist.popularity', 'absent']);
    const section = page.locator('#capabilities');
    expect(await section.locator('.cap-target').textContent()).toContain('emulator in development tier');
    for (const item of [
      'table:artist_snapshots',
      'table:track_snapshots',
      'insight:insight_rising_artists',
    ]) {
      expect(await section.locator(`[data-empty="${item}"]`).count(), item).toBe(1);
    }
    expect(await section.locator('[data-empty="insight:insight_rising_artists"]').textContent()).toContain(
      'development-mode apps no longer receive',
    );
    await page.screenshot({ path: join(ARTIFACTS, 'capabilities-development.png'), fullPage: true });
  });

  it('the page loads no resource from another origin and logs no error', () => {
    expect(errors).toEqual([]);
  });
});
