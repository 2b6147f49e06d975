// The raw zone in DuckDB, read from the objects that committed runs' manifests list (objects of runs
// without a manifest are never read).
//
// DuckDB reads local files directly. It cannot read S3 here (no httpfs offline), so on S3 the objects
// are downloaded to a temp folder first, under their own keys, so that both paths look the same.
// The lines are read as Athena would read them: newline-delimited JSON with explicit columns. The
// datasets the tables read most (playlist items, tracks, albums, ...) are parsed once, straight into
// the typed structs the tables need, without keeping their text: most of a transform's time used to be
// parsing every record twice. A value of an unexpected type fails that strict read; the dataset is
// then read as JSON text and parsed with from_json, where a new, missing or retyped field never
// fails. The quarantine shows a failing record's JSON text, read again from its file (quality.ts).
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { TunelakeError } from '../errors.js';
import type { RunManifest } from '../extract/manifest.js';
import { verifyRawObjects } from '../integrity/raw-objects.js';
import { parseRawKey } from '../lake.js';
import { type Logger, silentLogger } from '../log.js';
import type { DuckDb } from '../query/duckdb.js';
import { sqlIdentifier, sqlString } from '../query/sql-text.js';
import { makeDirs } from '../storage/make-dirs.js';
import type { ObjectStore } from '../storage/store.js';

const DOWNLOAD_CONCURRENCY = 8;

/** Local file paths of every raw object the manifests list, downloading them first when the lake is remote. */
export async function stageRawObjects(
  store: ObjectStore,
  manifests: readonly RunManifest[],
  tempDir: string,
): Promise<string[]> {
  const keys = manifests.flatMap((m) => m.objects.map((o) => o.key)).filter((key) => parseRawKey(key));
  keys.sort();
  if (store.localPath) {
    const paths = keys.map((key) => store.localPath!(key));
    const missing = keys.filter((_, i) => !existsSync(paths[i]!));
    if (missing.length > 0) throw missingObjects(store, missing);
    await verifyRawObjects(store, manifests, keys, paths);
    return paths;
  }
  const paths = keys.map((key) => join(tempDir, 'lake', ...key.split('/')));
  let next = 0;
  const missing: string[] = [];
  const worker = async () => {
    while (next < keys.length) {
      const i = next++;
      const stream = await store.getStream(keys[i]!);
      if (!stream) {
        missing.push(keys[i]!);
        continue;
      }
      await makeDirs(dirname(paths[i]!));
      await pipeline(stream, createWriteStream(paths[i]!));
    }
  };
  await Promise.all(Array.from({ length: Math.min(DOWNLOAD_CONCURRENCY, keys.length) }, worker));
  if (missing.length > 0) throw missingObjects(store, missing.sort());
  await verifyRawObjects(store, manifests, keys, paths);
  return paths;
}

function missingObjects(store: ObjectStore, keys: string[]): TunelakeError {
  return new TunelakeError(
    'STORAGE_NOT_FOUND',
    `${keys.length} raw object(s) listed by committed run manifests are missing, e.g. ${store.uri(keys[0]!)}. ` +
      'The raw zone is immutable: restore the objects, or remove the runs/<runId>.json of the runs they belong to.',
    { details: { keys: keys.slice(0, 20) } },
  );
}

/** Datasets read straight into typed structs (macros.sql: dataset_shape), one table `raw_<dataset>` each. */
export const TYPED_DATASETS = [
  'playlist_items',
  'recently_played',
  'saved_tracks',
  'tracks',
  'album_tracks',
  'albums',
  'artist_albums',
  'artists',
  'playlists',
  'my_playlists',
] as const;

// The dataset, ingestion date and run come from the key (raw/<dataset>/dt=<dt>/run=<runId>/<part>),
// matched at the end of the path so that the lake's own folder names cannot interfere.
const KEY_PATTERN = '/raw/([a-z_]+)/dt=([0-9]{4}-[0-9]{2}-[0-9]{2})/run=([^/]+)/[^/]+$';

