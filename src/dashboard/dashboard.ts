// What the dashboard's JSON API answers, without HTTP: the lake's freshness and which insights it can
// show (status), the values the filters may take (filters), and one view of one insight (insight).
//
// Queries run on a read-only QueryEngine (src/query/engine.ts): on DuckDB it runs a single SELECT and,
// once its views exist, cannot read any file but the lake's table files nor write any file at all
// (enable_external_access=false, allowed_paths, lock_configuration). The SQL itself comes from
// queries.ts only. A new run or insight refresh is picked up when the page asks for the status: if
// the last run or the insight tables changed since the engine read the catalog, it reads it again.
import { readFile } from 'node:fs/promises';
import { type Catalog, TABLES_DATABASE } from '../catalog/catalog.js';
import type { Config } from '../config.js';
import { TunelakeError } from '../errors.js';
import type { ImportedTracksBacklog } from '../extract/manifest.js';
import { committedRunIds, readManifest } from '../extract/manifest.js';
import { type InsightListing, listInsights } from '../insights/refresh.js';
import type { QueryEngine, Row } from '../query/engine.js';
import { obtainedAtOf, type RefreshTokenAge, refreshTokenAge } from '../spotify/token-age.js';
import type { ObjectStore } from '../storage/store.js';
import { type InsightParams, parseInsightParams } from './params.js';
import { buildInsightSql, type InsightFilters, insightQueries } from './queries.js';
import { type TrackView, trackHistorySql, trackViewTable } from './track.js';

/** A run older than this is shown as stale: the schedule runs daily (as doctor's lake.last-run). */
export const STALE_RUN_HOURS = 25;

export const EMPTY_LAKE_HINT =
  'This lake has no insight tables yet. Try it with simulated data: npx tunelake demo --days 14 ' +
  '(or collect your own with npx tunelake run), then reload this page.';

export interface DashboardRuntime {
  config: Pick<
    Config,
    'engine' | 'athena' | 'awsRegion' | 'spotify' | 'catalog' | 'credentialsFile' | 'origins'
  >;
  store: ObjectStore;
  catalog: Catalog;
  /** The configured query engine (the composition root's). */
  openEngine(options: { readOnly: true }): Promise<QueryEngine>;
}

export interface DashboardDeps {
  /** A read-only engine over the runtime's store and catalog; the dashboard closes it. */
  engine: QueryEngine;
  now?: () => Date;
  /** Reads the credentials file; undefined when it does not exist. Default: the file system. */
  readFile?: (path: string) => Promise<string | undefined>;
}

/**
 * The user's Spotify login as the freshness bar shows it: its age and expiry from the credentials
 * file's `obtained_at`, `expiring` from 30 days before (as doctor warns), or `unknown` when the file
 * does not say. Null when the token does not come from the credentials file (SPOTIFY_REFRESH_TOKEN,
 * or none): nothing records when it was issued.
 */
export type LoginStatus = RefreshTokenAge | { status: 'unknown'; message: string };

export interface InsightStatus {
  name: string;
  description: string;
  table: string;
  available: boolean;
  reason?: string;
  /** Rows in its table; undefined when it has not been written. */
  rows?: number;
  filters: { date: string | null; playlist: boolean; artist: boolean };
  views: string[];
  columns: InsightListing['columns'];
}

export interface DashboardStatus {
  lake: string;
  /** The access tier of the last run (its manifest), else the configured one. */
  tier: string;
  /** Where `tier` comes from: the last run's manifest, or the config when the lake has no run. */
  tierSource: 'last run' | 'config';
  engine: string;
  catalog: string;
  lastRun: {
    runId: string;
    dt: string;
    finishedAt: string;
    ageHours: number;
    stale: boolean;
    sourceErrors: number;
    /** The imported streaming history's tracks fetched so far (absent without an import). */
    importedTracks?: ImportedTracksBacklog;
  } | null;
  runs: number;
  /** The refresh token's age and expiry (#14); null when it does not come from the credentials file. */
  login: LoginStatus | null;
  /** No insight table has a row: the page shows what to run instead of empty charts. */
  empty: boolean;
  hint?: string;
  insights: InsightStatus[];
}

