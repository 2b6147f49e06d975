// Benchmark of the extract stage against the emulator over real HTTP (not a test: it measures and
// reports, it asserts nothing).
//
//   npx tsx bench/extract.ts            # both tiers, scale 20, 3 cold repetitions (~5 min on 2 cores)
//   npx tsx bench/extract.ts --quick    # both tiers, scale 3, 1 repetition (well under a minute)
//   npx tsx bench/extract.ts --tier development --scale 10 --latency-ms 50 --rate-limit 600
//
// Per tier: cold extracts into fresh lakes (the median of the repetitions is reported), then, on the
// last cold run's lake, an unchanged re-run the same simulated day and a re-run after the world moved
// on a day. Results go to bench/results/extract.json and a table on stdout.
import { mkdtemp, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type AccessTier, type Config, loadConfig, type Sources } from '../src/config.js';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Emulator } from '../src/emulator/server.js';
import { type World, worldNowMs } from '../src/emulator/world.js';
import { type ExtractInfo, extract } from '../src/extract/extract.js';
import { silentLogger } from '../src/log.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import {
  collectGarbage,
  formatTable,
  machineInfo,
  maxRssBytes,
  measure,
  medianOf,
  mib,
  optionChecker,
  plannedRequests,
  type RequestPlan,
  writeResults,
} from './support.js';

interface Params {
  tiers: AccessTier[];
  quick: boolean;
  scale: number;
  seed: number;
  latencyMs: number;
  /** The client's budget: requests per rolling window (`http.rateLimit`). */
  rateLimit: number;
  rateWindowMs: number;
  concurrency: number;
  /** The emulator's own per-window limit (0 = none). */
  serverRateLimit: number;
  artists: number;
  repetitions: number;
  out: string;
}

const USAGE =
  'Usage: npx tsx bench/extract.ts [--quick] [--tier development|extended] [--scale N] [--latency-ms 50] ' +
  '[--rate-limit N] [--concurrency N] [--artists N] [--repetitions N] [--server-rate-limit N] [--seed N] ' +
  '[--out bench/results/extract.json]';

function parseParams(argv: string[]): Params {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      tier: { type: 'string' },
      scale: { type: 'string' },
      seed: { type: 'string', default: '42' },
      'latency-ms': { type: 'string', default: '50' },
      'rate-limit': { type: 'string', default: '1500' },
      concurrency: { type: 'string', default: '8' },
      'server-rate-limit': { type: 'string', default: '0' },
      artists: { type: 'string' },
      repetitions: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const { problems, num, finish } = optionChecker(USAGE);
  const quick = values.quick ?? false;
  let tiers: AccessTier[] = ['extended', 'development'];
  if (values.tier !== undefined) {
    if (values.tier === 'extended' || values.tier === 'development') tiers = [values.tier];
    else problems.push(`--tier "${values.tier}": expected "development" or "extended"`);
  }
  const scale = num('scale', values.scale, quick ? 3 : 20, 0.1, Number.POSITIVE_INFINITY, false);
  const params: Params = {
    tiers,
    quick,
    scale,
    seed: num('seed', values.seed, 42, 0),
    latencyMs: num('latency-ms', values['latency-ms'], 50, 0),
    rateLimit: num('rate-limit', values['rate-limit'], 1500, 1),
    rateWindowMs: 30_000,
    concurrency: num('concurrency', values.concurrency, 8, 1),
    serverRateLimit: num('server-rate-limit', values['server-rate-limit'], 0, 0),
    // 100 watched artists at full scale; the catalogue has 60 per unit of scale.
    artists: num('artists', values.artists, Math.max(1, Math.min(100, Math.round(5 * scale))), 0),
    repetitions: num('repetitions', values.repetitions, quick ? 1 : 3, 1),
    // --quick keeps the full run's results: it writes its own file.
    out: values.out ?? (values.quick ? 'bench/results/extract-quick.json' : 'bench/results/extract.json'),
  };
  finish();
  return params;
}

// --- the world and the run ------------------------------------------------------------------------

