// The daily brief: one page for one day, from the insight tables a label analyst would otherwise open
// one by one. For each watched playlist, the entries, the exits and the biggest real moves
// (playlist_movers); new releases of the watched artists (new_releases); artists far above their own
// trend (noteworthy); the day's listening (listening_sessions, top_played); how fresh each source is;
// and what this tier cannot show (the insights reported unavailable, with the reason).
//
// buildBrief() reads; renderBrief() formats. Both are deterministic: the day defaults to the last day
// a watched playlist was observed, never to the wall clock, and every query has a total order. The
// queries are plain SELECTs over catalog tables with DATE literals, valid on DuckDB and Athena alike,
// so the same function can serve the CLI (`tunelake brief`) and a Lambda that publishes the page.
import { TABLES_DATABASE } from '../catalog/catalog.js';
import type { AccessTier } from '../config.js';
import { isTunelakeError, TunelakeError } from '../errors.js';
import { insightTableName } from '../insights/insights.js';
import { type InsightsRuntime, listInsights } from '../insights/refresh.js';
import type { QueryEngine, Row } from '../query/engine.js';

export type BriefFormat = 'md' | 'html';

/** What buildBrief needs: the catalog (which tables exist), the tier, and an engine to query with. */
export type BriefRuntime = Pick<InsightsRuntime, 'catalog' | 'config'> & { engine: QueryEngine };

export interface BriefOptions {
  /** YYYY-MM-DD; default: the last day a watched playlist was observed (else the last day with a play). */
  date?: string;
}

export interface BriefMove {
  trackId: string;
  trackName: string | null;
  artistName: string | null;
  fromPosition: number | null;
  toPosition: number | null;
  /** Real places gained (rank among the tracks on both days); null for entries and exits. */
  rankChange: number | null;
}

export interface BriefPlaylist {
  playlistId: string;
  playlistName: string | null;
  /** The day it was compared with. */
  previousDate: string;
  entries: BriefMove[];
  exits: BriefMove[];
  /** The biggest real climbs and falls, largest first (at most MOVES_PER_PLAYLIST). */
  moves: BriefMove[];
  /** Climbs and falls in all, beyond the ones listed. */
  moveCount: number;
}

export interface BriefRelease {
  releaseDate: string;
  albumName: string | null;
  albumType: string | null;
  artistName: string | null;
  label: string | null;
}

export interface BriefSpike {
  signal: string;
  artistName: string | null;
  value: number;
  baselineMedian: number;
  robustZ: number;
}

export interface BriefListening {
  sessions: number;
  listens: number;
  minutes: number;
  weekStart: string | null;
  topArtist: { name: string | null; plays: number } | null;
  topTrack: { name: string | null; plays: number } | null;
}

export interface BriefFreshness {
  /** What the date says, in words. */
  source: string;
  table: string;
  latest: string | null;
}

export interface Brief {
  date: string;
  tier: AccessTier;
  /** Watched playlists observed on the day with any change; null when playlist_movers is not written. */
  playlists: BriefPlaylist[] | null;
  /** Watched playlists observed on the day without a change. */
  unchangedPlaylists: number;
  releases: BriefRelease[] | null;
  releaseWindowDays: number;
  spikes: BriefSpike[] | null;
  listening: BriefListening | null;
  freshness: BriefFreshness[];
  unavailable: Array<{ name: string; reason: string }>;
}

