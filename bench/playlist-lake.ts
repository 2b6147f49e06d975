// A raw zone of watched playlists for the transform benchmark, landed the way extract lands it: the
// emulator's own renderers make the objects (full TrackObjects inside PlaylistTrackObjects, with
// artists, album, images, external_ids...), extract's raw writer writes them (gzipped NDJSON parts,
// create-only), and each run is committed by its manifest. Nothing goes through HTTP: generating a
// million records through the emulator would take longer than the benchmark itself.
//
// The world: a few hundred playlists of very different sizes over the emulator's catalogue (tracks
// drawn by popularity, plus a few local files, podcast episodes and unavailable items), watched for
// a few simulated days, one extract run a day. Every run lands every playlist's metadata; the first
// lands every playlist's items, later ones only those of playlists whose snapshot changed (a few
// tracks added, removed or moved). Sizes are calibrated so the runs land exactly `records` items.
// Memory stays bounded: the writer flushes a part as soon as it is full.
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { filterFields } from '../src/emulator/fields.js';
import { playlistItem, playlistObject, type RenderContext } from '../src/emulator/objects.js';
import { createRandom, type Random } from '../src/emulator/random.js';
import { tierRules } from '../src/emulator/tiers.js';
import { artistName, playlistName, titleName } from '../src/emulator/words.js';
import {
  advanceWorld,
  createWorld,
  DAY_MS,
  dayStartMs,
  type Playlist,
  type PlaylistEntry,
  type World,
} from '../src/emulator/world.js';
import { type RunManifest, writeManifest } from '../src/extract/manifest.js';
import { createRawWriter, type RawWriter } from '../src/extract/raw-writer.js';
import { PLAYLIST_METADATA_FIELDS } from '../src/extract/sources/playlists.js';
import { type ExtractState, emptyState } from '../src/extract/state.js';
import { newRunId, utcDate } from '../src/lake.js';
import type { ObjectStore } from '../src/storage/store.js';

/** Bumped whenever the generator's output changes, so that a kept lake (`--lake`) is not reused by mistake. */
export const PLAYLIST_LAKE_VERSION = 3;

export interface PlaylistLakeOptions {
  /** playlist_items records over all runs. */
  records: number;
  playlists: number;
  /** One run per simulated day. */
  runs: number;
  seed: number;
  /** Chance that a playlist's snapshot changes from one day to the next (its items land again). */
  changeProbability: number;
  /** Emulator catalogue scale (60 artists, ~1,400 tracks per unit). */
  catalogScale: number;
}

export interface PlaylistLakeRun {
  runId: string;
  dt: string;
  playlistItems: number;
  playlists: number;
  /** Playlists whose items this run landed (their snapshot changed, or the first run). */
  playlistsLanded: number;
}

export interface PlaylistLakeInfo {
  records: number;
  playlistRecords: number;
  runs: PlaylistLakeRun[];
  playlists: number;
  /** Smallest, median and largest playlist on the last day. */
  playlistSize: { min: number; median: number; max: number };
  itemKinds: Record<PlaylistEntry['kind'], number>;
  distinctTracks: number;
  catalogue: { artists: number; albums: number; tracks: number };
  playlistItemParts: number;
  /** Sizes of the playlist_items parts: gzipped, and the NDJSON inside (from the gzip trailers). */
  playlistItemBytes: { gzip: number; ndjson: number };
  /** Rows playlist_items must have: every playlist's items on every day it was observed. */
  expectedPlaylistItemRows: number;
  /** Local paths of the playlist_items parts, sorted. */
  playlistItemPaths: string[];
  generationMs: number;
}

const API_URL = 'https://api.spotify.com/v1';
const MARKET = 'US';
/** Extract's runs start at 06:00 UTC here; records are fetched a little over a millisecond apart. */
const RUN_HOUR_MS = 6 * 3_600_000;
const MAX_PLAYLIST_SIZE = 10_000;

interface Watched {
  playlist: Playlist;
  /** Days (indexes into the runs) on which the snapshot changed; day 0 always lands. */
  lands: boolean[];
}

