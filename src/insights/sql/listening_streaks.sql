-- listening_streaks: runs of consecutive days (UTC) with at least one play, over the whole timeline
-- (listens), longest first in `rank`. A play is a listen of at least 30 s (polled plays always
-- qualify). days_since_end is 0 for a streak that reaches the last day the timeline has a play.
WITH days AS (
  SELECT CAST(listened_at AS DATE) AS play_day, count(*) AS plays
  FROM listens
  WHERE ms_played IS NULL OR ms_played >= 30000
  GROUP BY CAST(listened_at AS DATE)
), islands AS (
  SELECT play_day, plays,
    date_diff('day', DATE '1970-01-01', play_day) - row_number() OVER (ORDER BY play_day) AS island
  FROM days
), streaks AS (
  SELECT min(play_day) AS streak_start, max(play_day) AS streak_end, count(*) AS days, sum(plays) AS plays
  FROM islands
  GROUP BY island
), latest AS (
  SELECT max(play_day) AS last_day FROM days
)
SELECT
  s.streak_start,
  s.streak_end,
  CAST(s.days AS INTEGER) AS days,
  CAST(s.plays AS BIGINT) AS plays,
  CAST(row_number() OVER (ORDER BY s.days DESC, s.streak_start DESC) AS INTEGER) AS "rank",
  CAST(date_diff('day', s.streak_end, l.last_day) AS INTEGER) AS days_since_end
FROM streaks s CROSS JOIN latest l
ORDER BY s.streak_start
