-- listening_completion: per calendar month (UTC), how the user's track streams end: skipped or heard
-- to the end, and how much of each track was heard. Only imported streams know how long they played
-- (ms_played); polled plays do not, so the insight needs an imported streaming history.
--
-- - skipped: the export's skipped flag; where it is null (older exports), reason_end = 'fwdbtn'.
-- - completed: reason_end = 'trackdone', or at least 90% of the track's length played when the lake
--   knows the length.
-- - short: under 30 s, which Spotify does not count as a stream.
-- - avg_heard_share: the average of ms_played / track length, capped at 1, over streams whose
--   track length is known (tracks fetched by the next run after an import). It is summed as a
--   DECIMAL, exactly, so the figure is the same on every run (a parallel sum of doubles is not).
WITH s AS (
  SELECT CAST(date_trunc('month', l.listened_at) AS DATE) AS month_start, l.ms_played,
    CASE WHEN coalesce(l.skipped, l.reason_end = 'fwdbtn', false) THEN 1 ELSE 0 END AS is_skipped,
    CASE WHEN l.reason_end = 'trackdone' OR (t.duration_ms > 0 AND l.ms_played >= 0.9 * t.duration_ms)
      THEN 1 ELSE 0 END AS is_completed,
    CASE WHEN l.ms_played < 30000 THEN 1 ELSE 0 END AS is_short,
    CASE WHEN t.duration_ms > 0 THEN least(CAST(l.ms_played AS DOUBLE) / t.duration_ms, 1.0) END AS heard_share
  FROM listens l LEFT JOIN tracks t ON t.id = l.track_id
  WHERE l.ms_played IS NOT NULL AND l.item_type = 'track'
), monthly AS (
  SELECT month_start, count(*) AS streams, sum(is_skipped) AS skipped, sum(is_completed) AS completed,
    sum(is_short) AS short, sum(CAST(heard_share AS DECIMAL(18, 9))) AS heard_sum, count(heard_share) AS heard_n, sum(ms_played) AS ms_played
  FROM s
  GROUP BY month_start
)
SELECT
  month_start,
  CAST(streams AS BIGINT) AS streams,
  CAST(skipped AS BIGINT) AS skipped,
  round(CAST(skipped AS DOUBLE) / streams, 4) AS skip_rate,
  CAST(completed AS BIGINT) AS completed,
  round(CAST(completed AS DOUBLE) / streams, 4) AS completion_rate,
  CAST(short AS BIGINT) AS short_streams,
  round(CAST(heard_sum AS DOUBLE) / nullif(heard_n, 0), 4) AS avg_heard_share,
  round(CAST(ms_played AS DOUBLE) / 60000, 1) AS minutes_played
FROM monthly
ORDER BY month_start
