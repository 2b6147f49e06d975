-- artist_presence: how present each artist is across the watched playlists on each observed day, and
-- how that changed over 7 and 30 days.
--
-- - Every credited artist of a track counts (a feature is presence too), via track_artists.
-- - positions: the places the artist's tracks hold (a track listed twice, or in two playlists, counts
--   twice); best_position is 1-based.
-- - A change compares with the day exactly 7 (30) days before. That day counts when any watched
--   playlist was observed on it: an artist absent then held 0 playlists. No observation that day:
--   NULL, not a guess.
-- - An artist gets a row on the days it holds at least one place.
WITH observed AS (
  -- day_no (days since 1970-01-01) turns "7 days before" into an equality join on both engines.
  SELECT snapshot_date, date_diff('day', DATE '1970-01-01', CAST(snapshot_date AS DATE)) AS day_no
  FROM (SELECT DISTINCT snapshot_date FROM playlist_items) d
), daily AS (
  SELECT i.snapshot_date, o.day_no, ta.artist_id,
    count(DISTINCT i.playlist_id) AS playlists,
    count(*) AS positions,
    min(i."position") + 1 AS best_position
  FROM playlist_items i
  JOIN track_artists ta ON ta.track_id = i.track_id
  JOIN observed o ON o.snapshot_date = i.snapshot_date
  WHERE i.item_type = 'track'
  GROUP BY i.snapshot_date, o.day_no, ta.artist_id
), compared AS (
  SELECT d.*,
    o7.snapshot_date AS date_7d, d7.playlists AS playlists_7d, d7.positions AS positions_7d,
    o30.snapshot_date AS date_30d, d30.playlists AS playlists_30d, d30.positions AS positions_30d
  FROM daily d
  LEFT JOIN observed o7 ON o7.day_no = d.day_no - 7
  LEFT JOIN daily d7 ON d7.artist_id = d.artist_id AND d7.day_no = d.day_no - 7
  LEFT JOIN observed o30 ON o30.day_no = d.day_no - 30
  LEFT JOIN daily d30 ON d30.artist_id = d.artist_id AND d30.day_no = d.day_no - 30
)
SELECT
  CAST(c.snapshot_date AS DATE) AS snapshot_date,
  c.artist_id,
  ar.name AS artist_name,
  CAST(c.playlists AS BIGINT) AS playlists,
  CAST(c.positions AS BIGINT) AS positions,
  CAST(c.best_position AS INTEGER) AS best_position,
  CAST(CASE WHEN c.date_7d IS NOT NULL THEN c.playlists - coalesce(c.playlists_7d, 0) END AS BIGINT)
    AS playlists_change_7d,
  CAST(CASE WHEN c.date_30d IS NOT NULL THEN c.playlists - coalesce(c.playlists_30d, 0) END AS BIGINT)
    AS playlists_change_30d,
  CAST(CASE WHEN c.date_7d IS NOT NULL THEN c.positions - coalesce(c.positions_7d, 0) END AS BIGINT)
    AS positions_change_7d,
  CAST(CASE WHEN c.date_30d IS NOT NULL THEN c.positions - coalesce(c.positions_30d, 0) END AS BIGINT)
    AS positions_change_30d
FROM compared c
LEFT JOIN artists ar ON ar.id = c.artist_id
ORDER BY c.snapshot_date, c.artist_id
