-- top_played: the user's 10 most played tracks and artists per ISO week (starting Monday) and per
-- calendar month, UTC, from the whole listening timeline (listens: imported streaming history and
-- polled plays, each listen once).
--
-- - A play is a track listen of at least 30 s (Spotify's own threshold for counting a stream; polled
--   plays always qualify). Podcasts and audiobooks are left out.
-- - An artist's plays are those of tracks on which it is the primary artist (track_artists position
--   0), so that artist counts add up to at most the period's plays. A track the lake has not fetched
--   yet (a stream imported but not enriched, or any account-data stream) counts for the artist name
--   the export gives, with id NULL, until the next run fetches it.
-- - Tracks are identified by id, or by artist and track name when the export gives no URI.
-- - Ties are broken by id (or name): rank is a row number, never shared.
-- - share is the item's share of all the period's plays.
WITH played AS (
  SELECT l.listened_at, l.track_id, l.track_name, l.artist_name,
    coalesce(l.track_id, '~' || lower(coalesce(l.artist_name, '')) || '/' || lower(coalesce(l.track_name, ''))) AS track_key
  FROM listens l
  WHERE l.item_type = 'track' AND (l.ms_played IS NULL OR l.ms_played >= 30000)
), periods AS (
  SELECT 'week' AS period, CAST(date_trunc('week', listened_at) AS DATE) AS period_start, track_id, track_name,
    artist_name, track_key
  FROM played
  UNION ALL
  SELECT 'month' AS period, CAST(date_trunc('month', listened_at) AS DATE) AS period_start, track_id, track_name,
    artist_name, track_key
  FROM played
), period_totals AS (
  SELECT period, period_start, count(*) AS plays FROM periods GROUP BY period, period_start
), counted AS (
  SELECT p.period, p.period_start, 'track' AS kind, p.track_key AS item_key, max(p.track_id) AS id,
    coalesce(max(t.name), max(p.track_name)) AS name, count(*) AS plays
  FROM periods p LEFT JOIN tracks t ON t.id = p.track_id
  GROUP BY p.period, p.period_start, p.track_key
  UNION ALL
  SELECT p.period, p.period_start, 'artist' AS kind,
    coalesce(ta.artist_id, '~' || lower(p.artist_name)) AS item_key, max(ta.artist_id) AS id,
    coalesce(max(ar.name), max(p.artist_name)) AS name, count(*) AS plays
  FROM periods p
  LEFT JOIN track_artists ta ON ta.track_id = p.track_id AND ta."position" = 0
  LEFT JOIN artists ar ON ar.id = ta.artist_id
  WHERE ta.artist_id IS NOT NULL OR p.artist_name IS NOT NULL
  GROUP BY p.period, p.period_start, coalesce(ta.artist_id, '~' || lower(p.artist_name))
), ranked AS (
  SELECT c.*, row_number() OVER (PARTITION BY period, period_start, kind ORDER BY plays DESC, item_key) AS place
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
