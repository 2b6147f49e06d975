// The transform's marker, state/transform.json: which committed runs the tables include, and what
// the tables look like. It is written last, with compare-and-swap, after every table file is in
// place: a transform that dies earlier leaves the marker as it was, so the next transform redoes the
// same runs and, being deterministic, writes the same files.
import { isTunelakeError, TunelakeError } from '../errors.js';
import { STATE_PREFIX } from '../lake.js';
import type { ObjectStore } from '../storage/store.js';

export const TRANSFORM_STATE_KEY = `${STATE_PREFIX}transform.json`;

export interface ColumnInfo {
  name: string;
  /** Glue/Hive type string: string, bigint, int, double, boolean, date, timestamp, array<string>. */
  type: string;
}

export interface TableState {
  columns: ColumnInfo[];
  partitionKeys: ColumnInfo[];
  /** Every partition the table holds (values in partition-key order), sorted. */
  partitions: string[][];
  rowCount: number;
}

/**
 * What an incremental transform needs besides the new runs' raw objects (transform.ts): where each
 * table's carried rows are, and the bookkeeping that lets it write only some partitions.
 */
export interface CarryState {
  /** The ingestion date of every run the tables include: a new run's same-day runs are read again. */
  runDates: Record<string, string>;
  /** Per table with a carry stage (tables/*.sql): the key of its carried rows, under CARRY_PREFIX. */
  files: Record<string, string>;
  /** Per partitioned table: rows per partition value (its TableState.partitions and rowCount come from these). */
  partitionRows: Record<string, Record<string, number>>;
  /** Per table with an archive query (tables/*.sql): its archived rows, one file per transform that added some. */
  archive: Record<string, string[]>;
}

/** Carried rows: Parquet files named by their content, referenced from state/transform.json. */
export const CARRY_PREFIX = `${STATE_PREFIX}transform/`;

/**
 * A table file as the transform committed it (state/transform.json `files`): `verify` hashes the
 * object against `sha256`; `run` compares the listing's size and etag (one LIST, no download), so
 * a deleted or replaced partition is rebuilt instead of read (#17).
 */
export interface TableFileRecord {
  bytes: number;
  sha256: string;
  /** The store's etag right after the write (S3: md5, or `<hex>-<parts>` for a multipart upload). */
  etag: string;
  rows: number;
}

export interface TransformState {
  version: 1;
  /** Committed extract runs the tables include, sorted. */
  runs: string[];
  /** Hash of the transform's SQL and checks: a change rewrites every partition. */
  codeVersion: string;
  tables: Record<string, TableState>;
  /** Absent in a lake last transformed before the transform was incremental: the next one is full. */
  carry?: CarryState;
  /**
   * Every table file (tables/...) the tables are made of, by key, sorted. Absent in a lake last
   * transformed before checksums were recorded: the next transform is full, and records them.
   */
  files?: Record<string, TableFileRecord>;
}

export function emptyTransformState(): TransformState {
  return { version: 1, runs: [], codeVersion: '', tables: {} };
}

export async function loadTransformState(
  store: ObjectStore,
): Promise<{ state: TransformState; etag: string | undefined }> {
  const found = await store.get(TRANSFORM_STATE_KEY);
  if (!found) return { state: emptyTransformState(), etag: undefined };
  try {
    const parsed = JSON.parse(new TextDecoder().decode(found.body)) as Partial<TransformState>;
    return { state: { ...emptyTransformState(), ...parsed, version: 1 }, etag: found.etag };
  } catch (error) {
    throw new TunelakeError(
      'STORAGE_FAILED',
      `The transform state ${store.uri(TRANSFORM_STATE_KEY)} is not valid JSON. Delete it and run ` +
        '`tunelake transform` again to rebuild every table from the raw zone.',
      { cause: error },
    );
  }
}

/** Compare-and-swap: fails with RUN_IN_PROGRESS when another transform committed meanwhile. */
export async function commitTransformState(
  store: ObjectStore,
  state: TransformState,
  etag: string | undefined,
): Promise<void> {
  try {
    await store.put(
      TRANSFORM_STATE_KEY,
      `${JSON.stringify(state, null, 1)}\n`,
      etag === undefined
        ? { ifNoneMatch: '*', contentType: 'application/json' }
        : { ifMatch: etag, contentType: 'application/json' },
    );
  } catch (error) {
    if (isTunelakeError(error, 'STORAGE_CONFLICT')) {
      throw new TunelakeError(
        'RUN_IN_PROGRESS',
        'Another transform committed state/transform.json while this one was running; this one stops without ' +
          'committing. Run `tunelake transform` again.',
        { cause: error },
      );
    }
    throw error;
  }
}
