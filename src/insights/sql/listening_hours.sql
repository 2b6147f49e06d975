-- listening_hours: when the user listens: plays per weekday and hour of day (UTC), from the
-- listening history.
--
-- - weekday is ISO: 1 = Monday ... 7 = Sunday. Only the cells with plays have a row.
-- - minutes_played assumes each play ran the track's full length (recently played gives no play
--   duration); plays of tracks the lake has no duration for add no minutes.
-- - share_of_plays is the cell's share of every play in the history.
-- DuckDB spells the ISO weekday isodow(); Athena spells it day_of_week() (listening_hours.athena.sql).
WITH cells AS (
  SELECT CAST(isodow(p.played_at) AS INTEGER) AS weekday, CAST(hour(p.played_at) AS INTEGER) AS hour_utc,
    t.duration_ms
  FROM plays p LEFT JOIN tracks t ON t.id = p.track_id
), total AS (
  SELECT count(*) AS plays FROM cells
), counted AS (
  SELECT weekday, hour_utc, count(*) AS plays, sum(duration_ms) AS duration_ms
  FROM cells
  GROUP BY weekday, hour_utc
)
SELECT
  c.weekday,
  CASE c.weekday
    WHEN 1 THEN 'Monday' WHEN 2 THEN 'Tuesday' WHEN 3 THEN 'Wednesday' WHEN 4 THEN 'Thursday'
    WHEN 5 THEN 'Friday' WHEN 6 THEN 'Saturday' WHEN 7 THEN 'Sunday'
  END AS weekday_name,
  c.hour_utc,
  CAST(c.plays AS BIGINT) AS plays,
  round(coalesce(CAST(c.duration_ms AS DOUBLE), 0) / 60000, 1) AS minutes_played,
  round(CAST(c.plays AS DOUBLE) / t.plays, 4) AS share_of_plays
FROM counted c CROSS JOIN total t
ORDER BY c.weekday, c.hour_utc
