// Data-quality checks and the quarantine. A check is a SQL predicate over a table's candidate rows
// (one per object found in the raw zone, before deduplication): rows that fail any check go to the `quarantine` table
// with the rule, a readable reason and the offending JSON object, and never reach the table. So a
// bad record neither fails the run nor disappears silently, and an older good record of the same
// entity can still win the deduplication. After a table is built, its natural key is checked for
// uniqueness; a duplicate there is a bug in the table's SQL, quarantined rather than written.
//
// Everything runs in DuckDB, set-based: no JavaScript touches a row.
import { TunelakeError } from '../errors.js';
import type { DuckDb } from '../query/duckdb.js';
import { sqlIdentifier, sqlString } from '../query/sql-text.js';
import { readOrFail, TEXT_COLUMNS } from './raw-input.js';

export interface Check {
  /** Machine name, unique within the table: `id_format`. */
  rule: string;
  /** Why a failing row is quarantined, for people: `id is not a 22-character base-62 Spotify id`. */
  description: string;
  /** SQL boolean over a candidate row; NULL counts as failing. */
  passes: string;
}

export interface CheckResult {
  table: string;
  rule: string;
  description: string;
  /**
   * Rows the rule looked at: the candidate rows from the runs this transform processed, or, for
   * `unique_key`, the rows of the built table.
   */
  checked: number;
  passed: number;
  quarantined: number;
}

// Not `_quarantine`: Hive and Athena treat names starting with '_' as hidden, and Glue table names may not start with one.
export const QUARANTINE_TABLE = 'quarantine';
export const UNIQUE_KEY_RULE = 'unique_key';

const idNotNull = (column: string): Check => ({
  rule: `${column}_not_null`,
  description: `${column} is missing`,
  passes: `${column} IS NOT NULL`,
});

/** A NULL passes: idNotNull reports it, once. */
const idFormat = (column: string): Check => ({
  rule: `${column}_format`,
  description: `${column} is not a 22-character base-62 Spotify id`,
  passes: `${column} IS NULL OR is_spotify_id(${column})`,
});

const popularityRange: Check = {
  rule: 'popularity_range',
  description: 'popularity is outside 0-100',
  passes: 'popularity IS NULL OR popularity BETWEEN 0 AND 100',
};

const durationPositive: Check = {
  rule: 'duration_positive',
  description: 'duration_ms is missing or not positive',
  passes: 'duration_ms > 0',
};

const followersNonNegative: Check = {
  rule: 'followers_non_negative',
  description: 'followers is negative',
  passes: 'followers IS NULL OR followers >= 0',
};

const artistIdsFormat: Check = {
  rule: 'artist_ids_format',
  description: 'an artist id is missing or not a Spotify id',
  passes: 'all_spotify_ids(artist_ids)',
};

