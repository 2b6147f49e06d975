-- listens: the whole listening timeline, one row per listen: the imported streams (streams, years
-- deep, with how long each played) merged with the polled plays (plays, the API's last 50 at each
-- run), without counting a listen twice.
--
-- The merge rule. The export's `ts` is when a stream ended. Recently played's `played_at` is, in
-- practice, when the play was logged at its end too (Spotify documents it only as "the date and time
-- the track was played"), so:
-- - a polled play and an extended-export stream are the same listen when they are the same track id
--   and played_at lies within 10 seconds of the stream's ended_at;
-- - account-data streams carry no track id and end on the minute ('YYYY-MM-DD HH:MM'): a play is the
--   same listen when its track's name equals the stream's trackName (case-insensitive) and played_at
--   lies in [endTime - 10 s, endTime + 70 s);
-- - each play matches at most one stream and each stream at most one play: the pairs closest in time
--   win, ties broken by key.
-- The merged listen takes the stream's times and details and keeps the play's played_at and context.
-- An account-data stream that an extended-export stream also holds (both exports imported: same
-- track name, same ms_played, extended ts within its minute) is left out: the extended one has more.
-- A play without a stream is a listen of its own: ms_played unknown, started_at = played_at minus the
-- track's length when the lake knows it.
-- Unpartitioned: a new stream or play can merge with a row of any month; publishing skips the file
-- when its bytes did not change.

CREATE OR REPLACE TABLE listens AS
WITH s AS (
  SELECT row_number() OVER (ORDER BY stream_key) AS sid, x.*
  FROM streams x
  WHERE NOT (x.source = 'export-account' AND EXISTS (
    SELECT 1 FROM streams e
    WHERE e.source = 'export-extended' AND e.ms_played = x.ms_played
      AND lower(e.track_name) = lower(x.track_name)
      AND e.ended_at >= x.ended_at AND e.ended_at < x.ended_at + INTERVAL 60 SECOND))
), p AS (
  SELECT row_number() OVER (ORDER BY y.played_at, y.track_id) AS pid, y.*, t.name AS track_name,
    t.duration_ms AS duration_ms
  FROM plays y LEFT JOIN tracks t ON t.id = y.track_id
), pairs AS (
  SELECT p.pid, s.sid, abs(date_diff('millisecond', p.played_at, s.ended_at)) AS gap
  FROM p JOIN s ON s.track_id = p.track_id
    AND s.ended_at BETWEEN p.played_at - INTERVAL 10 SECOND AND p.played_at + INTERVAL 10 SECOND
  UNION ALL
  SELECT p.pid, s.sid, abs(date_diff('millisecond', p.played_at, s.ended_at + INTERVAL 30 SECOND))
  FROM p JOIN s ON s.source = 'export-account' AND s.item_type = 'track'
    AND lower(s.track_name) = lower(p.track_name)
    AND p.played_at >= s.ended_at - INTERVAL 10 SECOND AND p.played_at < s.ended_at + INTERVAL 70 SECOND
), matched AS (
  SELECT pid, sid FROM pairs
  QUALIFY row_number() OVER (PARTITION BY pid ORDER BY gap, sid) = 1
    AND row_number() OVER (PARTITION BY sid ORDER BY gap, pid) = 1
), joined AS (
  SELECT s.sid, m.pid FROM s LEFT JOIN matched m ON m.sid = s.sid
  UNION ALL
  SELECT NULL, p.pid FROM p WHERE p.pid NOT IN (SELECT pid FROM matched)
)
SELECT
  coalesce(s.stream_key, 'api:' || strftime(p.played_at, '%Y-%m-%dT%H:%M:%S.%g') || ':' || p.track_id) AS listen_id,
  coalesce(s.ended_at, p.played_at) AS listened_at,
  coalesce(s.started_at, CAST(p.played_at - to_milliseconds(coalesce(p.duration_ms, 0)) AS TIMESTAMP)) AS started_at,
  s.ms_played,
  coalesce(s.item_type, 'track') AS item_type,
  coalesce(s.track_id, p.track_id) AS track_id,
  s.episode_id,
  coalesce(s.track_name, p.track_name) AS track_name,
  s.artist_name,
  s.album_name,
  s.episode_name,
  s.show_name,
  s.skipped,
  s.reason_start,
  s.reason_end,
  s.shuffle,
  s.platform_family,
  s.country,
  p.played_at,
  p.context_type,
  p.context_uri,
  s.stream_key,
  CASE WHEN s.sid IS NULL THEN 'api' WHEN p.pid IS NULL THEN s.source ELSE s.source || '+api' END AS source,
  coalesce(s._dt, p._dt) AS _dt,
  CASE WHEN p._run_id IS NULL OR s._run_id > p._run_id THEN s._run_id ELSE p._run_id END AS _run_id,
  coalesce(s._dataset, p._dataset) AS _dataset,
  coalesce(s._fetched_at, p._fetched_at) AS _fetched_at
FROM joined j
LEFT JOIN s ON s.sid = j.sid
LEFT JOIN p ON p.pid = j.pid;
