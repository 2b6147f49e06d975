// The track page's data: where one track has stood in the watched playlists, day by day, read from
// the base table `playlist_items` (positions are 0-based offsets there; places here are 1-based, as in
// insight_playlist_movers). The journey (first and last day, peak, days on each playlist) is derived
// from these rows on the page. Built here until the chart-history and track-journey insights (#18)
// exist; the SQL is portable (DuckDB and Athena) and, as queries.ts, takes only checked values.
import { TunelakeError } from '../errors.js';
import { sqlString } from '../query/sql-text.js';
import { isSpotifyId } from '../spotify/ids.js';
import type { InsightParams } from './params.js';

export function trackHistorySql(trackId: string, params: InsightParams): string {
  if (!isSpotifyId(trackId)) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Track "${trackId.slice(0, 60)}" is not a Spotify track id: expected 22 letters and digits.`,
      { details: { track: trackId } },
    );
  }
  if (params.artist !== undefined || params.view !== 'rows') {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      'A track page takes from, to, playlist and limit only: leave out artist and view.',
    );
  }
  const where = [`i.track_id = ${sqlString(trackId)}`];
  // snapshot_date is the partition key, a YYYY-MM-DD string: compared as text, which orders as dates.
  if (params.from !== undefined) where.push(`i.snapshot_date >= ${sqlString(params.from)}`);
  if (params.to !== undefined) where.push(`i.snapshot_date <= ${sqlString(params.to)}`);
  if (params.playlist !== undefined) where.push(`i.playlist_id = ${sqlString(params.playlist)}`);
  return (
    'SELECT i.snapshot_date, i.playlist_id, max(p.name) AS playlist_name, min(i."position") + 1 AS place, ' +
    'max(i.item_name) AS track_name ' +
    'FROM playlist_items i LEFT JOIN playlists p ON p.id = i.playlist_id ' +
    `WHERE ${where.join(' AND ')} ` +
    `GROUP BY i.snapshot_date, i.playlist_id ORDER BY i.snapshot_date, i.playlist_id LIMIT ${params.limit + 1}`
  );
}
