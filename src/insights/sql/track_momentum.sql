-- track_momentum: popularity momentum of every track with daily snapshots (extended tier only:
-- development-mode apps no longer receive popularity).
--
-- - Each change compares with the snapshot exactly 1, 7 or 30 days earlier; without a snapshot that
--   day it is NULL (a gap is not guessed over), as in rising_artists.
WITH s AS (
  -- day_no (days since 1970-01-01) turns "7 days before" into an equality join on both engines.
  SELECT CAST(snapshot_date AS DATE) AS snap_day,
    date_diff('day', DATE '1970-01-01', CAST(snapshot_date AS DATE)) AS day_no,
    track_id, popularity
  FROM track_snapshots
), primary_artists AS (
  SELECT ta.track_id, ar.name AS artist_name
  FROM track_artists ta LEFT JOIN artists ar ON ar.id = ta.artist_id
  WHERE ta."position" = 0
)
SELECT
  cur.snap_day AS snapshot_date,
  cur.track_id,
  t.name AS track_name,
  pa.artist_name,
  cur.popularity,
  CAST(cur.popularity - d1.popularity AS INTEGER) AS popularity_change_1d,
  CAST(cur.popularity - d7.popularity AS INTEGER) AS popularity_change_7d,
  CAST(cur.popularity - d30.popularity AS INTEGER) AS popularity_change_30d
FROM s cur
LEFT JOIN s d1 ON d1.track_id = cur.track_id AND d1.day_no = cur.day_no - 1
LEFT JOIN s d7 ON d7.track_id = cur.track_id AND d7.day_no = cur.day_no - 7
LEFT JOIN s d30 ON d30.track_id = cur.track_id AND d30.day_no = cur.day_no - 30
LEFT JOIN tracks t ON t.id = cur.track_id
LEFT JOIN primary_artists pa ON pa.track_id = cur.track_id
ORDER BY cur.snap_day, cur.track_id
