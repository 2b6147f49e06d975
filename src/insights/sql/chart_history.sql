-- chart_history: every watched playlist as a chart, one row per track per day it was observed on it:
-- its place, its place the previous time the playlist was observed, and its run so far (Soundcharts'
-- chart table). The dashboard's track page reads it by track_id.
--
-- - Places are 1-based (playlist_items.position is Spotify's 0-based offset); a track listed twice
--   holds its first place. Only tracks chart: local files, episodes and unavailable items have no id.
-- - previous_position: the place on the playlist's previous observed day; NULL when the track was not
--   on it then (a new entry or a re-entry) or on the playlist's first observed day.
-- - peak_position, peak_date and days_on_playlist are to date (up to this row's day): peak_date is the
--   first day the peak was reached; days_on_playlist counts observed days, not calendar days.
-- - first_seen_date and last_seen_date span the whole history: a last_seen_date before the playlist's
--   latest observation means the track has left it.
WITH items AS (
  SELECT CAST(snapshot_date AS DATE) AS snapshot_date, playlist_id, track_id, min("position") + 1 AS place
  FROM playlist_items
  WHERE item_type = 'track' AND track_id IS NOT NULL
  GROUP BY CAST(snapshot_date AS DATE), playlist_id, track_id
), observed AS (
  SELECT playlist_id, snapshot_date,
    lag(snapshot_date) OVER (PARTITION BY playlist_id ORDER BY snapshot_date) AS previous_date
  FROM (SELECT DISTINCT playlist_id, CAST(snapshot_date AS DATE) AS snapshot_date FROM playlist_items) d
), runs AS (
  -- The previous place from the track's own previous row, kept only when that row is the playlist's
  -- previous observed day: a window, not a second pass over the items (a self-join doubled the time).
  SELECT i.*,
    CASE WHEN lag(i.snapshot_date) OVER (PARTITION BY i.playlist_id, i.track_id ORDER BY i.snapshot_date)
        = o.previous_date
      THEN lag(i.place) OVER (PARTITION BY i.playlist_id, i.track_id ORDER BY i.snapshot_date)
    END AS previous_position,
    min(i.place) OVER (
      PARTITION BY i.playlist_id, i.track_id ORDER BY i.snapshot_date ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS peak_position,
    min(i.place) OVER (
      PARTITION BY i.playlist_id, i.track_id ORDER BY i.snapshot_date ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    ) AS earlier_peak,
    row_number() OVER (PARTITION BY i.playlist_id, i.track_id ORDER BY i.snapshot_date) AS days_on_playlist,
    min(i.snapshot_date) OVER (PARTITION BY i.playlist_id, i.track_id) AS first_seen_date,
    max(i.snapshot_date) OVER (PARTITION BY i.playlist_id, i.track_id) AS last_seen_date
  FROM items i
  JOIN observed o ON o.playlist_id = i.playlist_id AND o.snapshot_date = i.snapshot_date
), peaks AS (
  -- Peaks only improve, so the latest day that set a new peak is the day the current one was reached.
  SELECT r.*,
    max(CASE WHEN earlier_peak IS NULL OR place < earlier_peak THEN snapshot_date END) OVER (
      PARTITION BY playlist_id, track_id ORDER BY snapshot_date ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS peak_date
  FROM runs r
), primary_artists AS (
  SELECT ta.track_id, ar.name AS artist_name
  FROM track_artists ta LEFT JOIN artists ar ON ar.id = ta.artist_id
  WHERE ta."position" = 0
)
SELECT
  p.snapshot_date,
  p.playlist_id,
  pl.name AS playlist_name,
  p.track_id,
  t.name AS track_name,
  pa.artist_name,
  CAST(p.place AS INTEGER) AS "position",
  CAST(p.previous_position AS INTEGER) AS previous_position,
  CAST(p.peak_position AS INTEGER) AS peak_position,
  p.peak_date,
  CAST(p.days_on_playlist AS INTEGER) AS days_on_playlist,
  p.first_seen_date,
  p.last_seen_date
FROM peaks p
LEFT JOIN playlists pl ON pl.id = p.playlist_id
LEFT JOIN tracks t ON t.id = p.track_id
LEFT JOIN primary_artists pa ON pa.track_id = p.track_id
ORDER BY p.snapshot_date, p.playlist_id, p.place, p.track_id
