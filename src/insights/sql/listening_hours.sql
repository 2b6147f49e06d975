-- listening_hours: when the user listens: plays per weekday and hour of day (UTC), from the whole
-- listening timeline (listens: imported streaming history and polled plays, each listen once).
--
-- - A play is a listen (track, episode or audiobook) of at least 30 s, Spotify's threshold for
--   counting a stream; polled plays always qualify.
-- - weekday is ISO: 1 = Monday ... 7 = Sunday. Only the cells with plays have a row.
-- - minutes_played is what was played: ms_played for imported streams; a polled play gives no play
--   duration, so it counts the track's full length (nothing when the lake has no length for it).
-- - share_of_plays is the cell's share of every play in the history.
-- iso_weekday() is a dialect macro (insights.ts): isodow() in DuckDB, day_of_week() in Athena.
WITH cells AS (
  SELECT CAST(iso_weekday(l.listened_at) AS INTEGER) AS weekday, CAST(hour(l.listened_at) AS INTEGER) AS hour_utc,
    coalesce(l.ms_played, t.duration_ms) AS duration_ms
  FROM listens l LEFT JOIN tracks t ON t.id = l.track_id
  WHERE l.ms_played IS NULL OR l.ms_played >= 30000
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
