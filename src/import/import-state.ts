// What the streaming-history import keeps besides the raw zone:
// - state/streaming-history.json: the lake's salt for --keep-pseudonymous, created once (create-only,
//   so two imports racing on a new lake agree on one salt);
// - state/streaming-history/<runId>.keys.gz: the stream keys an import run landed, one a line;
// - state/streaming-history/<runId>.tracks.json: the track ids its streams refer to (for enrichment).
// Both index files are written before the run's manifest and read only for runs that have one, so a
// crashed import leaves nothing that counts.
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { createGunzip, gzipSync } from 'node:zlib';
import { isTunelakeError, TunelakeError } from '../errors.js';
import { IMPORT_INDEX_PREFIX, IMPORT_STATE_KEY } from '../lake.js';
import type { ObjectStore } from '../storage/store.js';

interface ImportState {
  version: 1;
  /** base64, 32 random bytes. */
  salt: string;
  createdAt: string;
}

/** The lake's pseudonymisation salt, created on first use. */
export async function lakeSalt(
  store: ObjectStore,
  deps: { now?: () => Date; randomBytes?: (n: number) => Buffer } = {},
): Promise<Buffer> {
  const existing = await readImportState(store);
  if (existing) return Buffer.from(existing.salt, 'base64');
  const state: ImportState = {
    version: 1,
    salt: (deps.randomBytes ?? randomBytes)(32).toString('base64'),
    createdAt: (deps.now ?? (() => new Date()))().toISOString(),
  };
  try {
    await store.put(IMPORT_STATE_KEY, JSON.stringify(state, null, 1), {
      ifNoneMatch: '*',
      contentType: 'application/json',
    });
    return Buffer.from(state.salt, 'base64');
  } catch (error) {
    if (!isTunelakeError(error, 'STORAGE_CONFLICT')) throw error;
    const raced = await readImportState(store);
    if (!raced) throw error;
    return Buffer.from(raced.salt, 'base64');
  }
}

async function readImportState(store: ObjectStore): Promise<ImportState | undefined> {
  const text = await store.getText(IMPORT_STATE_KEY);
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as ImportState;
    if (typeof parsed.salt !== 'string' || parsed.salt.length < 16) throw new Error('no salt');
    return parsed;
  } catch (error) {
    throw new TunelakeError(
      'STORAGE_FAILED',
      `${store.uri(IMPORT_STATE_KEY)} is damaged (${(error as Error).message}). It holds the salt of the ` +
        'pseudonyms already in the lake: restore it from a backup; deleting it makes new pseudonyms differ from old ones.',
      { cause: error },
    );
  }
}

const keysKey = (runId: string) => `${IMPORT_INDEX_PREFIX}${runId}.keys.gz`;
const tracksKey = (runId: string) => `${IMPORT_INDEX_PREFIX}${runId}.tracks.json`;

/** Run ids that have index files, whatever their state. */
async function indexedRuns(store: ObjectStore, suffix: string): Promise<string[]> {
  const runs: string[] = [];
  for await (const info of store.list(IMPORT_INDEX_PREFIX)) {
    const name = info.key.slice(IMPORT_INDEX_PREFIX.length);
    if (name.endsWith(suffix)) runs.push(name.slice(0, -suffix.length));
  }
  return runs.sort();
}

/** Every stream key that committed imports landed. */
export async function landedStreamKeys(
  store: ObjectStore,
  committed: ReadonlySet<string>,
): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const runId of await indexedRuns(store, '.keys.gz')) {
    if (!committed.has(runId)) continue;
    const stream = await store.getStream(keysKey(runId));
    if (!stream) continue;
    const lines = createInterface({
      input: stream.pipe(createGunzip()),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    for await (const line of lines) if (line !== '') keys.add(line);
  }
  return keys;
}

/** Track ids the streams of committed imports refer to, sorted. */
export async function importedTrackIds(
  store: ObjectStore,
  committed: ReadonlySet<string>,
): Promise<string[]> {
  const ids = new Set<string>();
  for (const runId of await indexedRuns(store, '.tracks.json')) {
    if (!committed.has(runId)) continue;
    const text = await store.getText(tracksKey(runId));
    if (text) for (const id of JSON.parse(text) as string[]) ids.add(id);
  }
  return [...ids].sort();
}

export async function writeImportIndex(
  store: ObjectStore,
  runId: string,
  keys: readonly string[],
  trackIds: readonly string[],
): Promise<void> {
  await store.put(keysKey(runId), gzipSync(keys.length > 0 ? `${keys.join('\n')}\n` : ''), {
    ifNoneMatch: '*',
    contentType: 'text/plain',
  });
  await store.put(tracksKey(runId), JSON.stringify([...trackIds].sort()), {
    ifNoneMatch: '*',
    contentType: 'application/json',
  });
}
