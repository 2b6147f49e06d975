-- playlists: one row per playlist, its latest known state.
--
-- Sources: the metadata of watched playlists (playlists: PlaylistObject without its items, with
-- followers and items.total), the user's own playlists (my_playlists) and playlist search results
-- (SimplifiedPlaylistObjects, without followers). followers comes from the latest metadata record;
-- total from the latest record that has one (development mode hides the items, and their total, of
-- playlists the user neither owns nor collaborates on); everything else from the latest record.

CREATE OR REPLACE TABLE playlists__candidates AS
SELECT
  pl.id AS id,
  pl.name AS name,
  pl.description AS description,
  pl.owner.id AS owner_id,
  pl.owner.display_name AS owner_name,
  pl.collaborative AS collaborative,
  pl.public AS public,
  pl.snapshot_id AS snapshot_id,
  pl.followers.total AS followers,
  coalesce(pl.items.total, pl.tracks.total) AS total,
  pl.images[1].url AS image_url,
  pl.uri AS uri,
  _full, _rid, _dataset, '$' AS _path, _dt, _run_id, _fetched_at
FROM (
  SELECT rowid AS _rid, dataset AS _dataset, dt AS _dt, run_id AS _run_id, fetched_at AS _fetched_at,
    true AS _full, d AS pl
  FROM raw_playlists
  UNION ALL
  SELECT rowid, dataset, dt, run_id, fetched_at, false, d FROM raw_my_playlists
  UNION ALL
  SELECT rowid, dataset, dt, run_id, fetched_at, false, from_json(data, playlist_shape())
  FROM raw WHERE dataset = 'search_results' AND ctx.type = 'playlist'
)
WHERE pl IS NOT NULL;

-- @final

CREATE OR REPLACE TABLE playlists AS
WITH latest AS (
  SELECT * FROM playlists__passed
  QUALIFY row_number() OVER (
    PARTITION BY id
    ORDER BY _fetched_at DESC, _full DESC, name, description, owner_id, owner_name, collaborative, public,
      snapshot_id, image_url, uri, followers, total
  ) = 1
), latest_full AS (
  SELECT id, followers FROM playlists__passed WHERE _full
  QUALIFY row_number() OVER (PARTITION BY id ORDER BY _fetched_at DESC, followers) = 1
), agg AS (
  SELECT id, min(_fetched_at) AS first_seen_at, max(_fetched_at) AS last_seen_at,
    arg_max(total, (_fetched_at, total)) AS total
  FROM playlists__passed GROUP BY id
)
SELECT
  l.id,
  l.name,
  l.description,
  l.owner_id,
  l.owner_name,
  l.collaborative,
  l.public,
  l.snapshot_id,
  f.followers,
  g.total,
  l.image_url,
  open_url('playlist', l.id) AS url,
  coalesce(l.uri, 'spotify:playlist:' || l.id) AS uri,
  g.first_seen_at,
  g.last_seen_at,
  l._dt, l._run_id, l._dataset, l._fetched_at
FROM latest l JOIN agg g USING (id) LEFT JOIN latest_full f USING (id);

-- @carry
-- What the next transform merges its new rows with: per playlist, the row ranked first above, the
-- latest full row, a first-seen row and the row agg's arg_max picks (with and without a total).
WITH w AS (
  SELECT *, row_number() OVER () AS __w FROM playlists__passed
), keep AS (
  -- (Ordered aggregates, not window functions: the same rows, a fraction of the time.)
  SELECT unnest([
    first(__w ORDER BY _fetched_at DESC, _full DESC, name, description, owner_id, owner_name, collaborative, public,
      snapshot_id, image_url, uri, followers, total),
    first(__w ORDER BY _fetched_at DESC, followers) FILTER (WHERE _full),
    first(__w ORDER BY _fetched_at),
    arg_max(__w, (_fetched_at, total)),
    arg_max(__w, (_fetched_at, total)) FILTER (WHERE total IS NOT NULL)]) AS __w
  FROM w GROUP BY id
)
SELECT * EXCLUDE (__w) FROM w SEMI JOIN keep k ON k.__w = w.__w;
