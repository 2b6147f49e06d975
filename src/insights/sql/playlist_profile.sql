-- playlist_profile: what kind of playlist each watched playlist is, as of the last day it was observed:
-- how fast it turns over, the weekday its curator usually updates it, frontline vs catalogue, and
-- who adds to it.
--
-- - Every item counts (tracks, episodes, local files) except where a number says "tracks".
-- - turnover_28d: items added (added_at) in the 28 days up to as_of_date (ages 0-27) / items with a
--   known added_at. Pre-saved and re-added items count from their latest add.
-- - usual_update_weekday: the weekday (ISO, UTC) with the most update days, an update day being a day
--   on which anything was added, over every item ever observed on the playlist (ties: the earlier
--   weekday). The weekday is computed from the day number (1970-01-01 was a Thursday), which reads
--   the same on DuckDB and Athena (their weekday functions differ: isodow vs day_of_week).
-- - frontline: a track released within about 18 months (548 days, pre-releases included) of
--   as_of_date, from its album's release_date_start; catalogue: older. Undated tracks are in neither.
-- - curators: distinct added_by among the current items; top_curator added the most of them (ties:
--   by id); its share is of the items whose added_by is known.
WITH latest AS (
  SELECT playlist_id, max(CAST(snapshot_date AS DATE)) AS as_of_date FROM playlist_items GROUP BY playlist_id
), current_items AS (
  SELECT i.playlist_id, l.as_of_date, i.item_type, i.track_id, i.added_by,
    CAST(i.added_at AS DATE) AS added_date,
    date_diff('day', al.release_date_start, l.as_of_date) AS release_age_days
  FROM playlist_items i
  JOIN latest l ON l.playlist_id = i.playlist_id AND l.as_of_date = CAST(i.snapshot_date AS DATE)
  LEFT JOIN tracks t ON t.id = CASE WHEN i.item_type = 'track' THEN i.track_id END
  LEFT JOIN albums al ON al.id = t.album_id
), summary AS (
  SELECT playlist_id, as_of_date,
    count(*) AS items,
    sum(CASE WHEN item_type = 'track' THEN 1 ELSE 0 END) AS tracks,
    count(added_date) AS dated_items,
    sum(CASE WHEN date_diff('day', added_date, as_of_date) BETWEEN 0 AND 27 THEN 1 ELSE 0 END) AS added_last_28d,
    sum(CASE WHEN release_age_days <= 548 THEN 1 ELSE 0 END) AS frontline_tracks,
    sum(CASE WHEN release_age_days > 548 THEN 1 ELSE 0 END) AS catalogue_tracks,
    count(DISTINCT added_by) AS curators,
    count(added_by) AS attributed_items,
    max(added_date) AS last_added_date
  FROM current_items
  GROUP BY playlist_id, as_of_date
), curator_counts AS (
  SELECT playlist_id, added_by, count(*) AS n,
    row_number() OVER (PARTITION BY playlist_id ORDER BY count(*) DESC, added_by) AS place
  FROM current_items
  WHERE added_by IS NOT NULL
  GROUP BY playlist_id, added_by
), update_days AS (
  SELECT DISTINCT playlist_id, CAST(added_at AS DATE) AS update_day
  FROM playlist_items
  WHERE added_at IS NOT NULL
), weekdays AS (
  SELECT playlist_id,
    (date_diff('day', DATE '1970-01-01', update_day) + 3) % 7 + 1 AS weekday,
    count(*) AS days
  FROM update_days
  GROUP BY playlist_id, (date_diff('day', DATE '1970-01-01', update_day) + 3) % 7 + 1
), usual AS (
  SELECT playlist_id, weekday, days,
    sum(days) OVER (PARTITION BY playlist_id) AS all_days,
    row_number() OVER (PARTITION BY playlist_id ORDER BY days DESC, weekday) AS place
  FROM weekdays
)
SELECT
  s.playlist_id,
  pl.name AS playlist_name,
  s.as_of_date,
  CAST(s.items AS BIGINT) AS items,
  CAST(s.tracks AS BIGINT) AS tracks,
  CAST(s.added_last_28d AS BIGINT) AS added_last_28d,
  round(CASE WHEN s.dated_items > 0 THEN CAST(s.added_last_28d AS DOUBLE) / s.dated_items END, 4) AS turnover_28d,
  CAST(coalesce(u.all_days, 0) AS BIGINT) AS update_days,
  CASE u.weekday
    WHEN 1 THEN 'Monday' WHEN 2 THEN 'Tuesday' WHEN 3 THEN 'Wednesday' WHEN 4 THEN 'Thursday'
    WHEN 5 THEN 'Friday' WHEN 6 THEN 'Saturday' WHEN 7 THEN 'Sunday'
  END AS usual_update_weekday,
  round(CAST(u.days AS DOUBLE) / u.all_days, 4) AS usual_update_weekday_share,
  CAST(s.frontline_tracks AS BIGINT) AS frontline_tracks,
  CAST(s.catalogue_tracks AS BIGINT) AS catalogue_tracks,
  round(
    CASE WHEN s.frontline_tracks + s.catalogue_tracks > 0
      THEN CAST(s.frontline_tracks AS DOUBLE) / (s.frontline_tracks + s.catalogue_tracks)
    END,
    4
  ) AS frontline_share,
  CAST(s.curators AS BIGINT) AS curators,
  c.added_by AS top_curator,
  round(CASE WHEN s.attributed_items > 0 THEN CAST(c.n AS DOUBLE) / s.attributed_items END, 4) AS top_curator_share,
  s.last_added_date,
  CAST(date_diff('day', s.last_added_date, s.as_of_date) AS INTEGER) AS days_since_last_add
FROM summary s
LEFT JOIN usual u ON u.playlist_id = s.playlist_id AND u.place = 1
LEFT JOIN curator_counts c ON c.playlist_id = s.playlist_id AND c.place = 1
LEFT JOIN playlists pl ON pl.id = s.playlist_id
ORDER BY s.playlist_id
