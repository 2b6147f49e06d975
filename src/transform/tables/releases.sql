-- releases: album releases seen through the artist watchlist (a watched artist's discography, source
-- 'watchlist') and through `tag:new` album searches (source 'search', one row per album artist), with
-- the day tunelake first saw them. The first run of a new watched artist sees its whole back
-- catalogue: days_after_release (first_seen_date - release_date_start) tells fresh releases apart.

CREATE OR REPLACE TABLE releases AS
WITH events AS (
  SELECT id AS album_id, _watch_artist_id AS artist_id, 'watchlist' AS source, NULL AS query, _album_group AS album_group,
    _dt, _run_id, _dataset, _fetched_at
  FROM albums__passed
  WHERE _dataset = 'artist_albums' AND is_spotify_id(_watch_artist_id)
  UNION ALL
  SELECT id, unnest(artist_ids), 'search', _search_q, NULL, _dt, _run_id, _dataset, _fetched_at
  FROM albums__passed
  WHERE _dataset = 'search_results' AND contains(lower(_search_q), 'tag:new')
), firsts AS (
  SELECT album_id, artist_id, source,
    arg_min(query, (_fetched_at, query)) AS query,
    arg_max(album_group, (_fetched_at, album_group)) AS album_group,
    min(_fetched_at) AS first_seen_at,
    min(_dt) AS first_seen_dt,
    min(_run_id) AS _run_id,
    min(_dataset) AS _dataset
  FROM events GROUP BY album_id, artist_id, source
)
SELECT
  f.album_id,
  f.artist_id,
  f.source,
  f.query,
  a.name AS album_name,
  a.album_type,
  f.album_group,
  a.release_date,
  a.release_date_precision,
  a.release_date_start,
  CAST(f.first_seen_dt AS DATE) AS first_seen_date,
  f.first_seen_at,
  CAST(CAST(f.first_seen_dt AS DATE) - a.release_date_start AS INTEGER) AS days_after_release,
  f.first_seen_dt AS _dt, f._run_id, f._dataset, f.first_seen_at AS _fetched_at
FROM firsts f JOIN albums a ON a.id = f.album_id;