/** Releases this many days up to the brief's day count as new (two release Fridays). */
export const RELEASE_WINDOW_DAYS = 14;
const MOVES_PER_PLAYLIST = 3;
const SPIKES = 5;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export async function buildBrief(runtime: BriefRuntime, options: BriefOptions = {}): Promise<Brief> {
  if (options.date !== undefined && !validDate(options.date)) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Invalid --date "${options.date}": expected a day as YYYY-MM-DD, e.g. 2026-11-02.`,
      { details: { date: options.date } },
    );
  }
  const { engine } = runtime;
  const tables = await catalogTables(runtime);
  const has = (table: string) => tables.has(table);
  const insight = (name: string) => (has(insightTableName(name)) ? `"${insightTableName(name)}"` : undefined);
  const first = async (sql: string): Promise<Row | undefined> => (await engine.query(sql)).rows[0];

  const freshness: BriefFreshness[] = [];
  for (const [source, table, expr] of FRESHNESS) {
    if (!has(table)) continue;
    const row = await first(`SELECT CAST(max(${expr}) AS VARCHAR) AS latest FROM "${table}"`);
    freshness.push({ source, table, latest: str(row?.latest) });
  }

  const date = options.date ?? defaultDate(freshness);
  if (date === undefined) {
    throw new TunelakeError(
      'STORAGE_NOT_FOUND',
      'No brief: the lake has no observed playlists and no plays yet. Run `tunelake run` (or `tunelake demo`) first.',
    );
  }
  const day = `DATE '${date}'`;

  let playlists: BriefPlaylist[] | null = null;
  let unchangedPlaylists = 0;
  const movers = insight('playlist_movers');
  if (movers) {
    const { rows } = await engine.query(
      `SELECT playlist_id, playlist_name, CAST(previous_date AS VARCHAR) AS previous_date, track_id, track_name,
          artist_name, move, from_position, to_position, rank_change
        FROM ${movers}
        WHERE snapshot_date = ${day}
        ORDER BY playlist_name, playlist_id, move, coalesce(to_position, from_position), track_id`,
    );
    const byPlaylist = new Map<string, BriefPlaylist>();
    for (const row of rows) {
      const id = String(row.playlist_id);
      let entry = byPlaylist.get(id);
      if (!entry) {
        entry = {
          playlistId: id,
          playlistName: str(row.playlist_name),
          previousDate: String(row.previous_date),
          entries: [],
          exits: [],
          moves: [],
          moveCount: 0,
        };
        byPlaylist.set(id, entry);
      }
      const move: BriefMove = {
        trackId: String(row.track_id),
        trackName: str(row.track_name),
        artistName: str(row.artist_name),
        fromPosition: num(row.from_position),
        toPosition: num(row.to_position),
        rankChange: num(row.rank_change),
      };
      if (row.move === 'entry') entry.entries.push(move);
      else if (row.move === 'exit') entry.exits.push(move);
      else {
        entry.moves.push(move);
        entry.moveCount++;
      }
    }
    for (const entry of byPlaylist.values()) {
      entry.moves.sort(
        (a, b) =>
          Math.abs(b.rankChange ?? 0) - Math.abs(a.rankChange ?? 0) ||
          (a.toPosition ?? 0) - (b.toPosition ?? 0) ||
          a.trackId.localeCompare(b.trackId),
      );
      entry.moves = entry.moves.slice(0, MOVES_PER_PLAYLIST);
    }
    playlists = [...byPlaylist.values()];
    if (has('playlist_items')) {
      const observed = await first(
        `SELECT count(DISTINCT playlist_id) AS n FROM playlist_items WHERE snapshot_date = '${date}'`,
      );
      unchangedPlaylists = Math.max(0, Number(observed?.n ?? 0) - playlists.length);
    }
  }

  let releases: BriefRelease[] | null = null;
  const newReleases = insight('new_releases');
  if (newReleases) {
    const { rows } = await engine.query(
      `SELECT CAST(release_date AS VARCHAR) AS release_date, album_name, album_type, artist_name, label
        FROM ${newReleases}
        WHERE date_diff('day', release_date, ${day}) BETWEEN 0 AND ${RELEASE_WINDOW_DAYS - 1}
        ORDER BY release_date DESC, artist_name, album_name, album_id`,
    );
    releases = rows.map((r) => ({
      releaseDate: String(r.release_date),
      albumName: str(r.album_name),
      albumType: str(r.album_type),
      artistName: str(r.artist_name),
      label: str(r.label),
    }));
  }

  let spikes: BriefSpike[] | null = null;
  const noteworthy = insight('noteworthy');
  if (noteworthy) {
    const { rows } = await engine.query(
      `SELECT signal, artist_name, value, baseline_median, robust_z FROM ${noteworthy}
        WHERE snapshot_date = ${day} ORDER BY "rank" LIMIT ${SPIKES}`,
    );
    spikes = rows.map((r) => ({
      signal: String(r.signal),
      artistName: str(r.artist_name),
      value: Number(r.value),
      baselineMedian: Number(r.baseline_median),
      robustZ: Number(r.robust_z),
    }));
  }

  let listening: BriefListening | null = null;
  const sessions = insight('listening_sessions');
  const top = insight('top_played');
  if (sessions || top) {
    const s = sessions
      ? await first(`SELECT sessions, listens, total_minutes FROM ${sessions} WHERE session_date = ${day}`)
      : undefined;
    let weekStart: string | null = null;
    let topArtist: BriefListening['topArtist'] = null;
    let topTrack: BriefListening['topTrack'] = null;
    if (top) {
      const { rows } = await engine.query(
        `SELECT CAST(period_start AS VARCHAR) AS period_start, kind, name, id, plays FROM ${top}
          WHERE period = 'week' AND "rank" = 1 AND period_start = ${mondayOf(date)}
          ORDER BY kind`,
      );
      for (const r of rows) {
        weekStart = String(r.period_start);
        const item = { name: str(r.name) ?? str(r.id), plays: Number(r.plays) };
        if (r.kind === 'artist') topArtist = item;
        else topTrack = item;
      }
    }
    listening = {
      sessions: Number(s?.sessions ?? 0),
      listens: Number(s?.listens ?? 0),
      minutes: Number(s?.total_minutes ?? 0),
      weekStart,
      topArtist,
      topTrack,
    };
  }

  const unavailable = (await listInsights(runtime))
    .filter((i) => !i.available)
    .map((i) => ({ name: i.name, reason: i.reason ?? 'unavailable' }));

  return {
    date,
    tier: runtime.config.spotify.tier,
    playlists,
    unchangedPlaylists,
    releases,
    releaseWindowDays: RELEASE_WINDOW_DAYS,
    spikes,
    listening,
    freshness,
    unavailable,
  };
}

/** The tables of the lake's database; none when the pipeline has not created it yet. */
async function catalogTables(runtime: BriefRuntime): Promise<Set<string>> {
  try {
    return new Set((await runtime.catalog.listTables(TABLES_DATABASE)).map((t) => t.Name));
  } catch (error) {
    if (isTunelakeError(error, 'STORAGE_NOT_FOUND')) return new Set();
    throw error;
  }
}

/** [what, table, the expression of its latest day]. */
const FRESHNESS: Array<[string, string, string]> = [
  ['watched playlists observed', 'playlist_items', 'snapshot_date'],
  ['listening history up to', 'listens', 'CAST(listened_at AS DATE)'],
  ['watched artists last fetched', 'artists', 'CAST(last_seen_at AS DATE)'],
  ['releases last found', 'releases', 'first_seen_date'],
  ['popularity snapshots', 'artist_snapshots', 'snapshot_date'],
];

function defaultDate(freshness: readonly BriefFreshness[]): string | undefined {
  const latest = (table: string) => freshness.find((f) => f.table === table)?.latest ?? undefined;
  return latest('playlist_items') ?? latest('listens');
}

function validDate(value: string): boolean {
  if (!DATE.test(value)) return false;
  const parsed = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(value);
}

/** The Monday of the ISO week of a YYYY-MM-DD day, as a DATE literal. */
function mondayOf(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  const back = (d.getUTCDay() + 6) % 7;
  d.setUTCDate(d.getUTCDate() - back);
  return `DATE '${d.toISOString().slice(0, 10)}'`;
}

function str(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

function num(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

// ---- rendering ----

/**
 * A one-line summary for an email subject or a notification title: ASCII and at most 100 characters,
 * what SNS accepts as a subject (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html).
 */
export function briefSubject(brief: Brief): string {
  const parts: string[] = [];
  if (brief.playlists !== null) {
    const entries = brief.playlists.reduce((n, p) => n + p.entries.length, 0);
    const exits = brief.playlists.reduce((n, p) => n + p.exits.length, 0);
    const moves = brief.playlists.reduce((n, p) => n + p.moveCount, 0);
    parts.push(
      `${plural(entries, 'entry', 'entries')}, ${plural(exits, 'exit', 'exits')}, ${plural(moves, 'move', 'moves')}`,
    );
  }
  if (brief.releases !== null && brief.releases.length > 0) {
    parts.push(plural(brief.releases.length, 'new release', 'new releases'));
  }
  if (brief.spikes !== null && brief.spikes.length > 0) {
    parts.push(plural(brief.spikes.length, 'spike', 'spikes'));
  }
  const subject = `tunelake brief ${brief.date}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`;
  return subject.length <= 100 ? subject : `${subject.slice(0, 97)}...`;
}

/** The brief as a page: Markdown (for a terminal, a chat or an email body) or a self-contained HTML page. */
export function renderBrief(brief: Brief, format: BriefFormat = 'md'): string {
  const blocks = briefBlocks(brief);
  return format === 'html' ? toHtml(brief, blocks) : toMarkdown(brief, blocks);
}

/** A section: a heading and its lines (plain text with "quoted" names), or a table. */
interface Block {
  heading: string;
  level: 2 | 3;
  lines?: string[];
  table?: { head: string[]; rows: string[][] };
}

function briefBlocks(brief: Brief): Block[] {
  const blocks: Block[] = [];
  blocks.push({ heading: 'Watched playlists', level: 2, lines: playlistSummary(brief) });
  for (const p of brief.playlists ?? []) {
    const lines: string[] = [];
    if (p.entries.length > 0)
      lines.push(`Entries: ${p.entries.map((m) => `#${m.toPosition} ${track(m)}`).join('; ')}`);
    if (p.exits.length > 0)
      lines.push(`Exits: ${p.exits.map((m) => `${track(m)} (was #${m.fromPosition})`).join('; ')}`);
    if (p.moves.length > 0) {
      const more = p.moveCount - p.moves.length;
      lines.push(
        `Biggest moves: ${p.moves.map(moveText).join('; ')}${more > 0 ? ` (and ${more} smaller)` : ''}`,
      );
    }
    blocks.push({ heading: `${p.playlistName ?? p.playlistId} (since ${p.previousDate})`, level: 3, lines });
  }
  blocks.push({
    heading: `New releases from watched artists (${brief.releaseWindowDays} days to ${brief.date})`,
    level: 2,
    lines:
      brief.releases === null
        ? [NOT_WRITTEN('new_releases')]
        : brief.releases.length === 0
          ? ['None.']
          : brief.releases.map(
              (r) =>
                `${r.releaseDate}: ${r.artistName ?? 'unknown artist'}, "${r.albumName ?? 'untitled'}"` +
                ` (${[r.albumType, r.label].filter((x) => x).join(', ') || 'release'})`,
            ),
  });
  blocks.push({
    heading: 'Noteworthy: artists far above their own trend',
    level: 2,
    lines:
      brief.spikes === null
        ? [NOT_WRITTEN('noteworthy')]
        : brief.spikes.length === 0
          ? [`No artist is far above its trailing 28-day trend on ${brief.date}.`]
          : brief.spikes.map(
              (s) =>
                `${s.artistName ?? 'unknown artist'}: ${s.value} ${s.signal === 'plays' ? 'plays' : 'playlist places'} ` +
                `against a usual ${s.baselineMedian} (robust z ${s.robustZ})`,
            ),
  });
  blocks.push({ heading: 'Listening', level: 2, lines: listeningLines(brief) });
  blocks.push({
    heading: 'Data freshness',
    level: 2,
    table: {
      head: ['Data', 'Latest day', 'Against the brief'],
      rows: brief.freshness.map((f) => [f.source, f.latest ?? 'none yet', age(f.latest, brief.date)]),
    },
  });
  blocks.push({
    heading: `What the ${brief.tier} tier and this lake cannot show`,
    level: 2,
    lines:
      brief.unavailable.length === 0
        ? ['Nothing: every insight is available.']
        : brief.unavailable.map((u) => `${u.name}: ${u.reason}`),
  });
  return blocks;
}

const NOT_WRITTEN = (name: string) =>
  `Not computed yet: run \`tunelake insights --only ${name}\` (or \`tunelake run\`).`;

function playlistSummary(brief: Brief): string[] {
  if (brief.playlists === null) return [NOT_WRITTEN('playlist_movers')];
  const changed = brief.playlists.length;
  const entries = brief.playlists.reduce((n, p) => n + p.entries.length, 0);
  const exits = brief.playlists.reduce((n, p) => n + p.exits.length, 0);
  const moves = brief.playlists.reduce((n, p) => n + p.moveCount, 0);
  if (changed === 0) {
    return [
      brief.unchangedPlaylists > 0
        ? `No changes in the ${plural(brief.unchangedPlaylists, 'watched playlist', 'watched playlists')} observed on ${brief.date}.`
        : `No watched playlist was compared on ${brief.date} (observed for the first time, or not observed that day).`,
    ];
  }
  return [
    `${plural(entries, 'entry', 'entries')}, ${plural(exits, 'exit', 'exits')} and ` +
      `${plural(moves, 'real move', 'real moves')} in ${plural(changed, 'watched playlist', 'watched playlists')}` +
      (brief.unchangedPlaylists > 0 ? `; ${brief.unchangedPlaylists} unchanged.` : '.'),
  ];
}

function listeningLines(brief: Brief): string[] {
  const l = brief.listening;
  if (l === null) return [NOT_WRITTEN('listening_sessions')];
  const lines = [
    l.sessions === 0
      ? `No listening on ${brief.date}.`
      : `${plural(l.sessions, 'session', 'sessions')}, ${plural(l.listens, 'listen', 'listens')}, ${l.minutes} min on ${brief.date}.`,
  ];
  if (l.weekStart !== null && (l.topArtist || l.topTrack)) {
    const parts: string[] = [];
    if (l.topArtist)
      parts.push(
        `top artist ${l.topArtist.name ?? 'unknown'} (${plural(l.topArtist.plays, 'play', 'plays')})`,
      );
    if (l.topTrack)
      parts.push(
        `top track "${l.topTrack.name ?? 'unknown'}" (${plural(l.topTrack.plays, 'play', 'plays')})`,
      );
    lines.push(`Week from ${l.weekStart}: ${parts.join(', ')}.`);
  }
  return lines;
}

function track(m: BriefMove): string {
  return `"${m.trackName ?? m.trackId}"${m.artistName ? ` by ${m.artistName}` : ''}`;
}

function moveText(m: BriefMove): string {
  const n = m.rankChange ?? 0;
  return `${track(m)} ${n > 0 ? 'up' : 'down'} ${Math.abs(n)} (#${m.fromPosition} -> #${m.toPosition})`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** How old a source's latest day is on the brief's day: "same day", "3 days before", "2 days after". */
function age(latest: string | null, date: string): string {
  if (latest === null || !DATE.test(latest)) return '';
  const days = Math.round((Date.parse(`${date}T00:00:00Z`) - Date.parse(`${latest}T00:00:00Z`)) / 86_400_000);
  if (days === 0) return 'same day';
  return `${plural(Math.abs(days), 'day', 'days')} ${days > 0 ? 'before' : 'after'}`;
}

function toMarkdown(brief: Brief, blocks: Block[]): string {
  const out = [`# tunelake brief: ${brief.date}`, '', `Access tier: ${brief.tier}.`];
  for (const block of blocks) {
    out.push('', `${'#'.repeat(block.level)} ${block.heading}`, '');
    if (block.lines) for (const line of block.lines) out.push(`- ${line}`);
    if (block.table) {
      const cell = (s: string) => s.replace(/\|/g, '\\|');
      out.push(`| ${block.table.head.join(' | ')} |`, `|${block.table.head.map(() => ' --- |').join('')}`);
      for (const row of block.table.rows) out.push(`| ${row.map(cell).join(' | ')} |`);
    }
  }
  return `${out.join('\n')}\n`;
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function toHtml(brief: Brief, blocks: Block[]): string {
  const title = `tunelake brief: ${brief.date}`;
  // Backticks in the lines are commands: <code> in HTML.
  const inline = (s: string) => escapeHtml(s).replace(/`([^`]+)`/g, '<code>$1</code>');
  const out = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title>`,
    '<style>body{font:15px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}' +
      'h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:1.6rem;border-bottom:1px solid #ddd}h3{font-size:1rem}' +
      'table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.25rem .6rem;text-align:left}</style>',
    '</head>',
    '<body>',
    `<h1>${escapeHtml(title)}</h1>`,
    `<p>Access tier: ${escapeHtml(brief.tier)}.</p>`,
  ];
  for (const block of blocks) {
    out.push(`<h${block.level}>${inline(block.heading)}</h${block.level}>`);
    if (block.lines) {
      out.push('<ul>');
      for (const line of block.lines) out.push(`<li>${inline(line)}</li>`);
      out.push('</ul>');
    }
    if (block.table) {
      out.push('<table>', `<tr>${block.table.head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`);
      for (const row of block.table.rows)
        out.push(`<tr>${row.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`);
      out.push('</table>');
    }
  }
  out.push('</body>', '</html>');
  return `${out.join('\n')}\n`;
}
