// extract(): configured sources -> the immutable raw zone, incrementally.
//
// The caller holds the lake's run lock (src/lock.ts). Order of writes (each step durable before the
// next): recovery of whatever a crashed run left; a pending marker; the raw objects (create-only); the
// manifest (create-only, the commit point, carrying the new state); the state copy (compare-and-swap);
// the pending marker's removal. A crash anywhere leaves either nothing visible or a complete run.
import type { Config } from '../config.js';
import { isTunelakeError, toTunelakeError } from '../errors.js';
import { newRunId, rawQuarantineKey, utcDate } from '../lake.js';
import { type Logger, silentLogger } from '../log.js';
import type { SpotifyApi } from '../spotify/client.js';
import type { ObjectStore } from '../storage/store.js';
import { checkAgainstLastRun, checkAgainstServer } from './clock.js';
import { enrichImportedTracks } from './imported-tracks.js';
import {
  type ImportedTracksBacklog,
  markPending,
  pendingKey,
  type RecoveryInfo,
  recover,
  type SourceError,
  writeManifest,
} from './manifest.js';
import { createRawWriter, type QuarantinedRecord } from './raw-writer.js';
import type { ProgressEvent, RunContext } from './run-context.js';
import { extractArtists } from './sources/artists.js';
import { enrich } from './sources/enrich.js';
import { extractMe } from './sources/me.js';
import { extractPlaylists } from './sources/playlists.js';
import { extractSearches } from './sources/search.js';
import { commitState, type ExtractState, loadState, type NotBefore, notBeforeError } from './state.js';

export interface ExtractInfo {
  runId: string;
  dt: string;
  tier: string;
  /** API requests (token requests not included). */
  requests: number;
  tokenRequests: number;
  retries: number;
  records: Record<string, number>;
  /** Sources not re-read because they had not changed (playlists by snapshot_id, feeds by content). */
  skipped: string[];
  objects: number;
  errors: SourceError[];
  /** Records over the size limit, left out of the raw zone and listed in `quarantineKey` (#17). */
  quarantined: QuarantinedRecord[];
  quarantineKey?: string;
  recovery: RecoveryInfo;
  /** The imported streaming history's tracks fetched so far; absent without an import. */
  importedTracks?: ImportedTracksBacklog;
  durationMs: number;
}

export interface ExtractDeps {
  now?: () => Date;
  random?: () => number;
  logger?: Logger;
  onProgress?: (event: ProgressEvent) => void;
  /** Run id to use (the Lambda passes one derived from the scheduled time). */
  runId?: string;
  /** Test hook: called at named points so a test can crash the process there. */
  checkpoint?: (name: string) => void | Promise<void>;
  /**
   * The real time, which Retry-After counts in (the Spotify client's clock); `now` may be the
   * emulator's simulated day. Default: the system clock.
   */
  wallClock?: () => Date;
}