export async function generatePlaylistLake(
  store: ObjectStore,
  options: PlaylistLakeOptions,
  progress: (message: string) => void = () => {},
): Promise<PlaylistLakeInfo> {
  const started = performance.now();
  const rng = createRandom(options.seed);
  const catalog = createWorld({ seed: options.seed, scale: options.catalogScale, day: 0 });
  const ctx: RenderContext = {
    world: catalog,
    rules: tierRules('extended'),
    apiUrl: API_URL,
    market: MARKET,
  };
  const pickTrack = popularityPicker(catalog, rng);
  const episodeIds = [...catalog.episodes.keys()];
  const users = catalog.userIds;

  const watched = planPlaylists(rng, options, pickTrack, episodeIds, users);
  const info: PlaylistLakeInfo = {
    records: 0,
    playlistRecords: 0,
    runs: [],
    playlists: watched.length,
    playlistSize: { min: 0, median: 0, max: 0 },
    itemKinds: { track: 0, local: 0, episode: 0, unavailable: 0 },
    distinctTracks: 0,
    catalogue: { artists: catalog.artists.size, albums: catalog.albums.size, tracks: catalog.tracks.size },
    playlistItemParts: 0,
    playlistItemBytes: { gzip: 0, ndjson: 0 },
    expectedPlaylistItemRows: 0,
    playlistItemPaths: [],
    generationMs: 0,
  };
  const tracksSeen = new Set<string>();
  const extractState: ExtractState = emptyState();

  for (let day = 0; day < options.runs; day++) {
    if (day > 0) advanceWorld(catalog, 1);
    const landing = watched.filter((w) => w.lands[day]);
    for (const w of landing) if (day > 0) editPlaylist(w.playlist, rng, day, pickTrack, users);
    if (day === options.runs - 1) {
      const planned = landing.reduce((n, w) => n + w.playlist.entries.length, 0);
      const difference = options.records - info.records - planned;
      const left = absorb(
        landing.map((w) => w.playlist),
        difference,
        rng,
        day,
        pickTrack,
        users,
      );
      progress(`the last run's playlists absorb ${difference} items to land exactly ${options.records}`);
      if (left !== 0)
        progress(`${left} items could not be absorbed: the lake holds ${options.records - left}`);
    }
    for (const w of landing) w.playlist.snapshotId = snapshotOf(w.playlist);

    const runAt = dayStartMs(day) + RUN_HOUR_MS;
    const runId = newRunId(new Date(runAt), rng.next);
    const dt = utcDate(new Date(runAt));
    const writer = createRawWriter(store, { runId, dt });
    let clock = runAt;
    const fetchedAt = () => {
      clock += 1 + (rng.next() < 0.3 ? 1 : 0);
      return new Date(clock).toISOString();
    };
    const run: PlaylistLakeRun = {
      runId,
      dt,
      playlistItems: 0,
      playlists: 0,
      playlistsLanded: landing.length,
    };
    for (const w of watched) {
      const p = w.playlist;
      const source = `playlist:${p.id}`;
      await writer.append(
        'playlists',
        { source, request: `/playlists/${p.id}`, fetched_at: fetchedAt(), playlist_id: p.id },
        metadata(ctx, p),
      );
      run.playlists++;
      extractState.playlists[p.id] = { snapshotId: p.snapshotId, day: dt, total: p.entries.length };
      if (!w.lands[day]) continue;
      const entries = p.entries;
      for (let position = 0; position < entries.length; position++) {
        const entry = entries[position]!;
        const offset = position - (position % 50);
        const request = `${API_URL}/playlists/${p.id}/items?offset=${offset}&limit=50&additional_types=track%2Cepisode&market=${MARKET}`;
        await writer.append(
          'playlist_items',
          {
            source,
            request,
            fetched_at: fetchedAt(),
            playlist_id: p.id,
            snapshot_id: p.snapshotId,
            position,
          },
          playlistItem(ctx, entry, true),
        );
        info.itemKinds[entry.kind]++;
        if (entry.kind === 'track') tracksSeen.add(entry.ref);
      }
      run.playlistItems += entries.length;
    }
    await writer.flush();
    extractState.lastRunId = runId;
    const skipped = watched.filter((w) => !w.lands[day]).map((w) => w.playlist.id);
    await writeManifest(
      store,
      manifestOf(runId, dt, runAt, clock, writer, watched.length, skipped, extractState),
    );

    info.records += run.playlistItems;
    info.playlistRecords += run.playlists;
    info.expectedPlaylistItemRows += watched.reduce((n, w) => n + w.playlist.entries.length, 0);
    info.runs.push(run);
    for (const o of writer.objects) {
      if (o.dataset !== 'playlist_items') continue;
      const path = store.localPath!(o.key);
      info.playlistItemPaths.push(path);
      info.playlistItemBytes.gzip += o.bytes;
      info.playlistItemBytes.ndjson += await gzipInputSize(path);
    }
    progress(
      `run ${day + 1}/${options.runs} (${dt}): ${run.playlistItems} playlist items of ${landing.length} playlists, ` +
        `${run.playlists} playlist records, ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }

  const sizes = watched.map((w) => w.playlist.entries.length).sort((a, b) => a - b);
  info.playlistSize = {
    min: sizes[0] ?? 0,
    median: sizes[Math.floor(sizes.length / 2)] ?? 0,
    max: sizes.at(-1) ?? 0,
  };
  info.distinctTracks = tracksSeen.size;
  info.playlistItemPaths.sort();
  info.playlistItemParts = info.playlistItemPaths.length;
  info.generationMs = Math.round(performance.now() - started);
  return info;
}

// --- the playlists --------------------------------------------------------------------------------

/** Tracks drawn by popularity (squared), so popular tracks sit in many playlists, as on Spotify. */
function popularityPicker(catalog: World, rng: Random): () => string {
  const ids = catalog.trackIds.slice();
  const cumulative = new Float64Array(ids.length);
  let total = 0;
  ids.forEach((id, i) => {
    const p = catalog.tracks.get(id)!.basePopularity + 1;
    total += p * p;
    cumulative[i] = total;
  });
  return () => {
    const r = rng.next() * total;
    let lo = 0;
    let hi = ids.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! <= r) lo = mid + 1;
      else hi = mid;
    }
    return ids[lo]!;
  };
}

function planPlaylists(
  rng: Random,
  options: PlaylistLakeOptions,
  pickTrack: () => string,
  episodeIds: readonly string[],
  users: readonly string[],
): Watched[] {
  // Which days each playlist's items land on, decided first so that sizes can be calibrated to it.
  const plans = Array.from({ length: options.playlists }, () => ({
    lands: Array.from(
      { length: options.runs },
      (_, day) => day === 0 || rng.chance(options.changeProbability),
    ),
    // Log-normal sizes: many playlists of a few dozen to a few hundred items, a few of thousands.
    weight: Math.exp(1.1 * gaussian(rng)),
  }));
  const last = options.runs - 1;
  if (!plans.some((p) => p.lands[last])) plans[0]!.lands[last] = true;
  // Items per unit of weight, such that the landings add up to `records` despite the size limits.
  const sizeOf = (weight: number, perWeight: number) =>
    Math.max(1, Math.min(MAX_PLAYLIST_SIZE, Math.round(weight * perWeight)));
  const landed = (perWeight: number) =>
    plans.reduce((n, p) => n + sizeOf(p.weight, perWeight) * p.lands.filter(Boolean).length, 0);
  let perWeight = options.records / plans.reduce((n, p) => n + p.weight * p.lands.filter(Boolean).length, 0);
  for (let i = 0; i < 20; i++) perWeight *= options.records / landed(perWeight);

  return plans.map((plan) => {
    const size = sizeOf(plan.weight, perWeight);
    const ownerId = rng.pick(users);
    const collaborators = rng.chance(0.1) ? rng.sample(users, rng.int(1, 3)) : [];
    const adders = [ownerId, ...collaborators];
    const present = new Set<string>();
    const entries: PlaylistEntry[] = [];
    // Added over the last three years, in order.
    const since = dayStartMs(0) - 3 * 365 * DAY_MS;
    const times = Array.from({ length: size }, () => since + Math.floor(rng.next() * 3 * 365 * DAY_MS)).sort(
      (a, b) => a - b,
    );
    const oldPlaylist = rng.chance(0.05);
    for (let i = 0; i < size; i++) {
      const entry = newEntry(rng, pickTrack, present, episodeIds, times[i]!, rng.pick(adders));
      if (oldPlaylist && i < 10) entry.addedBy = null;
      entries.push(entry);
    }
    const playlist: Playlist = {
      id: rng.base62(22),
      name: playlistName(rng),
      description: rng.chance(0.5) ? '' : rng.chance(0.5) ? null : `${playlistName(rng)} ♫`,
      ownerId,
      collaborative: collaborators.length > 0,
      public: collaborators.length === 0 && rng.chance(0.8),
      collaborators,
      entries,
      snapshotId: '',
      baseFollowers: Math.round(10 ** (rng.next() * 5)),
      imageStyle: rng.chance(0.8) ? 'mosaic' : 'uploaded',
      imageKey: rng.hex(24),
      editorial: false,
    };
    return { playlist, lands: plan.lands };
  });
}

/** Mostly tracks; now and then a local file, a podcast episode or an unavailable (taken down) track. */
function newEntry(
  rng: Random,
  pickTrack: () => string,
  present: Set<string>,
  episodeIds: readonly string[],
  addedAt: number,
  addedBy: string | null,
): PlaylistEntry {
  const r = rng.next();
  if (r < 0.003) {
    const local = {
      artist: artistName(rng),
      album: titleName(rng),
      title: titleName(rng),
      durationMs: rng.int(90_000, 420_000),
    };
    return { kind: 'local', ref: '', local, addedAt, addedBy };
  }
  if (r < 0.005 && episodeIds.length > 0)
    return { kind: 'episode', ref: rng.pick(episodeIds), addedAt, addedBy };
  if (r < 0.007) return { kind: 'unavailable', ref: rng.base62(22), addedAt, addedBy };
  let ref = pickTrack();
  // Duplicates are allowed on Spotify but rare; a few redraws keep them rare here too.
  for (let i = 0; i < 5 && present.has(ref); i++) ref = pickTrack();
  present.add(ref);
  return { kind: 'track', ref, addedAt, addedBy };
}

/** One day's edit of a changed playlist: a few tracks added (mostly at the end), removed and moved. */
function editPlaylist(
  playlist: Playlist,
  rng: Random,
  day: number,
  pickTrack: () => string,
  users: readonly string[],
): void {
  const entries = playlist.entries;
  const scale = Math.max(1, Math.round(entries.length * 0.02));
  addEntries(playlist, rng.int(1, 2 * scale), rng, day, pickTrack, users);
  removeEntries(playlist, rng.int(0, scale), rng);
  for (let moves = rng.int(0, 2); moves > 0 && entries.length >= 2; moves--) {
    const [moved] = entries.splice(rng.int(0, entries.length - 1), 1);
    entries.splice(rng.int(0, entries.length), 0, moved!);
  }
}

/**
 * Makes the last day's landings hold exactly `difference` more (or fewer) items, spread over them in
 * proportion to their sizes, so the lake holds exactly the asked-for number of records. Returns what
 * could not be absorbed (only when removing would empty every landing playlist).
 */
function absorb(
  landing: Playlist[],
  difference: number,
  rng: Random,
  day: number,
  pickTrack: () => string,
  users: readonly string[],
): number {
  const bySize = [...landing].sort((a, b) => b.entries.length - a.entries.length);
  if (difference > 0) {
    const total = bySize.reduce((n, p) => n + p.entries.length, 0);
    let need = difference;
    bySize.forEach((playlist, i) => {
      // The last (smallest) one takes whatever is left, even past the size cap.
      const share = Math.ceil((difference * playlist.entries.length) / Math.max(1, total));
      const room = MAX_PLAYLIST_SIZE - playlist.entries.length;
      const n = i === bySize.length - 1 ? need : Math.max(0, Math.min(need, share, room));
      addEntries(playlist, n, rng, day, pickTrack, users);
      need -= n;
    });
    return need;
  }
  const capacity = bySize.reduce((n, p) => n + p.entries.length - 1, 0);
  let need = Math.min(-difference, capacity);
  const unabsorbed = -difference - need;
  const wanted = need;
  for (const playlist of bySize) {
    const n = Math.min(
      need,
      playlist.entries.length - 1,
      Math.ceil((wanted * (playlist.entries.length - 1)) / capacity),
    );
    removeEntries(playlist, n, rng);
    need -= n;
  }
  return -unabsorbed;
}

function addEntries(
  playlist: Playlist,
  n: number,
  rng: Random,
  day: number,
  pickTrack: () => string,
  users: readonly string[],
): void {
  const adders = [playlist.ownerId, ...playlist.collaborators];
  const present = new Set(playlist.entries.map((e) => e.ref));
  // Added since the previous run (06:00 the day before).
  const from = dayStartMs(day) + RUN_HOUR_MS - DAY_MS;
  for (let i = 0; i < n; i++) {
    const at = from + rng.int(0, DAY_MS - 60_000);
    const entry = newEntry(rng, pickTrack, present, [], at, rng.pick(adders.length > 0 ? adders : users));
    if (rng.chance(0.2)) playlist.entries.splice(rng.int(0, playlist.entries.length), 0, entry);
    else playlist.entries.push(entry);
  }
}

function removeEntries(playlist: Playlist, n: number, rng: Random): void {
  for (let i = 0; i < n && playlist.entries.length > 1; i++) {
    playlist.entries.splice(rng.int(0, playlist.entries.length - 1), 1);
  }
}

/** As the emulator does: a hash of the content, so it changes exactly when the content does. */
function snapshotOf(playlist: Playlist): string {
  const hash = createHash('sha256').update(playlist.id);
  for (const e of playlist.entries) hash.update(`\n${e.kind}:${e.ref}:${e.addedAt}:${e.addedBy ?? ''}`);
  return hash.digest('base64').slice(0, 32).replace(/\+/g, 'x').replace(/\//g, 'Z');
}

function gaussian(rng: Random): number {
  const u = 1 - rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

// --- what extract writes --------------------------------------------------------------------------

/** The metadata request's answer: the PlaylistObject without its items, as `fields=` asks. */
function metadata(ctx: RenderContext, playlist: Playlist): unknown {
  const full = playlistObject(ctx, playlist, {
    withItems: false,
    includeEpisodes: true,
    query: new URLSearchParams(),
  });
  return filterFields({ ...full, items: { total: playlist.entries.length } }, PLAYLIST_METADATA_FIELDS);
}

function manifestOf(
  runId: string,
  dt: string,
  startedMs: number,
  finishedMs: number,
  writer: RawWriter,
  playlists: number,
  skipped: string[],
  state: ExtractState,
): RunManifest {
  const records = writer.counts();
  const playlistItems = records.playlist_items ?? 0;
  return {
    runId,
    status: 'committed',
    dt,
    startedAt: new Date(startedMs).toISOString(),
    finishedAt: new Date(finishedMs + 1000).toISOString(),
    tier: 'extended',
    sources: { playlists, artists: 0, search: 0, me: [] },
    records,
    // One metadata request per playlist, one page request per 50 items landed.
    requests: playlists + Math.ceil(playlistItems / 50),
    retries: 0,
    skipped,
    errors: [],
    objects: [...writer.objects].sort((a, b) => a.key.localeCompare(b.key)),
    stateAfter: structuredClone(state),
  };
}

/** The uncompressed size of a single-member gzip file: its trailer's ISIZE (exact below 4 GiB). */
async function gzipInputSize(path: string): Promise<number> {
  const { size } = await stat(path);
  const file = await open(path, 'r');
  try {
    const trailer = Buffer.alloc(4);
    await file.read(trailer, 0, 4, size - 4);
    return trailer.readUInt32LE(0);
  } finally {
    await file.close();
  }
}

// --- the same playlists, served by an emulator ----------------------------------------------------

/**
 * Adds `playlists` playlists holding `records` items in all (the same log-normal sizes and
 * popularity-drawn tracks as the generated lake) to an emulator's catalogue, for benchmarks that
 * extract them over HTTP. Returns their ids, to watch.
 */
export function addWatchedPlaylists(
  catalog: World,
  options: { records: number; playlists: number; seed: number },
): string[] {
  const rng = createRandom(options.seed + 1);
  const watched = planPlaylists(
    rng,
    { ...options, runs: 1, changeProbability: 0, catalogScale: catalog.scale },
    popularityPicker(catalog, rng),
    [...catalog.episodes.keys()],
    catalog.userIds,
  );
  const ids: string[] = [];
  for (const { playlist } of watched) {
    playlist.snapshotId = snapshotOf(playlist);
    catalog.playlists.set(playlist.id, playlist);
    catalog.playlistIds.push(playlist.id);
    ids.push(playlist.id);
  }
  catalog.version++;
  return ids;
}
