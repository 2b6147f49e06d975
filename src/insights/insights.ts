// The insight tables: analytics over the lake's typed tables for music professionals (which artists
// are rising, what enters and leaves the watched playlists, what the user plays, how fast catalogues
// release). Each insight is one SQL file under sql/ that runs on DuckDB and on Athena; where the
// dialects spell a function differently, the file uses a dialect macro (DIALECT_MACROS below) that
// insightSql() spells for the engine (docs/architecture.md, "SQL that runs on both engines"). refresh.ts materialises them as `insights/<name>/` Parquet tables
// registered as `insight_<name>`. The portable subset: no QUALIFY or GROUP BY ALL, ratios through
// CAST(... AS DOUBLE) (Trino divides integers as integers), day arithmetic through date_diff (a
// weekday from the day number: 1970-01-01 was a Thursday), exact medians through window functions
// (Athena only has approx_percentile), least/greatest over non-NULL arguments only (Trino returns
// NULL when any argument is), and columns named like keywords ("position", "rank") double-quoted,
// which both read as identifiers.
//
// The registry is the contract of every table: its columns (Hive types, as the catalog declares them;
// refresh.ts checks the written file against them) and what it needs from the lake, so that an
// insight the data cannot support is reported as unavailable, with the reason, instead of being
// written full of NULLs.
import { readFileSync } from 'node:fs';
import type { AccessTier, EngineName } from '../config.js';
import { TunelakeError } from '../errors.js';

export interface InsightColumn {
  name: string;
  /** Hive type, as the catalog declares it: string, bigint, int, double, date. */
  type: string;
  description: string;
}

/**
 * Data an insight cannot do without, beyond its tables existing: a table that must have rows. Tied to
 * a tier when only that tier's apps receive the fields the table is made of.
 */
export interface InsightNeed {
  table: string;
  fields: string[];
  /** The tier whose apps receive these fields. */
  tier: AccessTier;
  /**
   * The table has rows in every tier, only with these fields NULL in the others (albums.label): then
   * the tier alone decides, since a row count cannot.
   */
  tierOnly?: boolean;
  /** Why the insight is unavailable when the table is empty, for a lake of this tier. */
  reason: Record<AccessTier, string>;
}

export interface InsightSpec {
  name: string;
  /** One line, for `tunelake insights --list` and the catalog. */
  description: string;
  /** The question it answers, in a label analyst's words (`tunelake insights --list`). */
  question: string;
  /** The tables (database `tunelake`) its SQL reads. */
  tables: readonly string[];
  needs?: InsightNeed;
  columns: readonly InsightColumn[];
}

/** Catalog name of an insight's table. */
export function insightTableName(name: string): string {
  return `insight_${name}`;
}

const IMPORT_NEEDED =
  'needs an imported streaming history (how long each stream played, skips): run ' +
  '`tunelake import streaming-history my_spotify_data.zip`, then `tunelake run`';

const c = (name: string, type: string, description: string): InsightColumn => ({ name, type, description });

