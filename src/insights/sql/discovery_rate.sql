-- discovery_rate: per ISO week (UTC, starting Monday), how much of the listening went to artists the
-- user first heard that week, over the whole listening timeline (listens: imported streaming history,
-- years deep, and polled plays, each listen once).
--
-- - A play is a track listen of at least 30 s (polled plays always qualify); it belongs to its
--   track's primary artist (track_artists position 0), or, for a track the lake has not fetched yet,
--   to the album artist the export names. Plays with neither are left out of every count.
-- - "First heard" is the artist's earliest play in the timeline: with an imported history that is
--   years back; without one, when tunelake started collecting (the first week counts every artist as new).
WITH artist_plays AS (
  SELECT CAST(date_trunc('week', l.listened_at) AS DATE) AS week_start,
    coalesce(ta.artist_id, '~' || lower(l.artist_name)) AS artist_id
  FROM listens l LEFT JOIN track_artists ta ON ta.track_id = l.track_id AND ta."position" = 0
  WHERE l.item_type = 'track' AND (l.ms_played IS NULL OR l.ms_played >= 30000)
    AND (ta.artist_id IS NOT NULL OR l.artist_name IS NOT NULL)
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
