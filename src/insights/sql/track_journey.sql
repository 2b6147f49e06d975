-- track_journey: the order and the dates in which each track reached the watched playlists: the
-- playlist path of a track, step by step, with how long after its release each step came.
--
-- - reached_date: the earlier of the first day the track was observed on the playlist and the day
--   the playlist says it was added (added_at, the earliest one seen): a track already on a playlist
--   when tunelake started watching it reached it on its added_at day.
-- - step: 1 = the first watched playlist it reached (ties: the earlier added_at, then playlist id);
--   days_after_first_step counts from step 1's reached_date.
-- - days_after_release: reached_date minus the album's release_date_start (negative: added before
--   release, a pre-save); NULL when the release date is unknown.
-- - peak_position (1-based) and days_on_playlist (observed days) are over the whole history.
WITH items AS (
  SELECT CAST(snapshot_date AS DATE) AS snapshot_date, playlist_id, track_id,
    min("position") + 1 AS place, min(CAST(added_at AS DATE)) AS added_date
  FROM playlist_items
  WHERE item_type = 'track' AND track_id IS NOT NULL
  GROUP BY CAST(snapshot_date AS DATE), playlist_id, track_id
), stays AS (
  SELECT playlist_id, track_id,
    min(snapshot_date) AS first_seen_date,
    max(snapshot_date) AS last_seen_date,
    min(added_date) AS added_date,
    min(place) AS peak_position,
    count(*) AS days_on_playlist
  FROM items
  GROUP BY playlist_id, track_id
), reached AS (
  SELECT s.*,
    CASE WHEN s.added_date IS NOT NULL AND s.added_date < s.first_seen_date THEN s.added_date
      ELSE s.first_seen_date END AS reached_date
  FROM stays s
), steps AS (
  SELECT r.*,
    row_number() OVER (PARTITION BY track_id ORDER BY reached_date, added_date, playlist_id) AS step,
    min(reached_date) OVER (PARTITION BY track_id) AS journey_start,
    count(*) OVER (PARTITION BY track_id) AS playlists_reached
  FROM reached r
), primary_artists AS (
  SELECT ta.track_id, ar.name AS artist_name
  FROM track_artists ta LEFT JOIN artists ar ON ar.id = ta.artist_id
  WHERE ta."position" = 0
)
SELECT
  s.track_id,
  t.name AS track_name,
  pa.artist_name,
  al.release_date_start AS release_date,
  CAST(s.step AS INTEGER) AS step,
  s.playlist_id,
  pl.name AS playlist_name,
  s.reached_date,
  CAST(date_diff('day', al.release_date_start, s.reached_date) AS INTEGER) AS days_after_release,
  CAST(date_diff('day', s.journey_start, s.reached_date) AS INTEGER) AS days_after_first_step,
  s.first_seen_date,
  s.last_seen_date,
  CAST(s.peak_position AS INTEGER) AS peak_position,
  CAST(s.days_on_playlist AS INTEGER) AS days_on_playlist,
  CAST(s.playlists_reached AS BIGINT) AS playlists_reached
FROM steps s
LEFT JOIN tracks t ON t.id = s.track_id
LEFT JOIN albums al ON al.id = t.album_id
LEFT JOIN playlists pl ON pl.id = s.playlist_id
LEFT JOIN primary_artists pa ON pa.track_id = s.track_id
ORDER BY s.track_id, s.step
