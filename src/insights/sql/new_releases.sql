-- new_releases: the new albums, singles and compilations of every watched artist, newest first: the
-- replacement for the browse/new-releases endpoint development-mode apps lost (Spotify, February 2026).
--
-- - From the releases the artist watchlist found (releases.source = 'watchlist'); appears_on (another
--   artist's record) is left out. An album of two watched artists has a row for each.
-- - New: released in the 90 days up to as_of_date (ages 0-89), or announced for later (a negative
--   age: a pre-release). Dates are release_date_start (a year-only date counts from 1 January).
-- - as_of_date is the day the lake last saw any artist, as in discography_cadence, so the table is
--   the same whenever it is rebuilt.
-- - total_tracks and label come from the albums table (label: extended tier only, NULL otherwise).
WITH as_of AS (
  SELECT CAST(max(last_seen_at) AS DATE) AS as_of_date FROM artists
), recent AS (
  SELECT r.album_id, r.artist_id, r.album_name, r.album_type, r.release_date_start, r.first_seen_date,
    date_diff('day', r.release_date_start, o.as_of_date) AS age_days, o.as_of_date
  FROM releases r CROSS JOIN as_of o
  WHERE r.source = 'watchlist' AND r.release_date_start IS NOT NULL
    AND (r.album_group IS NULL OR r.album_group <> 'appears_on')
    AND date_diff('day', r.release_date_start, o.as_of_date) <= 89
), one_per_album AS (
  -- The watchlist may list an album under an artist twice (once per group asked): keep one row.
  SELECT album_id, artist_id, max(album_name) AS album_name, max(album_type) AS album_type,
    max(release_date_start) AS release_date, min(first_seen_date) AS first_seen_date,
    max(age_days) AS age_days, max(as_of_date) AS as_of_date
  FROM recent
  GROUP BY album_id, artist_id
)
SELECT
  n.release_date,
  n.album_id,
  coalesce(al.name, n.album_name) AS album_name,
  coalesce(n.album_type, al.album_type) AS album_type,
  n.artist_id,
  ar.name AS artist_name,
  CAST(al.total_tracks AS INTEGER) AS total_tracks,
  al.label,
  n.first_seen_date,
  CAST(n.age_days AS INTEGER) AS days_since_release,
  n.as_of_date
FROM one_per_album n
LEFT JOIN albums al ON al.id = n.album_id
LEFT JOIN artists ar ON ar.id = n.artist_id
ORDER BY n.release_date DESC, n.album_id, n.artist_id
