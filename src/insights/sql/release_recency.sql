-- release_recency: how fresh each watched playlist is on each observed day: the age of its tracks
-- (days from the album's release_date_start to the snapshot day) and the share released in the last
-- 30 days.
--
-- - A track's release is its album's: release_date_start is the first day of the release period, so a
--   release known only by its year ("1981") counts from 1 January and looks older than it may be.
-- - Tracks whose album has no usable date are left out of every number here (tracks counts the rest).
-- - released_last_30d: age_days <= 30, pre-releases (a negative age) included.
-- - The median is exact (the mean of the two middle values for an even count), computed with window
--   functions because Athena only has approx_percentile: both engines give the same number.
WITH aged AS (
  SELECT i.snapshot_date, i.playlist_id, i."position",
    date_diff('day', al.release_date_start, CAST(i.snapshot_date AS DATE)) AS age_days
  FROM playlist_items i
  JOIN tracks t ON t.id = i.track_id
  JOIN albums al ON al.id = t.album_id
  WHERE i.item_type = 'track' AND al.release_date_start IS NOT NULL
), ranked AS (
  SELECT a.*,
    row_number() OVER (PARTITION BY snapshot_date, playlist_id ORDER BY age_days, "position") AS rn,
    count(*) OVER (PARTITION BY snapshot_date, playlist_id) AS n
  FROM aged a
), summary AS (
  SELECT snapshot_date, playlist_id,
    count(*) AS tracks,
    avg(CASE WHEN rn IN (floor((n + 1) / 2.0), ceil((n + 1) / 2.0)) THEN CAST(age_days AS DOUBLE) END)
      AS median_age_days,
    avg(CAST(age_days AS DOUBLE)) AS avg_age_days,
    sum(CASE WHEN age_days <= 30 THEN 1 ELSE 0 END) AS released_last_30d
  FROM ranked
  GROUP BY snapshot_date, playlist_id
)
SELECT
  CAST(s.snapshot_date AS DATE) AS snapshot_date,
  s.playlist_id,
  pl.name AS playlist_name,
  CAST(s.tracks AS BIGINT) AS tracks,
  round(s.median_age_days, 1) AS median_age_days,
  round(s.avg_age_days, 1) AS avg_age_days,
  CAST(s.released_last_30d AS BIGINT) AS released_last_30d,
  round(CAST(s.released_last_30d AS DOUBLE) / s.tracks, 4) AS share_last_30d
FROM summary s
LEFT JOIN playlists pl ON pl.id = s.playlist_id
ORDER BY s.snapshot_date, s.playlist_id
