// Run manifests (the commit point of an extract run) and recovery from crashed runs.
//
// A run first writes runs/<runId>.pending (create-only), then its raw objects, then
// runs/<runId>.json (create-only) with everything it landed and the state it ends with, then the
// state copy, and finally deletes the pending marker. Later stages read only runs that have a
// manifest. recover() finishes what a crashed run left: objects of a run with a pending marker and
// no manifest are deleted (the next run fetches the same data again, since that run's state never
// committed), and a state copy that lags behind the newest manifest is rolled forward.
import { TunelakeError } from '../errors.js';
import { manifestKey, RAW_DATASETS, RUNS_PREFIX, rawRunPrefix, runIdOfManifestKey } from '../lake.js';
import type { ObjectStore } from '../storage/store.js';
import type { WrittenObject } from './raw-writer.js';
import { commitState, type ExtractState, loadState } from './state.js';

export interface SourceError {
  source: string;
  code: string;
  message: string;
}

/**
 * Where the enrichment of the imported history stands after a run: what `run` prints and the
 * dashboard shows ("N of M tracks fetched, K runs to go"), kept in the run's manifest.
 */
export interface ImportedTracksBacklog {
  /** Distinct tracks the imported history refers to. */
  tracks: number;
  /** Of those, the ones looked up (fetched, or known to be gone from Spotify). */
  fetched: number;
  /** Tracks looked up per run in this tier. */
  perRun: number;
  /** Runs still needed at that pace. */
  runsToGo: number;
}

export interface RunManifest {
  runId: string;
  status: 'committed';
  dt: string;
  startedAt: string;
  finishedAt: string;
  tier: string;
  sources: { playlists: number; artists: number; search: number; me: string[] };
  records: Record<string, number>;
  requests: number;
  retries: number;
  /** Playlists whose snapshot_id had not changed, so their items were not read again. */
  skipped: string[];
  errors: SourceError[];
  /** Records over the size limit, not landed: how many, and the object that lists them (#17). */
  quarantined?: { key: string; records: number };
  /** The imported streaming history's tracks fetched so far (absent without an import). */
  importedTracks?: ImportedTracksBacklog;
  objects: WrittenObject[];
  stateAfter: ExtractState;
}

interface PendingMarker {
  runId: string;
  dt: string;
  startedAt: string;
}

export function pendingKey(runId: string): string {
  return `${RUNS_PREFIX}${runId}.pending`;
}

export async function markPending(store: ObjectStore, marker: PendingMarker): Promise<void> {
  await store.put(pendingKey(marker.runId), JSON.stringify(marker), {
    ifNoneMatch: '*',
    contentType: 'application/json',
  });
}

export async function writeManifest(store: ObjectStore, manifest: RunManifest): Promise<void> {
  await store.put(manifestKey(manifest.runId), JSON.stringify(manifest), {
    ifNoneMatch: '*',
    contentType: 'application/json',
  });
}

export async function readManifest(store: ObjectStore, runId: string): Promise<RunManifest> {
  const text = await store.getText(manifestKey(runId));
  if (text === undefined) {
    throw new TunelakeError(
      'STORAGE_NOT_FOUND',
      `No manifest for run ${runId} at ${store.uri(manifestKey(runId))}.`,
    );
  }
  let manifest: RunManifest;
  try {
    manifest = JSON.parse(text) as RunManifest;
  } catch (error) {
    throw damagedManifest(store, runId, `it is not valid JSON (${(error as Error).message})`, error);
  }
  if (!manifest || typeof manifest !== 'object' || !Array.isArray(manifest.objects)) {
    throw damagedManifest(store, runId, 'it has no list of objects');
  }
  return manifest;
}

/** A committed manifest that cannot be read (#17: a truncated one gave exit 1 and a stack trace). */
function damagedManifest(store: ObjectStore, runId: string, what: string, cause?: unknown): TunelakeError {
  return new TunelakeError(
    'STORAGE_CORRUPT',
    `The run manifest ${store.uri(manifestKey(runId))} is damaged: ${what}. It is the commit record of run ` +
      `${runId}; restore it from a backup, or remove it to leave that run out and run \`tunelake transform --full\`.`,
    { cause, details: { key: manifestKey(runId) } },
  );
}

/** Run ids with a manifest, oldest first. */
export async function committedRunIds(store: ObjectStore): Promise<string[]> {
  const ids: string[] = [];
  for await (const info of store.list(RUNS_PREFIX)) {
    const id = runIdOfManifestKey(info.key);
    if (id) ids.push(id);
  }
  return ids.sort();
}

export interface RecoveryInfo {
  /** Runs that crashed before committing; their objects were removed. */
  abandonedRuns: string[];
  deletedObjects: number;
  /** Set when the state copy was behind the newest manifest and was rolled forward to it. */
  rolledForwardTo: string | undefined;
}

export async function recover(store: ObjectStore): Promise<RecoveryInfo> {
  const pending: string[] = [];
  const manifests = new Set<string>();
  for await (const info of store.list(RUNS_PREFIX)) {
    const m = /^runs\/([^/]+)\.pending$/.exec(info.key);
    if (m) pending.push(m[1]!);
    const id = runIdOfManifestKey(info.key);
    if (id) manifests.add(id);
  }

  const info: RecoveryInfo = { abandonedRuns: [], deletedObjects: 0, rolledForwardTo: undefined };
  for (const runId of pending) {
    if (!manifests.has(runId)) {
      const text = await store.getText(pendingKey(runId));
      const marker = text ? (JSON.parse(text) as PendingMarker) : undefined;
      if (marker) {
        for (const dataset of RAW_DATASETS) {
          const keys: string[] = [];
          for await (const obj of store.list(rawRunPrefix(dataset, marker.dt, runId))) keys.push(obj.key);
          await store.deleteMany(keys);
          info.deletedObjects += keys.length;
        }
      }
      info.abandonedRuns.push(runId);
    }
    await store.delete(pendingKey(runId));
  }

  const newest = [...manifests].sort().at(-1);
  if (newest) {
    const { state, etag } = await loadState(store);
    if (state.lastRunId === null || state.lastRunId < newest) {
      const manifest = await readManifest(store, newest);
      await commitState(store, manifest.stateAfter, etag);
      info.rolledForwardTo = newest;
    }
  }
  return info;
}