const readOptions = (paths: readonly string[], columns: string) =>
  `[${paths.map(sqlString).join(', ')}], columns = ${columns}, format = 'newline_delimited', compression = 'gzip'`;

/** The JSON-text columns, as the lines landed (what the quarantine shows of a record). */
export const TEXT_COLUMNS = "{context: 'JSON', data: 'JSON'}";

/**
 * Loads the staged files into DuckDB:
 * - `raw_<dataset>(_file, dataset, dt, run_id, fetched_at, ctx, d)` for each of TYPED_DATASETS (empty
 *   when it has no files): `ctx` the context and `d` the data, parsed once into typed structs;
 * - `raw_streaming_history` for the imported streaming history (see loadStreamingHistory);
 * - `raw(dataset, dt, run_id, fetched_at, context, data, ctx)` for every other dataset, `data` and
 *   `context` as the JSON text that landed, `ctx` the context parsed;
 * - `raw_files(dataset, file_index, path)`: the files of each typed table and of raw_streaming_history,
 *   `_file` being file_index, so that the quarantine can read a failing record's text again (quality.ts).
 * Rows are inserted in file order, line order: a typed row's rowid minus its file's first rowid is its
 * line among the file's records.
 */
export async function loadRaw(
  db: DuckDb,
  paths: readonly string[],
  logger: Logger = silentLogger,
): Promise<void> {
  const typed = new Map<string, string[]>(TYPED_DATASETS.map((d) => [d, []]));
  const streams: string[] = [];
  const generic: string[] = [];
  const pattern = new RegExp(KEY_PATTERN);
  for (const path of paths) {
    const dataset = pattern.exec(path)?.[1] ?? '';
    const files = typed.get(dataset);
    if (files) files.push(path);
    else if (dataset === STREAMING_HISTORY) streams.push(path);
    else generic.push(path);
  }
  const [setting] = await db.all("SELECT current_setting('preserve_insertion_order') AS v");
  await db.run('SET preserve_insertion_order = true');
  try {
    const types = await structTypes(db);
    // The bookkeeping of every dataset in one statement: a small day's load is mostly statements.
    await db.run(`
      CREATE OR REPLACE TABLE raw_files (dataset VARCHAR, file_index INTEGER, path VARCHAR);
      ${[...typed, [STREAMING_HISTORY, streams] as const].map(([dataset, files]) => registerFiles(dataset, files)).join('\n')}
      ${[...typed]
        .filter(([, files]) => files.length === 0)
        .map(([dataset]) => emptyTyped(dataset, types))
        .join('\n')}
    `);
    for (const [dataset, files] of typed) {
      if (files.length > 0) await loadTyped(db, dataset, files, types, logger);
    }
    await loadStreamingHistory(db, streams);
    await loadGeneric(db, generic);
  } finally {
    await db.run(`SET preserve_insertion_order = ${setting?.v === true ? 'true' : 'false'}`);
  }
}

/** `raw_<dataset>` of a dataset without files (most datasets on most days): typed by DDL, no read planned. */
function emptyTyped(dataset: string, types: StructTypes): string {
  return `CREATE OR REPLACE TABLE ${sqlIdentifier(`raw_${dataset}`)} (_file INTEGER, dataset VARCHAR, dt VARCHAR,
    run_id VARCHAR, fetched_at TIMESTAMP, ctx ${types.context}, d ${types.datasets.get(dataset)!.type});`;
}

