// Every key the lake uses, in one place. The layout (see README "The lake"):
//
//   raw/<dataset>/dt=YYYY-MM-DD/run=<runId>/part-NNNNN.ndjson.gz   immutable API responses, one record per line
//   runs/<runId>.json                                              a run's manifest: written last, its commit point
//   state/extract.json                                             incremental state (cursors, snapshot ids), CAS-written
//   state/lock.json                                                the run lock (create-only, with a lease)
//   tables/<table>/...                                             typed Parquet tables (transform)
//   catalog/...                                                    the local Glue-compatible catalog
//   quarantine/raw/dt=YYYY-MM-DD/run=<runId>.json                  records a run did not land (too large), and why
//
// Raw datasets are partitioned by ingestion date (UTC), one dataset per prefix, so that a Glue
// crawler and Athena can read each as one table (docs/architecture.md, "The lake").

export const RAW_PREFIX = 'raw/';
export const RUNS_PREFIX = 'runs/';
export const STATE_PREFIX = 'state/';
export const TABLES_PREFIX = 'tables/';
export const CATALOG_PREFIX = 'catalog/';
export const QUARANTINE_PREFIX = 'quarantine/';

export const EXTRACT_STATE_KEY = `${STATE_PREFIX}extract.json`;
export const RUN_LOCK_KEY = `${STATE_PREFIX}lock.json`;
/** The streaming-history import's salt (for --keep-pseudonymous), created once per lake. */
export const IMPORT_STATE_KEY = `${STATE_PREFIX}streaming-history.json`;
/** Per import run: the stream keys it landed and the track ids it saw (read only once the run committed). */
export const IMPORT_INDEX_PREFIX = `${STATE_PREFIX}streaming-history/`;

/** The raw datasets extract writes; each is one table in the raw zone. */
export const RAW_DATASETS = [
  'playlists',
  'playlist_items',
  'artists',
  'artist_albums',
  'albums',
  'album_tracks',
  'tracks',
  'search_results',
  'recently_played',
  'top_items',
  'saved_tracks',
  'my_playlists',
  'me',
  // Not extracted from the API: landed by `tunelake import streaming-history` (src/import/).
  'streaming_history',
] as const;
export type RawDataset = (typeof RAW_DATASETS)[number];

const RUN_ID_RE = /^\d{8}T\d{6}Z-[0-9a-z]{6}$/;

/** Run ids sort in time order: `20261125T122800Z-a1b2c3`. */
export function newRunId(now: Date, random: () => number = Math.random): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  let suffix = '';
  for (let i = 0; i < 6; i++) suffix += '0123456789abcdefghijklmnopqrstuvwxyz'[Math.floor(random() * 36)];
  return `${stamp}-${suffix}`;
}

export function isRunId(value: string): boolean {
  return RUN_ID_RE.test(value);
}

export function utcDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function rawRunPrefix(dataset: RawDataset, dt: string, runId: string): string {
  return `${RAW_PREFIX}${dataset}/dt=${dt}/run=${runId}/`;
}

export function rawPartKey(dataset: RawDataset, dt: string, runId: string, part: number): string {
  return `${rawRunPrefix(dataset, dt, runId)}part-${String(part).padStart(5, '0')}.ndjson.gz`;
}

/** The records a run left out of the raw zone (over the record size limit), written before its manifest. */
export function rawQuarantineKey(dt: string, runId: string): string {
  return `${QUARANTINE_PREFIX}raw/dt=${dt}/run=${runId}.json`;
}

/** Parses `raw/<dataset>/dt=<dt>/run=<runId>/<file>`; undefined for anything else. */
export function parseRawKey(
  key: string,
): { dataset: string; dt: string; runId: string; file: string } | undefined {
  const m = /^raw\/([a-z_]+)\/dt=(\d{4}-\d{2}-\d{2})\/run=([^/]+)\/([^/]+)$/.exec(key);
  return m ? { dataset: m[1]!, dt: m[2]!, runId: m[3]!, file: m[4]! } : undefined;
}

/** The prefix of a typed table (`tables/<table>/`). */
export function tablePrefix(table: string): string {
  return `${TABLES_PREFIX}${table}/`;
}

/** The catalog Location of everything under `prefix`: `store.uri` of it, ending in '/'. */
export function prefixLocation(store: { uri(key: string): string }, prefix: string): string {
  return `${store.uri(prefix.replace(/\/+$/, ''))}/`;
}

export function manifestKey(runId: string): string {
  return `${RUNS_PREFIX}${runId}.json`;
}

export function runIdOfManifestKey(key: string): string | undefined {
  const m = /^runs\/([^/]+)\.json$/.exec(key);
  return m && isRunId(m[1]!) ? m[1] : undefined;
}
