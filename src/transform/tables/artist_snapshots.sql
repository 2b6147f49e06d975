-- artist_snapshots: an artist's popularity and followers per day, partitioned by snapshot_date (the
-- UTC day they were fetched), from full artist objects that carry them. The development tier sends
-- neither, so it adds no rows; the history from earlier days stays.

CREATE OR REPLACE TABLE artist_snapshots AS
SELECT id AS artist_id, popularity, followers, _dt AS snapshot_date, _dt, _run_id, _dataset, _fetched_at
FROM artists__passed
WHERE _full AND (popularity IS NOT NULL OR followers IS NOT NULL)
  -- Only the days this transform builds (playlist_items.sql says why).
  AND _dt IN (SELECT dt FROM build_days)
QUALIFY row_number() OVER (PARTITION BY _dt, id ORDER BY _fetched_at DESC, popularity, followers) = 1;
