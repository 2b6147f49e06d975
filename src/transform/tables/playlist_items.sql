-- playlist_items: one row per item of a watched playlist per day it was observed, partitioned by
-- snapshot_date (the UTC day of observation).
--
-- Extract reads a playlist's items only when its snapshot_id changed; on other days only the
-- playlist's metadata lands. So the items of a day are those of the latest landing of the snapshot
-- observed that day (the latest metadata record of the day, or a landing itself), carried forward
-- from the day they landed. A playlist whose items were never readable (development mode, not owned)
-- has no rows. Local files, episodes and unavailable items (item: null) keep their position, with
-- item_type 'local', 'episode' or 'unavailable' and no track_id.

CREATE OR REPLACE TABLE playlist_items__candidates AS
SELECT
  playlist_id,
  position,
  item_type,
  CASE WHEN item_type = 'track' THEN item.id END AS track_id,
  CASE WHEN item_type = 'episode' THEN item.id END AS episode_id,
  item.name AS item_name,
  item.uri AS item_uri,
  utc_ts(added_at) AS added_at,
  added_at AS _added_at_text,
  added_by,
  item_type = 'local' AS is_local,
  snapshot_id,
  _rid, _dataset, '$' AS _path, _dt, _run_id, _fetched_at
FROM (
  SELECT *,
    CASE
      WHEN item IS NULL THEN 'unavailable'
      WHEN wrapper_local OR coalesce(item.is_local, false) OR coalesce(starts_with(item.uri, 'spotify:local:'), false)
        THEN 'local'
      ELSE coalesce(item.type, 'track')
    END AS item_type
  FROM playlist_item_objects
);

-- @final

CREATE OR REPLACE TABLE playlist_items AS
WITH observations AS (
  -- Only the days this transform builds (build_days: every day on a full rebuild, the days of the
  -- runs read on an incremental one): the carried rows are from earlier days, whose partitions an
  -- incremental transform does not write, and building them cost more than the day itself.
  SELECT * FROM (
    SELECT id AS playlist_id, snapshot_id, _dt, _fetched_at FROM playlists__passed
    WHERE _dataset = 'playlists' AND snapshot_id IS NOT NULL
    UNION ALL
    SELECT DISTINCT playlist_id, snapshot_id, _dt, _fetched_at FROM playlist_items__passed
  ) WHERE _dt IN (SELECT dt FROM build_days)
), observed_days AS (
  -- The snapshot a playlist had at the end of each day it was observed.
  SELECT playlist_id, _dt AS snapshot_date, arg_max(snapshot_id, (_fetched_at, snapshot_id)) AS snapshot_id
  FROM observations GROUP BY ALL
), landings AS (
  SELECT DISTINCT playlist_id, snapshot_id, _run_id, _dt FROM playlist_items__passed
), chosen AS (
  SELECT d.playlist_id, d.snapshot_date, d.snapshot_id, max(l._run_id) AS run_id
  FROM observed_days d
  JOIN landings l ON l.playlist_id = d.playlist_id AND l.snapshot_id = d.snapshot_id AND l._dt <= d.snapshot_date
  GROUP BY ALL
), duplicated AS (
  -- A day's items all come from one landing (chosen), so a position is twice in a day only when it is
  -- twice in that landing. Nearly every position of a landing is there once; only the others are
  -- ranked (ranking all of them, after the join, cost more than the rest of the table).
  SELECT playlist_id, snapshot_id, _run_id, position FROM playlist_items__passed GROUP BY ALL HAVING count(*) > 1
), items AS (
  -- Anti- and semi-joins, not NOT EXISTS / EXISTS: DuckDB planned those as delim joins, a third of
  -- the statement's time.
  SELECT i.* FROM playlist_items__passed i
  ANTI JOIN duplicated d
    ON d.playlist_id = i.playlist_id AND d.snapshot_id = i.snapshot_id AND d._run_id = i._run_id
      AND d.position = i.position
  UNION ALL
  SELECT i.* FROM playlist_items__passed i
  SEMI JOIN duplicated d
    ON d.playlist_id = i.playlist_id AND d.snapshot_id = i.snapshot_id AND d._run_id = i._run_id
      AND d.position = i.position
  QUALIFY row_number() OVER (
    PARTITION BY i.playlist_id, i.snapshot_id, i._run_id, i.position
    ORDER BY i._fetched_at DESC, i.item_type, i.track_id, i.episode_id, i.item_name, i.item_uri, i.added_at, i.added_by
  ) = 1
)
SELECT
  i.playlist_id,
  i.position,
  i.item_type,
  i.track_id,
  i.episode_id,
  i.item_name,
  i.item_uri,
  i.added_at,
  i.added_by,
  i.is_local,
  i.snapshot_id,
  c.snapshot_date,
  c.snapshot_date AS _dt, i._run_id, i._dataset, i._fetched_at
FROM chosen c
JOIN items i ON i.playlist_id = c.playlist_id AND i.snapshot_id = c.snapshot_id AND i._run_id = c.run_id;

-- @carry
-- What the next transform merges its new rows with: the items of each playlist's latest landing. A
-- later day observes either a snapshot that lands that day or, nearly always, the one that landed
-- last. Every other (playlist, snapshot)'s latest landing is archived (the @archive query below) and
-- read only by a transform that observes a snapshot neither here nor landing in its runs.
-- (A join with the grouped maximum: the same rows as `QUALIFY _run_id = max(_run_id) OVER (PARTITION BY
-- playlist_id)`, in a fraction of a window's time.)
SELECT i.* FROM playlist_items__passed i
SEMI JOIN (SELECT playlist_id, max(_run_id) AS _run_id FROM playlist_items__passed GROUP BY ALL) l
  ON l.playlist_id = i.playlist_id AND l._run_id = i._run_id;

-- @archive
-- playlist_items__recent: the carried rows and the runs read (all rows on a full rebuild). The latest
-- landing of each (playlist, snapshot) that is no longer its playlist's latest.
WITH by_snapshot AS (
  SELECT playlist_id, snapshot_id, max(_run_id) AS _run_id FROM playlist_items__recent GROUP BY ALL
), by_playlist AS (
  SELECT playlist_id, max(_run_id) AS latest FROM by_snapshot GROUP BY ALL
)
SELECT i.* FROM playlist_items__recent i
SEMI JOIN by_snapshot s ON s.playlist_id = i.playlist_id AND s.snapshot_id = i.snapshot_id AND s._run_id = i._run_id
SEMI JOIN by_playlist p ON p.playlist_id = i.playlist_id AND i._run_id < p.latest;
