import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UPDATE_GOLDEN } from '../../test/support/env.js';
import { tableHashes } from '../../test/support/lake.js';
import { isTunelakeError } from '../errors.js';
import { acquireRunLock, withRunLock } from '../lock.js';
import type { Row } from '../query/duckdb.js';
import { createLocalObjectStore } from '../storage/local.js';
import type { ObjectStore } from '../storage/store.js';
import { QUARANTINE_TABLE } from './quality.js';
import { loadTransformState } from './state.js';
import { TABLES } from './tables.js';
import {
  fixtureRuns,
  GOLDEN_DIR,
  landFixtureRun,
  landRun,
  listParquet,
  readTable,
} from './test-support/fixture-lake.js';
import { type TransformInfo, transform } from './transform.js';

// Regenerate the expected files on purpose only: UPDATE_GOLDEN=1 npx vitest run src/transform/transform.test.ts
const EXPECTED_DIR = fileURLToPath(new URL('expected/', GOLDEN_DIR));
const TABLE_NAMES = [...TABLES.map((t) => t.name), QUARANTINE_TABLE];
const CHILD = fileURLToPath(new URL('./test-support/transform-child.ts', import.meta.url));

function newLake(): { dir: string; store: ObjectStore } {
  const dir = mkdtempSync(join(tmpdir(), 'tunelake-transform-test-'));
  return { dir, store: createLocalObjectStore({ root: dir }) };
}

async function landAll(store: ObjectStore): Promise<void> {
  for (const run of fixtureRuns()) await landFixtureRun(store, run);
}

/** The parts of a TransformInfo that do not depend on where the lake is or how long it took. */
function stableInfo(info: TransformInfo) {
  const { durationMs: _duration, tables, ...rest } = info;
  return { ...rest, tables: tables.map(({ location: _location, ...t }) => t) };
}

function golden(name: string, actual: unknown): unknown {
  const path = join(EXPECTED_DIR, `${name}.json`);
  if (UPDATE_GOLDEN && actual !== undefined) {
    mkdirSync(EXPECTED_DIR, { recursive: true });
    writeFileSync(path, `${JSON.stringify(actual, null, 2)}\n`);
  }
  return JSON.parse(readFileSync(path, 'utf8'));
}

function byId(rows: Row[], id: string, key = 'id'): Row | undefined {
  return rows.find((r) => r[key] === id);
}

const pad = (prefix: string) => prefix.padEnd(22, '0');
const TR_AUSTERITY = pad('trAusterity');
const TR_COMP = pad('trCompSong');
const TR_OLDIE = pad('trOldie');
const PL_MIXTAPE = pad('plMixtape');
const PL_CHANGING = pad('plChanging');

