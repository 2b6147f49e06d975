-- noteworthy: the days on which an artist is well above its own trend, ranked: its footprint in the
-- watched playlists (places held) or the user's plays of it. The alert paid tools call "trending".
--
-- - A robust z-score against the trailing 28 days (the days before, not the day itself):
--   (value - median) / (1.4826 * MAD), MAD being the median absolute deviation from that median.
--   Median and MAD are not moved by one earlier spike, as a mean and a standard deviation would be.
--   The scale is at least 1, so a count that never varied needs 4 more than usual to reach 4.
-- - The window holds the days the signal was observed: any watched playlist observed (positions), any
--   play (plays). An artist absent on such a day counts 0 for it. At least 7 such days are needed.
-- - A row is a day with robust_z >= 3.5 (Iglewicz and Hoaglin's cut-off for outliers) and a value
--   above the median; rank 1 is the day's strongest (ties: by signal, then artist id).
-- - playlist_positions counts every credited artist's places (as artist_presence); plays are track
--   listens of 30 s or more (polled plays always count) of the primary artist (as top_played).
WITH series AS (
  SELECT 'playlist_positions' AS signal, CAST(i.snapshot_date AS DATE) AS snapshot_date, ta.artist_id,
    count(*) AS value
  FROM playlist_items i JOIN track_artists ta ON ta.track_id = i.track_id
  WHERE i.item_type = 'track'
  GROUP BY CAST(i.snapshot_date AS DATE), ta.artist_id
  UNION ALL
  SELECT 'plays' AS signal, CAST(l.listened_at AS DATE) AS snapshot_date, ta.artist_id, count(*) AS value
  FROM listens l JOIN track_artists ta ON ta.track_id = l.track_id AND ta."position" = 0
  WHERE l.item_type = 'track' AND (l.ms_played IS NULL OR l.ms_played >= 30000)
  GROUP BY CAST(l.listened_at AS DATE), ta.artist_id
), numbered AS (
  SELECT s.*, date_diff('day', DATE '1970-01-01', s.snapshot_date) AS day_no FROM series s
), observed AS (
  SELECT DISTINCT 'playlist_positions' AS signal,
    date_diff('day', DATE '1970-01-01', CAST(snapshot_date AS DATE)) AS day_no
  FROM playlist_items
  UNION ALL
  SELECT DISTINCT 'plays' AS signal, date_diff('day', DATE '1970-01-01', CAST(listened_at AS DATE)) AS day_no
  FROM listens
  WHERE item_type = 'track' AND (ms_played IS NULL OR ms_played >= 30000)
), lookback AS (
  SELECT c.signal, c.snapshot_date, c.artist_id, c.value AS current_value, coalesce(w.value, 0) AS value
  FROM numbered c
  JOIN observed o ON o.signal = c.signal AND o.day_no BETWEEN c.day_no - 28 AND c.day_no - 1
  LEFT JOIN numbered w ON w.signal = c.signal AND w.artist_id = c.artist_id AND w.day_no = o.day_no
), ordered AS (
  SELECT t.*,
    row_number() OVER (PARTITION BY signal, snapshot_date, artist_id ORDER BY value) AS rn,
    count(*) OVER (PARTITION BY signal, snapshot_date, artist_id) AS n
  FROM lookback t
), medians AS (
  -- Exact medians through window functions: Athena only has approx_percentile.
  SELECT signal, snapshot_date, artist_id, max(current_value) AS current_value, max(n) AS window_days,
    avg(CASE WHEN rn IN (floor((n + 1) / 2.0), ceil((n + 1) / 2.0)) THEN CAST(value AS DOUBLE) END) AS median
  FROM ordered
  GROUP BY signal, snapshot_date, artist_id
  HAVING max(n) >= 7
), deviations AS (
  SELECT m.signal, m.snapshot_date, m.artist_id, m.window_days AS n,
    row_number() OVER (
      PARTITION BY m.signal, m.snapshot_date, m.artist_id ORDER BY abs(t.value - m.median)
    ) AS rn,
    abs(t.value - m.median) AS deviation
  FROM medians m
  JOIN lookback t ON t.signal = m.signal AND t.snapshot_date = m.snapshot_date AND t.artist_id = m.artist_id
), mads AS (
  SELECT signal, snapshot_date, artist_id,
    avg(CASE WHEN rn IN (floor((n + 1) / 2.0), ceil((n + 1) / 2.0)) THEN deviation END) AS mad
  FROM deviations
  GROUP BY signal, snapshot_date, artist_id
), scored AS (
  SELECT m.*, d.mad,
    (m.current_value - m.median) / CASE WHEN 1.4826 * d.mad > 1 THEN 1.4826 * d.mad ELSE 1 END AS z
  FROM medians m
  JOIN mads d ON d.signal = m.signal AND d.snapshot_date = m.snapshot_date AND d.artist_id = m.artist_id
), spikes AS (
  SELECT s.*,
    row_number() OVER (PARTITION BY snapshot_date ORDER BY z DESC, signal, artist_id) AS place
  FROM scored s
  WHERE s.z >= 3.5 AND s.current_value > s.median
)
SELECT
  s.snapshot_date,
  s.signal,
  s.artist_id,
  ar.name AS artist_name,
  CAST(s.current_value AS BIGINT) AS value,
  round(s.median, 2) AS baseline_median,
  round(s.mad, 2) AS baseline_mad,
  round(s.z, 2) AS robust_z,
  CAST(s.window_days AS INTEGER) AS window_days,
  CAST(s.place AS INTEGER) AS "rank"
FROM spikes s
LEFT JOIN artists ar ON ar.id = s.artist_id
ORDER BY s.snapshot_date, s.place
