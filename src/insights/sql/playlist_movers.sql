-- playlist_movers: what entered, left, climbed and fell in each watched playlist between two
-- consecutive days it was observed (playlist_items has one row per item per observed day).
--
-- - Positions are 1-based chart places (playlist_items.position is Spotify's 0-based offset); a track
--   listed twice holds its first place. Only tracks move: local files, episodes and unavailable items
--   have no track id.
-- - A climb or a fall is a real move (issue #18). First, the track's rank among the tracks on the
--   playlist on both days changed (rank_change, places gained among them): a track whose place changed
--   only because tracks entered or left above it has not moved. Second, it is not merely passed: when
--   two tracks swap order, the one whose rank changed more moved (both, when equal). One track dropped
--   from #4 to the bottom of a 110-track playlist is one fall, not one fall and 110 climbs of 1; one
--   track added at the top of a 25-track playlist is 1 entry, not 1 entry and 25 falls.
-- - A track that did not move gets no row. delta keeps the raw place change, from_position - to_position.
-- - The first observed day of a playlist has nothing to compare with, so no rows; a day on which a
--   playlist was not observed is skipped (the comparison spans the gap, previous_date says from when).
-- Portable SQL (DuckDB and Athena/Trino): no QUALIFY, no GROUP BY ALL, dates through CAST and date_diff.
WITH items AS (
  SELECT snapshot_date, playlist_id, track_id, min("position") + 1 AS place
  FROM playlist_items
  WHERE item_type = 'track' AND track_id IS NOT NULL
  GROUP BY snapshot_date, playlist_id, track_id
), observed AS (
  SELECT playlist_id, snapshot_date,
    lag(snapshot_date) OVER (PARTITION BY playlist_id ORDER BY snapshot_date) AS previous_date
  FROM (SELECT DISTINCT playlist_id, snapshot_date FROM playlist_items) d
), pairs AS (
  SELECT playlist_id, snapshot_date, previous_date FROM observed WHERE previous_date IS NOT NULL
), after_items AS (
  SELECT p.playlist_id, p.snapshot_date, p.previous_date, i.track_id, i.place
  FROM pairs p JOIN items i ON i.playlist_id = p.playlist_id AND i.snapshot_date = p.snapshot_date
), before_items AS (
  SELECT p.playlist_id, p.snapshot_date, p.previous_date, i.track_id, i.place
  FROM pairs p JOIN items i ON i.playlist_id = p.playlist_id AND i.snapshot_date = p.previous_date
), compared AS (
  SELECT
    coalesce(a.snapshot_date, b.snapshot_date) AS snapshot_date,
    coalesce(a.previous_date, b.previous_date) AS previous_date,
    coalesce(a.playlist_id, b.playlist_id) AS playlist_id,
    coalesce(a.track_id, b.track_id) AS track_id,
    b.place AS from_position,
    a.place AS to_position
  FROM after_items a
  FULL OUTER JOIN before_items b
    ON b.playlist_id = a.playlist_id AND b.snapshot_date = a.snapshot_date AND b.track_id = a.track_id
), ranked AS (
  -- Ranks among the tracks present on both days (entries and exits have none).
  SELECT c.*,
    CASE WHEN from_position IS NOT NULL AND to_position IS NOT NULL THEN
      row_number() OVER (
        PARTITION BY playlist_id, snapshot_date, from_position IS NOT NULL AND to_position IS NOT NULL
        ORDER BY from_position
      )
    END AS from_rank,
    CASE WHEN from_position IS NOT NULL AND to_position IS NOT NULL THEN
      row_number() OVER (
        PARTITION BY playlist_id, snapshot_date, from_position IS NOT NULL AND to_position IS NOT NULL
        ORDER BY to_position
      )
    END AS to_rank
  FROM compared c
), changed AS (
  SELECT playlist_id, snapshot_date, track_id, from_rank, to_rank, from_rank - to_rank AS rank_change
  FROM ranked
  WHERE from_rank <> to_rank
), crossings AS (
  -- Pairs of changed tracks whose order flipped: in each, the larger change is the mover. leads = 1
  -- when the track is the mover (or ties) in at least one of its crossings.
  SELECT t.playlist_id, t.snapshot_date, t.track_id,
    max(CASE WHEN abs(t.rank_change) >= abs(u.rank_change) THEN 1 ELSE 0 END) AS leads
  FROM changed t
  JOIN changed u ON u.playlist_id = t.playlist_id AND u.snapshot_date = t.snapshot_date
  WHERE u.track_id <> t.track_id AND (t.from_rank < u.from_rank) <> (t.to_rank < u.to_rank)
  GROUP BY t.playlist_id, t.snapshot_date, t.track_id
), moves AS (
  SELECT r.*,
    CASE
      WHEN r.from_position IS NULL THEN 'entry'
      WHEN r.to_position IS NULL THEN 'exit'
      WHEN r.from_rank = r.to_rank THEN NULL
      -- Only passed by tracks that moved further: a shift, not a move.
      WHEN coalesce(x.leads, 1) = 0 THEN NULL
      WHEN r.to_rank < r.from_rank THEN 'climb'
      ELSE 'fall'
    END AS move
  FROM ranked r
  LEFT JOIN crossings x
    ON x.playlist_id = r.playlist_id AND x.snapshot_date = r.snapshot_date AND x.track_id = r.track_id
), primary_artists AS (
  SELECT ta.track_id, ar.name AS artist_name
  FROM track_artists ta LEFT JOIN artists ar ON ar.id = ta.artist_id
  WHERE ta."position" = 0
)
SELECT
  CAST(m.snapshot_date AS DATE) AS snapshot_date,
  CAST(m.previous_date AS DATE) AS previous_date,
  m.playlist_id,
  pl.name AS playlist_name,
  m.track_id,
  t.name AS track_name,
  pa.artist_name,
  m.move,
  CAST(m.from_position AS INTEGER) AS from_position,
  CAST(m.to_position AS INTEGER) AS to_position,
  CAST(m.from_position - m.to_position AS INTEGER) AS delta,
  CAST(m.from_rank - m.to_rank AS INTEGER) AS rank_change
FROM moves m
LEFT JOIN playlists pl ON pl.id = m.playlist_id
LEFT JOIN tracks t ON t.id = m.track_id
LEFT JOIN primary_artists pa ON pa.track_id = m.track_id
WHERE m.move IS NOT NULL
ORDER BY m.snapshot_date, m.playlist_id, m.move, coalesce(m.to_position, m.from_position), m.track_id
