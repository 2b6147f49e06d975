-- Every Spotify object the tables read, from the raw zone's typed tables (raw_<dataset>, read into
-- the shapes of macros.sql) or parsed from the JSON text of `raw`. Runs after the raw zone is loaded
-- and before the table files, which read these instead of JSON. playlist_item_objects and
-- play_objects are views (one more copy of every playlist item would cost more than it saves);
-- track_objects and album_objects, read by several tables, are tables. Each row keeps where it came
-- from, for deduplication and the quarantine: _rid (row in the raw table of its dataset: raw_<dataset>
-- or raw), _path (JSON path of the object in the record's data), _dataset, _dt, _run_id, _fetched_at.

-- Playlist items as landed: the wrapper's fields and the item (a track, a local file, an episode, or
-- NULL for an unavailable track). Clients read `item ?? track` (https://developer.spotify.com/documentation/web-api/tutorials/february-2026-migration-guide).
CREATE OR REPLACE VIEW playlist_item_objects AS
SELECT
  _rid, _dataset, _dt, _run_id, _fetched_at,
  ctx.playlist_id, ctx.snapshot_id, ctx.position,
  p.added_at, p.added_by.id AS added_by, coalesce(p.is_local, false) AS wrapper_local,
  CASE WHEN p.item IS NOT NULL THEN '$.item' ELSE '$.track' END AS _item_path,
  coalesce(p.item, p.track) AS item
FROM (
  SELECT rowid AS _rid, dataset AS _dataset, dt AS _dt, run_id AS _run_id, fetched_at AS _fetched_at, ctx, d AS p
  FROM raw_playlist_items
);

-- Recently played: one play per record.
CREATE OR REPLACE VIEW play_objects AS
SELECT rowid AS _rid, dataset AS _dataset, dt AS _dt, run_id AS _run_id, fetched_at AS _fetched_at, d AS p
FROM raw_recently_played;

-- Every track object: full ones (playlist items, recently played, saved tracks, top tracks, track
-- search results, enrichment) and the simplified ones of album_tracks (no album, isrc, popularity;
-- their album comes from the request context). Local files and episodes are not tracks.
CREATE OR REPLACE TABLE track_objects AS
SELECT * FROM (
  SELECT _rid, _dataset, _item_path AS _path, _dt, _run_id, _fetched_at, item AS t, NULL AS _ctx_album_id, true AS _full
  FROM playlist_item_objects WHERE NOT wrapper_local
  UNION ALL
  SELECT _rid, _dataset, '$.track', _dt, _run_id, _fetched_at, p.track, NULL, true
  FROM play_objects
  UNION ALL
  SELECT rowid, dataset, '$.track', dt, run_id, fetched_at, d.track, NULL, true
  FROM raw_saved_tracks
  UNION ALL
  SELECT rowid, dataset, '$', dt, run_id, fetched_at, d, NULL, true
  FROM raw_tracks
  UNION ALL
  SELECT rowid, dataset, '$', dt, run_id, fetched_at, from_json(data, playable_shape()), NULL, true
  FROM raw
  WHERE (dataset = 'top_items' AND ctx.kind = 'tracks') OR (dataset = 'search_results' AND ctx.type = 'track')
  UNION ALL
  SELECT rowid, dataset, '$', dt, run_id, fetched_at, d, ctx.album_id, false
  FROM raw_album_tracks
)
WHERE is_spotify_track(t);

-- Every album object: full ones (albums), simplified ones (a watched artist's discography, album
-- search results) and the album inside every full track object.
CREATE OR REPLACE TABLE album_objects AS
SELECT * FROM (
  SELECT rowid AS _rid, dataset AS _dataset, '$' AS _path, dt AS _dt, run_id AS _run_id, fetched_at AS _fetched_at,
    d AS a, true AS _full, NULL AS _watch_artist_id, NULL AS _search_q
  FROM raw_albums
  UNION ALL
  SELECT rowid, dataset, '$', dt, run_id, fetched_at, d, false, ctx.artist_id, NULL
  FROM raw_artist_albums
  UNION ALL
  SELECT rowid, dataset, '$', dt, run_id, fetched_at, from_json(data, album_shape()), false, NULL, ctx.q
  FROM raw WHERE dataset = 'search_results' AND ctx.type = 'album'
  UNION ALL
  SELECT _rid, _dataset, _path || '.album', _dt, _run_id, _fetched_at, t.album, false, NULL, NULL
  FROM track_objects WHERE _full
)
WHERE a IS NOT NULL;