/**
 * A large source set: extended reads every public or private non-editorial playlist (any playlist's
 * items are readable there), development only the user's own and collaborative ones (the others
 * answer 403 for their items). Plus the first `artists` artists, three searches and every `me` feed.
 */
function benchSources(catalog: World, tier: AccessTier, artists: number): Sources {
  const demo = catalog.demoUserId;
  const playlists = catalog.playlistIds.filter((id) => {
    const p = catalog.playlists.get(id)!;
    if (p.editorial) return false;
    return tier === 'extended' || p.ownerId === demo || p.collaborators.includes(demo);
  });
  const favourite = catalog.artists.get(catalog.favouriteArtistIds[0] ?? catalog.artistIds[0]!)!;
  const genre = favourite.genres[0] ?? 'pop';
  return {
    playlists,
    artists: catalog.artistIds.slice(0, artists),
    artistIncludeGroups: ['album', 'single'],
    search: [
      { q: 'tag:new', type: 'album', limit: 50 },
      { q: `genre:"${genre}"`, type: 'artist', limit: 50 },
      { q: `genre:"${genre}"`, type: 'track', limit: 100 },
    ],
    me: { recentlyPlayed: true, topItems: true, savedTracks: true, playlists: true },
  };
}

/** Sources an unchanged re-run must look at once each: every `me` feed counts as one. */
function watchedSourceCount(sources: Sources): number {
  const meFeeds =
    1 /* profile */ +
    (sources.me.recentlyPlayed ? 1 : 0) +
    (sources.me.topItems ? 6 : 0) +
    (sources.me.savedTracks ? 1 : 0) +
    (sources.me.playlists ? 1 : 0);
  return sources.playlists.length + sources.artists.length + sources.search.length + meFeeds;
}

/**
 * A runtime configured the way a user configures one for the real API (app credentials, a refresh
 * token, base URLs), not through `createRuntime`'s emulator mode: that mode raises the budget to at
 * least 1500 requests and 8 in flight, and the point here is to measure the configured budget.
 */
async function runtimeFor(emu: Emulator, lake: string, p: Params): Promise<Runtime> {
  const config: Config = loadConfig(
    {
      lake,
      tier: emu.tier,
      accountsUrl: emu.url,
      apiUrl: emu.apiUrl,
      clientId: DEFAULT_CLIENT_ID,
      rateLimit: p.rateLimit,
      concurrency: p.concurrency,
      readStoredCredentials: false,
      sources: benchSources(emu.world, emu.tier, p.artists),
    },
    {
      SPOTIFY_CLIENT_SECRET: DEFAULT_CLIENT_SECRET,
      SPOTIFY_REFRESH_TOKEN: emu.issueRefreshToken(),
      TUNELAKE_CREDENTIALS: '/nonexistent/credentials.json',
    },
  );
  return createRuntime(config, { logger: silentLogger, now: simulatedClock(emu) });
}

/** The emulator's simulated day (its last minute, moving with the wall clock), as `createRuntime` does. */
function simulatedClock(emu: Emulator): () => Date {
  const started = Date.now();
  return () => {
    const end = worldNowMs(emu.world);
    return new Date(Math.min(end, end - 60_000 + (Date.now() - started)));
  };
}

interface RunResult {
  wallMs: number;
  requests: number;
  tokenRequests: number;
  /** /v1 requests the emulator answered (a cross-check of the client's own count). */
  serverRequests: number;
  /** Discography listing requests (`GET /artists/{id}/albums`, the emulator's count). */
  listingRequests: number;
  retries: number;
  /** Time the client waited for its own rate budget. */
  throttledWaitMs: number;
  requestsPerSecond: number;
  records: number;
  objects: number;
  skipped: number;
  errors: number;
  /** RSS just before the run (the emulator, its catalogue and earlier runs' leftovers included). */
  rssBeforeBytes: number;
  /** Peak RSS sampled every 50 ms during the run. */
  peakRssBytes: number;
  /** The kernel's high-water mark for the process after the run (`resourceUsage().maxRSS`). */
  maxRssAfterBytes: number;
}

