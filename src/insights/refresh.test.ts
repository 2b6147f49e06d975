import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASET, TABLE_SCHEMAS } from '../../test/golden/insights/dataset.js';
import { EXPECTED } from '../../test/golden/insights/expected.js';
import { TABLES_DATABASE } from '../catalog/catalog.js';
import { parquetTableInput } from '../catalog/table-input.js';
import { type AccessTier, loadConfig } from '../config.js';
import { isTunelakeError } from '../errors.js';
import { silentLogger } from '../log.js';
import { type QueryEngine, stripComments } from '../query/engine.js';
import { createQueryEngine, createRuntime, type Runtime } from '../runtime.js';
import { headlineInsights } from './headlines.js';
import {
  DIALECT_MACROS,
  INSIGHT_NAMES,
  INSIGHTS,
  insightSql,
  insightTableName,
  spellDialect,
} from './insights.js';
import { type InsightsInfo, insightKey, listInsights, refreshInsights } from './refresh.js';
import { writeFixtureLake } from './test-support/fixture-lake.js';

const ENV = { TUNELAKE_CREDENTIALS: '/nonexistent/credentials.json' };

const lakes: string[] = [];
function tempLake(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tunelake-insights-'));
  lakes.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of lakes) rmSync(dir, { recursive: true, force: true });
});

async function goldenRuntime(tier: AccessTier, dataset = DATASET): Promise<Runtime> {
  const config = loadConfig({ lake: tempLake(), tier }, ENV);
  const runtime = await createRuntime(config, { spotify: false, logger: silentLogger });
  await writeFixtureLake(runtime.store, runtime.catalog, TABLE_SCHEMAS, dataset);
  return runtime;
}

/** The expected rows of an insight as objects keyed by the registry's column names. */
function expectedRows(name: string): Array<Record<string, unknown>> {
  const columns = INSIGHTS.find((i) => i.name === name)!.columns.map((c) => c.name);
  return EXPECTED[name]!.map((values) => {
    expect(values).toHaveLength(columns.length);
    return Object.fromEntries(columns.map((c, i) => [c, values[i]]));
  });
}

async function etags(runtime: Runtime): Promise<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = {};
  for (const name of INSIGHT_NAMES) out[name] = (await runtime.store.head(insightKey(name)))?.etag;
  return out;
}

describe('refreshInsights(runtime) on the golden dataset, extended tier', () => {
  let runtime: Runtime;
  let info: InsightsInfo;
  let engine: QueryEngine;

  beforeAll(async () => {
    runtime = await goldenRuntime('extended');
    info = await refreshInsights(runtime);
    engine = await createQueryEngine(runtime.config, {
      store: runtime.store,
      catalog: runtime.catalog,
      readOnly: true,
    });
  });
  afterAll(async () => {
    await engine?.close();
    await runtime?.close();
  });

  it('has a hand-computed expectation for every insight in the registry', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...INSIGHT_NAMES].sort());
  });

  it.each(INSIGHT_NAMES)('writes %s with exactly the rows computed by hand, in order', async (name) => {
    const result = info.insights.find((i) => i.name === name)!;
    expect(result.status).toBe('written');
    expect(result.rows).toBe(EXPECTED[name]!.length);
    const { rows, columns } = await engine.query(`SELECT * FROM ${insightTableName(name)}`);
    expect(columns.map((c) => c.name)).toEqual(
      INSIGHTS.find((i) => i.name === name)!.columns.map((c) => c.name),
    );
    expect(rows).toEqual(expectedRows(name));
  });

  it('registers each insight as a Parquet table insight_<name> with the declared columns and row count', async () => {
    for (const spec of INSIGHTS) {
      const table = await runtime.catalog.getTable(TABLES_DATABASE, insightTableName(spec.name));
      expect(table, spec.name).toBeDefined();
      expect(table!.StorageDescriptor.Location).toBe(`${runtime.store.uri(`insights/${spec.name}`)}/`);
      expect(table!.StorageDescriptor.Columns.map((c) => [c.Name, c.Type])).toEqual(
        spec.columns.map((c) => [c.name, c.type]),
      );
      expect(table!.StorageDescriptor.SerdeInfo.SerializationLibrary).toContain('Parquet');
      expect(table!.PartitionKeys).toEqual([]);
      expect(table!.Parameters?.recordCount).toBe(String(EXPECTED[spec.name]!.length));
      const result = info.insights.find((i) => i.name === spec.name)!;
      expect(result.location).toBe(table!.StorageDescriptor.Location);
    }
  });

  it('writes byte-identical files on a second refresh, and replaces a file changed by hand', async () => {
    const before = await etags(runtime);
    expect(Object.values(before).every((e) => e !== undefined)).toBe(true);
    await refreshInsights(runtime);
    expect(await etags(runtime)).toEqual(before);

    await runtime.store.put(insightKey('content_mix'), 'not parquet');
    await runtime.store.put('insights/content_mix/part-00001.parquet', 'a stray file');
    const again = await refreshInsights(runtime, { only: ['content_mix'] });
    expect(again.insights.map((i) => i.name)).toEqual(['content_mix']);
    expect(await etags(runtime)).toEqual(before);
    const keys: string[] = [];
    for await (const o of runtime.store.list('insights/content_mix/')) keys.push(o.key);
    expect(keys).toEqual([insightKey('content_mix')]);
  });

  it('gives the same rows with the Athena spelling, Trino functions defined as DuckDB macros', async () => {
    // Trino's day_of_week is the ISO weekday (https://trino.io/docs/current/functions/datetime.html), which DuckDB calls isodow.
    const trino = await createQueryEngine(runtime.config, { store: runtime.store, catalog: runtime.catalog });
    try {
      await trino.query('CREATE MACRO day_of_week(ts) AS isodow(ts)');
      let variants = 0;
      for (const name of INSIGHT_NAMES) {
        const athena = insightSql(name, 'athena');
        if (athena === insightSql(name, 'duckdb')) continue;
        variants++;
        const { rows } = await trino.query(athena);
        expect(rows, name).toEqual(expectedRows(name));
      }
      expect(variants).toBeGreaterThan(0);
    } finally {
      await trino.close();
    }
  });

  it('headlineInsights() sums up the latest day of each table in one line each', async () => {
    expect(await headlineInsights(runtime)).toEqual([
      'Biggest climber on 2026-12-01: "Five" by Eve in "Morning Mix", past 2 tracks (#4 -> #1).',
      'Playlist changes on 2026-12-01: 0 entries and 1 exit across 1 watched playlist.',
      // chart_history on 12-01: t5 at #1 from #4, its best place, first reached that day (t3 and t1 fell).
      'New peak on 2026-12-01: "Five" by Eve reached #1 in "Morning Mix" (from #4), its best in 3 observed days there.',
      // Eve, Alma and Bruno all hold 1 playlist and 1 position on 12-01: Eve's #1 is the best place.
      'Most present artist on 2026-12-01: Eve, in 1 watched playlist (1 position, best #1).',
      'Newest releases share: 33% of the tracks in the watched playlists came out in the last 30 days (1 of 3, 2026-12-01).',
      // No 7-day change on 12-01; Alma's 30-day change is +10.
      'Fastest-rising artist: Alma, popularity +10 in 30 days (now 60, 2026-12-01).',
      'Latest release among watched artists: Bruno, 42 days ago (2026-10-20).',
      'Listening peak: Fridays 21:00 UTC (4 plays).',
      'Top artist in November 2026: Bruno (2 plays).',
      'Taste drift: 1 of your 2 short-term top artists is not in your long-term top.',
    ]);
  });
});