async function loadTyped(
  db: DuckDb,
  dataset: string,
  paths: string[],
  types: StructTypes,
  logger: Logger,
): Promise<void> {
  const table = sqlIdentifier(`raw_${dataset}`);
  const contextType = types.context;
  const { shape: shapeText, type: dataType } = types.datasets.get(dataset)!;
  const shape = sqlString(shapeText);
  const values = (group: number) => keyPart(paths, group);
  const select = (source: string) => `
    CREATE OR REPLACE TABLE ${table} AS
    SELECT _file, dataset, dt, run_id, coalesce(utc_ts(ctx.fetched_at), CAST(dt AS TIMESTAMP)) AS fetched_at, ctx, d
    FROM (
      SELECT CAST(file_index AS INTEGER) AS _file, ${sqlString(dataset)} AS dataset, ${values(2)} AS dt,
        ${values(3)} AS run_id, ${source}
    )`;
  try {
    // One parse, straight into the typed columns (as the benchmark's floor reads). Strict: a value of
    // another type fails the read...
    const narrow = dataset === 'playlist_items' ? types.narrowPlaylistItems : undefined;
    const readType = narrow?.readType ?? dataType;
    const columns = `{context: ${sqlString(contextType)}, data: ${sqlString(readType)}}`;
    await db.run(
      select(`context AS ctx, ${narrow?.data ?? 'data'} AS d FROM read_json(${readOptions(paths, columns)})`),
    );
  } catch (error) {
    logger.debug('transform: reading a dataset as JSON text (a value of an unexpected type)', {
      dataset,
      reason: (error as Error).message.slice(0, 300),
    });
    // ...and then the dataset is read as text and parsed with from_json, where such a value becomes
    // NULL (schema drift); only a line that is not JSON fails there.
    await readOrFail(
      db,
      select(
        `from_json(context, context_shape()) AS ctx, from_json(data, ${shape}) AS d FROM read_json(${readOptions(paths, TEXT_COLUMNS)})`,
      ),
    );
  }
}

/** The struct types the typed reads use, all fixed by macros.sql. */
interface StructTypes {
  /** The context's struct type. */
  context: string;
  /** Per typed dataset: its shape (from_json's structure) and the struct type it gives. */
  datasets: Map<string, { shape: string; type: string }>;
  /** How playlist items are read fast (narrowPlaylistItems). */
  narrowPlaylistItems: { readType: string; data: string };
}

// Worked out once per process (a demo or a schedule transforms many times), not once per transform,
// and in one statement: probing dataset by dataset was two dozen statements of a small day's load.
const TYPES = new Map<string, StructTypes>();

async function structTypes(db: DuckDb): Promise<StructTypes> {
  const key = macrosHash();
  const cached = TYPES.get(key);
  if (cached !== undefined) return cached;
  const [row] = await db.all(`
    SELECT typeof(from_json('{}', context_shape())) AS context,
      ${TYPED_DATASETS.map(
        (d, i) =>
          `dataset_shape(${sqlString(d)}) AS s${i}, typeof(from_json('{}', dataset_shape(${sqlString(d)}))) AS t${i}`,
      ).join(',\n      ')},
      typeof(from_json('{}', '{"added_at": "VARCHAR", "added_by": {"id": "VARCHAR"}, "is_local": "BOOLEAN", "item": '
        || playable_shape() || ', "track": {"id": "VARCHAR"}}')) AS narrow_read,
      typeof(from_json('{}', playable_shape())) AS playable
  `);
  const types: StructTypes = {
    context: String(row?.context),
    datasets: new Map(
      TYPED_DATASETS.map((d, i) => [d, { shape: String(row?.[`s${i}`]), type: String(row?.[`t${i}`]) }]),
    ),
    narrowPlaylistItems: narrowPlaylistItems(String(row?.narrow_read), String(row?.playable)),
  };
  TYPES.set(key, types);
  return types;
}

let macrosDigest: string | undefined;
function macrosHash(): string {
  // Read here, not through tables.ts: that module imports this one (through quality.ts).
  macrosDigest ??= createHash('sha256')
    .update(readFileSync(new URL('./macros.sql', import.meta.url)))
    .digest('hex');
  return macrosDigest;
}

/**
 * Playlist items carry their item twice: `item` and its deprecated alias `track`, which objects.sql
 * reads only when `item` is missing (and which then is the same object). Converting `track` into a
 * struct too would be a third of the read's work for nothing, so only whether it is there is read;
 * `d.track` becomes NULL. A record with a `track` but no `item` (the older API) fails the fast read,
 * so the dataset is read through from_json instead, `track` whole.
 */