async function runOnce(
  emu: Emulator,
  lake: string,
  p: Params,
): Promise<{ run: RunResult; info: ExtractInfo }> {
  const runtime = await runtimeFor(emu, lake, p);
  try {
    // Earlier runs' garbage is collected first, so that the RSS figures are this run's.
    collectGarbage();
    emu.resetStats();
    const rssBeforeBytes = process.memoryUsage.rss();
    const throttledBefore = runtime.spotify.stats.throttledWaitMs;
    const {
      result: info,
      wallMs,
      peakRssBytes,
    } = await measure(() => extract(runtime, { now: runtime.now }));
    const server = emu.stats();
    const run: RunResult = {
      wallMs: Math.round(wallMs),
      requests: info.requests,
      tokenRequests: info.tokenRequests,
      serverRequests: server.total - server.tokenRequests,
      listingRequests: server.byRoute['GET /v1/artists/{id}/albums'] ?? 0,
      retries: info.retries,
      throttledWaitMs: Math.round(runtime.spotify.stats.throttledWaitMs - throttledBefore),
      requestsPerSecond: round(info.requests / (wallMs / 1000), 1),
      records: Object.values(info.records).reduce((a, b) => a + b, 0),
      objects: info.objects,
      skipped: info.skipped.length,
      errors: info.errors.length,
      rssBeforeBytes,
      peakRssBytes,
      maxRssAfterBytes: maxRssBytes(),
    };
    if (run.serverRequests !== run.requests) {
      console.warn(`  the client counted ${run.requests} requests, the emulator ${run.serverRequests}`);
    }
    if (info.errors.length > 0) {
      console.warn(`  ${info.errors.length} source error(s), first: ${JSON.stringify(info.errors[0])}`);
    }
    return { run, info };
  } finally {
    await runtime.close();
  }
}

interface TierResult {
  tier: AccessTier;
  catalogue: { artists: number; albums: number; tracks: number; playlists: number };
  sources: {
    playlists: number;
    artists: number;
    searches: number;
    watched: number;
    artistIncludeGroups: Sources['artistIncludeGroups'];
    queries: Sources['search'];
  };
  plan: RequestPlan;
  budgetRequestsPerSecond: number;
  /** What concurrency and latency alone allow: `concurrency` requests per `latencyMs`. */
  latencyCeilingRequestsPerSecond: number | null;
  cold: { median: RunResult; repetitions: RunResult[]; recordsByDataset: Record<string, number> };
  unchanged: RunResult;
  nextDay: RunResult & { playlistsChanged: number; artistsWithNewReleases: number };
  /**
   * The fewest requests an unchanged watched artist costs on a new day: one discography listing per
   * followed group (#14: groups are listed one by one, newest first) plus its object (one request in
   * development, a 50-id batch share in extended).
   */
  plannedPerUnchangedArtistDay: number;
}

