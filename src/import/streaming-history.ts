// importStreamingHistory(): a Spotify streaming-history export -> the raw zone's `streaming_history`
// dataset, as one committed run, like an extract run (the caller holds the run lock): recovery of crashed runs, a
// pending marker, create-only raw parts (one stream a line, with the file and record index it came
// from), the import's key index, the manifest (the commit point), the state copy, the marker's removal.
//
// Idempotent: every stream has a key (stream-record.ts: when it ended, what played, for how long).
// Keys of streams already landed by committed imports are skipped, so importing the same export twice,
// or a newer export that overlaps an older one, lands each stream once. An import that lands nothing
// new commits nothing. The transform deduplicates on the same key as well (tables/streams.sql).
//
// Memory stays bounded by the number of distinct streams (their 16-character keys), never by the size
// of a file: the JSON arrays are parsed as streams (stream-json), one record at a time.
import type { Readable } from 'node:stream';
import streamArray from 'stream-json/streamers/stream-array.js';
import { isTunelakeError, TunelakeError } from '../errors.js';
import {
  committedRunIds,
  markPending,
  pendingKey,
  type RecoveryInfo,
  type RunManifest,
  recover,
  writeManifest,
} from '../extract/manifest.js';
import { createRawWriter } from '../extract/raw-writer.js';
import { commitState, loadState } from '../extract/state.js';
import { newRunId, utcDate } from '../lake.js';
import { type Logger, silentLogger } from '../log.js';
import type { ObjectStore } from '../storage/store.js';
import { type ExportFormat, exportFiles } from './export-files.js';
import { importedTrackIds, lakeSalt, landedStreamKeys, writeImportIndex } from './import-state.js';
import { type Privacy, prepareRecord } from './stream-record.js';

export const STREAMING_HISTORY_DATASET = 'streaming_history';

export interface ImportOptions {
  /** Keep the personal fields as keyed hashes (per-lake salt) instead of dropping them. */
  keepPseudonymous?: boolean;
}

export interface ImportProgress {
  file: string;
  /** Records read so far in this file. */
  records: number;
  /** Records read so far in the whole import. */
  total: number;
}

export interface ImportDeps {
  now?: () => Date;
  random?: () => number;
  logger?: Logger;
  onProgress?: (event: ImportProgress) => void;
  /** Progress every this many records (default 10 000). */
  progressEvery?: number;
  runId?: string;
  /** Records per raw part (default 20 000: about 10 MB of JSON held before each part is written). */
  maxRecordsPerPart?: number;
  randomBytes?: (n: number) => Buffer;
}

export interface ImportFileInfo {
  name: string;
  format: ExportFormat;
  records: number;
  new: number;
  duplicates: number;
  /** New records the transform will quarantine (see `problems`). */
  quarantined: number;
}

export interface ImportInfo {
  /** The committed run; undefined when the export held nothing new (nothing was written). */
  runId: string | undefined;
  dt: string;
  files: ImportFileInfo[];
  /** Files of the zips and folders that are not streaming history (not read). */
  ignored: string[];
  records: number;
  new: number;
  duplicates: number;
  quarantined: number;
  /** The first quarantined records: file, 0-based index in its array, reason. */
  problems: Array<{ file: string; index: number; problem: string }>;
  /** Distinct track ids in the new streams: the next `run` fetches those the lake lacks. */
  trackIds: number;
  pseudonymous: boolean;
  recovery: RecoveryInfo;
  durationMs: number;
}

const MAX_PROBLEMS = 20;

