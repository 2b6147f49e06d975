import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Sources } from '../config.js';
import { Emulator } from '../emulator/server.js';
import { type PlaylistEntry, worldSummary } from '../emulator/world.js';
import { extract } from '../extract/extract.js';
import { silentLogger } from '../log.js';
import type { Row } from '../query/duckdb.js';
import { createRuntime, type Runtime } from '../runtime.js';
import { QUARANTINE_TABLE } from './quality.js';
import { readTable } from './test-support/fixture-lake.js';
import { type TransformInfo, transform } from './transform.js';

const DAYS = 4;

interface ExpectedItem {
  position: number;
  item_type: string;
  track_id: string | null;
}

function expectedItems(entries: readonly PlaylistEntry[]): ExpectedItem[] {
  return entries.map((e, position) => ({
    position,
    item_type: e.kind,
    track_id: e.kind === 'track' ? e.ref : null,
  }));
}

describe(`extract + transform over ${DAYS} simulated days against the emulator (development tier)`, () => {
  let emu: Emulator;
  let runtime: Runtime;
  let lake: string;
  let playlists: string[];
  const days: string[] = [];
  const infos: TransformInfo[] = [];
  /** Per day, per watched playlist: its items in the emulator's catalogue that day. */
  const catalogue: Array<Map<string, ExpectedItem[]>> = [];
  const tables: Record<string, Row[]> = {};

  beforeAll(async () => {
    emu = await Emulator.create({ port: 0, tier: 'development', seed: 7 });
    const summary = worldSummary(emu.world);
    playlists = [...summary.playlists.owned, ...summary.playlists.collaborative].map((p) => p.id);
    const sources: Sources = {
      playlists,
      artists: summary.artists.slice(0, 3).map((a) => a.id),
      artistIncludeGroups: ['album', 'single'],
      search: [{ q: 'tag:new', type: 'album', limit: 20 }],
      me: { recentlyPlayed: true, topItems: true, savedTracks: true, playlists: true },
    };
    lake = mkdtempSync(join(tmpdir(), 'tunelake-transform-e2e-'));
    const config = loadConfig(
      { lake, tier: 'development', sources, rateLimit: 5000, concurrency: 4 },
      { TUNELAKE_CREDENTIALS: '/nonexistent/credentials.json' },
    );
    runtime = await createRuntime(config, { emulator: emu, logger: silentLogger });
    for (let day = 0; day < DAYS; day++) {
      if (day > 0) emu.advanceDay();
      catalogue.push(
        new Map(playlists.map((id) => [id, expectedItems(emu.world.playlists.get(id)!.entries)])),
      );
      const extracted = await extract(runtime, { now: runtime.now });
      expect(extracted.errors).toEqual([]);
      days.push(extracted.dt);
      infos.push(await transform(runtime, { threads: 2 }));
    }
    for (const name of [
      'playlist_items',
      'tracks',
      'track_artists',
      'track_snapshots',
      'artist_snapshots',
      'plays',
      QUARANTINE_TABLE,
    ]) {
      tables[name] = await readTable(lake, name);
    }
  });

  afterAll(async () => {
    await runtime?.close();
    await emu?.close();
  });

  it('writes one playlist_items partition per day, each day rewriting only its own', () => {
    expect(new Set(days).size).toBe(DAYS);
    expect([...new Set(tables.playlist_items!.map((r) => r.snapshot_date))].sort()).toEqual(days);
    for (const [i, info] of infos.entries()) {
      expect(info.runs).toHaveLength(1);
      expect(info.tables.find((t) => t.name === 'playlist_items')!.partitionsWritten).toEqual([[days[i]]]);
    }
  });

  it("holds each watched playlist's items exactly as the emulator had them that day", () => {
    for (const [i, day] of days.entries()) {
      for (const id of playlists) {
        const rows = tables.playlist_items!.filter((r) => r.snapshot_date === day && r.playlist_id === id);
        const actual = rows
          .map((r) => ({ position: r.position, item_type: r.item_type, track_id: r.track_id }))
          .sort((a, b) => Number(a.position) - Number(b.position));
        expect(actual, `${id} on ${day}`).toEqual(catalogue[i]!.get(id));
      }
    }
  });

  it("shows the catalogue's entries and exits between consecutive days", () => {
    const trackSet = (day: string, id: string) =>
      new Set(
        tables
          .playlist_items!.filter((r) => r.snapshot_date === day && r.playlist_id === id && r.track_id)
          .map((r) => r.track_id),
      );
    const catalogueSet = (i: number, id: string) =>
      new Set(
        catalogue[i]!.get(id)!
          .filter((e) => e.track_id)
          .map((e) => e.track_id),
      );
    let changes = 0;
    for (let i = 1; i < days.length; i++) {
      for (const id of playlists) {
        const [before, after] = [trackSet(days[i - 1]!, id), trackSet(days[i]!, id)];
        const [cBefore, cAfter] = [catalogueSet(i - 1, id), catalogueSet(i, id)];
        const entered = [...after].filter((t) => !before.has(t)).sort();
        const exited = [...before].filter((t) => !after.has(t)).sort();
        expect(entered, `entries of ${id} on ${days[i]}`).toEqual(
          [...cAfter].filter((t) => !cBefore.has(t)).sort(),
        );
        expect(exited, `exits of ${id} on ${days[i]}`).toEqual(
          [...cBefore].filter((t) => !cAfter.has(t)).sort(),
        );
        changes += entered.length + exited.length;
      }
    }
    // The emulator edits playlists daily: the test would prove nothing if nothing moved.
    expect(changes).toBeGreaterThan(0);
  });

  it("lists every track's own artists as the catalogue does", () => {
    expect(tables.tracks!.length).toBeGreaterThan(20);
    const own = new Map<string, string[]>();
    for (const r of tables.track_artists!) {
      own.set(String(r.track_id), [...(own.get(String(r.track_id)) ?? []), String(r.artist_id)]);
    }
    for (const track of tables.tracks!) {
      expect(own.get(String(track.id)), String(track.id)).toEqual(
        emu.world.tracks.get(String(track.id))!.artistIds,
      );
    }
  });

  it('has no popularity history in the development tier, and quarantines nothing from clean data', () => {
    expect(tables.track_snapshots).toEqual([]);
    expect(tables.artist_snapshots).toEqual([]);
    expect(tables.tracks!.every((t) => t.popularity === null)).toBe(true);
    expect(tables[QUARANTINE_TABLE]).toEqual([]);
    expect(tables.plays!.length).toBeGreaterThan(0);
  });
});