async function benchTier(tier: AccessTier, p: Params): Promise<TierResult> {
  const cold: RunResult[] = [];
  let recordsByDataset: Record<string, number> = {};
  let kept: { emu: Emulator; lake: string } | undefined;
  const lakes: string[] = [];
  try {
    for (let rep = 1; rep <= p.repetitions; rep++) {
      // A fresh emulator per repetition: the same seed gives the same world, and no state carries over.
      const emu = await createEmulator(tier, p);
      const lake = await mkdtemp(join(tmpdir(), 'tunelake-bench-'));
      lakes.push(lake);
      const { run, info } = await runOnce(emu, lake, p);
      cold.push(run);
      recordsByDataset = info.records;
      log(`${tier} cold ${rep}/${p.repetitions}`, run);
      if (rep < p.repetitions) {
        await emu.close();
        await rm(lake, { recursive: true, force: true });
      } else {
        kept = { emu, lake };
      }
    }
    const { emu, lake } = kept!;
    const sources = benchSources(emu.world, tier, p.artists);
    const plan = plannedRequests(emu.world, sources, tier);

    const unchanged = (await runOnce(emu, lake, p)).run;
    log(`${tier} unchanged re-run`, unchanged);

    const snapshots = new Map(sources.playlists.map((id) => [id, emu.world.playlists.get(id)!.snapshotId]));
    const discographies = new Map(sources.artists.map((id) => [id, discographySize(emu.world, id)]));
    emu.advanceDay(1);
    const artistsWithNewReleases = sources.artists.filter(
      (id) => discographySize(emu.world, id) !== discographies.get(id),
    ).length;
    const playlistsChanged = sources.playlists.filter(
      (id) => emu.world.playlists.get(id)!.snapshotId !== snapshots.get(id),
    ).length;
    const nextDay = { ...(await runOnce(emu, lake, p)).run, playlistsChanged, artistsWithNewReleases };
    log(`${tier} next-day re-run`, nextDay);

    const { world: catalog } = emu;
    return {
      tier,
      catalogue: {
        artists: catalog.artists.size,
        albums: catalog.albums.size,
        tracks: catalog.tracks.size,
        playlists: catalog.playlists.size,
      },
      sources: {
        playlists: sources.playlists.length,
        artists: sources.artists.length,
        searches: sources.search.length,
        watched: watchedSourceCount(sources),
        artistIncludeGroups: sources.artistIncludeGroups,
        queries: sources.search,
      },
      plan,
      budgetRequestsPerSecond: round(p.rateLimit / (p.rateWindowMs / 1000), 2),
      latencyCeilingRequestsPerSecond:
        p.latencyMs > 0 ? round((p.concurrency * 1000) / p.latencyMs, 1) : null,
      cold: { median: medianOf(cold), repetitions: cold, recordsByDataset },
      unchanged,
      nextDay,
      plannedPerUnchangedArtistDay: round(
        sources.artistIncludeGroups.length +
          (tier === 'extended' ? Math.ceil(sources.artists.length / 50) / sources.artists.length : 1),
        2,
      ),
    };
  } finally {
    await kept?.emu.close();
    for (const lake of lakes) await rm(lake, { recursive: true, force: true });
  }
}

function discographySize(catalog: World, artistId: string): number {
  const artist = catalog.artists.get(artistId)!;
  return artist.albumIds.length + artist.appearsOnAlbumIds.length;
}

function createEmulator(tier: AccessTier, p: Params): Promise<Emulator> {
  return Emulator.create({
    port: 0,
    tier,
    seed: p.seed,
    scale: p.scale,
    rateLimit: p.serverRateLimit,
    faults: { latencyMs: p.latencyMs },
  });
}

// --- output ---------------------------------------------------------------------------------------

