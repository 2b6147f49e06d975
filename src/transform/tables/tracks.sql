-- tracks: one row per Spotify track, its latest known state.
--
-- Sources: every track object (objects.sql: track_objects): full TrackObjects from playlist items,
-- recently played, saved tracks, top tracks, track search results and enrichment, and the simplified
-- ones of album_tracks, which lack album, external_ids and popularity. Episodes and local files are
-- never tracks: they stay in playlist_items (and episodes).
--
-- "Latest fetched wins", per kind of attribute: what every track object carries (name, duration,
-- artists...) comes from the latest record of any kind; what only full objects carry (isrc,
-- popularity) comes from the latest full object. So when the tier stops sending popularity, the
-- dimension's popularity becomes NULL from then on, while track_snapshots keeps the history.
-- Ties on fetched_at are broken by the values themselves, so the result never depends on read order.

CREATE OR REPLACE TABLE tracks__candidates AS
SELECT
  t.id AS id,
  t.name AS name,
  coalesce(t.album.id, _ctx_album_id) AS album_id,
  ids_of(t.artists) AS artist_ids,
  t.duration_ms AS duration_ms,
  t.explicit AS explicit,
  t.disc_number AS disc_number,
  t.track_number AS track_number,
  t.external_ids.isrc AS isrc,
  t.popularity AS popularity,
  false AS is_local,
  t.uri AS uri,
  _full, _rid, _dataset, _path, _dt, _run_id, _fetched_at
FROM track_objects;

-- @final

CREATE OR REPLACE TABLE tracks AS
WITH seen AS (
  SELECT id, min(_fetched_at) AS first_seen_at, max(_fetched_at) AS last_seen_at FROM tracks__passed GROUP BY id
), latest AS (
  -- Only a row fetched last can rank first, so the others are dropped before ranking: ranking every
  -- candidate (one per mention in every object) took most of the table's time.
  SELECT * FROM (
    SELECT c.* FROM tracks__passed c
    SEMI JOIN seen s ON s.id = c.id AND c._fetched_at IS NOT DISTINCT FROM s.last_seen_at
  )
  QUALIFY row_number() OVER (
    PARTITION BY id
    ORDER BY _fetched_at DESC, _full DESC, name, album_id, artist_ids, duration_ms, explicit, disc_number,
      track_number, uri, isrc, popularity
  ) = 1
), latest_full AS (
  SELECT id, isrc, popularity FROM tracks__passed WHERE _full
  QUALIFY row_number() OVER (PARTITION BY id ORDER BY _fetched_at DESC, isrc, popularity) = 1
)
SELECT
  l.id,
  l.name,
  l.album_id,
  l.artist_ids,
  l.duration_ms,
  l.explicit,
  l.disc_number,
  l.track_number,
  f.isrc,
  f.popularity,
  l.is_local,
  open_url('track', l.id) AS url,
  coalesce(l.uri, 'spotify:track:' || l.id) AS uri,
  s.first_seen_at,
  s.last_seen_at,
  l._dt, l._run_id, l._dataset, l._fetched_at
FROM latest l JOIN seen s USING (id) LEFT JOIN latest_full f USING (id);

-- @carry
-- What the next transform merges its new rows with: per track, the row ranked first above, the latest
-- full row and a first-seen row (seen's max is the first row's _fetched_at).
-- (Ordered aggregates over a row number, not window functions: the same rows, a fraction of the time;
-- a window ranking costs tens of milliseconds even on a few hundred rows.)
WITH w AS (
  SELECT *, row_number() OVER () AS __w FROM tracks__passed
), keep AS (
  SELECT unnest([
    first(__w ORDER BY _fetched_at DESC, _full DESC, name, album_id, artist_ids, duration_ms, explicit, disc_number,
      track_number, uri, isrc, popularity),
    first(__w ORDER BY _fetched_at DESC, isrc, popularity) FILTER (WHERE _full),
    first(__w ORDER BY _fetched_at)]) AS __w
  FROM w GROUP BY id
)
SELECT * EXCLUDE (__w) FROM w SEMI JOIN keep k ON k.__w = w.__w;
