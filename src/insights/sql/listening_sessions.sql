-- listening_sessions: per day (UTC, the day a session started), the user's listening sessions over
-- the whole timeline (listens). A session is a run of listens where each starts at most 30 minutes
-- after everything before it ended; a longer gap starts a new session.
--
-- - A listen starts at started_at (ended_at minus ms_played for streams; for a polled play, played_at
--   minus the track's length when the lake knows it) and ends at listened_at.
-- - Listens may overlap (two devices): the gap is measured from the latest end so far.
-- - session minutes = last end - first start; a session of one polled play of unknown length lasts 0.
-- - Sums are taken over whole seconds (BIGINT), never over doubles: a parallel sum of doubles may
--   differ in its last bit between runs and flip a rounded figure.
WITH ordered AS (
  SELECT started_at, listened_at,
    max(listened_at) OVER (ORDER BY started_at, listened_at ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
  FROM listens
), flagged AS (
  SELECT started_at, listened_at,
    CASE WHEN prev_end IS NULL OR date_diff('second', prev_end, started_at) > 1800 THEN 1 ELSE 0 END AS starts_session
  FROM ordered
), numbered AS (
  SELECT started_at, listened_at,
    sum(starts_session) OVER (ORDER BY started_at, listened_at ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS session_id
  FROM flagged
), sessions AS (
  SELECT session_id, min(started_at) AS session_start, max(listened_at) AS session_end, count(*) AS listens
  FROM numbered
  GROUP BY session_id
), minutes AS (
  SELECT CAST(session_start AS DATE) AS session_date, listens,
    CAST(date_diff('second', session_start, session_end) AS BIGINT) AS session_seconds
  FROM sessions
)
SELECT
  session_date,
  CAST(count(*) AS BIGINT) AS sessions,
  CAST(sum(listens) AS BIGINT) AS listens,
  round(CAST(sum(session_seconds) AS DOUBLE) / 60, 1) AS total_minutes,
  round(CAST(sum(session_seconds) AS DOUBLE) / count(*) / 60, 1) AS avg_session_minutes,
  round(CAST(max(session_seconds) AS DOUBLE) / 60, 1) AS longest_session_minutes
FROM minutes
GROUP BY session_date
ORDER BY session_date
