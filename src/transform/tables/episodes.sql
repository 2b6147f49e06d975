-- episodes: podcast episodes found in playlists (a playlist item whose item has type "episode"). They
-- are kept apart from tracks: playlist_items points at them with item_type = 'episode' and episode_id.

CREATE OR REPLACE TABLE episodes__candidates AS
SELECT
  item.id AS id,
  item.name AS name,
  item.show.id AS show_id,
  item.show.name AS show_name,
  item.duration_ms AS duration_ms,
  item.explicit AS explicit,
  item.release_date AS release_date,
  release_precision(item.release_date, item.release_date_precision) AS release_date_precision,
  item.language AS language,
  item.uri AS uri,
  _rid, _dataset, _item_path AS _path, _dt, _run_id, _fetched_at
FROM playlist_item_objects
WHERE item.type = 'episode';

-- @final

CREATE OR REPLACE TABLE episodes AS
WITH latest AS (
  SELECT * FROM episodes__passed
  QUALIFY row_number() OVER (
    PARTITION BY id
    ORDER BY _fetched_at DESC, name, show_id, show_name, duration_ms, explicit, release_date, release_date_precision,
      language, uri
  ) = 1
), seen AS (
  SELECT id, min(_fetched_at) AS first_seen_at, max(_fetched_at) AS last_seen_at FROM episodes__passed GROUP BY id
)
SELECT
  l.id,
  l.name,
  l.show_id,
  l.show_name,
  l.duration_ms,
  l.explicit,
  l.release_date,
  l.release_date_precision,
  release_start(l.release_date, l.release_date_precision) AS release_date_start,
  l.language,
  open_url('episode', l.id) AS url,
  coalesce(l.uri, 'spotify:episode:' || l.id) AS uri,
  s.first_seen_at,
  s.last_seen_at,
  l._dt, l._run_id, l._dataset, l._fetched_at
FROM latest l JOIN seen s USING (id);

-- @carry
-- What the next transform merges its new rows with: per episode, the row ranked first above and a
-- first-seen row.
-- (Ordered aggregates over a row number, not window functions: the same rows, a fraction of the time;
-- a window ranking costs tens of milliseconds even on a few hundred rows.)
WITH w AS (
  SELECT *, row_number() OVER () AS __w FROM episodes__passed
), keep AS (
  SELECT unnest([
    first(__w ORDER BY _fetched_at DESC, name, show_id, show_name, duration_ms, explicit, release_date,
      release_date_precision, language, uri),
    first(__w ORDER BY _fetched_at)]) AS __w
  FROM w GROUP BY id
)
SELECT * EXCLUDE (__w) FROM w SEMI JOIN keep k ON k.__w = w.__w;
