-- albums: one row per album, its latest known state.
--
-- Sources: every album object (objects.sql: album_objects): full AlbumObjects (new albums of watched
-- artists and of tag:new searches, enrichment) and SimplifiedAlbumObjects (a watched artist's
-- discography, album search results, the album inside every full track object). label, upc and
-- popularity exist only on full objects and come from the latest one; everything else from the
-- latest record of any kind. release_date is kept as sent ("1981", "1981-12", "1981-12-15") with its
-- precision, plus release_date_start, the DATE the period starts on.

CREATE OR REPLACE TABLE albums__candidates AS
SELECT
  a.id AS id,
  a.name AS name,
  lower(a.album_type) AS album_type,
  a.total_tracks AS total_tracks,
  a.release_date AS release_date,
  release_precision(a.release_date, a.release_date_precision) AS release_date_precision,
  a.label AS label,
  coalesce(a.external_ids.upc, a.external_ids.ean) AS upc,
  a.popularity AS popularity,
  a.images[1].url AS image_url,
  ids_of(a.artists) AS artist_ids,
  a.uri AS uri,
  a.album_group AS _album_group,
  _watch_artist_id, _search_q,
  _full, _rid, _dataset, _path, _dt, _run_id, _fetched_at
FROM album_objects;

-- @final

CREATE OR REPLACE TABLE albums AS
WITH seen AS (
  SELECT id, min(_fetched_at) AS first_seen_at, max(_fetched_at) AS last_seen_at FROM albums__passed GROUP BY id
), latest AS (
  -- Only a row fetched last can rank first, so the others are dropped before ranking: ranking every
  -- candidate (one per mention in every object) took most of the table's time.
  SELECT * FROM (
    SELECT c.* FROM albums__passed c
    SEMI JOIN seen s ON s.id = c.id AND c._fetched_at IS NOT DISTINCT FROM s.last_seen_at
  )
  QUALIFY row_number() OVER (
    PARTITION BY id
    ORDER BY _fetched_at DESC, _full DESC, name, album_type, total_tracks, release_date, release_date_precision,
      image_url, artist_ids, uri, label, upc, popularity
  ) = 1
), latest_full AS (
  SELECT id, label, upc, popularity FROM albums__passed WHERE _full
  QUALIFY row_number() OVER (PARTITION BY id ORDER BY _fetched_at DESC, label, upc, popularity) = 1
)
SELECT
  l.id,
  l.name,
  l.album_type,
  l.total_tracks,
  l.release_date,
  l.release_date_precision,
  release_start(l.release_date, l.release_date_precision) AS release_date_start,
  f.label,
  f.upc,
  f.popularity,
  l.image_url,
  l.artist_ids,
  open_url('album', l.id) AS url,
  coalesce(l.uri, 'spotify:album:' || l.id) AS uri,
  s.first_seen_at,
  s.last_seen_at,
  l._dt, l._run_id, l._dataset, l._fetched_at
FROM latest l JOIN seen s USING (id) LEFT JOIN latest_full f USING (id);

-- @carry
-- What the next transform merges its new rows with: per album, the row ranked first above, the latest
-- full row and a first-seen row; and per release of releases.sql, every row one of its aggregates picks.
WITH w AS (
  SELECT *, row_number() OVER () AS __w FROM albums__passed
), events AS (
  SELECT __w, id AS album_id, _watch_artist_id AS artist_id, 'watchlist' AS source, NULL AS query,
    _album_group AS album_group, _dt, _run_id, _dataset, _fetched_at
  FROM w
  WHERE _dataset = 'artist_albums' AND is_spotify_id(_watch_artist_id)
  UNION ALL
  SELECT __w, id, unnest(artist_ids), 'search', _search_q, NULL, _dt, _run_id, _dataset, _fetched_at
  FROM w
  WHERE _dataset = 'search_results' AND contains(lower(_search_q), 'tag:new')
), keep AS (
  -- (Ordered aggregates, not window functions: the same rows, a fraction of the time.)
  SELECT unnest([
    first(__w ORDER BY _fetched_at DESC, _full DESC, name, album_type, total_tracks, release_date,
      release_date_precision, image_url, artist_ids, uri, label, upc, popularity),
    first(__w ORDER BY _fetched_at DESC, label, upc, popularity) FILTER (WHERE _full),
    first(__w ORDER BY _fetched_at)]) AS __w
  FROM w GROUP BY id
  UNION ALL
  SELECT unnest([
    arg_min(__w, (_fetched_at, query)),
    arg_min(__w, (_fetched_at, query)) FILTER (WHERE query IS NOT NULL),
    arg_max(__w, (_fetched_at, album_group)),
    arg_max(__w, (_fetched_at, album_group)) FILTER (WHERE album_group IS NOT NULL),
    arg_min(__w, _fetched_at), arg_min(__w, _dt), arg_min(__w, _run_id), arg_min(__w, _dataset)])
  FROM events GROUP BY album_id, artist_id, source
)
SELECT * EXCLUDE (__w) FROM w SEMI JOIN keep k ON k.__w = w.__w;
