-- Macros shared by raw-input.ts, objects.sql and the table files (tables/*.sql). Loaded once per
-- transform, before the raw zone. Raw records are read into the shapes below, so a field that
-- disappears or changes type becomes NULL instead of failing the run (schema evolution).

-- A Spotify id: exactly 22 base-62 characters (https://developer.spotify.com/documentation/web-api/concepts/spotify-uris-ids).
CREATE OR REPLACE MACRO is_spotify_id(s) AS coalesce(regexp_full_match(s, '[0-9A-Za-z]{22}'), false);

-- ISO-8601 text -> TIMESTAMP in UTC (the session's TimeZone is UTC; an explicit offset is honoured).
CREATE OR REPLACE MACRO utc_ts(s) AS TRY_CAST(s AS TIMESTAMPTZ) AT TIME ZONE 'UTC';

-- The public web page of an entity (open.spotify.com), never the API href.
CREATE OR REPLACE MACRO open_url(kind, id) AS CASE WHEN id IS NOT NULL THEN 'https://open.spotify.com/' || kind || '/' || id END;

-- Ids of a list of simplified objects (artists), in order; a missing list gives [].
CREATE OR REPLACE MACRO ids_of(refs) AS list_transform(coalesce(refs, []), r -> r.id);

-- A playable item that is a track and not a local file (local files are track-shaped, without ids).
CREATE OR REPLACE MACRO is_spotify_track(t) AS t IS NOT NULL
  AND coalesce(t.type, 'track') = 'track'
  AND NOT coalesce(t.is_local, false)
  AND NOT coalesce(starts_with(t.uri, 'spotify:local:'), false);

-- True when every element is a Spotify id (and true for an empty list).
CREATE OR REPLACE MACRO all_spotify_ids(ids) AS len(list_filter(coalesce(ids, []), x -> NOT is_spotify_id(x))) = 0;

-- release_date precision as sent, or inferred from the text's shape when the field is missing.
CREATE OR REPLACE MACRO release_precision(d, p) AS coalesce(
  p,
  CASE WHEN regexp_full_match(d, '\d{4}') THEN 'year'
       WHEN regexp_full_match(d, '\d{4}-\d{2}') THEN 'month'
       WHEN regexp_full_match(d, '\d{4}-\d{2}-\d{2}') THEN 'day' END);

-- The first day of the release period: 1981 -> 1981-01-01, 1981-12 -> 1981-12-01. NULL when the
-- text does not match its precision, and for Spotify's "0000" placeholder year.
CREATE OR REPLACE MACRO release_start(d, p) AS CASE
  WHEN d IS NULL OR starts_with(d, '0000') THEN NULL
  WHEN release_precision(d, p) = 'year' AND regexp_full_match(d, '\d{4}') THEN TRY_CAST(d || '-01-01' AS DATE)
  WHEN release_precision(d, p) = 'month' AND regexp_full_match(d, '\d{4}-\d{2}') THEN TRY_CAST(d || '-01' AS DATE)
  WHEN release_precision(d, p) = 'day' AND regexp_full_match(d, '\d{4}-\d{2}-\d{2}') THEN TRY_CAST(d AS DATE)
END;

-- The shapes the transform reads from Spotify objects, for from_json(): every record is parsed once,
-- into typed structs. Fields not listed are ignored (a new field never matters); a listed field that
-- is missing, null or of another type becomes NULL (a removed or retyped field never fails the run).
CREATE OR REPLACE MACRO artist_ref_shape() AS '{"id": "VARCHAR", "name": "VARCHAR", "uri": "VARCHAR"}';

CREATE OR REPLACE MACRO album_shape() AS '{
  "id": "VARCHAR", "name": "VARCHAR", "type": "VARCHAR", "uri": "VARCHAR", "album_type": "VARCHAR",
  "album_group": "VARCHAR", "total_tracks": "INTEGER", "release_date": "VARCHAR",
  "release_date_precision": "VARCHAR", "label": "VARCHAR", "popularity": "INTEGER",
  "external_ids": {"upc": "VARCHAR", "ean": "VARCHAR"}, "images": [{"url": "VARCHAR"}],
  "artists": [' || artist_ref_shape() || ']}';

-- A TrackObject (full or simplified) or, in playlists, an EpisodeObject: the union of their fields.
CREATE OR REPLACE MACRO playable_shape() AS '{
  "id": "VARCHAR", "name": "VARCHAR", "type": "VARCHAR", "uri": "VARCHAR", "is_local": "BOOLEAN",
  "duration_ms": "BIGINT", "explicit": "BOOLEAN", "disc_number": "INTEGER", "track_number": "INTEGER",
  "popularity": "INTEGER", "external_ids": {"isrc": "VARCHAR"}, "artists": [' || artist_ref_shape() || '],
  "album": ' || album_shape() || ', "show": {"id": "VARCHAR", "name": "VARCHAR"},
  "release_date": "VARCHAR", "release_date_precision": "VARCHAR", "language": "VARCHAR"}';

CREATE OR REPLACE MACRO artist_shape() AS '{
  "id": "VARCHAR", "name": "VARCHAR", "uri": "VARCHAR", "genres": ["VARCHAR"],
  "followers": {"total": "BIGINT"}, "popularity": "INTEGER", "images": [{"url": "VARCHAR"}]}';

CREATE OR REPLACE MACRO playlist_shape() AS '{
  "id": "VARCHAR", "name": "VARCHAR", "description": "VARCHAR", "uri": "VARCHAR",
  "owner": {"id": "VARCHAR", "display_name": "VARCHAR"}, "collaborative": "BOOLEAN", "public": "BOOLEAN",
  "snapshot_id": "VARCHAR", "followers": {"total": "BIGINT"}, "items": {"total": "INTEGER"},
  "tracks": {"total": "INTEGER"}, "images": [{"url": "VARCHAR"}]}';

-- The request context extract writes next to every record (src/extract/raw-writer.ts).
CREATE OR REPLACE MACRO context_shape() AS '{
  "fetched_at": "VARCHAR", "playlist_id": "VARCHAR", "snapshot_id": "VARCHAR", "position": "INTEGER",
  "artist_id": "VARCHAR", "album_id": "VARCHAR", "q": "VARCHAR", "type": "VARCHAR", "rank": "INTEGER",
  "kind": "VARCHAR", "time_range": "VARCHAR"}';

-- The data of the datasets whose records all hold one kind of object, read straight into these
-- shapes by raw-input.ts (one parse per record). Datasets not listed here (top_items and
-- search_results mix kinds; the rest are not read by any table) stay JSON text in `raw`.
CREATE OR REPLACE MACRO dataset_shape(ds) AS CASE ds
  WHEN 'playlist_items' THEN '{"added_at": "VARCHAR", "added_by": {"id": "VARCHAR"}, "is_local": "BOOLEAN", "item": '
    || playable_shape() || ', "track": ' || playable_shape() || '}'
  WHEN 'recently_played' THEN '{"played_at": "VARCHAR", "context": {"type": "VARCHAR", "uri": "VARCHAR"}, "track": '
    || playable_shape() || '}'
  WHEN 'saved_tracks' THEN '{"track": ' || playable_shape() || '}'
  WHEN 'tracks' THEN playable_shape()
  WHEN 'album_tracks' THEN playable_shape()
  WHEN 'albums' THEN album_shape()
  WHEN 'artist_albums' THEN album_shape()
  WHEN 'artists' THEN artist_shape()
  WHEN 'playlists' THEN playlist_shape()
  WHEN 'my_playlists' THEN playlist_shape()
END;

-- A record of the imported streaming history (src/import/, tables/streams.sql), as Spotify exports
-- it: the extended format's fields and the account-data format's (endTime, artistName, ...).
CREATE OR REPLACE MACRO stream_shape() AS '{
  "ts": "VARCHAR", "platform": "VARCHAR", "ms_played": "BIGINT", "conn_country": "VARCHAR",
  "master_metadata_track_name": "VARCHAR", "master_metadata_album_artist_name": "VARCHAR",
  "master_metadata_album_album_name": "VARCHAR", "spotify_track_uri": "VARCHAR",
  "episode_name": "VARCHAR", "episode_show_name": "VARCHAR", "spotify_episode_uri": "VARCHAR",
  "audiobook_title": "VARCHAR", "audiobook_uri": "VARCHAR", "audiobook_chapter_uri": "VARCHAR",
  "audiobook_chapter_title": "VARCHAR", "reason_start": "VARCHAR", "reason_end": "VARCHAR",
  "shuffle": "BOOLEAN", "skipped": "BOOLEAN", "offline": "BOOLEAN", "offline_timestamp": "BIGINT",
  "incognito_mode": "BOOLEAN", "username": "VARCHAR", "ip_addr": "VARCHAR", "ip_addr_decrypted": "VARCHAR",
  "user_agent_decrypted": "VARCHAR",
  "endTime": "VARCHAR", "artistName": "VARCHAR", "trackName": "VARCHAR", "msPlayed": "BIGINT",
  "podcastName": "VARCHAR", "episodeName": "VARCHAR"}';

-- Every field the shape above reads: the others are carried in extra_fields.
CREATE OR REPLACE MACRO stream_known_fields() AS [
  'ts', 'platform', 'ms_played', 'conn_country', 'master_metadata_track_name',
  'master_metadata_album_artist_name', 'master_metadata_album_album_name', 'spotify_track_uri',
  'episode_name', 'episode_show_name', 'spotify_episode_uri', 'audiobook_title', 'audiobook_uri',
  'audiobook_chapter_uri', 'audiobook_chapter_title', 'reason_start', 'reason_end', 'shuffle', 'skipped',
  'offline', 'offline_timestamp', 'incognito_mode', 'username', 'ip_addr', 'ip_addr_decrypted',
  'user_agent_decrypted', 'endTime', 'artistName', 'trackName', 'msPlayed', 'podcastName', 'episodeName'];

-- The fields of a streaming-history record that stream_shape() does not read, as a JSON object text
-- with sorted keys (NULL when there are none): streams.extra_fields.
CREATE OR REPLACE MACRO stream_extra_fields(record) AS
  CASE WHEN len(list_filter(json_keys(record), k -> NOT list_contains(stream_known_fields(), k))) > 0 THEN
    CAST(to_json(map_from_entries(list_transform(
      list_sort(list_filter(json_keys(record), k -> NOT list_contains(stream_known_fields(), k))),
      k -> struct_pack(k := k, v := json_extract(record, '$."' || k || '"'))))) AS VARCHAR)
  END;
