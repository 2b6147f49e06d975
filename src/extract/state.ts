// Incremental extract state, kept in the lake (the run lock is src/lock.ts).
//
// The commit point of a run is its manifest (runs/<runId>.json, create-only), which carries the
// state the run ends with. state/extract.json is a compare-and-swap copy of the latest committed
// state: if a run dies between its manifest and the state write, the next run rolls the state
// forward from the manifest (recover.ts). So a crash can never leave landed data without the state
// that says it landed, or the other way round.
import { isTunelakeError, TunelakeError } from '../errors.js';
import { EXTRACT_STATE_KEY } from '../lake.js';
import type { ObjectStore } from '../storage/store.js';

export interface PlaylistState {
  snapshotId: string;
  /** UTC date of the last time the playlist's items were landed. */
  day: string;
  total: number;
  /** The items answered 403 (development mode, a playlist the user neither owns nor collaborates on). */
  itemsForbidden?: boolean;
}

export interface ArtistState {
  /** UTC date the artist object was last landed (once per day at most). */
  day: string;
  /** Album ids seen in the artist's discography: their tracks are never fetched again. */
  albums: string[];
  /**
   * Per include group, the listing's `total` when it was last read to the point where every album
   * was accounted for. Absent (state from before per-group listings): that group is read in full once.
   */
  groupTotals?: Partial<Record<string, number>>;
}

export interface FeedState {
  /** Hash of the feed's content when it was last landed; unchanged content is not landed twice. */
  hash: string;
  day: string;
}

export interface ExtractState {
  version: 1;
  lastRunId: string | null;
  playlists: Record<string, PlaylistState>;
  artists: Record<string, ArtistState>;
  /** Albums whose tracks have been landed (from any source). */
  albums: Record<string, string>;
  /** Entities landed as full objects by enrichment, with the day: re-enriched at most daily. */
  enriched: {
    tracks: Record<string, string>;
    albums: Record<string, string>;
    artists: Record<string, string>;
  };
  /** Search queries and `me` feeds: content hash of what was last landed. */
  feeds: Record<string, FeedState>;
  /** Recently played: the newest played_at (Unix ms) landed; the next run asks for `after` it. */
  recentlyPlayedAfter: number | null;
  /** Saved tracks: the newest added_at landed; paging stops at the first one not newer. */
  savedTracksNewest: string | null;
  /**
   * Spotify asked for a wait longer than tunelake sleeps through (a 429 with an hours-long
   * Retry-After, or a spent quota): no run calls Spotify before `until` (#14). Kept when the run
   * that met it stopped, removed by the first run after it.
   */
  notBefore?: NotBefore;
  /** Page sizes Spotify refused with `400 Invalid limit` and the smaller ones used since (#14). */
  pageSizes?: { artistAlbums?: number; search?: number };
  /**
   * Work a source implied that has not landed yet, with the number of runs that tried it. A feed or
   * playlist that is unchanged is not read again, so what it names would otherwise never be fetched
   * (#17): albums listed by a search whose tracks did not land, and ids due for enrichment that did not.
   * Absent in states written before it existed.
   */
  owed?: OwedWork;
}

export interface NotBefore {
  /** ISO time: the 429's arrival plus its Retry-After. */
  until: string;
  code: 'SPOTIFY_RATE_LIMITED' | 'SPOTIFY_QUOTA_EXCEEDED';
  /** The request that was refused, e.g. `GET /v1/artists/{id}`. */
  route: string;
  /** The run that met the 429. */
  runId: string;
}

/**
 * The error of a run that starts before `notBefore.until`: raised before any request, with the time,
 * and not retryable (a Lambda returns it instead of letting AWS retry into the ban).
 */
export function notBeforeError(notBefore: NotBefore, now: Date): TunelakeError {
  const minutes = Math.ceil((Date.parse(notBefore.until) - now.getTime()) / 60_000);
  const wait = minutes >= 120 ? `${(minutes / 60).toFixed(1)} h` : `${minutes} min`;
  return new TunelakeError(
    notBefore.code,
    `Spotify asked tunelake not to call again before ${notBefore.until} (${wait} from now; a 429 ` +
      `${notBefore.code === 'SPOTIFY_QUOTA_EXCEEDED' ? 'QUOTA_EXCEEDED ' : ''}on ${notBefore.route} in run ${notBefore.runId}), ` +
      'so this run stops without a request and lands nothing; nothing landed earlier is lost. Run again after that time ' +
      '(the schedule will); calling earlier only prolongs the ban.',
    {
      retryable: false,
      details: { notBefore: notBefore.until, route: notBefore.route, runId: notBefore.runId },
    },
  );
}

export interface OwedWork {
  /** Albums whose tracks have not landed: the source that listed them, attempts so far. */
  albums: Record<string, { source: string; attempts: number }>;
  /** Ids due for enrichment that did not land -> attempts so far. */
  enrich: { tracks: Record<string, number>; albums: Record<string, number>; artists: Record<string, number> };
  /** Imported tracks whose lookup answered 404 -> attempts so far. */
  imported: Record<string, number>;
}

/** Runs that try owed work before it is given up (an id Spotify no longer knows). */
export const OWED_ATTEMPTS = 5;

/** The state's owed work, created in states written before it existed. */
export function owedWork(state: ExtractState): OwedWork {
  state.owed ??= { albums: {}, enrich: { tracks: {}, albums: {}, artists: {} }, imported: {} };
  state.owed.imported ??= {};
  return state.owed;
}

export function emptyState(): ExtractState {
  return {
    version: 1,
    lastRunId: null,
    playlists: {},
    artists: {},
    albums: {},
    enriched: { tracks: {}, albums: {}, artists: {} },
    feeds: {},
    recentlyPlayedAfter: null,
    savedTracksNewest: null,
    owed: { albums: {}, enrich: { tracks: {}, albums: {}, artists: {} }, imported: {} },
  };
}

export interface LoadedState {
  state: ExtractState;
  /** The etag to compare-and-swap against; undefined when no state exists yet. */
  etag: string | undefined;
}

export async function loadState(store: ObjectStore): Promise<LoadedState> {
  const found = await store.get(EXTRACT_STATE_KEY);
  if (!found) return { state: emptyState(), etag: undefined };
  let parsed: ExtractState;
  try {
    parsed = JSON.parse(new TextDecoder().decode(found.body)) as ExtractState;
  } catch (error) {
    throw new TunelakeError(
      'STORAGE_FAILED',
      `The extract state ${store.uri(EXTRACT_STATE_KEY)} is not valid JSON. It is rebuilt from the run manifests ` +
        `if you delete it.`,
      { cause: error },
    );
  }
  return { state: { ...emptyState(), ...parsed }, etag: found.etag };
}

/** Writes the state with compare-and-swap; a lost race means another run committed meanwhile. */
export async function commitState(
  store: ObjectStore,
  state: ExtractState,
  etag: string | undefined,
): Promise<string> {
  try {
    const body = JSON.stringify(state);
    const result = await store.put(
      EXTRACT_STATE_KEY,
      body,
      etag === undefined
        ? { ifNoneMatch: '*', contentType: 'application/json' }
        : { ifMatch: etag, contentType: 'application/json' },
    );
    return result.etag;
  } catch (error) {
    if (isTunelakeError(error, 'STORAGE_CONFLICT')) {
      throw new TunelakeError(
        'RUN_IN_PROGRESS',
        'Another run committed the extract state while this one was running; this run stops without committing. ' +
          'Run again when the other run has finished.',
        { cause: error },
      );
    }
    throw error;
  }
}
