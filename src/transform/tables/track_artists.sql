-- track_artists: a track's OWN artists, in the order Spotify lists them (position 0 is the primary
-- artist). Never the album's artists: on compilations and features they differ. Taken from the same
-- record as the tracks row, so the two tables always agree. Artist ids were checked with the track.

CREATE OR REPLACE TABLE track_artists AS
SELECT
  id AS track_id,
  CAST(unnest(range(len(artist_ids))) AS INTEGER) AS position,
  unnest(artist_ids) AS artist_id,
  _dt, _run_id, _dataset, _fetched_at
FROM tracks;