export const INSIGHTS: readonly InsightSpec[] = [
  {
    name: 'playlist_movers',
    description:
      'entries, exits and real climbs and falls (not shifts caused by other tracks) in each watched playlist',
    question: 'What entered, left and really moved in each watched playlist since it was last observed?',
    tables: ['playlist_items', 'playlists', 'tracks', 'track_artists', 'artists'],
    columns: [
      c('snapshot_date', 'date', 'the day the playlist was observed'),
      c('previous_date', 'date', 'the previous day it was observed, compared with'),
      c('playlist_id', 'string', 'Spotify playlist id'),
      c('playlist_name', 'string', 'playlist name, latest known'),
      c('track_id', 'string', 'Spotify track id'),
      c('track_name', 'string', 'track name, latest known'),
      c('artist_name', 'string', "the track's primary artist"),
      c(
        'move',
        'string',
        'entry, exit, climb or fall (a track only pushed by entries or exits, or only passed, has no row)',
      ),
      c('from_position', 'int', '1-based place on previous_date (NULL for an entry)'),
      c('to_position', 'int', '1-based place on snapshot_date (NULL for an exit)'),
      c('delta', 'int', 'raw places gained: from_position - to_position (NULL for entries and exits)'),
      c(
        'rank_change',
        'int',
        'real places gained: rank among the tracks on the playlist on both days, before minus after',
      ),
    ],
  },
  {
    name: 'chart_history',
    description:
      'each watched playlist as a chart: per track and day, its place, previous place, peak, peak date and run',
    question: 'Where has a track charted in each watched playlist, day by day: peak, run, previous place?',
    tables: ['playlist_items', 'playlists', 'tracks', 'track_artists', 'artists'],
    columns: [
      c('snapshot_date', 'date', 'the day the playlist was observed'),
      c('playlist_id', 'string', 'Spotify playlist id'),
      c('playlist_name', 'string', 'playlist name, latest known'),
      c('track_id', 'string', 'Spotify track id'),
      c('track_name', 'string', 'track name, latest known'),
      c('artist_name', 'string', "the track's primary artist"),
      c('position', 'int', '1-based place that day (a track listed twice: its first place)'),
      c('previous_position', 'int', "place on the playlist's previous observed day (NULL: not on it then)"),
      c('peak_position', 'int', 'best place up to this day'),
      c('peak_date', 'date', 'the first day that peak was reached'),
      c('days_on_playlist', 'int', 'observed days on the playlist up to this day'),
      c('first_seen_date', 'date', 'the first day it was observed on the playlist'),
      c('last_seen_date', 'date', 'the last day it was observed on the playlist (whole history)'),
    ],
  },
  {
    name: 'track_journey',
    description:
      'per track: the watched playlists it reached, in order, with the dates and the days after its release',
    question: 'In what order, and how soon after its release, did a track reach the watched playlists?',
    tables: ['playlist_items', 'playlists', 'tracks', 'albums', 'track_artists', 'artists'],
    columns: [
      c('track_id', 'string', 'Spotify track id'),
      c('track_name', 'string', 'track name, latest known'),
      c('artist_name', 'string', "the track's primary artist"),
      c('release_date', 'date', "its album's release_date_start"),
      c('step', 'int', '1 = the first watched playlist it reached, 2 = the next...'),
      c('playlist_id', 'string', 'Spotify playlist id'),
      c('playlist_name', 'string', 'playlist name, latest known'),
      c('reached_date', 'date', 'the earlier of its first observation there and its added_at day'),
      c('days_after_release', 'int', 'reached_date - release_date (negative: added before release)'),
      c('days_after_first_step', 'int', "reached_date - step 1's reached_date"),
      c('first_seen_date', 'date', 'the first day it was observed on the playlist'),
      c('last_seen_date', 'date', 'the last day it was observed on the playlist'),
      c('peak_position', 'int', 'its best 1-based place there'),
      c('days_on_playlist', 'int', 'observed days on the playlist'),
      c('playlists_reached', 'bigint', 'watched playlists the track reached in all'),
    ],
  },
  {
    name: 'artist_presence',
    description:
      'per artist and day: watched playlists and positions held, best position, 7- and 30-day change',
    question: 'Which artists hold the most places in the watched playlists, and is that growing?',
    tables: ['playlist_items', 'track_artists', 'artists'],
    columns: [
      c('snapshot_date', 'date', 'the day the playlists were observed'),
      c('artist_id', 'string', 'Spotify artist id (any credited artist of a track)'),
      c('artist_name', 'string', 'artist name, latest known'),
      c('playlists', 'bigint', 'watched playlists holding at least one of its tracks'),
      c('positions', 'bigint', 'places its tracks hold across those playlists'),
      c('best_position', 'int', 'its best 1-based place in any of them'),
      c('playlists_change_7d', 'bigint', 'playlists now minus 7 days before (NULL: not observed then)'),
      c('playlists_change_30d', 'bigint', 'playlists now minus 30 days before (NULL: not observed then)'),
      c('positions_change_7d', 'bigint', 'positions now minus 7 days before (NULL: not observed then)'),
      c('positions_change_30d', 'bigint', 'positions now minus 30 days before (NULL: not observed then)'),
    ],
  },
  {
    name: 'noteworthy',
    description:
      "days an artist's playlist places or the user's plays of it are far above its trailing 28-day trend",
    question:
      'Which artists are well above their own trend today, in the watched playlists or in the listening?',
    tables: ['playlist_items', 'listens', 'track_artists', 'artists'],
    columns: [
      c('snapshot_date', 'date', 'the day (UTC)'),
      c('signal', 'string', 'playlist_positions (places held in watched playlists) or plays (the user)'),
      c('artist_id', 'string', 'Spotify artist id'),
      c('artist_name', 'string', 'artist name, latest known'),
      c('value', 'bigint', 'places held or plays that day'),
      c('baseline_median', 'double', 'median of the trailing 28 days (observed days; absent = 0)'),
      c('baseline_mad', 'double', 'median absolute deviation from that median'),
      c('robust_z', 'double', '(value - median) / max(1.4826 * MAD, 1); rows have 3.5 or more'),
      c('window_days', 'int', 'observed days in the trailing window (at least 7)'),
      c('rank', 'int', "1 = the day's strongest spike"),
    ],
  },
  {
    name: 'release_recency',
    description:
      'per playlist and day: median and average age of the tracks, share released in the last 30 days',
    question: 'How fresh is each watched playlist: how old are its tracks?',
    tables: ['playlist_items', 'tracks', 'albums', 'playlists'],
    columns: [
      c('snapshot_date', 'date', 'the day the playlist was observed'),
      c('playlist_id', 'string', 'Spotify playlist id'),
      c('playlist_name', 'string', 'playlist name, latest known'),
      c('tracks', 'bigint', 'tracks whose album has a release date'),
      c('median_age_days', 'double', "median days from the album's release_date_start to snapshot_date"),
      c('avg_age_days', 'double', 'average of the same ages'),
      c('released_last_30d', 'bigint', 'tracks at most 30 days old'),
      c('share_last_30d', 'double', 'released_last_30d / tracks'),
    ],
  },
  {
    name: 'playlist_profile',
    description:
      'per watched playlist: turnover, usual update weekday, frontline vs catalogue share, curator activity',
    question:
      'How fast does a playlist turn over, on which weekday is it updated, is it frontline or catalogue, who adds to it?',
    tables: ['playlist_items', 'playlists', 'tracks', 'albums'],
    columns: [
      c('playlist_id', 'string', 'Spotify playlist id'),
      c('playlist_name', 'string', 'playlist name, latest known'),
      c('as_of_date', 'date', 'the last day the playlist was observed: every figure is as of then'),
      c('items', 'bigint', 'items on it (tracks, episodes, local files)'),
      c('tracks', 'bigint', 'Spotify tracks on it'),
      c('added_last_28d', 'bigint', 'items added (added_at) in the 28 days up to as_of_date'),
      c('turnover_28d', 'double', 'added_last_28d / items with a known added_at'),
      c('update_days', 'bigint', 'days on which anything was added, over its observed history'),
      c('usual_update_weekday', 'string', 'the weekday (UTC) with the most update days'),
      c('usual_update_weekday_share', 'double', "that weekday's share of the update days"),
      c('frontline_tracks', 'bigint', 'tracks released within 548 days (about 18 months) of as_of_date'),
      c('catalogue_tracks', 'bigint', 'tracks released earlier'),
      c('frontline_share', 'double', 'frontline_tracks / tracks with a known release date'),
      c('curators', 'bigint', 'distinct added_by among the items'),
      c('top_curator', 'string', 'the added_by who added the most of them (a Spotify user id)'),
      c('top_curator_share', 'double', "the top curator's share of the items whose added_by is known"),
      c('last_added_date', 'date', 'the latest added_at day among the items'),
      c('days_since_last_add', 'int', 'as_of_date - last_added_date'),
    ],
  },
  {
    name: 'discography_cadence',
    description: 'per watched artist: releases per quarter, albums vs singles, days since the last release',
    question: 'How often does each watched artist release, and how long since the last release?',
    tables: ['releases', 'artists'],
    columns: [
      c('artist_id', 'string', 'Spotify artist id of a watched artist'),
      c('artist_name', 'string', 'artist name, latest known'),
      c('releases', 'bigint', 'releases with a known date (albums, singles, compilations)'),
      c('albums', 'bigint', 'releases of album_type album'),
      c('singles', 'bigint', 'releases of album_type single'),
      c('compilations', 'bigint', 'releases of album_type compilation'),
      c('first_release_date', 'date', 'release_date_start of the first release'),
      c('last_release_date', 'date', 'release_date_start of the latest release'),
      c('quarters_active', 'int', 'calendar quarters from the first release to as_of_date, both included'),
      c('releases_per_quarter', 'double', 'releases / quarters_active'),
      c('releases_last_365d', 'bigint', 'releases in the 365 days up to as_of_date'),
      c(
        'avg_days_between_releases',
        'double',
        '(last - first release) / (releases - 1); NULL for one release',
      ),
      c('days_since_last_release', 'int', 'as_of_date - last_release_date'),
      c('as_of_date', 'date', 'the day the lake last saw any artist'),
    ],
  },
  {
    name: 'new_releases',
    description:
      "watched artists' albums, singles and compilations of the last 90 days (and announced ones), newest first",
    question: 'What have the watched artists just released, or announced? (the lost browse/new-releases)',
    tables: ['releases', 'albums', 'artists'],
    columns: [
      c('release_date', 'date', 'release_date_start (a year-only date counts from 1 January)'),
      c('album_id', 'string', 'Spotify album id'),
      c('album_name', 'string', 'album name'),
      c('album_type', 'string', 'album, single or compilation'),
      c('artist_id', 'string', 'the watched artist (an album of two has a row for each)'),
      c('artist_name', 'string', 'artist name, latest known'),
      c('total_tracks', 'int', 'tracks on the release'),
      c('label', 'string', 'record label (extended tier only; NULL in development)'),
      c('first_seen_date', 'date', 'the day tunelake first found it'),
      c('days_since_release', 'int', 'as_of_date - release_date (negative: not out yet)'),
      c('as_of_date', 'date', 'the day the lake last saw any artist'),
    ],
  },
  {
    name: 'collaborations',
    description: 'per watched artist: every artist credited with it on a track, how often and most recently',
    question: 'Which watched artists work together, and with whom?',
    tables: ['releases', 'track_artists', 'tracks', 'albums', 'artists'],
    columns: [
      c('artist_id', 'string', 'Spotify artist id of a watched artist'),
      c('artist_name', 'string', 'artist name, latest known'),
      c('collaborator_id', 'string', 'an artist credited on the same track'),
      c('collaborator_name', 'string', 'its name, latest known'),
      c('collaborator_watched', 'boolean', 'whether the collaborator is watched too'),
      c('tracks', 'bigint', 'tracks crediting both'),
      c('latest_track_id', 'string', 'of those, the one whose album came out last'),
      c('latest_track_name', 'string', 'its name'),
      c('latest_release_date', 'date', "its album's release_date_start"),
    ],
  },
  {
    name: 'listening_hours',
    description: 'plays by weekday and hour of day (UTC), over the whole listening timeline',
    question: 'When, by weekday and hour, does the user listen?',
    tables: ['listens', 'tracks'],
    columns: [
      c('weekday', 'int', 'ISO weekday: 1 = Monday ... 7 = Sunday'),
      c('weekday_name', 'string', 'Monday ... Sunday'),
      c('hour_utc', 'int', 'hour of day, 0-23, UTC'),
      c('plays', 'bigint', 'plays in this weekday and hour'),
      c('minutes_played', 'double', 'minutes played (a polled play counts its track full length)'),
      c('share_of_plays', 'double', 'plays / all plays in the history'),
    ],
  },
  {
    name: 'top_played',
    description:
      'top 10 tracks and artists by plays per week and per month, over the whole listening timeline',
    question: 'What did the user play most each week and each month?',
    tables: ['listens', 'tracks', 'track_artists', 'artists'],
    columns: [
      c('period', 'string', 'week (ISO, from Monday) or month, UTC'),
      c('period_start', 'date', 'first day of the period'),
      c('kind', 'string', 'track or artist (primary artist of the played track)'),
      c('rank', 'int', '1-10 by plays, ties broken by id'),
      c('id', 'string', 'Spotify track or artist id (NULL: known by name only, from an export)'),
      c('name', 'string', 'track or artist name, latest known'),
      c('plays', 'bigint', 'plays in the period'),
      c('share', 'double', "plays / the period's plays"),
    ],
  },
  {
    name: 'discovery_rate',
    description:
      'per week: share of plays by artists first heard that week, over the whole listening timeline',
    question: 'How much of the listening goes to artists the user has just discovered?',
    tables: ['listens', 'track_artists'],
    columns: [
      c('week_start', 'date', 'Monday of the ISO week (UTC)'),
      c('plays', 'bigint', "plays whose track's primary artist is known (by id, or by name from an export)"),
      c('new_artist_plays', 'bigint', 'plays of artists first heard that week'),
      c('new_artist_share', 'double', 'new_artist_plays / plays'),
      c('artists', 'bigint', 'distinct artists played'),
      c('new_artists', 'bigint', 'artists first heard that week'),
    ],
  },
  {
    name: 'listening_completion',
    description:
      'per month: skipped and completed track streams, share of each track heard (imported history)',
    question: 'How often does the user skip, and how much of a track do they hear?',
    tables: ['listens', 'tracks'],
    needs: {
      table: 'streams',
      fields: ['streams.ms_played', 'streams.skipped', 'streams.reason_end'],
      tier: 'development',
      reason: {
        development: IMPORT_NEEDED,
        extended: IMPORT_NEEDED,
      },
    },
    columns: [
      c('month_start', 'date', 'first day of the month (UTC)'),
      c('streams', 'bigint', 'track streams with a known play length'),
      c('skipped', 'bigint', "streams the export marks skipped (or that ended with 'fwdbtn')"),
      c('skip_rate', 'double', 'skipped / streams'),
      c('completed', 'bigint', "streams that ended with 'trackdone' or played 90% of the track"),
      c('completion_rate', 'double', 'completed / streams'),
      c('short_streams', 'bigint', 'streams under 30 s (not counted as plays)'),
      c(
        'avg_heard_share',
        'double',
        'average ms_played / track length, capped at 1, where the length is known',
      ),
      c('minutes_played', 'double', 'minutes played'),
    ],
  },
  {
    name: 'listening_sessions',
    description:
      'per day: listening sessions (a gap over 30 minutes starts a new one), their count and length',
    question: 'How many listening sessions a day, and how long are they?',
    tables: ['listens'],
    columns: [
      c('session_date', 'date', 'the day (UTC) the sessions started'),
      c('sessions', 'bigint', 'sessions started that day'),
      c('listens', 'bigint', 'listens in those sessions'),
      c('total_minutes', 'double', 'their summed length, first start to last end'),
      c('avg_session_minutes', 'double', 'total_minutes / sessions'),
      c('longest_session_minutes', 'double', 'the longest of them'),
    ],
  },
  {
    name: 'listening_streaks',
    description: 'runs of consecutive days with at least one play, over the whole listening timeline',
    question: 'How many days in a row has the user listened?',
    tables: ['listens'],
    columns: [
      c('streak_start', 'date', 'first day of the streak (UTC)'),
      c('streak_end', 'date', 'last day of the streak'),
      c('days', 'int', 'days in the streak'),
      c('plays', 'bigint', 'plays (listens of 30 s or more) in it'),
      c('rank', 'int', '1 = the longest streak (ties: the latest first)'),
      c('days_since_end', 'int', 'days from streak_end to the last day with a play (0: the latest streak)'),
    ],
  },
  {
    name: 'taste_drift',
    description: 'short-term vs long-term top artists and tracks: steady, new and faded items',
    question: 'Which top artists and tracks are new lately, and which have faded?',
    tables: ['top_items'],
    columns: [
      c('snapshot_date', 'date', 'the day the rankings were fetched'),
      c('kind', 'string', 'artists or tracks'),
      c('id', 'string', 'Spotify artist or track id'),
      c('name', 'string', 'artist or track name'),
      c('short_term_rank', 'int', 'rank in the short-term (about 4 weeks) top list'),
      c('medium_term_rank', 'int', 'rank in the medium-term (about 6 months) top list'),
      c('long_term_rank', 'int', 'rank in the long-term (about a year) top list'),
      c('status', 'string', 'steady (in both), new (short-term only) or faded (long-term only)'),
      c('rank_change', 'int', 'long_term_rank - short_term_rank: positive when it ranks higher lately'),
    ],
  },
  {
    name: 'content_mix',
    description: 'per playlist and day: tracks and episodes, explicit share, duration median and p90',
    question: 'What is each playlist made of: tracks, episodes, explicit share, lengths?',
    tables: ['playlist_items', 'tracks', 'episodes', 'playlists'],
    columns: [
      c('snapshot_date', 'date', 'the day the playlist was observed'),
      c('playlist_id', 'string', 'Spotify playlist id'),
      c('playlist_name', 'string', 'playlist name, latest known'),
      c('items', 'bigint', 'positions, local files and unavailable tracks included'),
      c('tracks', 'bigint', 'Spotify tracks'),
      c('episodes', 'bigint', 'podcast episodes'),
      c('explicit_items', 'bigint', 'tracks and episodes marked explicit'),
      c('explicit_share', 'double', 'explicit_items / items whose explicit flag is known'),
      c('median_duration_ms', 'double', 'median length of the items with a known length'),
      c('p90_duration_ms', 'bigint', '90th percentile (nearest rank) of the same lengths'),
      c('total_duration_ms', 'bigint', 'the whole playlist, as far as lengths are known'),
    ],
  },
  {
    name: 'rising_artists',
    description: 'per artist and day: popularity and follower momentum over 1, 7 and 30 days (extended tier)',
    question: 'Which artists are gaining popularity and followers fastest?',
    tables: ['artist_snapshots', 'artists'],
    needs: {
      table: 'artist_snapshots',
      fields: ['artists.popularity', 'artists.followers'],
      tier: 'extended',
      reason: {
        development:
          'needs popularity and followers, which development-mode apps no longer receive (Spotify, February 2026); ' +
          'set SPOTIFY_ACCESS_TIER=extended with an extended-quota app',
        extended:
          'needs popularity and followers from artist_snapshots, which has no rows yet: watch some artists ' +
          '(sources.artists) and run the pipeline',
      },
    },
    columns: [
      c('snapshot_date', 'date', 'the day the artist was fetched'),
      c('artist_id', 'string', 'Spotify artist id'),
      c('artist_name', 'string', 'artist name, latest known'),
      c('popularity', 'int', 'Spotify popularity, 0-100'),
      c('followers', 'bigint', 'followers'),
      c('popularity_change_1d', 'int', 'popularity now minus 1 day before (NULL: no snapshot then)'),
      c('popularity_change_7d', 'int', 'popularity now minus 7 days before (NULL: no snapshot then)'),
      c('popularity_change_30d', 'int', 'popularity now minus 30 days before (NULL: no snapshot then)'),
      c('followers_change_1d', 'bigint', 'followers now minus 1 day before'),
      c('followers_change_7d', 'bigint', 'followers now minus 7 days before'),
      c('followers_change_30d', 'bigint', 'followers now minus 30 days before'),
      c('followers_growth_7d', 'double', 'followers_change_7d / followers 7 days before'),
      c('followers_growth_30d', 'double', 'followers_change_30d / followers 30 days before'),
    ],
  },
  {
    name: 'label_share',
    description:
      'per day: the labels holding the slots of the watched playlists, their share (extended tier)',
    question: 'Which labels hold the slots of the watched playlists, and how much of them?',
    tables: ['playlist_items', 'tracks', 'albums'],
    needs: {
      table: 'albums',
      fields: ['albums.label'],
      tier: 'extended',
      tierOnly: true,
      reason: {
        development:
          'needs albums.label, which development-mode apps no longer receive (Spotify, February 2026); ' +
          'set SPOTIFY_ACCESS_TIER=extended with an extended-quota app',
        extended: 'needs albums with a label: watch some playlists (sources.playlists) and run the pipeline',
      },
    },
    columns: [
      c('snapshot_date', 'date', 'the day the playlists were observed'),
      c('label', 'string', "record label of the tracks' albums"),
      c('slots', 'bigint', 'places its tracks hold across the watched playlists'),
      c('playlists', 'bigint', 'watched playlists holding at least one of them'),
      c('tracks', 'bigint', 'distinct tracks'),
      c('share', 'double', 'slots / the slots whose label is known that day'),
      c('rank', 'int', '1 = the most slots that day (ties: by label)'),
    ],
  },
  {
    name: 'track_momentum',
    description: 'per track and day: popularity and its change over 1, 7 and 30 days (extended tier)',
    question: 'Which tracks are gaining popularity fastest?',
    tables: ['track_snapshots', 'tracks', 'track_artists', 'artists'],
    needs: {
      table: 'track_snapshots',
      fields: ['tracks.popularity'],
      tier: 'extended',
      reason: {
        development:
          'needs track popularity, which development-mode apps no longer receive (Spotify, February 2026); ' +
          'set SPOTIFY_ACCESS_TIER=extended with an extended-quota app',
        extended:
          'needs popularity from track_snapshots, which has no rows yet: watch some playlists or artists and run the pipeline',
      },
    },
    columns: [
      c('snapshot_date', 'date', 'the day the track was fetched'),
      c('track_id', 'string', 'Spotify track id'),
      c('track_name', 'string', 'track name, latest known'),
      c('artist_name', 'string', "the track's primary artist"),
      c('popularity', 'int', 'Spotify popularity, 0-100'),
      c('popularity_change_1d', 'int', 'popularity now minus 1 day before (NULL: no snapshot then)'),
      c('popularity_change_7d', 'int', 'popularity now minus 7 days before (NULL: no snapshot then)'),
      c('popularity_change_30d', 'int', 'popularity now minus 30 days before (NULL: no snapshot then)'),
    ],
  },
];

