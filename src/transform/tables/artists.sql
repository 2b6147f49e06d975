-- artists: one row per artist, its latest known state.
--
-- Sources: full ArtistObjects (watched artists, enrichment, top artists, artist search results) and
-- the simplified artists inside every track and album object (id and name only), so that every
-- artist a track or album names has a row. genres, followers, popularity and image_url exist only
-- on full objects and come from the latest one: in the development tier followers and popularity
-- are absent and stay NULL.

CREATE OR REPLACE TABLE artists__candidates AS
SELECT
  ar.id AS id, ar.name AS name, ar.genres AS genres, ar.followers.total AS followers, ar.popularity AS popularity,
  ar.images[1].url AS image_url, ar.uri AS uri,
  true AS _full, _rid, _dataset, '$' AS _path, _dt, _run_id, _fetched_at
FROM (
  SELECT rowid AS _rid, dataset AS _dataset, dt AS _dt, run_id AS _run_id, fetched_at AS _fetched_at, d AS ar
  FROM raw_artists
  UNION ALL
  SELECT rowid, dataset, dt, run_id, fetched_at, from_json(data, artist_shape())
  FROM raw
  WHERE (dataset = 'top_items' AND ctx.kind = 'artists') OR (dataset = 'search_results' AND ctx.type = 'artist')
)
WHERE ar IS NOT NULL
UNION ALL
SELECT ref.id, ref.name, NULL, NULL, NULL, NULL, ref.uri,
  false, _rid, _dataset, _path || '.artists[' || i || ']', _dt, _run_id, _fetched_at
FROM (
  SELECT *, unnest(refs) AS ref, unnest(range(len(refs))) AS i
  FROM (SELECT *, coalesce(t.artists, []) AS refs FROM track_objects)
)
WHERE ref IS NOT NULL
UNION ALL
SELECT ref.id, ref.name, NULL, NULL, NULL, NULL, ref.uri,
  false, _rid, _dataset, _path || '.artists[' || i || ']', _dt, _run_id, _fetched_at
FROM (
  SELECT *, unnest(refs) AS ref, unnest(range(len(refs))) AS i
  FROM (SELECT *, coalesce(a.artists, []) AS refs FROM album_objects)
)
WHERE ref IS NOT NULL;

-- @final

CREATE OR REPLACE TABLE artists AS
WITH seen AS (
  SELECT id, min(_fetched_at) AS first_seen_at, max(_fetched_at) AS last_seen_at FROM artists__passed GROUP BY id
), latest AS (
  -- Only a row fetched last can rank first, so the others are dropped before ranking: ranking every
  -- candidate (one per mention in every object) took most of the table's time.
  SELECT * FROM (
    SELECT c.* FROM artists__passed c
    SEMI JOIN seen s ON s.id = c.id AND c._fetched_at IS NOT DISTINCT FROM s.last_seen_at
  )
  QUALIFY row_number() OVER (
    PARTITION BY id ORDER BY _fetched_at DESC, _full DESC, name, uri, genres, followers, popularity, image_url
  ) = 1
), latest_full AS (
  SELECT id, genres, followers, popularity, image_url FROM artists__passed WHERE _full
  QUALIFY row_number() OVER (PARTITION BY id ORDER BY _fetched_at DESC, genres, followers, popularity, image_url) = 1
)
SELECT
  l.id,
  l.name,
  f.genres,
  f.followers,
  f.popularity,
  f.image_url,
  open_url('artist', l.id) AS url,
  coalesce(l.uri, 'spotify:artist:' || l.id) AS uri,
  s.first_seen_at,
  s.last_seen_at,
  l._dt, l._run_id, l._dataset, l._fetched_at
FROM latest l JOIN seen s USING (id) LEFT JOIN latest_full f USING (id);

-- @carry
-- What the next transform merges its new rows with: per artist, the row ranked first above, the
-- latest full row and a first-seen row.
-- (Ordered aggregates over a row number, not window functions: the same rows, a fraction of the time;
-- a window ranking costs tens of milliseconds even on a few hundred rows.)
WITH w AS (
  SELECT *, row_number() OVER () AS __w FROM artists__passed
), keep AS (
  SELECT unnest([
    first(__w ORDER BY _fetched_at DESC, _full DESC, name, uri, genres, followers, popularity, image_url),
    first(__w ORDER BY _fetched_at DESC, genres, followers, popularity, image_url) FILTER (WHERE _full),
    first(__w ORDER BY _fetched_at)]) AS __w
  FROM w GROUP BY id
)
SELECT * EXCLUDE (__w) FROM w SEMI JOIN keep k ON k.__w = w.__w;
