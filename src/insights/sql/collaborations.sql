-- collaborations: which watched artists appear together on tracks, and with whom: one row per watched
-- artist and each artist credited with it on at least one track the lake knows (tracks, track_artists).
--
-- - Watched artists are those of the artist watchlist (releases.source = 'watchlist'); a collaborator
--   may be anyone, and collaborator_watched says whether it is watched too (then the pair has a row
--   each way).
-- - tracks: distinct tracks crediting both; latest_*: the one whose album was released last (ties and
--   undated albums: by track id), so the row can say "most recently on ...".
WITH watched AS (
  SELECT DISTINCT artist_id FROM releases WHERE source = 'watchlist'
), pairs AS (
  SELECT a.artist_id, b.artist_id AS collaborator_id, a.track_id
  FROM track_artists a
  JOIN watched w ON w.artist_id = a.artist_id
  JOIN track_artists b ON b.track_id = a.track_id AND b.artist_id <> a.artist_id
  GROUP BY a.artist_id, b.artist_id, a.track_id
), dated AS (
  SELECT p.*, t.name AS track_name, al.release_date_start,
    row_number() OVER (
      PARTITION BY p.artist_id, p.collaborator_id
      ORDER BY CASE WHEN al.release_date_start IS NULL THEN 1 ELSE 0 END, al.release_date_start DESC, p.track_id
    ) AS recency,
    count(*) OVER (PARTITION BY p.artist_id, p.collaborator_id) AS tracks
  FROM pairs p
  LEFT JOIN tracks t ON t.id = p.track_id
  LEFT JOIN albums al ON al.id = t.album_id
)
SELECT
  d.artist_id,
  a.name AS artist_name,
  d.collaborator_id,
  c.name AS collaborator_name,
  CASE WHEN w.artist_id IS NULL THEN false ELSE true END AS collaborator_watched,
  CAST(d.tracks AS BIGINT) AS tracks,
  d.track_id AS latest_track_id,
  d.track_name AS latest_track_name,
  d.release_date_start AS latest_release_date
FROM dated d
LEFT JOIN watched w ON w.artist_id = d.collaborator_id
LEFT JOIN artists a ON a.id = d.artist_id
LEFT JOIN artists c ON c.id = d.collaborator_id
WHERE d.recency = 1
ORDER BY d.artist_id, d.tracks DESC, d.collaborator_id
