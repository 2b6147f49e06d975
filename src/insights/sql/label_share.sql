-- label_share: which labels hold the slots of the watched playlists, per observed day (extended tier:
-- development-mode apps no longer receive albums.label).
--
-- - A slot is a track's place in a watched playlist (a track listed twice, or in two playlists, holds
--   two); its label is its album's. Slots of tracks without a known label are left out, and share is
--   of the slots whose label is known that day.
-- - rank: 1 = the most slots that day (ties: by label).
WITH slots AS (
  SELECT CAST(i.snapshot_date AS DATE) AS snapshot_date, i.playlist_id, i.track_id, al.label
  FROM playlist_items i
  JOIN tracks t ON t.id = i.track_id
  JOIN albums al ON al.id = t.album_id
  WHERE i.item_type = 'track' AND al.label IS NOT NULL AND al.label <> ''
), per_label AS (
  SELECT snapshot_date, label,
    count(*) AS slots,
    count(DISTINCT playlist_id) AS playlists,
    count(DISTINCT track_id) AS tracks
  FROM slots
  GROUP BY snapshot_date, label
), ranked AS (
  SELECT p.*,
    sum(slots) OVER (PARTITION BY snapshot_date) AS all_slots,
    row_number() OVER (PARTITION BY snapshot_date ORDER BY slots DESC, label) AS place
  FROM per_label p
)
SELECT
  snapshot_date,
  label,
  CAST(slots AS BIGINT) AS slots,
  CAST(playlists AS BIGINT) AS playlists,
  CAST(tracks AS BIGINT) AS tracks,
  round(CAST(slots AS DOUBLE) / all_slots, 4) AS share,
  CAST(place AS INTEGER) AS "rank"
FROM ranked
ORDER BY snapshot_date, place
