-- discography_cadence: how fast each watched artist releases, from the releases the artist watchlist
-- found (releases.source = 'watchlist': the artist's own albums, singles and compilations).
--
-- - Dates are release_date_start (a year-only release counts from 1 January); releases without a
--   usable date are left out. appears_on (another artist's record) never counts.
-- - as_of_date is the day the lake last saw any artist: "days since" is measured to the data, not to
--   the wall clock, so the table is the same whenever it is rebuilt.
-- - quarters_active runs from the quarter of the first release to the quarter of as_of_date, both
--   included; releases_per_quarter = releases / quarters_active.
-- - releases_last_365d: released in the 365 days up to as_of_date (ages 0 to 364).
-- - avg_days_between_releases: (last - first) / (releases - 1); NULL for a single release.
WITH as_of AS (
  SELECT CAST(max(last_seen_at) AS DATE) AS as_of_date FROM artists
), dated AS (
  SELECT r.artist_id, r.album_id, r.album_type, r.release_date_start,
    date_diff('day', r.release_date_start, o.as_of_date) AS age_days, o.as_of_date
  FROM releases r CROSS JOIN as_of o
  WHERE r.source = 'watchlist' AND r.release_date_start IS NOT NULL
    AND (r.album_group IS NULL OR r.album_group <> 'appears_on')
), per_artist AS (
  SELECT artist_id,
    count(*) AS releases,
    sum(CASE WHEN album_type = 'album' THEN 1 ELSE 0 END) AS albums,
    sum(CASE WHEN album_type = 'single' THEN 1 ELSE 0 END) AS singles,
    sum(CASE WHEN album_type = 'compilation' THEN 1 ELSE 0 END) AS compilations,
    min(release_date_start) AS first_release_date,
    max(release_date_start) AS last_release_date,
    sum(CASE WHEN age_days BETWEEN 0 AND 364 THEN 1 ELSE 0 END) AS releases_last_365d,
    max(as_of_date) AS as_of_date
  FROM dated
  GROUP BY artist_id
), measured AS (
  SELECT p.*,
    (year(as_of_date) * 4 + quarter(as_of_date)) - (year(first_release_date) * 4 + quarter(first_release_date)) + 1
      AS quarters_active
  FROM per_artist p
)
SELECT
  m.artist_id,
  ar.name AS artist_name,
  CAST(m.releases AS BIGINT) AS releases,
  CAST(m.albums AS BIGINT) AS albums,
  CAST(m.singles AS BIGINT) AS singles,
  CAST(m.compilations AS BIGINT) AS compilations,
  m.first_release_date,
  m.last_release_date,
  CAST(m.quarters_active AS INTEGER) AS quarters_active,
  round(CAST(m.releases AS DOUBLE) / m.quarters_active, 2) AS releases_per_quarter,
  CAST(m.releases_last_365d AS BIGINT) AS releases_last_365d,
  round(
    CASE WHEN m.releases > 1
      THEN CAST(date_diff('day', m.first_release_date, m.last_release_date) AS DOUBLE) / (m.releases - 1)
    END,
    1
  ) AS avg_days_between_releases,
  CAST(date_diff('day', m.last_release_date, m.as_of_date) AS INTEGER) AS days_since_last_release,
  m.as_of_date
FROM measured m
LEFT JOIN artists ar ON ar.id = m.artist_id
ORDER BY m.artist_id
