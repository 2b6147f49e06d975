-- rising_artists: popularity and follower momentum of every artist with daily snapshots (extended
-- quota only: development-mode apps no longer receive popularity or followers).
--
-- - Each change compares with the snapshot exactly 1, 7 or 30 days earlier; without a snapshot that
--   day it is NULL (a gap is not guessed over).
-- - followers_growth_7d / _30d: the relative change, (now - then) / then; NULL when then is 0 or unknown.
WITH s AS (
  -- day_no (days since 1970-01-01) turns "7 days before" into an equality join on both engines.
  SELECT CAST(snapshot_date AS DATE) AS snap_day,
    date_diff('day', DATE '1970-01-01', CAST(snapshot_date AS DATE)) AS day_no,
    artist_id, popularity, followers
  FROM artist_snapshots
)
SELECT
  cur.snap_day AS snapshot_date,
  cur.artist_id,
  ar.name AS artist_name,
  cur.popularity,
  cur.followers,
  CAST(cur.popularity - d1.popularity AS INTEGER) AS popularity_change_1d,
  CAST(cur.popularity - d7.popularity AS INTEGER) AS popularity_change_7d,
  CAST(cur.popularity - d30.popularity AS INTEGER) AS popularity_change_30d,
  CAST(cur.followers - d1.followers AS BIGINT) AS followers_change_1d,
  CAST(cur.followers - d7.followers AS BIGINT) AS followers_change_7d,
  CAST(cur.followers - d30.followers AS BIGINT) AS followers_change_30d,
  round(
    CASE WHEN d7.followers > 0 THEN CAST(cur.followers - d7.followers AS DOUBLE) / d7.followers END, 4
  ) AS followers_growth_7d,
  round(
    CASE WHEN d30.followers > 0 THEN CAST(cur.followers - d30.followers AS DOUBLE) / d30.followers END, 4
  ) AS followers_growth_30d
FROM s cur
LEFT JOIN s d1 ON d1.artist_id = cur.artist_id AND d1.day_no = cur.day_no - 1
LEFT JOIN s d7 ON d7.artist_id = cur.artist_id AND d7.day_no = cur.day_no - 7
LEFT JOIN s d30 ON d30.artist_id = cur.artist_id AND d30.day_no = cur.day_no - 30
LEFT JOIN artists ar ON ar.id = cur.artist_id
ORDER BY cur.snap_day, cur.artist_id
