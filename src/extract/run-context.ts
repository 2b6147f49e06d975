// What every source extractor receives: the client, the writer, the mutable copy of the state, and
// the per-run bookkeeping (ids already in hand, errors, progress).
import { createHash } from 'node:crypto';
import type { Config } from '../config.js';
import { isTunelakeError, toTunelakeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { SpotifyApi } from '../spotify/client.js';
import type { SourceError } from './manifest.js';
import type { RawWriter, RecordContext } from './raw-writer.js';
import type { ExtractState } from './state.js';

export interface ProgressEvent {
  phase: 'recover' | 'playlists' | 'artists' | 'search' | 'me' | 'enrich' | 'commit';
  source?: string;
  done?: number;
  total?: number;
  records?: number;
}

export interface RunContext {
  config: Config;
  spotify: SpotifyApi;
  writer: RawWriter;
  state: ExtractState;
  runId: string;
  /** UTC date of the run (the raw partition). */
  today: string;
  now: () => Date;
  logger: Logger;
  progress: (event: ProgressEvent) => void;
  errors: SourceError[];
  skipped: string[];
  /** Ids seen only as simplified objects this run: candidates for enrichment. */
  seen: { tracks: Set<string>; albums: Set<string>; artists: Set<string> };
  /** Ids landed as full objects this run: never fetched again in the same run. */
  full: { tracks: Set<string>; albums: Set<string>; artists: Set<string> };
}

export function context(
  ctx: RunContext,
  source: string,
  request: string,
  extra: Record<string, unknown> = {},
): RecordContext {
  return { source, request, fetched_at: ctx.now().toISOString(), ...extra };
}

/** The sources skipped for want of a user token, per AUTH_INVALID_GRANT entry of a run's errors. */
const userSources = new WeakMap<object, string[]>();

/**
 * Runs one source; a failure that concerns only this source (forbidden, not found, bad response)
 * is recorded and the run goes on. Failures that concern the whole run (auth, rate limit, quota,
 * storage, lock) are rethrown.
 */
export async function guarded(ctx: RunContext, source: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    const err = toTunelakeError(error);
    const sourceLevel =
      isTunelakeError(err, 'SPOTIFY_FORBIDDEN') ||
      isTunelakeError(err, 'SPOTIFY_NOT_FOUND') ||
      isTunelakeError(err, 'SPOTIFY_BAD_REQUEST') ||
      isTunelakeError(err, 'SPOTIFY_BAD_RESPONSE') ||
      isTunelakeError(err, 'AUTH_USER_TOKEN_REQUIRED') ||
      isTunelakeError(err, 'INVALID_ARGUMENT');
    // A rejected refresh token (expired 6 months after login) stops only the sources that need the
    // user; the app-token sources land. One error names every such source and `tunelake login`.
    if (err.code === 'AUTH_INVALID_GRANT') {
      const existing = ctx.errors.find((e) => e.code === 'AUTH_INVALID_GRANT');
      const sources = [...(existing ? (userSources.get(existing) ?? []) : []), source];
      const entry = existing ?? { source: 'spotify-login', code: err.code, message: '' };
      entry.message = `${err.message} Not read without it: ${sources.join(', ')}.`;
      userSources.set(entry, sources);
      if (!existing) {
        ctx.errors.push(entry);
        ctx.logger.warn('the Spotify login expired; sources that need the user are skipped', {
          code: err.code,
          error: err.message,
        });
      }
      return;
    }
    if (!sourceLevel) throw err;
    ctx.errors.push({ source, code: err.code, message: err.message });
    ctx.logger.warn('source failed; the run continues with the others', {
      source,
      code: err.code,
      error: err.message,
    });
  }
}

/** Records that a full object landed: not fetched again this run, nor enriched again today. */
export function markFull(ctx: RunContext, kind: 'tracks' | 'albums' | 'artists', id: string): void {
  ctx.full[kind].add(id);
  ctx.state.enriched[kind][id] = ctx.today;
}

/** Notes the track, album and artist ids inside a (full or simplified) track object. */
export function noteTrack(ctx: RunContext, track: unknown, full: boolean): void {
  if (!track || typeof track !== 'object') return;
  const t = track as { id?: unknown; type?: unknown; album?: unknown; artists?: unknown };
  if (t.type !== undefined && t.type !== 'track') return;
  if (typeof t.id === 'string') (full ? ctx.full.tracks : ctx.seen.tracks).add(t.id);
  if (t.album) noteAlbum(ctx, t.album, false);
  noteArtists(ctx, t.artists);
}

export function noteAlbum(ctx: RunContext, album: unknown, full: boolean): void {
  if (!album || typeof album !== 'object') return;
  const a = album as { id?: unknown; artists?: unknown };
  if (typeof a.id === 'string') (full ? ctx.full.albums : ctx.seen.albums).add(a.id);
  noteArtists(ctx, a.artists);
}

export function noteArtists(ctx: RunContext, artists: unknown): void {
  if (!Array.isArray(artists)) return;
  for (const artist of artists) {
    const id = (artist as { id?: unknown } | null)?.id;
    if (typeof id === 'string') ctx.seen.artists.add(id);
  }
}

/**
 * A hash of what a feed says, for "unchanged since the last run" checks. API `href`s are left out:
 * they only restate ids, and their host differs between the real API and each emulator process.
 */
export function contentHash(value: unknown): string {
  const json = JSON.stringify(value, (key, v) => (key === 'href' ? undefined : v));
  return createHash('sha256').update(json).digest('hex').slice(0, 32);
}

/** Runs `fn` over `items` with at most `limit` in flight, in order of start. */
export async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
) {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const index = next++;
      await fn(items[index]!, index);
    }
  });
  await Promise.all(workers);
}
