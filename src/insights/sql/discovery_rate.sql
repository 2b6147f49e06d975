-- discovery_rate: per ISO week (UTC, starting Monday), how much of the listening went to artists the
-- user first heard that week.
--
-- - A play belongs to its track's primary artist (track_artists position 0); plays of tracks the lake
--   has no artists for are left out of every count.
-- - "First heard" is the artist's earliest play in the lake's history, which starts when tunelake
--   started collecting: the first week counts every artist as new.
WITH artist_plays AS (
  SELECT CAST(date_trunc('week', p.played_at) AS DATE) AS week_start, ta.artist_id
  FROM plays p JOIN track_artists ta ON ta.track_id = p.track_id AND ta."position" = 0
), firsts AS (
  SELECT artist_id, min(week_start) AS first_week FROM artist_plays GROUP BY artist_id
), weekly AS (
  SELECT a.week_start,
    count(*) AS plays,
    sum(CASE WHEN a.week_start = f.first_week THEN 1 ELSE 0 END) AS new_artist_plays,
    count(DISTINCT a.artist_id) AS artists,
    count(DISTINCT CASE WHEN a.week_start = f.first_week THEN a.artist_id END) AS new_artists
  FROM artist_plays a JOIN firsts f ON f.artist_id = a.artist_id
  GROUP BY a.week_start
)
SELECT
  week_start,
  CAST(plays AS BIGINT) AS plays,
  CAST(new_artist_plays AS BIGINT) AS new_artist_plays,
  round(CAST(new_artist_plays AS DOUBLE) / plays, 4) AS new_artist_share,
  CAST(artists AS BIGINT) AS artists,
  CAST(new_artists AS BIGINT) AS new_artists
FROM weekly
ORDER BY week_start
