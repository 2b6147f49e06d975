-- content_mix: what each watched playlist is made of on each observed day: tracks and episodes, the
-- explicit share, and the duration distribution.
--
-- - items counts every position (local files and unavailable tracks too); durations and the explicit
--   flag come from the tracks and episodes tables, so local files and unavailable items have neither.
-- - explicit_share: explicit items / items whose explicit flag is known.
-- - median_duration_ms is exact (mean of the two middle values for an even count); p90_duration_ms is
--   the nearest-rank 90th percentile (the smallest duration at least 90% of the items do not exceed).
--   Both use window functions, because Athena only has approx_percentile.
WITH playable AS (
  SELECT i.snapshot_date, i.playlist_id, i."position", i.item_type,
    coalesce(t.duration_ms, e.duration_ms) AS duration_ms,
    coalesce(t.explicit, e.explicit) AS explicit
  FROM playlist_items i
  -- One equality per join (the item type folded into the key) keeps both engines on a hash join; an
  -- extra condition in ON made DuckDB fall back to a nested loop (minutes at 10M items).
  LEFT JOIN tracks t ON t.id = CASE WHEN i.item_type = 'track' THEN i.track_id END
  LEFT JOIN episodes e ON e.id = CASE WHEN i.item_type = 'episode' THEN i.episode_id END
), mix AS (
  SELECT snapshot_date, playlist_id,
    count(*) AS items,
    sum(CASE WHEN item_type = 'track' THEN 1 ELSE 0 END) AS tracks,
    sum(CASE WHEN item_type = 'episode' THEN 1 ELSE 0 END) AS episodes,
    sum(CASE WHEN explicit THEN 1 ELSE 0 END) AS explicit_items,
    count(explicit) AS rated_items,
    sum(duration_ms) AS total_duration_ms
  FROM playable
  GROUP BY snapshot_date, playlist_id
), ranked AS (
  SELECT snapshot_date, playlist_id, duration_ms,
    row_number() OVER (PARTITION BY snapshot_date, playlist_id ORDER BY duration_ms, "position") AS rn,
    count(*) OVER (PARTITION BY snapshot_date, playlist_id) AS n
  FROM playable
  WHERE duration_ms IS NOT NULL
), durations AS (
  SELECT snapshot_date, playlist_id,
    avg(CASE WHEN rn IN (floor((n + 1) / 2.0), ceil((n + 1) / 2.0)) THEN CAST(duration_ms AS DOUBLE) END)
      AS median_duration_ms,
    max(CASE WHEN rn = ceil(0.9 * n) THEN duration_ms END) AS p90_duration_ms
  FROM ranked
  GROUP BY snapshot_date, playlist_id
)
SELECT
  CAST(m.snapshot_date AS DATE) AS snapshot_date,
  m.playlist_id,
  pl.name AS playlist_name,
  CAST(m.items AS BIGINT) AS items,
  CAST(m.tracks AS BIGINT) AS tracks,
  CAST(m.episodes AS BIGINT) AS episodes,
  CAST(m.explicit_items AS BIGINT) AS explicit_items,
  round(CASE WHEN m.rated_items > 0 THEN CAST(m.explicit_items AS DOUBLE) / m.rated_items END, 4)
    AS explicit_share,
  round(d.median_duration_ms, 1) AS median_duration_ms,
  CAST(d.p90_duration_ms AS BIGINT) AS p90_duration_ms,
  CAST(m.total_duration_ms AS BIGINT) AS total_duration_ms
FROM mix m
LEFT JOIN durations d ON d.snapshot_date = m.snapshot_date AND d.playlist_id = m.playlist_id
LEFT JOIN playlists pl ON pl.id = m.playlist_id
ORDER BY m.snapshot_date, m.playlist_id