export async function importStreamingHistory(
  runtime: { store: ObjectStore; logger?: Logger },
  inputs: readonly string[],
  options: ImportOptions = {},
  deps: ImportDeps = {},
): Promise<ImportInfo> {
  const { store } = runtime;
  const now = deps.now ?? (() => new Date());
  const logger = deps.logger ?? runtime.logger ?? silentLogger;
  const progress = deps.onProgress ?? (() => {});
  const every = deps.progressEvery ?? 10_000;
  const started = now();
  const startedMs = performance.now();
  const runId = deps.runId ?? newRunId(started, deps.random);
  const dt = utcDate(started);
  const { files, ignored } = exportFiles(inputs);

  const recovery = await recover(store);
  const committed = new Set(await committedRunIds(store));
  const landed = await landedStreamKeys(store, committed);
  const privacy: Privacy = options.keepPseudonymous
    ? { mode: 'pseudonymise', salt: await lakeSalt(store, { now, randomBytes: deps.randomBytes }) }
    : { mode: 'drop' };

  await markPending(store, { runId, dt, startedAt: started.toISOString() });
  const writer = createRawWriter(
    store,
    { runId, dt },
    { maxRecordsPerPart: deps.maxRecordsPerPart ?? 20_000 },
  );
  const info: ImportInfo = {
    runId: undefined,
    dt,
    files: [],
    ignored,
    records: 0,
    new: 0,
    duplicates: 0,
    quarantined: 0,
    problems: [],
    trackIds: 0,
    pseudonymous: privacy.mode === 'pseudonymise',
    recovery,
    durationMs: 0,
  };
  const newKeys: string[] = [];
  const trackIds = new Set<string>();
  const fetchedAt = started.toISOString();
  try {
    for await (const file of files) {
      const stats: ImportFileInfo = {
        name: file.name,
        format: file.format ?? 'extended',
        records: 0,
        new: 0,
        duplicates: 0,
        quarantined: 0,
      };
      info.files.push(stats);
      for await (const { index, value } of readArray(await file.open(), file.name)) {
        const record = prepareRecord(value, file.format ?? 'extended', privacy);
        if (index === 0) {
          stats.format = record.format;
          // A JSON file named by hand, whose name says nothing, must at least start like an export.
          if (file.format === undefined && record.problem?.startsWith('not a streaming-history record')) {
            throw notAnExport(file.name);
          }
        }
        stats.records++;
        info.records++;
        if (info.records % every === 0)
          progress({ file: file.name, records: stats.records, total: info.records });
        if (landed.has(record.key)) {
          stats.duplicates++;
          continue;
        }
        landed.add(record.key);
        newKeys.push(record.key);
        stats.new++;
        if (record.problem) {
          stats.quarantined++;
          if (info.problems.length < MAX_PROBLEMS) {
            info.problems.push({ file: file.name, index, problem: record.problem });
          }
        }
        if (record.trackId) trackIds.add(record.trackId);
        await writer.append(
          STREAMING_HISTORY_DATASET,
          {
            source: 'import:streaming_history',
            request: file.name,
            fetched_at: fetchedAt,
            file: file.name,
            index,
            format: record.format,
            stream_key: record.key,
          },
          record.data,
        );
      }
      progress({ file: file.name, records: stats.records, total: info.records });
      info.new += stats.new;
      info.duplicates += stats.duplicates;
      info.quarantined += stats.quarantined;
    }
    if (info.files.length === 0) {
      throw new TunelakeError(
        'INVALID_ARGUMENT',
        `No streaming-history file in ${inputs.map((i) => `"${i}"`).join(', ')}: expected ` +
          'Streaming_History_Audio_*.json (extended export), StreamingHistory_music_*.json (account data) or endsong_*.json' +
          (ignored.length > 0
            ? `; found only ${ignored.slice(0, 5).join(', ')}${ignored.length > 5 ? ', ...' : ''}`
            : '') +
          '.',
      );
    }
    await writer.flush();
  } catch (error) {
    // Nothing of a failed import may count: remove what it wrote (recover() would, on the next run).
    await store.deleteMany(writer.objects.map((o) => o.key)).catch(() => {});
    await store.delete(pendingKey(runId)).catch(() => {});
    throw error;
  }

  info.trackIds = trackIds.size;
  if (newKeys.length === 0) {
    await store.delete(pendingKey(runId));
    info.durationMs = Math.round(performance.now() - startedMs);
    return info;
  }
  // The enrichment reads the union over imports; only this import's ids need writing.
  const known = new Set(await importedTrackIds(store, committed));
  await writeImportIndex(
    store,
    runId,
    newKeys,
    [...trackIds].filter((id) => !known.has(id)),
  );
  const { state, etag } = await loadState(store);
  const stateAfter = {
    ...state,
    lastRunId: state.lastRunId !== null && state.lastRunId > runId ? state.lastRunId : runId,
  };
  const manifest: RunManifest & { import: Record<string, unknown> } = {
    runId,
    status: 'committed',
    dt,
    startedAt: started.toISOString(),
    finishedAt: now().toISOString(),
    tier: 'import',
    sources: { playlists: 0, artists: 0, search: 0, me: [] },
    records: writer.counts(),
    requests: 0,
    retries: 0,
    skipped: [],
    errors: [],
    objects: [...writer.objects].sort((a, b) => a.key.localeCompare(b.key)),
    stateAfter,
    import: {
      kind: STREAMING_HISTORY_DATASET,
      files: info.files,
      duplicates: info.duplicates,
      quarantined: info.quarantined,
      pseudonymous: info.pseudonymous,
    },
  };
  await writeManifest(store, manifest);
  await commitState(store, stateAfter, etag);
  await store.delete(pendingKey(runId));
  info.runId = runId;
  info.durationMs = Math.round(performance.now() - startedMs);
  logger.info('import: streaming history landed', { runId, new: info.new, duplicates: info.duplicates });
  return info;
}

/** The elements of the file's top-level JSON array, one at a time, with their index. */
async function* readArray(source: Readable, name: string): AsyncGenerator<{ index: number; value: unknown }> {
  const parser = streamArray.withParserAsStream();
  source.on('error', (error) => parser.destroy(error));
  source.pipe(parser);
  try {
    for await (const item of parser as AsyncIterable<{ key: number; value: unknown }>) {
      yield { index: item.key, value: item.value };
    }
  } catch (error) {
    if (isTunelakeError(error)) throw error;
    const message = (error as Error).message;
    if (/top-level|array/i.test(message)) throw notAnExport(name, error);
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Cannot read "${name}": ${message}. The file is truncated or not JSON: download the export again, or leave ` +
        'this file out. Nothing was imported.',
      { cause: error },
    );
  } finally {
    source.destroy();
    parser.destroy();
  }
}

function notAnExport(name: string, cause?: unknown): TunelakeError {
  return new TunelakeError(
    'INVALID_ARGUMENT',
    `"${name}" is not a Spotify streaming-history file: expected a JSON array of streams with "ts" ` +
      '(Streaming_History_Audio_*.json) or "endTime" (StreamingHistory_music_*.json). Nothing was imported.',
    { cause },
  );
}