export async function extract(
  runtime: { config: Config; store: ObjectStore; spotify: SpotifyApi },
  deps: ExtractDeps = {},
): Promise<ExtractInfo> {
  const { config, store, spotify } = runtime;
  const now = deps.now ?? (() => new Date());
  const logger = deps.logger ?? silentLogger;
  const progress = deps.onProgress ?? (() => {});
  const checkpoint = deps.checkpoint ?? (() => {});
  const started = now();
  // Durations come from a monotonic clock: `now` may be the emulator's simulated time.
  const startedMs = performance.now();
  const runId = deps.runId ?? newRunId(started, deps.random);
  const dt = utcDate(started);
  const before = requestCounts(spotify);

  progress({ phase: 'recover' });
  const recovery = await recover(store);
  if (recovery.abandonedRuns.length > 0) logger.info('cleaned up crashed runs', { ...recovery });
  await checkpoint('recovered');

  const { state, etag } = await loadState(store);
  // Spotify asked for a long wait in an earlier run: stop before any request (#14).
  if (state.notBefore) {
    const wall = (deps.wallClock ?? (() => new Date()))();
    if (Date.parse(state.notBefore.until) > wall.getTime()) throw notBeforeError(state.notBefore, wall);
    logger.info('the wait Spotify asked for is over', { notBefore: state.notBefore.until });
  }
  // A clock behind the last committed run would date this run's snapshots before it (#17).
  const clockOptions = { allow: config.extract.allowClockSkew, logger };
  checkAgainstLastRun(started, state.lastRunId, clockOptions);
  await markPending(store, { runId, dt, startedAt: started.toISOString() });
  const writer = createRawWriter(store, { runId, dt }, { maxRecordBytes: config.extract.maxRecordBytes });
  const ctx: RunContext = {
    config,
    spotify,
    writer,
    state: structuredClone(state),
    runId,
    today: dt,
    now,
    logger: logger.child({ runId }),
    progress,
    errors: [],
    skipped: [],
    seen: { tracks: new Set(), albums: new Set(), artists: new Set() },
    full: { tracks: new Set(), albums: new Set(), artists: new Set() },
  };

  delete ctx.state.notBefore;
  // A page size Spotify refused in an earlier run is not asked for again (#14).
  spotify.usePageSizes(ctx.state.pageSizes ?? {});
  const { sources } = config;
  let importedTracks: Awaited<ReturnType<typeof enrichImportedTracks>>;
  try {
    await extractPlaylists(ctx, sources.playlists);
    await checkpoint('playlists');
    await extractArtists(ctx, sources.artists);
    await checkpoint('artists');
    await extractSearches(ctx);
    await extractMe(ctx);
    await checkpoint('me');
    importedTracks = await enrichImportedTracks(ctx, store);
    await enrich(ctx);
    await writer.flush();
    await checkpoint('flushed');
  } catch (error) {
    await rememberNotBefore(store, state, etag, error, runId).catch((failed: unknown) =>
      logger.warn('could not record the wait Spotify asked for in the extract state', {
        error: toTunelakeError(failed).message,
      }),
    );
    throw error;
  }

  progress({ phase: 'commit' });
  // Spotify's Date header against the real clock (`now` may be the emulator's simulated day): a run
  // whose clock is far off commits nothing (#17). Its raw objects go with the next run's recovery.
  checkAgainstServer(spotify.stats.serverClock, clockOptions);
  // Records too large to land: listed before the commit, so a committed run's quarantine is complete.
  // The source's state advances as if they had landed (docs/reliability.md "Record size and clock skew"): reading
  // them again would give the same record, and a stuck source would be read again on every run.
  const quarantineKey = writer.quarantined.length > 0 ? rawQuarantineKey(dt, runId) : undefined;
  if (quarantineKey) {
    // Each is also a source error: the run exits 10 (partial failure), and says what to do.
    for (const r of writer.quarantined) {
      const message =
        `A ${r.dataset} record${r.id ? ` (id ${r.id})` : ''} from ${r.request} is ${r.bytes} bytes, over the ` +
        `${r.limit}-byte record size limit: quarantined, not landed (listed in ${store.uri(quarantineKey)}). ` +
        'Raise TUNELAKE_MAX_RECORD_BYTES (at most 16000000) to land such records.';
      logger.warn(message, { source: r.source, bytes: r.bytes });
      ctx.errors.push({ source: r.source, code: 'RECORD_TOO_LARGE', message });
    }
    await store.put(quarantineKey, JSON.stringify({ runId, dt, records: writer.quarantined }, null, 2), {
      contentType: 'application/json',
    });
  }
  ctx.state.lastRunId = runId;
  if (Object.keys(spotify.pageSizes).length > 0) ctx.state.pageSizes = { ...spotify.pageSizes };
  const after = requestCounts(spotify);
  const info: ExtractInfo = {
    runId,
    dt,
    tier: spotify.tier,
    requests: after.requests - before.requests,
    tokenRequests: after.tokenRequests - before.tokenRequests,
    retries: after.retries - before.retries,
    records: writer.counts(),
    skipped: ctx.skipped,
    objects: writer.objects.length,
    errors: ctx.errors,
    quarantined: [...writer.quarantined],
    ...(quarantineKey ? { quarantineKey } : {}),
    recovery,
    ...(importedTracks ? { importedTracks } : {}),
    durationMs: 0,
  };
  await writeManifest(store, {
    runId,
    status: 'committed',
    dt,
    startedAt: started.toISOString(),
    finishedAt: now().toISOString(),
    tier: spotify.tier,
    sources: {
      playlists: sources.playlists.length,
      artists: sources.artists.length,
      search: sources.search.length,
      me: Object.entries(sources.me)
        .filter(([, on]) => on)
        .map(([k]) => k),
    },
    records: info.records,
    requests: info.requests,
    retries: info.retries,
    skipped: ctx.skipped,
    errors: ctx.errors,
    ...(quarantineKey ? { quarantined: { key: quarantineKey, records: writer.quarantined.length } } : {}),
    ...(importedTracks ? { importedTracks } : {}),
    objects: [...writer.objects].sort((a, b) => a.key.localeCompare(b.key)),
    stateAfter: ctx.state,
  });
  await checkpoint('manifest');
  await commitState(store, ctx.state, etag);
  await checkpoint('state');
  await store.delete(pendingKey(runId));
  info.durationMs = Math.round(performance.now() - startedMs);
  return info;
}

/**
 * A 429 whose wait is too long to sleep through stops the run: the time goes into the state the run
 * started from (the run itself commits nothing, so nothing it read is half-recorded), and the next
 * runs stop before asking (#14). Its raw objects are cleaned up by the next run's recovery.
 */
async function rememberNotBefore(
  store: ObjectStore,
  state: ExtractState,
  etag: string | undefined,
  error: unknown,
  runId: string,
): Promise<void> {
  if (!isTunelakeError(error, 'SPOTIFY_RATE_LIMITED') && !isTunelakeError(error, 'SPOTIFY_QUOTA_EXCEEDED'))
    return;
  const until = error.details.notBefore;
  if (typeof until !== 'string') return;
  const route = typeof error.details.route === 'string' ? error.details.route : 'a request';
  const next: ExtractState = {
    ...state,
    notBefore: { until, code: error.code as NotBefore['code'], route, runId },
  };
  await commitState(store, next, etag);
}

function requestCounts(spotify: SpotifyApi): { requests: number; tokenRequests: number; retries: number } {
  const { stats } = spotify;
  const retries = Object.values(stats.retries).reduce((a, b) => a + b, 0);
  return { requests: stats.requests, tokenRequests: stats.tokenRequests, retries };
}