describe('insightSql(name, engine)', () => {
  it('spells each dialect macro for the engine, and the SQL files call only the macros', () => {
    expect(insightSql('listening_hours', 'duckdb')).toMatch(/\bisodow\(l\.listened_at\)/);
    expect(insightSql('listening_hours', 'athena')).toMatch(/\bday_of_week\(l\.listened_at\)/);
    for (const name of INSIGHT_NAMES) {
      const text = readFileSync(new URL(`./sql/${name}.sql`, import.meta.url), 'utf8');
      for (const spelling of Object.values(DIALECT_MACROS).flatMap((m) => Object.values(m))) {
        expect(stripComments(text), `${name} calls ${spelling}() directly`).not.toMatch(
          new RegExp(`\\b${spelling}\\s*\\(`),
        );
      }
    }
    expect(readdirSync(new URL('./sql/', import.meta.url)).filter((f) => f.endsWith('.athena.sql'))).toEqual(
      [],
    );
  });

  it('spellDialect leaves names that merely contain a macro name alone', () => {
    expect(spellDialect('SELECT my_iso_weekday(x), iso_weekday (y)', 'athena')).toBe(
      'SELECT my_iso_weekday(x), day_of_week(y)',
    );
  });

  // What DuckDB accepts and Athena (Trino) does not: the SQL Athena runs must avoid all of it.
  const DUCKDB_ONLY: Array<[string, RegExp]> = [
    ['QUALIFY', /\bQUALIFY\b/i],
    ['GROUP BY ALL / ORDER BY ALL', /\b(GROUP|ORDER)\s+BY\s+ALL\b/i],
    [':: casts', /::/],
    ['integer division //', /\/\//],
    ['isodow', /\bisodow\b/i],
    ['strftime / strptime', /\bstr[fp]time\b/i],
    ['list_* functions', /\blist_\w+\(/i],
    ['epoch()', /\bepoch\s*\(/i],
    ['INTERVAL arithmetic (spelled differently)', /\bINTERVAL\b/i],
    ['date_add (another signature in Trino)', /\bdate_add\b/i],
    ['median / quantile (Athena has approx_percentile only)', /\b(median|quantile\w*)\s*\(/i],
    ['len()', /\blen\s*\(/i],
    ['double-quoted strings are identifiers in both, but EXCLUDE is DuckDB only', /\bEXCLUDE\b/i],
  ];

  it.each(INSIGHT_NAMES)('gives Athena SQL for %s that uses none of DuckDB-only syntax', (name) => {
    const sql = stripComments(insightSql(name, 'athena'));
    for (const [what, pattern] of DUCKDB_ONLY) expect(pattern.test(sql), `${name}: ${what}`).toBe(false);
    // A total order for stable bytes: every file ends with its outermost ORDER BY.
    expect(sql.trimEnd().split('\n').at(-1)).toMatch(/^ORDER BY /);
  });

  it('rejects an unknown insight with the list of known ones', () => {
    expect(() => insightSql('nope')).toThrow(/Unknown insight "nope": expected one of playlist_movers/);
  });
});

describe('refreshInsights(runtime) in the development tier', () => {
  let runtime: Runtime;
  let info: InsightsInfo;
  const REASON =
    'needs popularity and followers, which development-mode apps no longer receive (Spotify, February 2026); ' +
    'set SPOTIFY_ACCESS_TIER=extended with an extended-quota app';
  /** What development mode cannot fill: popularity, followers and labels are stripped. */
  const UNAVAILABLE = ['rising_artists', 'label_share', 'track_momentum'];

  beforeAll(async () => {
    // Development mode strips popularity and followers: the snapshot tables get no rows. Albums keep
    // their rows, with label NULL: label_share is unavailable by tier, not by row count.
    runtime = await goldenRuntime('development', { ...DATASET, artist_snapshots: [], track_snapshots: [] });
    // A table left by an earlier extended-tier refresh must not linger as if it were current.
    await runtime.store.put(insightKey('rising_artists'), 'old');
    await runtime.catalog.upsertTable(
      TABLES_DATABASE,
      parquetTableInput({
        name: insightTableName('rising_artists'),
        location: `${runtime.store.uri('insights/rising_artists')}/`,
        columns: [{ Name: 'artist_id', Type: 'string' }],
      }),
    );
    info = await refreshInsights(runtime);
  });
  afterAll(async () => {
    await runtime?.close();
  });

  it('reports rising_artists as unavailable with the reason, and writes nothing for it', async () => {
    const rising = info.insights.find((i) => i.name === 'rising_artists')!;
    expect(rising).toMatchObject({ status: 'unavailable', rows: 0, reason: REASON });
    const keys: string[] = [];
    for await (const o of runtime.store.list('insights/rising_artists/')) keys.push(o.key);
    expect(keys).toEqual([]);
    expect(
      await runtime.catalog.getTable(TABLES_DATABASE, insightTableName('rising_artists')),
    ).toBeUndefined();
  });

  it('reports label_share as unavailable by tier although albums has rows, and track_momentum without snapshots', () => {
    expect(info.insights.find((i) => i.name === 'label_share')).toMatchObject({
      status: 'unavailable',
      reason: expect.stringMatching(/^needs albums\.label, which development-mode apps no longer receive/),
    });
    expect(info.insights.find((i) => i.name === 'track_momentum')).toMatchObject({
      status: 'unavailable',
      reason: expect.stringMatching(/^needs track popularity, which development-mode apps no longer receive/),
    });
  });

  it('writes every other insight as usual', () => {
    for (const result of info.insights.filter((i) => !UNAVAILABLE.includes(i.name))) {
      expect(result, result.name).toMatchObject({ status: 'written', rows: EXPECTED[result.name]!.length });
    }
  });

  it('listInsights() says the same from the catalog alone', async () => {
    const listing = await listInsights(runtime);
    expect(listing.find((l) => l.name === 'rising_artists')).toMatchObject({
      available: false,
      reason: REASON,
    });
    expect(listing.find((l) => l.name === 'playlist_movers')).toMatchObject({ available: true, rows: 7 });
    expect(
      listing
        .filter((l) => !l.available)
        .map((l) => l.name)
        .sort(),
    ).toEqual([...UNAVAILABLE].sort());
  });
});

describe('refreshInsights(runtime) without data or on Athena', () => {
  it('reports every insight as unavailable on a lake the pipeline has not filled yet', async () => {
    const lake = tempLake();
    const runtime = await createRuntime(loadConfig({ lake }, ENV), { spotify: false, logger: silentLogger });
    try {
      const info = await refreshInsights(runtime);
      expect(info.insights).toHaveLength(INSIGHT_NAMES.length);
      for (const result of info.insights) {
        expect(result.status).toBe('unavailable');
        expect(result.reason).toMatch(/which the catalog does not have yet: run `tunelake run`/);
      }
      expect(existsSync(join(lake, 'insights'))).toBe(false);
      expect(await headlineInsights(runtime)).toEqual([]);
    } finally {
      await runtime.close();
    }
  });

  it('refuses the Athena engine on a local lake with a clear CONFIG_INVALID error', async () => {
    const config = loadConfig({ lake: tempLake(), engine: 'athena' }, ENV);
    const runtime = await createRuntime(config, { spotify: false, logger: silentLogger });
    try {
      const error = await refreshInsights(runtime).catch((e: unknown) => e);
      expect(isTunelakeError(error) && error.code).toBe('CONFIG_INVALID');
      expect((error as Error).message).toMatch(
        /cannot be refreshed on Athena for the local lake .*TUNELAKE_LAKE=s3:\/\//,
      );
    } finally {
      await runtime.close();
    }
  });
});