/** The checks of every table that has a candidates stage, in the order they are reported. */
export const CHECKS: Record<string, Check[]> = {
  tracks: [
    idNotNull('id'),
    idFormat('id'),
    idFormat('album_id'),
    artistIdsFormat,
    durationPositive,
    popularityRange,
  ],
  albums: [idNotNull('id'), idFormat('id'), artistIdsFormat, popularityRange],
  artists: [idNotNull('id'), idFormat('id'), popularityRange, followersNonNegative],
  episodes: [idNotNull('id'), idFormat('id'), durationPositive],
  playlists: [idNotNull('id'), idFormat('id'), followersNonNegative],
  playlist_items: [
    idNotNull('playlist_id'),
    idFormat('playlist_id'),
    {
      rule: 'snapshot_id_not_null',
      description: 'snapshot_id is missing',
      passes: 'snapshot_id IS NOT NULL',
    },
    { rule: 'position_valid', description: 'position is missing or negative', passes: 'position >= 0' },
    {
      rule: 'track_id_format',
      description: 'a track item has no valid track id',
      passes: "item_type <> 'track' OR is_spotify_id(track_id)",
    },
    {
      rule: 'episode_id_format',
      description: 'an episode item has no valid episode id',
      passes: "item_type <> 'episode' OR is_spotify_id(episode_id)",
    },
    {
      rule: 'added_at_valid',
      description: 'added_at is not an ISO-8601 timestamp',
      passes: '_added_at_text IS NULL OR added_at IS NOT NULL',
    },
  ],
  plays: [
    {
      rule: 'played_at_valid',
      description: 'played_at is missing or not a timestamp',
      passes: 'played_at IS NOT NULL',
    },
    { rule: 'item_is_track', description: 'the played item is not a track', passes: "_item_type = 'track'" },
    {
      rule: 'track_id_format',
      description: 'track id is missing or not a Spotify id',
      passes: 'is_spotify_id(track_id)',
    },
  ],
  top_items: [
    {
      rule: 'kind_valid',
      description: "kind is not 'artists' or 'tracks'",
      passes: "kind IN ('artists', 'tracks')",
    },
    {
      rule: 'time_range_valid',
      description: 'time_range is not short_term, medium_term or long_term',
      passes: "time_range IN ('short_term', 'medium_term', 'long_term')",
    },
    { rule: 'rank_valid', description: 'rank is missing or below 1', passes: 'rank >= 1' },
    { rule: 'id_format', description: 'id is missing or not a Spotify id', passes: 'is_spotify_id(id)' },
  ],
};

/** The columns of the quarantine table (its partition column `dt` comes last). */
export const QUARANTINE_DDL = `CREATE OR REPLACE TABLE ${QUARANTINE_TABLE} (
  table_name VARCHAR,
  rule VARCHAR,
  reason VARCHAR,
  record VARCHAR,
  context VARCHAR,
  dataset VARCHAR,
  run_id VARCHAR,
  fetched_at TIMESTAMP,
  dt VARCHAR
)`;

/**
 * `<table>__candidates` -> `<table>__passed`, with every failing row appended to the quarantine.
 * Returns the checks' results, the rows quarantined (of the new runs) and the rows passed (of all).
 * Needs the raw tables (to fetch the offending object by row id and JSON path) and `new_runs`.
 * Usually no row fails: one scan counts the failing rows, and when there are none the candidates
 * table becomes the passed table as it is (a rename, no copy). Otherwise the candidates are scanned
 * twice more (passing rows, then failing ones); only failing rows get their list of failed rules built.
 */