export const INSIGHT_NAMES: readonly string[] = INSIGHTS.map((i) => i.name);

/** The insights with these names, in registry order; INVALID_ARGUMENT for an unknown name. */
export function selectInsights(names?: readonly string[]): InsightSpec[] {
  if (names === undefined || names.length === 0) return [...INSIGHTS];
  const unknown = names.filter((n) => !INSIGHT_NAMES.includes(n));
  if (unknown.length > 0) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Unknown insight${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')}: expected one of ` +
        `${INSIGHT_NAMES.join(', ')}.`,
      { details: { unknown } },
    );
  }
  return INSIGHTS.filter((i) => names.includes(i.name));
}

/**
 * Functions DuckDB and Athena (Trino) spell differently. An insight's SQL calls the macro's name and
 * insightSql() writes the engine's spelling: one file per insight, no copied variants.
 */
export const DIALECT_MACROS: Readonly<Record<string, Readonly<Record<EngineName, string>>>> = {
  // The ISO weekday, Monday 1 to Sunday 7: isodow() in DuckDB, day_of_week() in Trino
  // (https://trino.io/docs/current/functions/datetime.html).
  iso_weekday: { duckdb: 'isodow', athena: 'day_of_week' },
};

/** The SQL of an insight (`sql/<name>.sql`) for an engine, its dialect macros spelled for that engine. */
export function insightSql(name: string, engine: EngineName = 'duckdb'): string {
  if (!INSIGHT_NAMES.includes(name)) selectInsights([name]);
  const text = tryRead(new URL(`./sql/${name}.sql`, import.meta.url));
  if (text === undefined) {
    throw new TunelakeError(
      'INTERNAL',
      `Cannot read src/insights/sql/${name}.sql: the insights' SQL files must ship next to their code.`,
    );
  }
  return spellDialect(text, engine);
}

/** `sql` with every dialect macro call (`iso_weekday(`) replaced by the engine's function name. */
export function spellDialect(sql: string, engine: EngineName): string {
  let out = sql;
  for (const [macro, spelling] of Object.entries(DIALECT_MACROS)) {
    out = out.replace(new RegExp(`\\b${macro}\\s*\\(`, 'g'), `${spelling[engine]}(`);
  }
  return out;
}

function tryRead(url: URL): string | undefined {
  try {
    return readFileSync(url, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TunelakeError('INTERNAL', `Cannot read ${url.pathname}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
