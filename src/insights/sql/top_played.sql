-- top_played: the user's 10 most played tracks and artists per ISO week (starting Monday) and per
-- calendar month, UTC, from the listening history.
--
-- - An artist's plays are those of tracks on which it is the primary artist (track_artists position
--   0), so that artist counts add up to at most the period's plays.
-- - Ties are broken by id: rank is a row number, never shared.
-- - share is the item's share of all the period's plays.
WITH periods AS (
  SELECT 'week' AS period, CAST(date_trunc('week', played_at) AS DATE) AS period_start, track_id FROM plays
  UNION ALL
  SELECT 'month' AS period, CAST(date_trunc('month', played_at) AS DATE) AS period_start, track_id FROM plays
), period_totals AS (
  SELECT period, period_start, count(*) AS plays FROM periods GROUP BY period, period_start
), counted AS (
  SELECT p.period, p.period_start, 'track' AS kind, p.track_id AS id, t.name AS name, count(*) AS plays
  FROM periods p LEFT JOIN tracks t ON t.id = p.track_id
  WHERE p.track_id IS NOT NULL
  GROUP BY p.period, p.period_start, p.track_id, t.name
  UNION ALL
  SELECT p.period, p.period_start, 'artist' AS kind, ta.artist_id AS id, ar.name AS name, count(*) AS plays
  FROM periods p
  JOIN track_artists ta ON ta.track_id = p.track_id AND ta."position" = 0
  LEFT JOIN artists ar ON ar.id = ta.artist_id
  GROUP BY p.period, p.period_start, ta.artist_id, ar.name
), ranked AS (
  SELECT c.*, row_number() OVER (PARTITION BY period, period_start, kind ORDER BY plays DESC, id) AS place
  FROM counted c
)
SELECT
  r.period,
  r.period_start,
  r.kind,
  CAST(r.place AS INTEGER) AS "rank",
  r.id,
  r.name,
  CAST(r.plays AS BIGINT) AS plays,
  round(CAST(r.plays AS DOUBLE) / pt.plays, 4) AS share
FROM ranked r
JOIN period_totals pt ON pt.period = r.period AND pt.period_start = r.period_start
WHERE r.place <= 10
ORDER BY r.period, r.period_start, r.kind, r.place
