// headlineInsights(): a few one-line facts from the insight tables, for the end of `tunelake demo`
// ("Biggest climber on 2026-11-03: ...", "New peak on ...", "New this week ...", "Noteworthy on ...",
// "Listening peak: Fridays 21:00 UTC ..."). Each fact comes
// from one insight table's latest day; a table that is missing or empty gives no line. The queries
// are plain SELECTs over the `insight_*` tables, valid on DuckDB and Athena alike.
import { TABLES_DATABASE } from '../catalog/catalog.js';
import { type Logger, silentLogger } from '../log.js';
import type { QueryEngine, Row } from '../query/engine.js';
import { insightTableName } from './insights.js';
import type { InsightsRuntime } from './refresh.js';

export interface HeadlineOptions {
  /** An engine to query with (its views must include the insight tables); default: a read-only one. */
  engine?: QueryEngine;
}

interface Headline {
  insight: string;
  /** Other insight tables the query reads. */
  also?: string[];
  sql: string;
  render(rows: Row[]): string | undefined;
}

const t = (name: string) => `"${insightTableName(name)}"`;

/** The new releases named in their headline; the rest are counted. */
const NEW_RELEASES_LISTED = 3;

const HEADLINES: Headline[] = [
  {
    insight: 'playlist_movers',
    // A real climb (rank_change: tracks overtaken), never a track only pushed up by an exit above it.
    sql: `SELECT snapshot_date, playlist_name, playlist_id, track_name, track_id, artist_name, from_position,
        to_position, rank_change
      FROM ${t('playlist_movers')}
      WHERE move = 'climb' AND snapshot_date = (SELECT max(snapshot_date) FROM ${t('playlist_movers')})
      ORDER BY rank_change DESC, to_position, playlist_id, track_id
      LIMIT 1`,
    render: ([r]) =>
      r &&
      `Biggest climber on ${r.snapshot_date}: ${quoted(r.track_name ?? r.track_id)}${by(r.artist_name)} in ` +
        `${quoted(r.playlist_name ?? r.playlist_id)}, past ${count(r.rank_change, 'track', 'tracks')} ` +
        `(#${r.from_position} -> #${r.to_position}).`,
  },
  {
    insight: 'playlist_movers',
    sql: `SELECT snapshot_date,
        sum(CASE WHEN move = 'entry' THEN 1 ELSE 0 END) AS entries,
        sum(CASE WHEN move = 'exit' THEN 1 ELSE 0 END) AS exits,
        count(DISTINCT playlist_id) AS playlists
      FROM ${t('playlist_movers')}
      WHERE snapshot_date = (SELECT max(snapshot_date) FROM ${t('playlist_movers')})
      GROUP BY snapshot_date`,
    render: ([r]) =>
      r && Number(r.entries) + Number(r.exits) > 0
        ? `Playlist changes on ${r.snapshot_date}: ${count(r.entries, 'entry', 'entries')} and ` +
          `${count(r.exits, 'exit', 'exits')} across ${count(r.playlists, 'watched playlist', 'watched playlists')}.`
        : undefined,
  },
  {
    insight: 'chart_history',
    also: ['playlist_movers'],
    // A new peak: the track's best place so far, first reached on the latest day by a real climb
    // (playlist_movers: it overtook tracks), not by being pushed up by an exit above it; an entry has
    // no previous place and is told by the line above. The best place first, then the longest climb.
    sql: `SELECT c.snapshot_date, c.playlist_name, c.playlist_id, c.track_name, c.track_id, c.artist_name,
        c.position, c.previous_position, c.days_on_playlist
      FROM ${t('chart_history')} c
      JOIN ${t('playlist_movers')} m ON m.snapshot_date = c.snapshot_date AND m.playlist_id = c.playlist_id
        AND m.track_id = c.track_id AND m.move = 'climb'
      WHERE c.snapshot_date = (SELECT max(snapshot_date) FROM ${t('chart_history')})
        AND c.peak_date = c.snapshot_date AND c.previous_position IS NOT NULL
      ORDER BY c.position, m.rank_change DESC, c.playlist_id, c.track_id
      LIMIT 1`,
    render: ([r]) =>
      r &&
      `New peak on ${r.snapshot_date}: ${quoted(r.track_name ?? r.track_id)}${by(r.artist_name)} reached ` +
        `#${r.position} in ${quoted(r.playlist_name ?? r.playlist_id)} (from #${r.previous_position}), its best ` +
        `in ${count(r.days_on_playlist, 'observed day', 'observed days')} there.`,
  },
  {
    insight: 'artist_presence',
    sql: `SELECT snapshot_date, artist_name, artist_id, playlists, positions, best_position
      FROM ${t('artist_presence')}
      WHERE snapshot_date = (SELECT max(snapshot_date) FROM ${t('artist_presence')})
      ORDER BY playlists DESC, positions DESC, best_position, artist_id
      LIMIT 1`,
    render: ([r]) =>
      r &&
      `Most present artist on ${r.snapshot_date}: ${r.artist_name ?? r.artist_id}, in ` +
        `${count(r.playlists, 'watched playlist', 'watched playlists')} (${count(r.positions, 'position', 'positions')}, ` +
        `best #${r.best_position}).`,
  },
  {
    insight: 'noteworthy',
    // The latest day with a spike, and its strongest one (rank 1); the date says how recent it is.
    sql: `SELECT snapshot_date, signal, artist_name, artist_id, value, baseline_median, robust_z
      FROM ${t('noteworthy')}
      WHERE "rank" = 1
      ORDER BY snapshot_date DESC
      LIMIT 1`,
    render: ([r]) =>
      r &&
      `Noteworthy on ${r.snapshot_date}: ${r.artist_name ?? r.artist_id} ` +
        (r.signal === 'plays'
          ? `had ${count(r.value, 'play', 'plays')}`
          : `held ${count(r.value, 'place', 'places')} in the watched playlists`) +
        `, against a usual ${r.baseline_median} (robust z ${r.robust_z}).`,
  },
  {
    insight: 'release_recency',
    sql: `SELECT snapshot_date, sum(released_last_30d) AS fresh, sum(tracks) AS tracks
      FROM ${t('release_recency')}
      WHERE snapshot_date = (SELECT max(snapshot_date) FROM ${t('release_recency')})
      GROUP BY snapshot_date`,
    render: ([r]) =>
      r && Number(r.tracks) > 0
        ? `Newest releases share: ${percent(Number(r.fresh) / Number(r.tracks))} of the tracks in the watched ` +
          `playlists came out in the last 30 days (${r.fresh} of ${r.tracks}, ${r.snapshot_date}).`
        : undefined,
  },
  {
    insight: 'rising_artists',
    sql: `SELECT snapshot_date, artist_name, artist_id, popularity, popularity_change_1d, popularity_change_7d,
        popularity_change_30d
      FROM ${t('rising_artists')}
      WHERE snapshot_date = (SELECT max(snapshot_date) FROM ${t('rising_artists')})
      ORDER BY artist_id`,
    render: (rows) => {
      // The week's change when there is one, else the month's, else the day's: the longest history
      // a short-lived lake has is still worth a line.
      let best: { row: Row; change: number; span: string } | undefined;
      for (const row of rows) {
        const [change, span] =
          row.popularity_change_7d !== null
            ? [row.popularity_change_7d, 'in 7 days']
            : row.popularity_change_30d !== null
              ? [row.popularity_change_30d, 'in 30 days']
              : [row.popularity_change_1d, 'since the day before'];
        if (typeof change === 'number' && change > 0 && (!best || change > best.change)) {
          best = { row, change, span };
        }
      }
      if (!best) return undefined;
      const r = best.row;
      return (
        `Fastest-rising artist: ${r.artist_name ?? r.artist_id}, popularity +${best.change} ${best.span} ` +
        `(now ${r.popularity}, ${r.snapshot_date}).`
      );
    },
  },
  {
    insight: 'discography_cadence',
    sql: `SELECT artist_name, artist_id, last_release_date, days_since_last_release, releases_per_quarter
      FROM ${t('discography_cadence')}
      ORDER BY days_since_last_release, artist_id
      LIMIT 1`,
    render: ([r]) =>
      r &&
      `Latest release among watched artists: ${r.artist_name ?? r.artist_id}, ` +
        `${count(r.days_since_last_release, 'day', 'days')} ago (${r.last_release_date}).`,
  },
  {
    insight: 'new_releases',
    // Out in the 7 days up to the table's as_of_date (announced ones, a negative age, are not out yet).
    sql: `SELECT release_date, album_name, album_id, album_type, artist_name, artist_id, as_of_date
      FROM ${t('new_releases')}
      WHERE days_since_release BETWEEN 0 AND 6
      ORDER BY release_date DESC, artist_id, album_id`,
    render: (rows) => {
      const [first] = rows;
      if (!first) return undefined;
      const listed = rows
        .slice(0, NEW_RELEASES_LISTED)
        .map(
          (r) =>
            `${r.artist_name ?? r.artist_id}, ${quoted(r.album_name ?? r.album_id)} ` +
            `(${r.album_type ? `${r.album_type}, ` : ''}${r.release_date})`,
        );
      const more = rows.length - listed.length;
      return (
        `New this week (7 days to ${first.as_of_date}): ${count(rows.length, 'release', 'releases')} by watched ` +
        `artists: ${listed.join('; ')}${more > 0 ? `; and ${more} more` : ''}.`
      );
    },
  },
  {
    insight: 'listening_hours',
    sql: `SELECT weekday_name, hour_utc, plays
      FROM ${t('listening_hours')}
      ORDER BY plays DESC, weekday, hour_utc
      LIMIT 1`,
    render: ([r]) =>
      r &&
      `Listening peak: ${r.weekday_name}s ${String(r.hour_utc).padStart(2, '0')}:00 UTC ` +
        `(${count(r.plays, 'play', 'plays')}).`,
  },
  {
    insight: 'top_played',
    sql: `SELECT period_start, name, id, plays
      FROM ${t('top_played')}
      WHERE period = 'month' AND kind = 'artist' AND "rank" = 1
      ORDER BY period_start DESC
      LIMIT 1`,
    render: ([r]) =>
      r &&
      `Top artist in ${monthName(String(r.period_start))}: ${r.name ?? r.id} (${count(r.plays, 'play', 'plays')}).`,
  },
  {
    insight: 'taste_drift',
    sql: `SELECT snapshot_date,
        sum(CASE WHEN status = 'new' THEN 1 ELSE 0 END) AS fresh,
        sum(CASE WHEN short_term_rank IS NOT NULL THEN 1 ELSE 0 END) AS short_term
      FROM ${t('taste_drift')}
      WHERE kind = 'artists' AND snapshot_date = (SELECT max(snapshot_date) FROM ${t('taste_drift')})
      GROUP BY snapshot_date`,
    render: ([r]) =>
      r && Number(r.short_term) > 0
        ? `Taste drift: ${r.fresh} of your ${r.short_term} short-term top artists ${Number(r.fresh) === 1 ? 'is' : 'are'} ` +
          'not in your long-term top.'
        : undefined,
  },
];

