import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDb } from '../query/duckdb.js';
import { applyChecks, applyUniqueKey, QUARANTINE_DDL, QUARANTINE_TABLE } from './quality.js';
import { macrosSql } from './tables.js';

let db: DuckDb;

beforeEach(async () => {
  db = await DuckDb.create({ threads: 1 });
  await db.run(macrosSql());
  await db.run(`
    CREATE TABLE raw (dataset VARCHAR, dt VARCHAR, run_id VARCHAR, fetched_at TIMESTAMP, context JSON, data JSON);
    INSERT INTO raw VALUES
      ('tracks', '2026-11-01', 'r1', TIMESTAMP '2026-11-01 08:00:00', '{"id": "a"}', '{"track": {"id": "6rqhFgbbKwnb9MLmUQDhG6", "popularity": 50}}'),
      ('tracks', '2026-11-01', 'r1', TIMESTAMP '2026-11-01 08:00:00', '{"id": "b"}', '{"track": {"id": "nope", "popularity": 140}}'),
      ('tracks', '2026-11-02', 'r2', TIMESTAMP '2026-11-02 08:00:00', '{"id": "c"}', '{"track": {"id": null, "popularity": 101}}');
    CREATE TABLE new_runs AS SELECT 'r2' AS run_id;
    ${QUARANTINE_DDL};
    CREATE TABLE t__candidates AS
      SELECT data->'track'->>'id' AS id, TRY_CAST(data->'track'->>'popularity' AS INTEGER) AS popularity,
        rowid AS _rid, '$.track' AS _path, dataset AS _dataset, dt AS _dt, run_id AS _run_id, fetched_at AS _fetched_at
      FROM raw;
  `);
});

afterEach(async () => {
  await db.close();
});

describe('applyChecks(db, table, checks)', () => {
  const checks = [
    { rule: 'id_not_null', description: 'id is missing', passes: 'id IS NOT NULL' },
    { rule: 'id_format', description: 'id is not a Spotify id', passes: 'id IS NULL OR is_spotify_id(id)' },
    {
      rule: 'popularity_range',
      description: 'popularity is outside 0-100',
      passes: 'popularity BETWEEN 0 AND 100',
    },
  ];

  it('keeps passing rows, quarantines failing ones with every reason and the offending object', async () => {
    const { results, quarantined } = await applyChecks(db, 't', checks);
    expect(await db.all('SELECT id FROM t__passed')).toEqual([{ id: '6rqhFgbbKwnb9MLmUQDhG6' }]);
    const q = await db.all(
      `SELECT table_name, rule, reason, record, dataset, run_id, dt FROM ${QUARANTINE_TABLE} ORDER BY dt`,
    );
    expect(q).toEqual([
      {
        table_name: 't',
        rule: 'id_format',
        reason: 'id is not a Spotify id; popularity is outside 0-100',
        record: '{"id":"nope","popularity":140}',
        dataset: 'tracks',
        run_id: 'r1',
        dt: '2026-11-01',
      },
      {
        table_name: 't',
        rule: 'id_not_null',
        reason: 'id is missing; popularity is outside 0-100',
        record: '{"id":null,"popularity":101}',
        dataset: 'tracks',
        run_id: 'r2',
        dt: '2026-11-02',
      },
    ]);
    // The summary covers the runs being processed (r2) only.
    expect(quarantined).toBe(1);
    expect(results.map((r) => [r.rule, r.checked, r.passed, r.quarantined])).toEqual([
      ['id_not_null', 1, 0, 1],
      ['id_format', 1, 1, 0],
      ['popularity_range', 1, 0, 1],
    ]);
  });
});

describe('applyUniqueKey(db, table, key, columns)', () => {
  it('keeps the first row of each key in column order and quarantines the rest', async () => {
    await db.run(`
      CREATE TABLE d AS SELECT * FROM (VALUES
        ('x', 2, '2026-11-01', 'r1', 'tracks', TIMESTAMP '2026-11-01 08:00:00'),
        ('x', 1, '2026-11-01', 'r1', 'tracks', TIMESTAMP '2026-11-01 08:00:00'),
        ('y', 5, '2026-11-02', 'r2', 'tracks', TIMESTAMP '2026-11-02 08:00:00')
      ) v(id, n, _dt, _run_id, _dataset, _fetched_at)
    `);
    const result = await applyUniqueKey(db, 'd', ['id'], ['id', 'n']);
    expect(result).toMatchObject({ rule: 'unique_key', checked: 3, passed: 2, quarantined: 1 });
    expect(await db.all('SELECT id, n FROM d ORDER BY id')).toEqual([
      { id: 'x', n: 1 },
      { id: 'y', n: 5 },
    ]);
    expect(await db.all(`SELECT rule, reason, record, dt FROM ${QUARANTINE_TABLE}`)).toEqual([
      { rule: 'unique_key', reason: 'duplicate key (id)', record: '{"id":"x","n":2}', dt: '2026-11-01' },
    ]);
  });
});
