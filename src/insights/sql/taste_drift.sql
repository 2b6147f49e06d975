-- taste_drift: the user's short-term top artists and tracks against the long-term ones, per day the
-- rankings were fetched: what is steady, what is new, what has faded.
--
-- - status: 'steady' in both the short-term (about 4 weeks) and the long-term (about a year) top list,
--   'new' in the short-term list only, 'faded' in the long-term list only. Items only in the
--   medium-term list get no row; medium_term_rank is there for context.
-- - rank_change = long_term_rank - short_term_rank: positive when the item ranks higher lately.
-- - Ranks are Spotify's, 1-based.
WITH ranks AS (
  SELECT snapshot_date, kind, id,
    max(name) AS name,
    min(CASE WHEN time_range = 'short_term' THEN "rank" END) AS short_term_rank,
    min(CASE WHEN time_range = 'medium_term' THEN "rank" END) AS medium_term_rank,
    min(CASE WHEN time_range = 'long_term' THEN "rank" END) AS long_term_rank
  FROM top_items
  GROUP BY snapshot_date, kind, id
)
SELECT
  CAST(snapshot_date AS DATE) AS snapshot_date,
  kind,
  id,
  name,
  CAST(short_term_rank AS INTEGER) AS short_term_rank,
  CAST(medium_term_rank AS INTEGER) AS medium_term_rank,
  CAST(long_term_rank AS INTEGER) AS long_term_rank,
  CASE
    WHEN short_term_rank IS NOT NULL AND long_term_rank IS NOT NULL THEN 'steady'
    WHEN short_term_rank IS NOT NULL THEN 'new'
    ELSE 'faded'
  END AS status,
  CAST(long_term_rank - short_term_rank AS INTEGER) AS rank_change
FROM ranks
WHERE short_term_rank IS NOT NULL OR long_term_rank IS NOT NULL
ORDER BY snapshot_date, kind, coalesce(short_term_rank, 1000 + long_term_rank), id