export async function applyChecks(
  db: DuckDb,
  table: string,
  checks: readonly Check[],
): Promise<{ results: CheckResult[]; quarantined: number; passed: number }> {
  const candidates = sqlIdentifier(`${table}__candidates`);
  const failed = sqlIdentifier(`${table}__failed`);
  const passed = sqlIdentifier(`${table}__passed`);
  const passes = checks.map((c) => `coalesce((${c.passes}), false)`);
  const allPass = passes.join(' AND ');
  const failures = `list_filter([${checks
    .map((c, i) => `CASE WHEN ${passes[i]} THEN NULL ELSE ${sqlString(c.rule)} END`)
    .join(', ')}], r -> r IS NOT NULL)`;
  const reasonOf = `CASE r ${checks.map((c) => `WHEN ${sqlString(c.rule)} THEN ${sqlString(c.description)}`).join(' ')} END`;
  const [counts] = await db.all(`
    SELECT count(*) FILTER (WHERE _run_id IN (SELECT run_id FROM new_runs)) AS checked,
      count(*) FILTER (WHERE NOT (${allPass})) AS failing, count(*) AS total
    FROM ${candidates}
  `);
  const passedRows = Number(counts?.total ?? 0) - Number(counts?.failing ?? 0);
  const checked = Number(counts?.checked ?? 0);
  if (Number(counts?.failing ?? 0) === 0) {
    await db.run(`DROP TABLE IF EXISTS ${passed}; ALTER TABLE ${candidates} RENAME TO ${passed}`);
    const results = checks.map((c) => {
      const { rule, description } = c;
      return { table, rule, description, checked, passed: checked, quarantined: 0 };
    });
    return { results, quarantined: 0, passed: passedRows };
  }
  await db.run(`
    CREATE OR REPLACE TABLE ${passed} AS SELECT * FROM ${candidates} WHERE ${allPass};
    CREATE OR REPLACE TABLE ${failed} AS SELECT *, ${failures} AS _failed FROM ${candidates} WHERE NOT (${allPass});
  `);
  await stageRecordText(db, failed);
  await db.run(`
    INSERT INTO ${QUARANTINE_TABLE}
    SELECT ${sqlString(table)}, c._failed[1], array_to_string(list_transform(c._failed, r -> ${reasonOf}), '; '),
      CAST(json_extract(r.data, c._path) AS VARCHAR), CAST(r.context AS VARCHAR), c._dataset, c._run_id,
      c._fetched_at, c._dt
    FROM ${failed} c JOIN ${RECORD_TEXT} r ON r._dataset = c._dataset AND r._rid = c._rid;
    DROP TABLE ${RECORD_TEXT};
  `);

  const [row] = await db.all(`
    SELECT count(*) AS quarantined,
      ${checks.map((c, i) => `count(*) FILTER (WHERE list_contains(_failed, ${sqlString(c.rule)})) AS f${i}`).join(', ')}
    FROM ${failed} WHERE _run_id IN (SELECT run_id FROM new_runs)
  `);
  await db.run(`DROP TABLE ${failed}; DROP TABLE ${candidates}`);
  const results = checks.map((c, i) => {
    const n = Number(row?.[`f${i}`] ?? 0);
    return { table, rule: c.rule, description: c.description, checked, passed: checked - n, quarantined: n };
  });
  return { results, quarantined: Number(row?.quarantined ?? 0), passed: passedRows };
}

const RECORD_TEXT = 'quarantine__records';

/**
 * Creates RECORD_TEXT(_dataset, _rid, context, data): the JSON text of the raw records the failed rows
 * came from. The typed raw tables (raw-input.ts) keep no text: their failing records' files are read
 * again, as text, and matched by line (rows were loaded in file order, so a row's line is its rowid
 * minus its file's first rowid). The other datasets' text is in `raw`.
 */
