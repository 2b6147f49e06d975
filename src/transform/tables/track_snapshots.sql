-- track_snapshots: a track's popularity per day, partitioned by snapshot_date (the UTC day it was
-- fetched), from full track objects that carry it (extended tier only).

CREATE OR REPLACE TABLE track_snapshots AS
SELECT id AS track_id, popularity, _dt AS snapshot_date, _dt, _run_id, _dataset, _fetched_at
FROM tracks__passed
WHERE _full AND popularity IS NOT NULL
  -- Only the days this transform builds (playlist_items.sql says why).
  AND _dt IN (SELECT dt FROM build_days)
QUALIFY row_number() OVER (PARTITION BY _dt, id ORDER BY _fetched_at DESC, popularity) = 1;
