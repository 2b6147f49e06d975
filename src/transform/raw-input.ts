// The raw zone as one DuckDB table, `raw(dataset, dt, run_id, fetched_at, context, data, ctx)`, read
// from the objects that committed runs' manifests list (objects of runs without a manifest are never
// read).
//
// DuckDB reads local files directly. It cannot read S3 here (no httpfs offline), so on S3 the objects
// are downloaded to a temp folder first, under their own keys, so that both paths look the same.
// The lines are read as Athena would read them: newline-delimited JSON with explicit columns. `data`
// stays JSON text (objects.sql parses it with from_json, where a new, missing or retyped field never
// fails) and is what the quarantine shows of a failing record.
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { TunelakeError } from '../errors.js';
import type { RunManifest } from '../extract/manifest.js';
import { parseRawKey } from '../lake.js';
import type { DuckDb } from '../query/duckdb.js';
import { sqlString } from '../query/duckdb.js';
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
      await mkdir(dirname(paths[i]!), { recursive: true });
      await pipeline(stream, createWriteStream(paths[i]!));
    }
  };
  await Promise.all(Array.from({ length: Math.min(DOWNLOAD_CONCURRENCY, keys.length) }, worker));
  if (missing.length > 0) throw missingObjects(store, missing.sort());
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

/**
 * Creates `raw(dataset, dt, run_id, fetched_at, context, data, ctx)` from the staged files (empty when
 * there are none): `data` and `context` as the JSON text that landed, `ctx` the context parsed.
 */
export async function loadRaw(db: DuckDb, paths: readonly string[]): Promise<void> {
  if (paths.length === 0) {
    await db.run(`
      CREATE OR REPLACE TABLE raw AS
      SELECT NULL::VARCHAR AS dataset, NULL::VARCHAR AS dt, NULL::VARCHAR AS run_id, NULL::TIMESTAMP AS fetched_at,
        j AS context, j AS data, from_json(j, context_shape()) AS ctx
      FROM (SELECT '{}'::JSON AS j) WHERE false
    `);
    return;
  }
  // The dataset, ingestion date and run come from the key (raw/<dataset>/dt=<dt>/run=<runId>/<part>),
  // matched at the end of the path so that the lake's own folder names cannot interfere.
  const keyPattern = sqlString('/raw/([a-z_]+)/dt=([0-9]{4}-[0-9]{2}-[0-9]{2})/run=([^/]+)/[^/]+$');
  const load = db.run(`
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
      FROM read_json([${paths.map(sqlString).join(', ')}],
        columns = {context: 'JSON', data: 'JSON'},
        format = 'newline_delimited',
        compression = 'gzip',
        filename = true)
    )
  `);
  try {
    await load;
  } catch (error) {
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