function log(label: string, run: RunResult): void {
  console.log(
    `  ${label}: ${run.requests} requests in ${(run.wallMs / 1000).toFixed(1)} s ` +
      `(${run.requestsPerSecond} req/s), ${run.records} records, ${run.retries} retries`,
  );
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function table(results: TierResult[], p: Params): string {
  const rows: string[][] = [];
  const row = (label: string, cell: (r: TierResult) => string) => rows.push([label, ...results.map(cell)]);
  row('catalogue (artists/albums/tracks/playlists)', (r) =>
    [r.catalogue.artists, r.catalogue.albums, r.catalogue.tracks, r.catalogue.playlists].join('/'),
  );
  row('sources (playlists/artists/searches)', (r) =>
    [r.sources.playlists, r.sources.artists, r.sources.searches].join('/'),
  );
  const coldLabel = p.repetitions > 1 ? `cold, median of ${p.repetitions}` : 'cold';
  row(`${coldLabel}: requests`, (r) => String(r.cold.median.requests));
  row('  planned minimum', (r) => String(r.plan.total));
  row('  requests / planned', (r) => ratio(r.cold.median.requests, r.plan.total));
  row('  wall time', (r) => seconds(r.cold.median.wallMs));
  row('  requests/s', (r) => String(r.cold.median.requestsPerSecond));
  row(`  budget req/s (${p.rateLimit}/${p.rateWindowMs / 1000} s)`, (r) => String(r.budgetRequestsPerSecond));
  row('  achieved / budget', (r) => ratio(r.cold.median.requestsPerSecond, r.budgetRequestsPerSecond));
  row(`  latency ceiling req/s (${p.concurrency} in flight)`, (r) =>
    String(r.latencyCeilingRequestsPerSecond ?? 'n/a'),
  );
  row('  waited for budget', (r) => seconds(r.cold.median.throttledWaitMs));
  row('  records landed', (r) => String(r.cold.median.records));
  row('  retries', (r) => String(r.cold.median.retries));
  row('  source errors', (r) => String(r.cold.median.errors));
  row('  RSS before the run', (r) => mib(r.cold.median.rssBeforeBytes));
  row('  peak RSS (sampled every 50 ms)', (r) => mib(r.cold.median.peakRssBytes));
  row('  process max RSS after the run', (r) => mib(r.cold.median.maxRssAfterBytes));
  row('unchanged re-run: requests', (r) => String(r.unchanged.requests));
  row('  watched sources', (r) => String(r.sources.watched));
  row('  requests / watched sources', (r) => ratio(r.unchanged.requests, r.sources.watched));
  row('  discography listings / watched artist', (r) =>
    ratio(r.unchanged.listingRequests, r.sources.artists),
  );
  row('  planned minimum / watched artist', (r) => String(r.sources.artistIncludeGroups.length));
  row('  wall time', (r) => seconds(r.unchanged.wallMs));
  row('  records landed', (r) => String(r.unchanged.records));
  row('  peak RSS (sampled)', (r) => mib(r.unchanged.peakRssBytes));
  row('next-day re-run: requests', (r) => String(r.nextDay.requests));
  row('  playlists changed', (r) => `${r.nextDay.playlistsChanged}/${r.sources.playlists}`);
  row(
    '  watched artists with a new release',
    (r) => `${r.nextDay.artistsWithNewReleases}/${r.sources.artists}`,
  );
  row('  discography listings / watched artist', (r) => ratio(r.nextDay.listingRequests, r.sources.artists));
  row('  planned / unchanged artist on a new day (+object)', (r) => String(r.plannedPerUnchangedArtistDay));
  row('  wall time', (r) => seconds(r.nextDay.wallMs));
  row('  records landed', (r) => String(r.nextDay.records));
  row('  retries', (r) => String(r.nextDay.retries));
  row('  peak RSS (sampled)', (r) => mib(r.nextDay.peakRssBytes));
  return formatTable(['', ...results.map((r) => r.tier)], rows);
}

async function main(): Promise<void> {
  const p = parseParams(process.argv.slice(2));
  const machine = machineInfo();
  const baselineRss = process.memoryUsage.rss();
  console.log(
    `extract benchmark: scale ${p.scale}, ${p.artists} artists, latency ${p.latencyMs} ms, budget ` +
      `${p.rateLimit}/${p.rateWindowMs / 1000} s, concurrency ${p.concurrency}, ${p.repetitions} cold ` +
      `repetition(s); ${machine.cpus} CPUs, Node ${machine.node}, load ${machine.loadAverage.join(' ')}`,
  );
  const started = performance.now();
  const results: TierResult[] = [];
  for (const tier of p.tiers) results.push(await benchTier(tier, p));
  const totalMs = Math.round(performance.now() - started);
  const processMaxRss = maxRssBytes();

  console.log(`\n${table(results, p)}`);
  console.log(
    `\nprocess max RSS (resourceUsage): ${mib(processMaxRss)}, at start ${mib(baselineRss)}; ` +
      `total ${seconds(totalMs)}`,
  );
  console.log(
    'RSS covers the whole process (the emulator and its catalogue run in it too). A cold run shorter ' +
      'than one budget window may exceed the budget rate: the budget caps requests per window, not per second.',
  );

  await writeResults(p.out, {
    benchmark: 'extract',
    machine,
    parameters: p,
    totalMs,
    loadAverageAfter: os.loadavg().map((n) => round(n, 2)),
    baselineRssBytes: baselineRss,
    processMaxRssBytes: processMaxRss,
    tiers: results,
  });
  console.log(`results: ${p.out}`);
}

await main();