/** One-line facts from the insight tables that exist; none when there are none. */
export async function headlineInsights(
  runtime: Pick<InsightsRuntime, 'catalog' | 'logger'> & {
    openEngine(options: { readOnly: true }): Promise<QueryEngine>;
  },
  options: HeadlineOptions = {},
): Promise<string[]> {
  const logger: Logger = runtime.logger ?? silentLogger;
  let tables: Set<string>;
  try {
    tables = new Set((await runtime.catalog.listTables(TABLES_DATABASE)).map((table) => table.Name));
  } catch {
    return [];
  }
  const wanted = HEADLINES.filter((h) =>
    [h.insight, ...(h.also ?? [])].every((name) => tables.has(insightTableName(name))),
  );
  if (wanted.length === 0) return [];
  const engine = options.engine ?? (await runtime.openEngine({ readOnly: true }));
  const lines: string[] = [];
  try {
    for (const headline of wanted) {
      try {
        const { rows } = await engine.query(headline.sql);
        const line = headline.render(rows);
        if (line) lines.push(line);
      } catch (error) {
        // A headline is a nicety: one that cannot be computed is left out, never a failed demo.
        logger.warn(`headline from ${headline.insight} skipped`, { error: (error as Error).message });
      }
    }
  } finally {
    if (!options.engine) await engine.close();
  }
  return lines;
}

function quoted(value: unknown): string {
  return `"${String(value)}"`;
}

function by(artist: unknown): string {
  return artist === null || artist === undefined ? '' : ` by ${String(artist)}`;
}

function count(n: unknown, one: string, many: string): string {
  return `${n} ${Number(n) === 1 ? one : many}`;
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** `2026-11-01` -> `November 2026`. */
function monthName(date: string): string {
  const [year, month] = date.split('-');
  return `${MONTHS[Number(month) - 1] ?? month} ${year}`;
}
