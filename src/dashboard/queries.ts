// The only SQL the dashboard runs: SELECTs over the `insight_<name>` tables, built here from the
// insight registry (src/insights/insights.ts) and from parameters that params.ts has already checked.
// The browser names an insight, a view and filter values; it never sends SQL. Values are validated
// (dates, 22-character base-62 ids) and then still quoted, because the QueryEngine has no bound
// parameters yet (src/query/engine.ts) and quoting costs nothing.
//
// What an insight can be filtered by is read from its columns, so a new insight in the registry (the
// streaming-history ones, say) is served with its filters without touching this file:
// - the date range applies to its first date column among DATE_COLUMNS (the day a row is about);
// - the playlist filter to `playlist_id`, the artist filter to `artist_id`.
// Views are small named aggregates for charts; `rows` (every row, newest first) and `latest` (the
// newest date only) exist for every insight that has a date column.
import { TunelakeError } from '../errors.js';
import { INSIGHTS, type InsightColumn, type InsightSpec, insightTableName } from '../insights/insights.js';
import { sqlIdentifier, sqlString } from '../query/sql-text.js';

/**
 * The columns a date range filters on, in order of preference: the day a row describes. Other date
 * columns (a release date, `as_of_date`) describe something else, and get no date filter.
 */
const DATE_COLUMNS = [
  'snapshot_date',
  'period_start',
  'week_start',
  'month_start',
  'session_date',
  'streak_start',
] as const;

export interface InsightFilters {
  from?: string;
  to?: string;
  playlist?: string;
  artist?: string;
}

export interface ViewSpec {
  description: string;
  /**
   * The SELECT, ending in a total ORDER BY; `where` is the filters' condition (always valid SQL, `TRUE`
   * when there is none).
   */
  sql(table: string, where: string, query: InsightQuery): string;
}

export interface InsightQuery {
  spec: InsightSpec;
  table: string;
  dateColumn: string | undefined;
  playlist: boolean;
  artist: boolean;
  views: Record<string, ViewSpec>;
}

const q = sqlIdentifier;

/** Every column, newest date first, then the remaining columns: a total order, so pages are stable. */
function totalOrder(query: InsightQuery): string {
  const cols = query.spec.columns.map((c) => c.name);
  const date = query.dateColumn;
  const rest = cols.filter((c) => c !== date).map((c) => `${q(c)} NULLS LAST`);
  return [...(date ? [`${q(date)} DESC`] : []), ...rest].join(', ');
}

const rowsView: ViewSpec = {
  description: 'every row that matches the filters, newest first',
  sql: (table, where, query) => `SELECT * FROM ${q(table)} WHERE ${where} ORDER BY ${totalOrder(query)}`,
};

const latestView: ViewSpec = {
  description: 'the rows of the newest date that matches the filters',
  sql: (table, where, query) => {
    const date = q(query.dateColumn!);
    return (
      `SELECT * FROM ${q(table)} WHERE ${where} AND ${date} = ` +
      `(SELECT max(${date}) FROM ${q(table)} WHERE ${where}) ORDER BY ${totalOrder(query)}`
    );
  },
};

/**
 * The history of the `top` artists of the newest date (by the ranking given), for a line per artist;
 * with an artist filter, that artist's history.
 */
function topArtistsView(rank: string, top = 8): ViewSpec {
  return {
    description: `the history of the ${top} leading artists of the newest date (or of the filtered artist)`,
    sql: (table, where) =>
      `WITH latest AS (SELECT * FROM ${q(table)} WHERE ${where} AND snapshot_date = ` +
      `(SELECT max(snapshot_date) FROM ${q(table)} WHERE ${where})), ` +
      `leaders AS (SELECT artist_id FROM latest ORDER BY ${rank}, artist_id LIMIT ${top}) ` +
      `SELECT * FROM ${q(table)} WHERE ${where} AND artist_id IN (SELECT artist_id FROM leaders) ` +
      'ORDER BY snapshot_date, artist_id',
  };
}