function narrowPlaylistItems(readType: string, playableType: string): { readType: string; data: string } {
  const data = `struct_pack(added_at := data.added_at, added_by := data.added_by, is_local := data.is_local,
    item := data.item,
    track := CAST(CASE WHEN data.item IS NULL AND data.track IS NOT NULL
      THEN error('a playlist item without item but with track') END AS ${playableType}))`;
  return { readType, data };
}

// The file's ingestion date (group 2) or run id (group 3), from its key, for a row of read_json(paths).
const keyPart = (paths: readonly string[], group: number) =>
  `[${paths.map((p) => sqlString(new RegExp(KEY_PATTERN).exec(p)?.[group] ?? '')).join(', ')}][CAST(file_index AS BIGINT) + 1]`;

/** The statement listing a table's files in raw_files, in read order: `_file` is the index there. */
function registerFiles(dataset: string, paths: readonly string[]): string {
  if (paths.length === 0) return '';
  const list = `[${paths.map(sqlString).join(', ')}]`;
  return `INSERT INTO raw_files SELECT ${sqlString(dataset)}, i - 1, p FROM (SELECT unnest(${list}) AS p, generate_subscripts(${list}, 1) AS i);`;
}

const STREAMING_HISTORY = 'streaming_history';

/**
 * The imported streaming history -> `raw_streaming_history(_file, dataset, dt, run_id, fetched_at,
 * stream_key, format, source_file, source_index, s, _is_stream, _shape, extra_fields)`, one row per
 * line in file order (like the typed tables, so the quarantine finds a record's text by its line).
 * Its records cannot be read into a struct by read_json: the streams table needs to know which fields
 * a record has (ts present but null is still the extended format) and to keep the unknown ones
 * (extra_fields). So each line is read as text and everything the table needs is derived from it in
 * the same statement; the text itself is not kept. Keeping it (as `raw` does) held the whole export
 * in DuckDB's memory: a 1M-stream transform peaked at 4 GB.
 */
async function loadStreamingHistory(db: DuckDb, paths: string[]): Promise<void> {
  const source =
    paths.length === 0
      ? `(SELECT NULL::BIGINT AS file_index, NULL::VARCHAR AS dt, NULL::VARCHAR AS run_id, NULL::JSON AS context,
          NULL::JSON AS data WHERE false)`
      : `(SELECT file_index, ${keyPart(paths, 2)} AS dt, ${keyPart(paths, 3)} AS run_id, context, data
          FROM read_json(${readOptions(paths, TEXT_COLUMNS)}))`;
  await readOrFail(
    db,
    `
    CREATE OR REPLACE TABLE raw_streaming_history AS
    SELECT
      _file, dataset, dt, run_id, coalesce(utc_ts(ctx.fetched_at), CAST(dt AS TIMESTAMP)) AS fetched_at,
      stream_key, format, source_file, source_index,
      from_json(record, stream_shape()) AS s,
      record IS NOT NULL AND (json_exists(record, '$.ts') OR json_exists(record, '$.endTime')) AS _is_stream,
      CASE WHEN json_exists(record, '$.ts') THEN 'extended' ELSE 'account' END AS _shape,
      stream_extra_fields(record) AS extra_fields
    FROM (
      SELECT
        CAST(file_index AS INTEGER) AS _file, ${sqlString(STREAMING_HISTORY)} AS dataset, dt, run_id,
        from_json(context, context_shape()) AS ctx,
        json_extract_string(context, '$.stream_key') AS stream_key,
        json_extract_string(context, '$.format') AS format,
        json_extract_string(context, '$.file') AS source_file,
        TRY_CAST(json_extract(context, '$.index') AS BIGINT) AS source_index,
        CASE WHEN json_type(data) = 'OBJECT' THEN data END AS record
      FROM ${source}
    )
  `,
  );
}