export interface NamedId {
  id: string;
  name: string | null;
}

export interface DashboardFilters {
  playlists: NamedId[];
  artists: NamedId[];
  dates: { min: string; max: string } | null;
}

export interface InsightAnswer {
  insight: string;
  view: string;
  applied: InsightFilters;
  limit: number;
  /** More rows matched than `limit`. */
  truncated: boolean;
  columns: InsightListing['columns'];
  rows: Row[];
}

export interface TrackAnswer {
  track: string;
  /** rows (places from playlist_items), chart_history or track_journey. */
  view: string;
  applied: InsightFilters;
  limit: number;
  truncated: boolean;
  columns: Array<{ name: string; type: string }>;
  rows: Row[];
}

export interface Dashboard {
  status(): Promise<DashboardStatus>;
  filters(): Promise<DashboardFilters>;
  /** One view of one insight; `query` holds every value of each query-string key. */
  insight(name: string, query: Record<string, string[]>): Promise<InsightAnswer>;
  /** One track's chart history or journey (the track page; from, to, playlist, limit, view). */
  track(id: string, query: Record<string, string[]>): Promise<TrackAnswer>;
  close(): Promise<void>;
}

export async function createDashboard(runtime: DashboardRuntime, deps: DashboardDeps): Promise<Dashboard> {
  const { engine } = deps;
  const now = deps.now ?? (() => new Date());
  const queries = insightQueries();
  let listing = await listInsights(runtime);
  let signature = await lakeSignature(runtime.store, listing);
  let filtersCache: Promise<DashboardFilters> | undefined;

  const written = (name: string) => {
    const entry = listing.find((i) => i.name === name);
    return entry?.available === true && entry.rows !== undefined;
  };

  const loadFilters = async (): Promise<DashboardFilters> => {
    const writtenQueries = [...queries.values()].filter((q) => written(q.spec.name));
    const namedIds = async (idColumn: string, nameColumn: string): Promise<NamedId[]> => {
      const parts = writtenQueries
        .filter((q) => q.spec.columns.some((c) => c.name === idColumn))
        .map((q) => {
          const hasName = q.spec.columns.some((c) => c.name === nameColumn);
          return `SELECT ${idColumn} AS id, ${hasName ? nameColumn : 'NULL'} AS name FROM "${q.table}"`;
        });
      if (parts.length === 0) return [];
      const { rows } = await engine.query(
        `SELECT id, max(name) AS name FROM (${parts.join(' UNION ALL ')}) WHERE id IS NOT NULL ` +
          'GROUP BY id ORDER BY lower(max(name)) NULLS LAST, id',
      );
      return rows.map((r) => ({ id: String(r.id), name: r.name === null ? null : String(r.name) }));
    };
    const dated = writtenQueries.filter((q) => q.dateColumn !== undefined);
    let dates: DashboardFilters['dates'] = null;
    if (dated.length > 0) {
      const { rows } = await engine.query(
        `SELECT min(d) AS min, max(d) AS max FROM (${dated
          .map((q) => `SELECT "${q.dateColumn}" AS d FROM "${q.table}"`)
          .join(' UNION ALL ')})`,
      );
      const row = rows[0];
      if (row && typeof row.min === 'string' && typeof row.max === 'string') {
        dates = { min: row.min, max: row.max };
      }
    }
    return {
      playlists: await namedIds('playlist_id', 'playlist_name'),
      artists: await namedIds('artist_id', 'artist_name'),
      dates,
    };
  };

  const filters = (): Promise<DashboardFilters> => {
    filtersCache ??= loadFilters().catch((error) => {
      filtersCache = undefined;
      throw error;
    });
    return filtersCache;
  };

  return {
    async status() {
      listing = await listInsights(runtime);
      const ids = await safeRunIds(runtime.store);
      const next = signatureOf(ids.at(-1), listing);
      if (next !== signature) {
        await engine.refresh();
        signature = next;
        filtersCache = undefined;
      }
      const last = ids.at(-1);
      let lastRun: DashboardStatus['lastRun'] = null;
      let tier: string | undefined;
      if (last !== undefined) {
        const manifest = await readManifest(runtime.store, last);
        // The lake says which tier built it; `serve` itself has no Spotify app and would only know
        // the configured default ("development" for a lake built by `demo --tier extended`, #18).
        tier = manifest.tier;
        // Emulated runs carry simulated times, which can lie ahead of the wall clock.
        const ageHours = Math.max(0, (now().getTime() - Date.parse(manifest.finishedAt)) / 3_600_000);
        lastRun = {
          runId: last,
          dt: manifest.dt,
          finishedAt: manifest.finishedAt,
          ageHours: Math.round(ageHours * 10) / 10,
          stale: ageHours > STALE_RUN_HOURS,
          sourceErrors: manifest.errors.length,
          ...(manifest.importedTracks ? { importedTracks: manifest.importedTracks } : {}),
        };
      }
      const empty = !listing.some((i) => (i.rows ?? 0) > 0);
      const login = await loginStatus(runtime.config, deps.readFile ?? readIfExists, now());
      return {
        lake: runtime.store.location,
        tier: tier ?? runtime.config.spotify.tier,
        tierSource: tier === undefined ? 'config' : 'last run',
        engine: engine.name,
        catalog: runtime.config.catalog,
        lastRun,
        runs: ids.length,
        login,
        empty,
        ...(empty ? { hint: EMPTY_LAKE_HINT } : {}),
        insights: listing.map((entry) => {
          const q = queries.get(entry.name);
          return {
            name: entry.name,
            description: entry.description,
            table: entry.table,
            available: entry.available,
            ...(entry.reason !== undefined ? { reason: entry.reason } : {}),
            ...(entry.rows !== undefined ? { rows: entry.rows } : {}),
            filters: {
              date: q?.dateColumn ?? null,
              playlist: q?.playlist ?? false,
              artist: q?.artist ?? false,
            },
            views: q ? Object.keys(q.views) : [],
            columns: entry.columns,
          };
        }),
      };
    },

    filters,

    async insight(name, query) {
      const q = queries.get(name);
      if (!q) {
        throw new TunelakeError(
          'INVALID_ARGUMENT',
          `Unknown insight "${clip(name)}": expected one of ${[...queries.keys()].join(', ')}.`,
          { details: { insight: name } },
        );
      }
      const params = parseInsightParams(query);
      const entry = listing.find((i) => i.name === name);
      if (!entry?.available) {
        throw new TunelakeError(
          'STORAGE_NOT_FOUND',
          `Insight ${name} is unavailable in this lake: ${entry?.reason ?? 'it is not listed in the catalog'}.`,
          { details: { insight: name } },
        );
      }
      if (!written(name)) {
        throw new TunelakeError(
          'STORAGE_NOT_FOUND',
          `Insight ${name} has not been written yet (no ${q.table} table): run npx tunelake run, or ` +
            'npx tunelake demo --days 14 for simulated data.',
          { details: { insight: name } },
        );
      }
      await checkKnownIds(params, await filters());
      const built = buildInsightSql(q, params.view, params, params.limit);
      const result = await engine.query(built.sql);
      const rows = result.rows;
      return {
        insight: name,
        view: params.view,
        applied: built.applied,
        limit: params.limit,
        truncated: rows.length > params.limit,
        // A view's columns are its own (an aggregate's counts); those of the table keep their descriptions.
        columns: result.columns.map(
          (col) =>
            q.spec.columns.find((c) => c.name === col.name) ?? {
              name: col.name,
              type: col.type,
              description: '',
            },
        ),
        rows: rows.slice(0, params.limit),
      };
    },

    async track(id, query) {
      const params = parseInsightParams(query);
      const sql = trackHistorySql(id, params);
      const table = trackViewTable(params.view as TrackView);
      if (!(await tableExists(runtime.catalog, table))) {
        throw new TunelakeError(
          'STORAGE_NOT_FOUND',
          `This lake has no ${table} table yet: run npx tunelake run (or npx tunelake demo --days 14)` +
            (table === 'playlist_items' ? '.' : ', which refreshes the insights (or npx tunelake insights).'),
        );
      }
      await checkKnownIds(params, await filters());
      const result = await engine.query(sql);
      const applied: InsightFilters = {};
      if (params.from !== undefined) applied.from = params.from;
      if (params.to !== undefined) applied.to = params.to;
      if (params.playlist !== undefined) applied.playlist = params.playlist;
      return {
        track: id,
        view: params.view,
        applied,
        limit: params.limit,
        truncated: result.rows.length > params.limit,
        columns: result.columns.map((c) => ({ name: c.name, type: c.type })),
        rows: result.rows.slice(0, params.limit),
      };
    },

    async close() {
      await engine.close();
    },
  };
}