async function stageRecordText(db: DuckDb, failed: string): Promise<void> {
  await db.run(
    `CREATE OR REPLACE TABLE ${RECORD_TEXT} (_dataset VARCHAR, _rid BIGINT, context JSON, data JSON)`,
  );
  const datasets = await db.all(`SELECT DISTINCT _dataset AS d FROM ${failed} ORDER BY d`);
  if (datasets.length === 0) return;
  // The datasets loaded into typed tables are those raw_files lists (there is none without raw-input.ts).
  const [files] = await db.all("SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'raw_files'");
  const typed = new Set(
    Number(files?.n) > 0
      ? (await db.all('SELECT DISTINCT dataset AS d FROM raw_files')).map((r) => String(r.d))
      : [],
  );
  for (const dataset of datasets.map((r) => String(r.d))) {
    const rids = `(SELECT _rid FROM ${failed} WHERE _dataset = ${sqlString(dataset)})`;
    if (!typed.has(dataset)) {
      await db.run(`
        INSERT INTO ${RECORD_TEXT}
        SELECT dataset, rowid, context, data FROM raw WHERE dataset = ${sqlString(dataset)} AND rowid IN ${rids}
      `);
      continue;
    }
    const source = sqlIdentifier(`raw_${dataset}`);
    const files = await db.all(`
      WITH wanted AS (SELECT DISTINCT _file FROM ${source} WHERE rowid IN ${rids})
      SELECT f.file_index, f.path, min(s.rowid) AS first, count(*) AS n
      FROM raw_files f JOIN ${source} s ON s._file = f.file_index
      WHERE f.dataset = ${sqlString(dataset)} AND f.file_index IN (SELECT _file FROM wanted)
      GROUP BY ALL ORDER BY f.file_index
    `);
    const [setting] = await db.all("SELECT current_setting('preserve_insertion_order') AS v");
    await db.run('SET preserve_insertion_order = true');
    try {
      await readOrFail(
        db,
        `CREATE OR REPLACE TABLE quarantine__lines AS
         SELECT CAST(file_index AS INTEGER) AS f, context, data
         FROM read_json([${files.map((r) => sqlString(String(r.path))).join(', ')}], columns = ${TEXT_COLUMNS},
           format = 'newline_delimited', compression = 'gzip')`,
      );
    } finally {
      await db.run(`SET preserve_insertion_order = ${setting?.v === true ? 'true' : 'false'}`);
    }
    // file i of this read is files[i]: its rows start at files[i].first in the typed table.
    const starts = `[${files.map((r) => String(r.first)).join(', ')}]`;
    const counts = `[${files.map((r) => String(r.n)).join(', ')}]`;
    const [check] = await db.all(`
      SELECT count(*) AS bad FROM (SELECT f, count(*) AS n FROM quarantine__lines GROUP BY f)
      WHERE n <> ${counts}[f + 1]
    `);
    if (Number(check?.bad ?? 0) > 0) {
      throw new TunelakeError(
        'INTERNAL',
        `The raw objects of ${dataset} read differently the second time; cannot show the quarantined records.`,
      );
    }
    await db.run(`
      INSERT INTO ${RECORD_TEXT}
      SELECT ${sqlString(dataset)}, _rid, context, data FROM (
        SELECT ${starts}[f + 1] + rowid - min(rowid) OVER (PARTITION BY f) AS _rid, context, data FROM quarantine__lines
      ) WHERE _rid IN ${rids};
      DROP TABLE quarantine__lines;
    `);
  }
}

/**
 * Keeps one row per key of a built table (the first in the order of its output columns) and
 * quarantines the others. `columns` are the table's output columns, partition column included.
 */
export async function applyUniqueKey(
  db: DuckDb,
  table: string,
  key: readonly string[],
  columns: readonly string[],
): Promise<CheckResult> {
  const t = sqlIdentifier(table);
  const ranked = sqlIdentifier(`${table}__ranked`);
  const keyList = key.map(sqlIdentifier).join(', ');
  const description = `duplicate key (${key.join(', ')})`;
  // Counting is cheap; ranking every row by all its columns is done only when there is a duplicate.
  const [row] = await db.all(
    `SELECT count(*) AS n, count(*) - count(DISTINCT (${keyList})) AS dups FROM ${t}`,
  );
  const checked = Number(row?.n ?? 0);
  const dups = Number(row?.dups ?? 0);
  if (dups > 0) {
    const order = columns.map(sqlIdentifier).join(', ');
    const record = `to_json(struct_pack(${columns.map((c) => `${sqlIdentifier(c)} := ${sqlIdentifier(c)}`).join(', ')}))`;
    await db.run(`
      CREATE OR REPLACE TABLE ${ranked} AS
        SELECT *, row_number() OVER (PARTITION BY ${keyList} ORDER BY ${order}) AS _dup FROM ${t};
      INSERT INTO ${QUARANTINE_TABLE}
      SELECT ${sqlString(table)}, ${sqlString(UNIQUE_KEY_RULE)}, ${sqlString(description)}, CAST(${record} AS VARCHAR),
        NULL, _dataset, _run_id, _fetched_at, _dt
      FROM ${ranked} WHERE _dup > 1;
      CREATE OR REPLACE TABLE ${t} AS SELECT * EXCLUDE (_dup) FROM ${ranked} WHERE _dup = 1;
      DROP TABLE ${ranked};
    `);
  }
  return { table, rule: UNIQUE_KEY_RULE, description, checked, passed: checked - dups, quarantined: dups };
}
