-- plays: the user's listening history (recently played), one row per play, partitioned by
-- played_date (UTC). The same play can land twice (runs overlap at the cursor): deduplicated on
-- played_at + track_id, the first landing wins.

CREATE OR REPLACE TABLE plays__candidates AS
SELECT
  utc_ts(p.played_at) AS played_at,
  p.track.id AS track_id,
  coalesce(p.track.type, 'track') AS _item_type,
  p.context.type AS context_type,
  p.context.uri AS context_uri,
  _rid, _dataset, '$' AS _path, _dt, _run_id, _fetched_at
FROM play_objects;

-- @final

CREATE OR REPLACE TABLE plays AS
SELECT
  played_at,
  track_id,
  context_type,
  context_uri,
  strftime(played_at, '%Y-%m-%d') AS played_date,
  _dt, _run_id, _dataset, _fetched_at
FROM plays__passed
QUALIFY row_number() OVER (PARTITION BY played_at, track_id ORDER BY _fetched_at, context_type, context_uri) = 1;

-- @carry
-- What the next transform merges its new rows with: the play kept above, per played_at + track_id.
SELECT * FROM plays__passed
QUALIFY row_number() OVER (PARTITION BY played_at, track_id ORDER BY _fetched_at, context_type, context_uri) = 1;