/** A playlist or artist the lake does not hold is a mistake worth saying, not an empty chart. */
async function checkKnownIds(params: InsightParams, known: DashboardFilters): Promise<void> {
  const problems: string[] = [];
  if (params.playlist !== undefined && !known.playlists.some((p) => p.id === params.playlist)) {
    problems.push(
      `unknown playlist "${params.playlist}": it is not a watched playlist in this lake ` +
        `(${known.playlists.length} known; GET /api/filters lists them)`,
    );
  }
  if (params.artist !== undefined && !known.artists.some((a) => a.id === params.artist)) {
    problems.push(
      `unknown artist "${params.artist}": no insight of this lake has it ` +
        `(${known.artists.length} known; GET /api/filters lists them)`,
    );
  }
  if (problems.length > 0) {
    throw new TunelakeError('INVALID_ARGUMENT', `Invalid parameters: ${problems.join('; ')}.`, {
      details: { problems },
    });
  }
}

async function tableExists(catalog: Catalog, name: string): Promise<boolean> {
  try {
    return (await catalog.listTables(TABLES_DATABASE)).some((t) => t.Name === name);
  } catch (error) {
    if (error instanceof TunelakeError && error.code === 'STORAGE_NOT_FOUND') return false;
    throw error;
  }
}

async function safeRunIds(store: ObjectStore): Promise<string[]> {
  try {
    return await committedRunIds(store);
  } catch (error) {
    if (error instanceof TunelakeError && error.code === 'STORAGE_NOT_FOUND') return [];
    throw error;
  }
}

async function lakeSignature(store: ObjectStore, listing: readonly InsightListing[]): Promise<string> {
  return signatureOf((await safeRunIds(store)).at(-1), listing);
}

function signatureOf(lastRun: string | undefined, listing: readonly InsightListing[]): string {
  return JSON.stringify([lastRun ?? null, listing.map((i) => [i.name, i.available, i.rows ?? null])]);
}

function clip(value: string): string {
  return value.length > 60 ? `${value.slice(0, 60)}...` : value;
}

async function loginStatus(
  config: DashboardRuntime['config'],
  read: (path: string) => Promise<string | undefined>,
  at: Date,
): Promise<LoginStatus | null> {
  if (config.origins['spotify.refreshToken'] !== 'file') return null;
  let obtainedAt: Date | undefined;
  try {
    obtainedAt = obtainedAtOf(await read(config.credentialsFile));
  } catch {}
  if (!obtainedAt) {
    return {
      status: 'unknown',
      message: `${config.credentialsFile} does not say when you logged in: run \`tunelake login\` to know when the login expires`,
    };
  }
  return refreshTokenAge(obtainedAt, at);
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
