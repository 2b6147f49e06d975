-- Every Spotify object the tables read, parsed once from the raw zone into typed structs (the shapes
-- are in macros.sql). Runs after the raw zone is loaded and before the table files, which read these
-- tables instead of JSON. Each row keeps where it came from, for deduplication and the quarantine:
-- _rid (row in `raw`), _path (JSON path of the object in the record's data), _dataset, _dt, _run_id,
-- _fetched_at.

-- Playlist items as landed: the wrapper's fields and the item (a track, a local file, an episode, or
-- NULL for an unavailable track). Clients read `item ?? track` (spotify-web-api.md section 5).
CREATE OR REPLACE TABLE playlist_item_objects AS
SELECT
  _rid, _dataset, _dt, _run_id, _fetched_at,
  ctx.playlist_id, ctx.snapshot_id, ctx.position,
  p.added_at, p.added_by.id AS added_by, coalesce(p.is_local, false) AS wrapper_local,
  CASE WHEN p.item IS NOT NULL THEN '$.item' ELSE '$.track' END AS _item_path,
  coalesce(p.item, p.track) AS item
FROM (
  SELECT rowid AS _rid, dataset AS _dataset, dt AS _dt, run_id AS _run_id, fetched_at AS _fetched_at, ctx,
    from_json(data, '{"added_at": "VARCHAR", "added_by": {"id": "VARCHAR"}, "is_local": "BOOLEAN", "item": '
      || playable_shape() || ', "track": ' || playable_shape() || '}') AS p
  FROM raw WHERE dataset = 'playlist_items'
);

-- Recently played: one play per record.
CREATE OR REPLACE TABLE play_objects AS
SELECT
  rowid AS _rid, dataset AS _dataset, dt AS _dt, run_id AS _run_id, fetched_at AS _fetched_at,
  from_json(data, '{"played_at": "VARCHAR", "context": {"type": "VARCHAR", "uri": "VARCHAR"}, "track": '
    || playable_shape() || '}') AS p
FROM raw WHERE dataset = 'recently_played';

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
  SELECT rowid, dataset, '$.track', dt, run_id, fetched_at,
    from_json(data, '{"track": ' || playable_shape() || '}').track, NULL, true
  FROM raw WHERE dataset = 'saved_tracks'
  UNION ALL
  SELECT rowid, dataset, '$', dt, run_id, fetched_at, from_json(data, playable_shape()), NULL, true
  FROM raw
  WHERE dataset = 'tracks'
     OR (dataset = 'top_items' AND ctx.kind = 'tracks')
     OR (dataset = 'search_results' AND ctx.type = 'track')
  UNION ALL
  SELECT rowid, dataset, '$', dt, run_id, fetched_at, from_json(data, playable_shape()), ctx.album_id, false
  FROM raw WHERE dataset = 'album_tracks'
)
WHERE is_spotify_track(t);

-- Every album object: full ones (albums), simplified ones (a watched artist's discography, album
-- search results) and the album inside every full track object.
CREATE OR REPLACE TABLE album_objects AS
SELECT * FROM (
  SELECT rowid AS _rid, dataset AS _dataset, '$' AS _path, dt AS _dt, run_id AS _run_id, fetched_at AS _fetched_at,
    from_json(data, album_shape()) AS a, true AS _full, NULL AS _watch_artist_id, NULL AS _search_q
  FROM raw WHERE dataset = 'albums'
  UNION ALL
  SELECT rowid, dataset, '$', dt, run_id, fetched_at, from_json(data, album_shape()), false, ctx.artist_id, NULL
  FROM raw WHERE dataset = 'artist_albums'
  UNION ALL
  SELECT rowid, dataset, '$', dt, run_id, fetched_at, from_json(data, album_shape()), false, NULL, ctx.q
  FROM raw WHERE dataset = 'search_results' AND ctx.type = 'album'
  UNION ALL
  SELECT _rid, _dataset, _path || '.album', _dt, _run_id, _fetched_at, t.album, false, NULL, NULL
  FROM track_objects WHERE _full
)
WHERE a IS NOT NULL;