async function loadGeneric(db: DuckDb, paths: string[]): Promise<void> {
  if (paths.length === 0) {
    await db.run(`
      CREATE OR REPLACE TABLE raw AS
      SELECT NULL::VARCHAR AS dataset, NULL::VARCHAR AS dt, NULL::VARCHAR AS run_id, NULL::TIMESTAMP AS fetched_at,
        j AS context, j AS data, from_json(j, context_shape()) AS ctx
      FROM (SELECT '{}'::JSON AS j) WHERE false
    `);
    return;
  }
  const keyPattern = sqlString(KEY_PATTERN);
  await readOrFail(
    db,
    `
    CREATE OR REPLACE TABLE raw AS
    SELECT
      dataset, dt, run_id,
      coalesce(utc_ts(ctx.fetched_at), CAST(dt AS TIMESTAMP)) AS fetched_at,
      context, data, ctx
    FROM (
      SELECT
        regexp_extract(filename, ${keyPattern}, 1) AS dataset,
        regexp_extract(filename, ${keyPattern}, 2) AS dt,
        regexp_extract(filename, ${keyPattern}, 3) AS run_id,
        context,
        data,
        from_json(context, context_shape()) AS ctx
      FROM read_json(${readOptions(paths, TEXT_COLUMNS)}, filename = true)
    )
  `,
  );
}

/** Runs a statement that reads raw objects; a failure is a damaged raw zone. */
export async function readOrFail(db: DuckDb, sql: string): Promise<void> {
  try {
    await db.run(sql);
  } catch (error) {
    const message = (error as Error).message;
    // Not damage: a raw zone too big for the memory limit (a full rebuild of a big lake at the 256MB default).
    if (/Out of Memory Error/.test(message)) {
      throw new TunelakeError(
        'CONFIG_INVALID',
        `DuckDB ran out of memory while reading the raw zone: ${message.replace(/^DuckDB could not run: /, '').split('\n')[0]} ` +
          'A full rebuild reads the whole raw zone (the first transform, --full, a changed SQL, a late run). ' +
          'Raise the memory limit for it, e.g. `TUNELAKE_DUCKDB_MEMORY_LIMIT=2GB tunelake transform --full` (docs/incremental.md, "Memory").',
        { cause: error },
      );
    }
    // One record larger than DuckDB reads (maximum_object_size, 16 MiB): not damage, and the same on
    // every run until the run is left out. Extract now quarantines such records (TUNELAKE_MAX_RECORD_BYTES,
    // at most 16000000), so only a lake landed before #17 can hold one.
    const tooLarge = /"maximum_object_size" of (\d+) bytes exceeded while reading file "([^"]+)"/.exec(
      message,
    );
    if (tooLarge) {
      const file = tooLarge[2]!;
      const runId = new RegExp(KEY_PATTERN).exec(file)?.[3];
      throw new TunelakeError(
        'STORAGE_FAILED',
        `The raw object ${file} holds a record larger than the transform reads (${tooLarge[1]} bytes per record): ` +
          'it was landed by a tunelake from before the record size limit, which now quarantines such records ' +
          '(TUNELAKE_MAX_RECORD_BYTES). The object is not damaged, but no transform can read it: leave its run out ' +
          `by moving runs/${runId ?? '<runId>'}.json out of the lake (the run's other records go with it), then run ` +
          '`tunelake transform --full`.',
        { cause: error, details: { file, runId } },
      );
    }
    // Extract writes one JSON object per line; anything else is damage, not a schema change.
    throw new TunelakeError(
      'STORAGE_FAILED',
      `The raw zone could not be read as newline-delimited JSON: ${(error as Error).message.replace(/^DuckDB could not run: /, '')} ` +
        'Raw objects are immutable and written by extract: restore the damaged object, or remove the ' +
        'runs/<runId>.json manifest of its run to leave that run out.',
      { cause: error },
    );
  }
}
