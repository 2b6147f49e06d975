// The track page's data, one view at a time (`GET /api/tracks/<id>?view=`):
// - chart_history: its rows of insight_chart_history (place, previous place, peak and run by day);
// - track_journey: its rows of insight_track_journey (the playlists it reached, in order);
// - rows (the default): its places by day read from the base table `playlist_items` (positions are
//   0-based offsets there; places here 1-based), for a lake whose insights are not refreshed yet.
// The SQL is portable (DuckDB and Athena) and, as queries.ts, takes only checked values.
import { TunelakeError } from '../errors.js';
import { insightTableName } from '../insights/insights.js';
import { sqlString } from '../query/sql-text.js';
import { isSpotifyId } from '../spotify/ids.js';
import type { InsightParams } from './params.js';

/** The views of a track page: the insight each reads, or the base table for `rows`. */
export const TRACK_VIEWS = ['rows', 'chart_history', 'track_journey'] as const;
export type TrackView = (typeof TRACK_VIEWS)[number];

/** The table a view reads: `playlist_items`, or the insight's table. */
export function trackViewTable(view: TrackView): string {
  return view === 'rows' ? 'playlist_items' : insightTableName(view);
}

export function trackHistorySql(trackId: string, params: InsightParams): string {
  if (!isSpotifyId(trackId)) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Track "${trackId.slice(0, 60)}" is not a Spotify track id: expected 22 letters and digits.`,
      { details: { track: trackId } },
    );
  }
  const knownView = (TRACK_VIEWS as readonly string[]).includes(params.view);
  if (params.artist !== undefined || !knownView) {
    const wrong = [
      ...(params.artist !== undefined ? ['leave out artist'] : []),
      ...(knownView ? [] : [`view "${params.view}" is none of them`]),
    ];
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `A track page takes from, to, playlist, limit and view (${TRACK_VIEWS.join(', ')}) only: ${wrong.join('; ')}.`,
    );
  }
  const view = params.view as TrackView;
  if (view !== 'rows') return trackInsightSql(view, trackId, params);
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

/**
 * A track's rows of chart_history (from and to bound its days) or track_journey (from and to bound the
 * day it reached each playlist). Those dates are DATE columns: compared with DATE literals, which
 * Athena needs (it does not compare a date with a string).
 */
function trackInsightSql(view: Exclude<TrackView, 'rows'>, trackId: string, params: InsightParams): string {
  const day = view === 'chart_history' ? 'snapshot_date' : 'reached_date';
  const where = [`track_id = ${sqlString(trackId)}`];
  if (params.from !== undefined) where.push(`${day} >= DATE ${sqlString(params.from)}`);
  if (params.to !== undefined) where.push(`${day} <= DATE ${sqlString(params.to)}`);
  if (params.playlist !== undefined) where.push(`playlist_id = ${sqlString(params.playlist)}`);
  const order = view === 'chart_history' ? 'snapshot_date, playlist_id' : 'step, playlist_id';
  return (
    `SELECT * FROM "${trackViewTable(view)}" WHERE ${where.join(' AND ')} ` +
    `ORDER BY ${order} LIMIT ${params.limit + 1}`
  );
}