describe('transform(runtime) on the golden raw zone', () => {
  let lake: { dir: string; store: ObjectStore };
  let info: TransformInfo;
  const tables: Record<string, Row[]> = {};

  beforeAll(async () => {
    lake = newLake();
    await landAll(lake.store);
    info = await transform({ store: lake.store }, { threads: 2 });
    for (const name of TABLE_NAMES) tables[name] = await readTable(lake.dir, name);
  });

  it.each(TABLE_NAMES)('writes the golden rows of %s', (name) => {
    expect(tables[name]).toEqual(golden(name, tables[name]));
  });

  it('returns the golden TransformInfo (schemas, partitions, row counts, quarantine, checks)', () => {
    expect(stableInfo(info)).toEqual(golden('transform-info', stableInfo(info)));
    expect(info.runs).toEqual(
      fixtureRuns()
        .filter((r) => r.committed)
        .map((r) => r.runId),
    );
    for (const table of info.tables) {
      expect(table.location).toBe(`${join(lake.dir, 'tables', table.name)}/`);
    }
  });

  it("keeps a track's own artists, not its album's", () => {
    const comp = byId(tables.tracks!, TR_COMP)!;
    expect(comp.artist_ids).toEqual([pad('arCafe'), pad('arFeatGuest')]);
    const album = byId(tables.albums!, comp.album_id as string)!;
    expect(album.artist_ids).toEqual([pad('arVarious')]);
    const own = tables.track_artists!.filter((r) => r.track_id === TR_COMP);
    expect(own.map((r) => [r.position, r.artist_id])).toEqual([
      [0, pad('arCafe')],
      [1, pad('arFeatGuest')],
    ]);
  });

  it('never turns local files or episodes into tracks, and keeps them in playlist_items', () => {
    const trackIds = tables.tracks!.map((r) => r.id);
    expect(trackIds).toEqual([TR_AUSTERITY, TR_COMP, pad('trNewSingle'), TR_OLDIE]);
    expect(tables.tracks!.every((r) => r.is_local === false)).toBe(true);
    const day1 = tables.playlist_items!.filter(
      (r) => r.playlist_id === PL_MIXTAPE && r.snapshot_date === '2026-11-01',
    );
    expect(day1.map((r) => [r.position, r.item_type, r.track_id, r.episode_id])).toEqual([
      [0, 'track', TR_AUSTERITY, null],
      [1, 'local', null, null],
      [2, 'episode', null, pad('epPodcast')],
      [3, 'unavailable', null, null],
      [4, 'track', TR_COMP, null],
    ]);
    expect(tables.episodes!.map((r) => r.id)).toEqual([pad('epPodcast')]);
  });

  it('carries an unchanged playlist forward and replaces a changed one, one partition per day', () => {
    const rows = tables.playlist_items!;
    expect([...new Set(rows.map((r) => r.snapshot_date))].sort()).toEqual(['2026-11-01', '2026-11-02']);
    const mixtape = (day: string) =>
      rows
        .filter((r) => r.playlist_id === PL_MIXTAPE && r.snapshot_date === day)
        .map(({ snapshot_date: _d, ...r }) => r);
    expect(mixtape('2026-11-02')).toEqual(mixtape('2026-11-01'));
    const changing = (day: string) =>
      rows.filter((r) => r.playlist_id === PL_CHANGING && r.snapshot_date === day).map((r) => r.track_id);
    expect(changing('2026-11-01')).toEqual([TR_OLDIE, TR_AUSTERITY]);
    expect(changing('2026-11-02')).toEqual([pad('trNewSingle'), TR_AUSTERITY]);
  });

  it('keeps release_date as text with its precision and derives the start date', () => {
    const start = Object.fromEntries(
      tables.albums!.map((r) => [r.release_date, [r.release_date_precision, r.release_date_start]]),
    );
    expect(start).toEqual({
      '2023-01-20': ['day', '2023-01-20'],
      '1999-12': ['month', '1999-12-01'],
      '1981': ['year', '1981-01-01'],
      '2026-10-30': ['day', '2026-10-30'],
      '0000': ['year', null],
    });
  });

  it('lets the latest fetch win, and nulls popularity once the tier stops sending it while history stays', () => {
    const austerity = byId(tables.tracks!, TR_AUSTERITY)!;
    expect(austerity.name).toBe('Austerity (Remastered)');
    expect(austerity.popularity).toBeNull();
    expect(austerity.url).toBe(`https://open.spotify.com/track/${TR_AUSTERITY}`);
    expect(tables.track_snapshots!.filter((r) => r.track_id === TR_AUSTERITY)).toEqual([
      { track_id: TR_AUSTERITY, popularity: 47, snapshot_date: '2026-11-01' },
    ]);
    const katatonia = byId(tables.artists!, pad('arKatatonia'))!;
    expect([katatonia.followers, katatonia.popularity, katatonia.genres]).toEqual([
      null,
      null,
      ['doom metal'],
    ]);
  });

  it('deduplicates plays on played_at + track and keeps UTC timestamps', () => {
    expect(tables.plays!.map((r) => [r.played_date, r.played_at, r.track_id])).toEqual([
      ['2026-10-31', '2026-10-31 23:50:00.123', TR_AUSTERITY],
      ['2026-11-01', '2026-11-01 07:00:00', TR_COMP],
      ['2026-11-02', '2026-11-02 01:00:00', TR_OLDIE],
    ]);
  });

  it('routes failing records to the quarantine with a reason, and keeps them out of the tables', () => {
    const q = tables[QUARANTINE_TABLE]!;
    expect(q.map((r) => [r.table_name, r.rule, r.dataset, r.dt]).sort()).toEqual(
      [
        ['artists', 'id_format', 'top_items', '2026-11-02'],
        ['playlist_items', 'track_id_format', 'playlist_items', '2026-11-01'],
        ['top_items', 'rank_valid', 'top_items', '2026-11-02'],
        ['tracks', 'duration_positive', 'album_tracks', '2026-11-01'],
        ['tracks', 'id_format', 'playlist_items', '2026-11-01'],
        ['tracks', 'id_not_null', 'tracks', '2026-11-01'],
        ['tracks', 'popularity_range', 'playlist_items', '2026-11-01'],
        ['tracks', 'popularity_range', 'tracks', '2026-11-01'],
      ].sort(),
    );
    const twoRules = q.find((r) => r.table_name === 'top_items')!;
    expect(twoRules.reason).toBe('rank is missing or below 1; id is missing or not a Spotify id');
    expect(JSON.parse(twoRules.record as string).id).toBe('short');
    expect(tables.tracks!.some((r) => r.id === pad('trBadPop'))).toBe(false);
    expect(info.quarantined).toMatchObject({ tracks: 5, playlist_items: 1, artists: 1, top_items: 1 });
    const popularity = info.checks.find((c) => c.table === 'tracks' && c.rule === 'popularity_range')!;
    expect(popularity.quarantined).toBe(2);
    expect(popularity.passed).toBe(popularity.checked - 2);
  });

  it('ignores the objects of a run that never committed', () => {
    expect(tables.playlists!.some((r) => r.name === 'SHOULD NOT APPEAR')).toBe(false);
    expect(tables.playlist_items!.some((r) => r.snapshot_date === '2026-11-03')).toBe(false);
  });

  it('writes Parquet that pyarrow reads with exactly the declared column types', () => {
    const probe = spawnSync('python3', ['-c', 'import pyarrow'], { encoding: 'utf8' });
    // `npm test` installs pyarrow first (scripts/test-prerequisites.sh): its absence is a failure.
    if (probe.status !== 0)
      throw new Error(`pyarrow is required (pip install pyarrow==25.0.1): ${probe.stderr.trim()}`);
    const expected = info.tables.flatMap((t) =>
      listParquet(join(lake.dir, 'tables', t.name)).map((path) => ({ path, columns: t.columns })),
    );
    expect(expected.length).toBeGreaterThan(TABLE_NAMES.length);
    const script = `
import json, sys
import pyarrow as pa, pyarrow.parquet as pq
def hive(t):
    if pa.types.is_string(t) or pa.types.is_large_string(t): return 'string'
    if pa.types.is_int64(t): return 'bigint'
    if pa.types.is_int32(t): return 'int'
    if pa.types.is_boolean(t): return 'boolean'
    if pa.types.is_float64(t): return 'double'
    if pa.types.is_date32(t): return 'date'
    if pa.types.is_timestamp(t): return 'timestamp'
    if pa.types.is_list(t) or pa.types.is_large_list(t): return 'array<' + hive(t.value_type) + '>'
    return 'unknown:' + str(t)
out = []
for f in json.load(sys.stdin):
    table = pq.read_table(f['path'])
    out.append({'path': f['path'], 'rows': table.num_rows,
                'columns': [{'name': field.name, 'type': hive(field.type)} for field in table.schema]})
print(json.dumps(out))
`;
    const result = spawnSync('python3', ['-c', script], {
      input: JSON.stringify(expected),
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    const read = JSON.parse(result.stdout) as Array<{ path: string; rows: number; columns: unknown }>;
    for (const [i, file] of read.entries()) {
      expect(file.columns, file.path).toEqual(expected[i]!.columns);
    }
    const rowsByTable: Record<string, number> = {};
    for (const file of read) {
      const table = relative(join(lake.dir, 'tables'), file.path).split('/')[0]!;
      rowsByTable[table] = (rowsByTable[table] ?? 0) + file.rows;
    }
    for (const t of info.tables) expect(rowsByTable[t.name] ?? 0, t.name).toBe(t.rowCount);
  });
});

describe('transform(runtime) run after run', () => {
  let whole: { dir: string; store: ObjectStore };
  let wholeHashes: Record<string, string>;

  beforeAll(async () => {
    whole = newLake();
    await landAll(whole.store);
    await transform({ store: whole.store });
    wholeHashes = tableHashes(whole.dir);
  });

  it('writes the same bytes run by run as all at once, rewriting only the partitions new runs touch', async () => {
    const lake = newLake();
    const runs = fixtureRuns();
    const infos: TransformInfo[] = [];
    for (const run of runs) {
      await landFixtureRun(lake.store, run);
      infos.push(await transform({ store: lake.store }));
    }
    expect(tableHashes(lake.dir)).toEqual(wholeHashes);
    // The third run (2026-11-02 evening) touches only its own day; the uncommitted fourth nothing.
    const third = infos[2]!;
    expect(third.runs).toEqual([runs[2]!.runId]);
    const written = Object.fromEntries(third.tables.map((t) => [t.name, t.partitionsWritten]));
    expect(written.playlist_items).toEqual([['2026-11-02']]);
    expect(written.top_items).toEqual([['2026-11-02']]);
    expect(written.plays).toEqual([]);
    expect(infos[3]!.runs).toEqual([]);
    const { state } = await loadTransformState(lake.store);
    expect(state.runs).toEqual(runs.filter((r) => r.committed).map((r) => r.runId));
  });

  it('does nothing when no new run committed, and a full rebuild writes identical bytes', async () => {
    const again = await transform({ store: whole.store });
    expect(again.runs).toEqual([]);
    expect(again.tables.every((t) => t.partitionsWritten.length === 0)).toBe(true);
    expect(again.tables.map((t) => t.name)).toEqual(TABLE_NAMES);
    expect(tableHashes(whole.dir)).toEqual(wholeHashes);

    const full = await transform({ store: whole.store }, { full: true });
    expect(full.full).toBe(true);
    expect(full.runs).toHaveLength(3);
    expect(tableHashes(whole.dir)).toEqual(wholeHashes);
  });

  it('removes the files of a partition that no longer has rows', async () => {
    const stale = join(whole.dir, 'tables', 'plays', 'played_date=2020-01-01', 'part-00000.parquet');
    await whole.store.put('tables/plays/played_date=2020-01-01/part-00000.parquet', 'left over');
    expect(existsSync(stale)).toBe(true);
    const info = await transform({ store: whole.store }, { full: true });
    expect(existsSync(stale)).toBe(false);
    expect(info.tables.find((t) => t.name === 'plays')!.partitionsDeleted).toEqual([]);
    expect(tableHashes(whole.dir)).toEqual(wholeHashes);
  });

  it('builds every table with the same schema from a run that landed nothing', async () => {
    const lake = newLake();
    await landRun(
      lake.store,
      { runId: '20261101T080000Z-empty1', dt: '2026-11-01', tier: 'development', committed: true },
      {},
    );
    const info = await transform({ store: lake.store });
    const goldenInfo = golden('transform-info', undefined) as {
      tables: Array<{ name: string; columns: unknown }>;
    };
    expect(info.tables.map((t) => [t.name, t.columns])).toEqual(
      goldenInfo.tables.map((t) => [t.name, t.columns]),
    );
    expect(info.tables.every((t) => t.rowCount === 0)).toBe(true);
    // Unpartitioned tables still get a (header-only) file, so that readers find their schema.
    expect(listParquet(join(lake.dir, 'tables', 'tracks'))).toHaveLength(1);
    expect(await readTable(lake.dir, 'tracks')).toEqual([]);
  });

  it('fails with STORAGE_FAILED, naming the fix, when a raw object is not NDJSON', async () => {
    const lake = newLake();
    const run = { runId: '20261101T080000Z-broken', dt: '2026-11-01', tier: 'development', committed: true };
    await landRun(lake.store, run, { me: ['{"context": {}, "data": {"id": "x"}}', '{"context": {'] });
    const error = await transform({ store: lake.store }).catch((e: unknown) => e);
    expect(isTunelakeError(error, 'STORAGE_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(
      /could not be read as newline-delimited JSON.*runs\/<runId>\.json/s,
    );
    const { state } = await loadTransformState(lake.store);
    expect(state.runs).toEqual([]);
  });

  it('fails with CONFIG_INVALID, naming the memory setting, when the raw zone does not fit the memory limit', async () => {
    const lake = newLake();
    const run = { runId: '20261101T080000Z-bigraw', dt: '2026-11-01', tier: 'development', committed: true };
    const name = 'x'.repeat(2000);
    const lines = Array.from({ length: 20_000 }, (_, i) =>
      JSON.stringify({ context: {}, data: { id: `t${i}`, name } }),
    );
    await landRun(lake.store, run, { me: lines });
    const error = await transform({ store: lake.store }, { memoryLimit: '8MB', threads: 1 }).catch(
      (e: unknown) => e,
    );
    expect(isTunelakeError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(
      /ran out of memory while reading the raw zone.*TUNELAKE_DUCKDB_MEMORY_LIMIT/s,
    );
  });

  it('waits for no one: a held run lock stops it with RUN_IN_PROGRESS, as the commands start it', async () => {
    const lake = newLake();
    await landAll(lake.store);
    const held = await acquireRunLock(lake.store, 'extract-run', { leaseMs: 60_000 });
    try {
      const error = await withRunLock(lake.store, 'transform', () => transform({ store: lake.store })).catch(
        (e: unknown) => e,
      );
      expect(isTunelakeError(error, 'RUN_IN_PROGRESS')).toBe(true);
    } finally {
      await held.release();
    }
    expect(existsSync(join(lake.dir, 'tables'))).toBe(false);
  });
});

describe('transform(runtime) when Spotify changes its objects', () => {
  it('ignores new fields, nulls removed or retyped ones, keeps history, and quarantines what is unusable', async () => {
    const lake = newLake();
    const id = pad('trEvolving');
    const album = {
      id: pad('alEvolving'),
      name: 'Evolving',
      album_type: 'single',
      release_date: '2026',
      release_date_precision: 'year',
    };
    const track = {
      id,
      name: 'Evolving',
      type: 'track',
      uri: `spotify:track:${id}`,
      duration_ms: 200000,
      explicit: false,
      popularity: 50,
      external_ids: { isrc: 'SEEVO2600001' },
      artists: [{ id: pad('arEvolving'), name: 'Evolver' }],
      album,
    };
    const line = (runId: string, fetchedAt: string, data: unknown) => ({
      context: {
        source: 'enrich:tracks',
        request: `/tracks/${id}`,
        fetched_at: fetchedAt,
        id,
        run_id: runId,
      },
      data,
    });
    const day1 = { runId: '20261101T080000Z-evo001', dt: '2026-11-01', tier: 'extended', committed: true };
    const day2 = { runId: '20261102T080000Z-evo002', dt: '2026-11-02', tier: 'development', committed: true };
    await landRun(lake.store, day1, { tracks: [line(day1.runId, '2026-11-01T08:00:00Z', track)] });
    const { popularity: _removed, ...withoutPopularity } = track;
    await landRun(lake.store, day2, {
      tracks: [
        line(day2.runId, '2026-11-02T08:00:00Z', {
          ...withoutPopularity,
          duration_ms: '200000',
          explicit: { unexpected: 'object' },
          audio_fingerprint: { added_in: 2027, values: [1, 2, 3] },
        }),
        line(day2.runId, '2026-11-02T08:00:01Z', 'not an object'),
      ],
    });
    await transform({ store: lake.store });
    await transform({ store: lake.store });

    const [row] = await readTable(lake.dir, 'tracks');
    expect(row).toMatchObject({
      id,
      duration_ms: 200000,
      explicit: null,
      popularity: null,
      isrc: 'SEEVO2600001',
    });
    expect(await readTable(lake.dir, 'track_snapshots')).toEqual([
      { track_id: id, popularity: 50, snapshot_date: '2026-11-01' },
    ]);
    const quarantine = await readTable(lake.dir, QUARANTINE_TABLE);
    expect(quarantine.map((r) => [r.table_name, r.rule, r.record])).toEqual([
      ['tracks', 'id_not_null', '"not an object"'],
    ]);
  });
});

function runChild(args: Record<string, unknown>): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr += String(d);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== 0 && signal === null) reject(new Error(`child failed (${code}): ${stderr}`));
      else resolve({ code, signal });
    });
  });
}

