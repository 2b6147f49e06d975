// What the benchmarks in bench/ share: peak-RSS sampling, medians over repetitions, the machine's
// description, the results file and a plain-text table. Benchmarks measure and report; they assert
// nothing (the suites under test/ do that).
import { mkdir, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { AccessTier, Sources } from '../src/config.js';
import { parseSearchQuery, searchWorld } from '../src/emulator/search.js';
import { DAY_MS, type World, worldNowMs } from '../src/emulator/world.js';

// --- memory ---------------------------------------------------------------------------------------

export interface RssSampler {
  /** Stops sampling; the peak includes one last sample taken now. */
  stop(): { peakRssBytes: number; samples: number };
}

/**
 * Samples the resident set size every `intervalMs`. `process.memoryUsage.rss()` reads the same value
 * as `process.memoryUsage().rss` without walking the V8 heap spaces, so sampling stays cheap. A busy
 * event loop delays samples: the peak is a lower bound, `maxRssBytes()` the kernel's exact maximum.
 */
export function sampleRss(intervalMs = 50): RssSampler {
  let peak = process.memoryUsage.rss();
  let samples = 1;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
    samples++;
  }, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage.rss());
      return { peakRssBytes: peak, samples: samples + 1 };
    },
  };
}

let gcFunction: (() => void) | undefined;

/**
 * A full garbage collection, so that a measurement does not start on an earlier one's garbage.
 * Without `node --expose-gc` the flag is set at run time and `gc` taken from a fresh context (the
 * usual benchmark trick; V8 only exposes it to contexts created after the flag is set).
 */
export function collectGarbage(): void {
  if (!gcFunction) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed) gcFunction = exposed;
    else {
      setFlagsFromString('--expose-gc');
      gcFunction = runInNewContext('gc') as () => void;
    }
  }
  gcFunction();
}

/** The process's peak RSS since it started (`resourceUsage().maxRSS` is in kilobytes). */
export function maxRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

export interface Measured<T> {
  result: T;
  wallMs: number;
  /** Peak RSS sampled while `fn` ran. */
  peakRssBytes: number;
}

export async function measure<T>(fn: () => Promise<T>, sampleIntervalMs = 50): Promise<Measured<T>> {
  const sampler = sampleRss(sampleIntervalMs);
  const started = performance.now();
  try {
    const result = await fn();
    const wallMs = performance.now() - started;
    return { result, wallMs, peakRssBytes: sampler.stop().peakRssBytes };
  } finally {
    sampler.stop();
  }
}

// --- statistics -----------------------------------------------------------------------------------

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The median of every numeric field over repetitions of the same shape (each field on its own, so
 * the result need not be one of the repetitions). Nested objects are handled field by field.
 */
export function medianOf<T extends object>(runs: readonly T[]): T {
  const first = runs[0];
  if (first === undefined) throw new Error('medianOf needs at least one run');
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(first)) {
    const values = runs.map((run) => (run as Record<string, unknown>)[key]);
    if (typeof value === 'number') out[key] = median(values as number[]);
    else if (value && typeof value === 'object' && !Array.isArray(value))
      out[key] = medianOf(values as object[]);
    else out[key] = value;
  }
  return out as T;
}

// --- reporting ------------------------------------------------------------------------------------

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  totalMemoryBytes: number;
  platform: string;
  arch: string;
  node: string;
  date: string;
  /** 1, 5 and 15 minute load averages when the run started: other work on the machine skews timings. */
  loadAverage: number[];
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    totalMemoryBytes: os.totalmem(),
    platform: os.platform(),
    arch: os.arch(),
    node: process.version,
    date: new Date().toISOString(),
    loadAverage: os.loadavg().map((n) => Math.round(n * 100) / 100),
  };
}

/** Writes the results atomically (a `.tmp` sibling, then a rename), so a killed run leaves the old file. */
export async function writeResults(path: string, data: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  await writeFile(tmp, `${JSON.stringify(data, null, 2)}\n`);
  await rename(tmp, path);
}

/** Left-aligned first column, right-aligned others. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

// --- the planned minimum --------------------------------------------------------------------------

export interface RequestPlan {
  total: number;
  playlists: number;
  artists: number;
  /** Full album objects and their extra track pages (watched artists' discographies, album searches). */
  albums: number;
  search: number;
  me: number;
  enrich: number;
}

const TOP_RANGE_DAYS = { short_term: 28, medium_term: 182, long_term: 365 + 100_000 } as const;

/**
 * The fewest requests a cold extract of `sources` can make, computed from the emulator's catalogue
 * (no request is made). The playlist, artist, album and enrichment arithmetic is a copy of
 * `plannedRequests` in test/e2e/extract.test.ts, which the test checks against real runs; keep the
 * two in step. Added here: searches (pages of the tier's search page size, then the full objects of
 * albums found) and the `me` feeds (profile, the 50 reachable recent plays, one top-50 page per kind
 * and time range, every saved track, own playlists), whose objects also feed the enrichment.
 */
