-- streams: one row per stream of the user's imported Spotify streaming history (tunelake import
-- streaming-history, src/import/), partitioned by the month the stream ended (ended_month, the first
-- day of the month: a history is years deep, a partition per day would be thousands of tiny files).
--
-- Two export formats land in the raw dataset streaming_history (the record as exported, personal
-- fields dropped or pseudonymised):
-- - extended ("Extended streaming history"): ts (ISO-8601, UTC, when the stream ENDED), ms_played,
--   track / episode / audiobook URIs and names, platform, conn_country, reasons, flags;
-- - account ("Account data"): endTime ('YYYY-MM-DD HH:MM', UTC, when it ended), artistName,
--   trackName (or podcastName, episodeName), msPlayed. No URIs: track_id stays NULL.
-- Field sets changed over the years: a missing field is NULL, an unknown one is kept in extra_fields.
-- A stream landed twice (the import skips known keys, so only after a crash or by hand) is kept once:
-- deduplicated on stream_key (when it ended, what played, how long), the first landing wins.
-- The import (src/import/stream-record.ts) applies the same validity rules to count what the
-- quarantine will receive: keep them in step.

-- The platform strings changed over the years ("Android OS 9 API 28 (samsung, SM-G960F)",
-- "iOS 14.4 (iPhone12,1)", "web_player windows 10;chrome 87", "OS X 10.15.7 [x86 8]", "windows",
-- "Partner sonos_..."): web first, since a web player string names the desktop OS it runs on.
CREATE OR REPLACE MACRO platform_family(p) AS CASE
  WHEN p IS NULL THEN NULL
  WHEN regexp_matches(lower(p), 'web_?player|^web') THEN 'web'
  WHEN regexp_matches(lower(p), 'android') THEN 'android'
  WHEN regexp_matches(lower(p), '(^|[^a-z])ios([^a-z]|$)|iphone|ipad|ipod') THEN 'ios'
  WHEN regexp_matches(lower(p), 'windows|os ?x|macos|mac os|linux') THEN 'desktop'
  ELSE 'other'
END;

CREATE OR REPLACE MACRO uri_id(uri, kind) AS
  CASE WHEN regexp_full_match(uri, 'spotify:' || kind || ':[0-9A-Za-z]{22}') THEN split_part(uri, ':', 3) END;

CREATE OR REPLACE TABLE streams__candidates AS
WITH parsed AS (
  -- raw-input.ts parsed every record while reading it (the JSON text is not kept): s is the record
  -- in stream_shape(), _shape and _is_stream come from which fields it has, extra_fields its others.
  SELECT
    rowid AS _rid, dataset AS _dataset, dt AS _dt, run_id AS _run_id, fetched_at AS _fetched_at,
    stream_key, format, source_file, source_index, s, _is_stream, _shape, extra_fields
  FROM raw_streaming_history
)
SELECT
  CASE WHEN _shape = 'extended' THEN
      CASE WHEN regexp_full_match(s.ts, '\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})')
        THEN utc_ts(s.ts) END
    ELSE TRY_STRPTIME(s.endTime, '%Y-%m-%d %H:%M') END AS ended_at,
  CASE WHEN _shape = 'extended' THEN s.ms_played ELSE s.msPlayed END AS ms_played,
  CASE
    WHEN _shape = 'account' THEN CASE WHEN s.podcastName IS NOT NULL OR s.episodeName IS NOT NULL THEN 'episode' ELSE 'track' END
    WHEN s.spotify_track_uri IS NOT NULL THEN 'track'
    WHEN s.spotify_episode_uri IS NOT NULL THEN 'episode'
    WHEN s.audiobook_uri IS NOT NULL OR s.audiobook_chapter_uri IS NOT NULL THEN 'audiobook'
    WHEN s.master_metadata_track_name IS NOT NULL THEN 'track'
    WHEN s.episode_name IS NOT NULL THEN 'episode'
    ELSE 'unknown'
  END AS item_type,
  uri_id(s.spotify_track_uri, 'track') AS track_id,
  s.spotify_track_uri AS track_uri,
  coalesce(s.master_metadata_track_name, s.trackName) AS track_name,
  coalesce(s.master_metadata_album_artist_name, s.artistName) AS artist_name,
  s.master_metadata_album_album_name AS album_name,
  uri_id(s.spotify_episode_uri, 'episode') AS episode_id,
  s.spotify_episode_uri AS episode_uri,
  coalesce(s.episode_name, s.episodeName) AS episode_name,
  coalesce(s.episode_show_name, s.podcastName) AS show_name,
  s.audiobook_uri AS audiobook_uri,
  s.audiobook_title AS audiobook_title,
  s.audiobook_chapter_uri AS audiobook_chapter_uri,
  s.audiobook_chapter_title AS audiobook_chapter_title,
  s.platform AS platform,
  platform_family(s.platform) AS platform_family,
  s.conn_country AS country,
  s.reason_start AS reason_start,
  s.reason_end AS reason_end,
  s.shuffle AS shuffle,
  s.skipped AS skipped,
  s.offline AS offline,
  s.offline_timestamp AS offline_timestamp,
  s.incognito_mode AS incognito,
  -- Present only when imported with --keep-pseudonymous: keyed hashes, never the values.
  s.username AS user_pseudonym,
  coalesce(s.ip_addr, s.ip_addr_decrypted) AS ip_pseudonym,
  s.user_agent_decrypted AS user_agent_pseudonym,
  extra_fields,
  'export-' || _shape AS source,
  stream_key, source_file, source_index,
  _is_stream,
  _rid, _dataset, '$' AS _path, _dt, _run_id, _fetched_at
FROM parsed;

-- @final

-- The records are checked (the quarantine has read what it needs of them) and nothing else reads
-- them: a long history is most of the transform's memory, so it goes before streams and listens are built.
DROP TABLE raw_streaming_history;

CREATE OR REPLACE TABLE streams AS
SELECT
  ended_at,
  CAST(ended_at - to_milliseconds(coalesce(ms_played, 0)) AS TIMESTAMP) AS started_at,
  * EXCLUDE (ended_at, _is_stream, _rid, _path, _dt, _run_id, _dataset, _fetched_at),
  strftime(date_trunc('month', ended_at), '%Y-%m-%d') AS ended_month,
  _dt, _run_id, _dataset, _fetched_at
FROM streams__passed
QUALIFY row_number() OVER (PARTITION BY stream_key ORDER BY _run_id, source_file, source_index) = 1;

-- @carry
-- What the next transform merges its new rows with: the stream kept above, per stream_key.
SELECT * FROM streams__passed
QUALIFY row_number() OVER (PARTITION BY stream_key ORDER BY _run_id, source_file, source_index) = 1;