describe('transform(runtime) killed with SIGKILL midway', () => {
  let reference: Record<string, string>;
  let afterFirstRun: Record<string, string>;

  beforeAll(async () => {
    const whole = newLake();
    await landAll(whole.store);
    await transform({ store: whole.store });
    reference = tableHashes(whole.dir);
    const first = newLake();
    await landFixtureRun(first.store, fixtureRuns()[0]!);
    await transform({ store: first.store });
    afterFirstRun = tableHashes(first.dir);
  });

  it.each(['uploaded:3', 'published'])(
    'leaves readable tables and the old marker at %s; the next transform completes with the same tables',
    async (crashAt) => {
      const lake = newLake();
      const [first, ...rest] = fixtureRuns();
      await landFixtureRun(lake.store, first!);
      await transform({ store: lake.store });
      for (const run of rest) await landFixtureRun(lake.store, run);

      const child = await runChild({ lake: lake.dir, crashAt });
      expect(child.signal).toBe('SIGKILL');
      const { state } = await loadTransformState(lake.store);
      expect(state.runs).toEqual([first!.runId]);
      // Some objects were replaced, none is torn: every table still reads.
      const hashes = tableHashes(lake.dir);
      expect(hashes).not.toEqual(afterFirstRun);
      for (const name of TABLE_NAMES) await expect(readTable(lake.dir, name)).resolves.toBeDefined();

      // The files the dead transform replaced differ from the state it never committed: the next
      // transform does not trust them and rebuilds every table from the raw zone (#17).
      const info = await transform({ store: lake.store });
      expect(info.healed.length).toBeGreaterThan(0);
      expect(info.full).toBe(true);
      expect(info.runs).toEqual(
        fixtureRuns()
          .filter((r) => r.committed)
          .map((r) => r.runId),
      );
      expect(tableHashes(lake.dir)).toEqual(reference);
    },
  );
});

afterAll(() => {
  if (!UPDATE_GOLDEN) return;
  // In the project's JSON style, so that a regeneration shows only real changes.
  spawnSync('npx', ['biome', 'format', '--write', EXPECTED_DIR], { stdio: 'ignore' });
  console.warn(`golden files regenerated in ${EXPECTED_DIR}: review the diff before committing`);
});