export function plannedRequests(catalog: World, sources: Sources, tier: AccessTier): RequestPlan {
  const c = catalog;
  const extended = tier === 'extended';
  const plan: RequestPlan = { total: 0, playlists: 0, artists: 0, albums: 0, search: 0, me: 0, enrich: 0 };
  const fullTracks = new Set<string>();
  const seenAlbums = new Set<string>();
  const seenArtists = new Set<string>();
  const seenTracks = new Set<string>();
  // A full track object names its album (with the album's artists) and its own artists.
  const noteFullTrack = (trackId: string) => {
    const t = c.tracks.get(trackId)!;
    fullTracks.add(t.id);
    seenAlbums.add(t.albumId);
    for (const a of t.artistIds) seenArtists.add(a);
    for (const a of c.albums.get(t.albumId)!.artistIds) seenArtists.add(a);
  };

  for (const id of sources.playlists) {
    const p = c.playlists.get(id)!;
    plan.playlists += 1 + Math.max(1, Math.ceil(p.entries.length / 50));
    for (const e of p.entries) if (e.kind === 'track') noteFullTrack(e.ref);
  }

  plan.artists += extended ? Math.ceil(sources.artists.length / 50) : sources.artists.length;
  const pageSize = extended ? 50 : 10;
  const albums = new Set<string>();
  for (const artistId of sources.artists) {
    // One listing per followed group, each read to its end on a cold run.
    for (const group of sources.artistIncludeGroups) {
      const artist = c.artists.get(artistId)!;
      const listed =
        group === 'appears_on'
          ? artist.appearsOnAlbumIds
          : artist.albumIds.filter((albumId) => c.albums.get(albumId)!.albumType === group);
      plan.artists += Math.max(1, Math.ceil(listed.length / pageSize));
      for (const albumId of listed) albums.add(albumId);
    }
  }
  const fetchAlbums = (ids: readonly string[]) => {
    plan.albums += extended ? Math.ceil(ids.length / 20) : ids.length;
    for (const albumId of ids) {
      const album = c.albums.get(albumId)!;
      plan.albums += Math.max(0, Math.ceil(album.trackIds.length / 50) - 1);
      for (const a of album.artistIds) seenArtists.add(a);
      for (const t of album.trackIds) {
        seenTracks.add(t);
        for (const a of c.tracks.get(t)!.artistIds) seenArtists.add(a);
      }
    }
  };
  fetchAlbums([...albums]);

  const searchPage = extended ? 50 : 10;
  for (const query of sources.search) {
    const hits = searchWorld(c, parseSearchQuery(query.q), query.type);
    const wanted = Math.min(query.limit, hits.length, 1000);
    plan.search += Math.max(1, Math.ceil(wanted / Math.min(searchPage, query.limit)));
    const found = hits.slice(0, wanted);
    if (query.type === 'track') for (const t of found) noteFullTrack(t);
    if (query.type === 'artist') for (const a of found) seenArtists.add(a);
    if (query.type === 'album') {
      for (const albumId of found) {
        seenAlbums.add(albumId);
        for (const a of c.albums.get(albumId)!.artistIds) seenArtists.add(a);
      }
      const fresh = found.filter((albumId) => !albums.has(albumId));
      fetchAlbums(fresh);
      for (const albumId of fresh) albums.add(albumId);
    }
  }

  const me = sources.me;
  if (me.recentlyPlayed || me.topItems || me.savedTracks || me.playlists) {
    plan.me += 1; // the profile
    const demo = c.demoUserId;
    if (me.recentlyPlayed) {
      plan.me += 1;
      for (const play of c.plays.slice(-50)) noteFullTrack(play.trackId);
    }
    if (me.topItems) {
      for (const days of Object.values(TOP_RANGE_DAYS)) {
        const since = worldNowMs(c) - days * DAY_MS;
        const tracks = new Map<string, number>();
        const artists = new Map<string, number>();
        for (const play of c.plays) {
          if (play.playedAt < since) continue;
          tracks.set(play.trackId, (tracks.get(play.trackId) ?? 0) + 1);
          for (const a of c.tracks.get(play.trackId)!.artistIds) artists.set(a, (artists.get(a) ?? 0) + 1);
        }
        const top = (counts: Map<string, number>) =>
          [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)! || (a < b ? -1 : 1)).slice(0, 50);
        plan.me += 2;
        for (const t of top(tracks)) noteFullTrack(t);
        for (const a of top(artists)) seenArtists.add(a);
      }
    }
    if (me.savedTracks) {
      plan.me += Math.max(1, Math.ceil(c.savedTracks.length / 50));
      for (const saved of c.savedTracks) noteFullTrack(saved.trackId);
    }
    if (me.playlists) {
      const listed = c.playlistIds.filter((id) => {
        const p = c.playlists.get(id)!;
        return p.ownerId === demo || p.collaborators.includes(demo);
      }).length;
      plan.me += Math.max(1, Math.ceil((listed + c.followedPlaylistIds.length) / 50));
    }
  }

  for (const a of sources.artists) seenArtists.delete(a);
  if (extended) {
    const tracks = [...seenTracks].filter((t) => !fullTracks.has(t));
    const enrichAlbums = [...seenAlbums].filter((a) => !albums.has(a));
    plan.enrich +=
      Math.ceil(tracks.length / 50) + Math.ceil(enrichAlbums.length / 20) + Math.ceil(seenArtists.size / 50);
  } else {
    plan.enrich += seenArtists.size;
  }
  plan.total = plan.playlists + plan.artists + plan.albums + plan.search + plan.me + plan.enrich;
  return plan;
}

/**
 * The benchmarks' command-line checks: every problem is collected, and `finish()` prints them all
 * with the usage and exits 2.
 */
export function optionChecker(usage: string) {
  const problems: string[] = [];
  const num = (
    name: string,
    raw: string | undefined,
    fallback: number,
    min: number,
    max = Number.POSITIVE_INFINITY,
    integer = true,
  ): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      const range = max === Number.POSITIVE_INFINITY ? `of at least ${min}` : `from ${min} to ${max}`;
      problems.push(`--${name} "${raw}": expected ${integer ? 'a whole number' : 'a number'} ${range}`);
      return fallback;
    }
    return n;
  };
  const finish = (): void => {
    if (problems.length === 0) return;
    console.error(`${problems.join('\n')}\n${usage}`);
    process.exit(2);
  };
  return { problems, num, finish };
}