/** Views beyond `rows` and `latest`, per insight. */
const EXTRA_VIEWS: Record<string, Record<string, ViewSpec>> = {
  playlist_movers: {
    timeline: {
      description: 'entries, exits, climbs and falls per day',
      sql: (table, where) =>
        'SELECT snapshot_date, ' +
        `count(*) FILTER (WHERE move = 'entry') AS entries, count(*) FILTER (WHERE move = 'exit') AS exits, ` +
        `count(*) FILTER (WHERE move = 'climb') AS climbs, count(*) FILTER (WHERE move = 'fall') AS falls ` +
        `FROM ${q(table)} WHERE ${where} GROUP BY snapshot_date ORDER BY snapshot_date`,
    },
  },
  artist_presence: { top: topArtistsView('playlists DESC, positions DESC, best_position') },
  rising_artists: { top: topArtistsView('popularity DESC, followers DESC') },
};

function dateColumnOf(columns: readonly InsightColumn[]): string | undefined {
  return DATE_COLUMNS.find((name) => columns.some((c) => c.name === name && c.type === 'date'));
}

export function insightQueryOf(spec: InsightSpec): InsightQuery {
  const dateColumn = dateColumnOf(spec.columns);
  const query: InsightQuery = {
    spec,
    table: insightTableName(spec.name),
    dateColumn,
    playlist: spec.columns.some((c) => c.name === 'playlist_id'),
    artist: spec.columns.some((c) => c.name === 'artist_id'),
    views: {},
  };
  query.views = {
    rows: rowsView,
    ...(dateColumn ? { latest: latestView } : {}),
    ...EXTRA_VIEWS[spec.name],
  };
  return query;
}

/** The servable insights, by name; read from the registry each time so tests see what it holds. */
export function insightQueries(): Map<string, InsightQuery> {
  return new Map(INSIGHTS.map((spec) => [spec.name, insightQueryOf(spec)]));
}

export interface BuiltQuery {
  sql: string;
  /** The filters that were applied (the others were not given). */
  applied: InsightFilters;
}

/**
 * The SQL of one view of one insight with these filters, which must already be validated; a filter
 * the insight has no column for is INVALID_ARGUMENT (the page only sends those status lists).
 */
export function buildInsightSql(
  query: InsightQuery,
  view: string,
  filters: InsightFilters,
  limit: number,
): BuiltQuery {
  const viewSpec = Object.hasOwn(query.views, view) ? query.views[view] : undefined;
  if (!viewSpec) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Unknown view "${view}" of insight ${query.spec.name}: expected one of ${Object.keys(query.views).join(', ')}.`,
      { details: { insight: query.spec.name, view } },
    );
  }
  const name = query.spec.name;
  const conditions: string[] = [];
  const applied: InsightFilters = {};
  if (filters.from !== undefined || filters.to !== undefined) {
    if (!query.dateColumn) {
      throw notApplicable(name, 'from/to', `it has no date column (${DATE_COLUMNS.join(', ')})`);
    }
    if (filters.from !== undefined) {
      conditions.push(`${q(query.dateColumn)} >= DATE ${sqlString(filters.from)}`);
      applied.from = filters.from;
    }
    if (filters.to !== undefined) {
      conditions.push(`${q(query.dateColumn)} <= DATE ${sqlString(filters.to)}`);
      applied.to = filters.to;
    }
  }
  if (filters.playlist !== undefined) {
    if (!query.playlist) throw notApplicable(name, 'playlist', 'it has no playlist_id column');
    conditions.push(`playlist_id = ${sqlString(filters.playlist)}`);
    applied.playlist = filters.playlist;
  }
  if (filters.artist !== undefined) {
    if (!query.artist) throw notApplicable(name, 'artist', 'it has no artist_id column');
    conditions.push(`artist_id = ${sqlString(filters.artist)}`);
    applied.artist = filters.artist;
  }
  const where = conditions.length > 0 ? `(${conditions.join(' AND ')})` : 'TRUE';
  // One more row than asked tells the page that the answer was cut.
  // Every view ends in a total ORDER BY, so the LIMIT goes straight after it.
  return { sql: `${viewSpec.sql(query.table, where, query)} LIMIT ${limit + 1}`, applied };
}

function notApplicable(insight: string, filter: string, why: string): TunelakeError {
  return new TunelakeError(
    'INVALID_ARGUMENT',
    `The ${filter} filter does not apply to insight ${insight}: ${why}. Leave it out for this insight.`,
    { details: { insight, filter } },
  );
}
