-- top_items: the user's top artists and tracks per time range, one ranking per day, partitioned by
-- snapshot_date (the UTC day the ranking was fetched). When a day has several runs, its latest
-- ranking of each (kind, time_range) wins.

CREATE OR REPLACE TABLE top_items__candidates AS
SELECT
  ctx.kind AS kind,
  ctx.time_range AS time_range,
  ctx.rank AS rank,
  o.id AS id,
  o.name AS name,
  _rid, _dataset, '$' AS _path, _dt, _run_id, _fetched_at
FROM (
  SELECT rowid AS _rid, dataset AS _dataset, dt AS _dt, run_id AS _run_id, fetched_at AS _fetched_at, ctx,
    from_json(data, '{"id": "VARCHAR", "name": "VARCHAR"}') AS o
  FROM raw WHERE dataset = 'top_items'
);

-- @final

CREATE OR REPLACE TABLE top_items AS
SELECT kind, time_range, rank, id, name, _dt AS snapshot_date, _dt, _run_id, _dataset, _fetched_at
FROM (
  SELECT * FROM top_items__passed
  QUALIFY _run_id = max(_run_id) OVER (PARTITION BY _dt, kind, time_range)
)
QUALIFY row_number() OVER (PARTITION BY _dt, kind, time_range, rank ORDER BY _fetched_at DESC, id, name) = 1;
