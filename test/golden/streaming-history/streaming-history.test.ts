// Golden tests of the streaming-history import: small hand-written exports in both formats (export/),
// imported from a folder and from zips, transformed into streams and listens (expected/).
// Regenerate the expected files on purpose only:
//   UPDATE_GOLDEN=1 npx vitest run test/golden/streaming-history/streaming-history.test.ts
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTunelakeError } from '../../../src/errors.js';
import { committedRunIds } from '../../../src/extract/manifest.js';
import { type ImportInfo, importStreamingHistory } from '../../../src/import/streaming-history.js';
import { buildZip } from '../../../src/import/test-support/stored-zip.js';
import { createLocalObjectStore } from '../../../src/storage/local.js';
import type { ObjectStore } from '../../../src/storage/store.js';
import { readTable } from '../../../src/transform/test-support/fixture-lake.js';
import { transform } from '../../../src/transform/transform.js';
import { UPDATE_GOLDEN } from '../../support/env.js';
import { readRawRecords, tableHashes } from '../../support/lake.js';

const EXPORT_DIR = fileURLToPath(new URL('./export/', import.meta.url));
const EXPECTED_DIR = fileURLToPath(new URL('./expected/', import.meta.url));
const NOW = new Date('2026-11-20T12:00:00.000Z');
const FIXED = { now: () => NOW, runId: '20261120T120000Z-golden' };

type Row = Record<string, unknown>;

function golden(name: string, actual: unknown): unknown {
  const path = join(EXPECTED_DIR, `${name}.json`);
  if (UPDATE_GOLDEN) {
    mkdirSync(EXPECTED_DIR, { recursive: true });
    writeFileSync(path, `${JSON.stringify(actual, null, 2)}\n`);
  }
  return JSON.parse(readFileSync(path, 'utf8'));
}

const temps: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function newLake(): { dir: string; store: ObjectStore } {
  const dir = tempDir('tunelake-import-test-');
  return { dir, store: createLocalObjectStore({ root: dir }) };
}

/** Every file of the fixture export, as zip entries under the folder name Spotify uses. */
function exportEntries(): Array<{ name: string; data: Buffer }> {
  const out: Array<{ name: string; data: Buffer }> = [];
  for (const sub of ['extended', 'account']) {
    for (const file of readdirSync(join(EXPORT_DIR, sub)).sort()) {
      out.push({
        name: `Spotify Account Data/${sub}/${file}`,
        data: readFileSync(join(EXPORT_DIR, sub, file)),
      });
    }
  }
  return out;
}

async function rawKeys(store: ObjectStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of store.list('raw/')) keys.push(info.key);
  for await (const info of store.list('runs/')) keys.push(info.key);
  return keys;
}

describe('importStreamingHistory(runtime, [folder]) and transform(): the golden export', () => {
  let lake: { dir: string; store: ObjectStore };
  let info: ImportInfo;
  const tables: Record<string, Row[]> = {};

  beforeAll(async () => {
    lake = newLake();
    info = await importStreamingHistory({ store: lake.store }, [EXPORT_DIR], {}, FIXED);
    await transform({ store: lake.store }, { threads: 2 });
    for (const name of ['streams', 'listens', 'quarantine']) tables[name] = await readTable(lake.dir, name);
  });

  it('reads both formats, counts the duplicate across files and the records the quarantine gets', () => {
    const { durationMs: _d, recovery: _r, ...stable } = info;
    expect(stable).toEqual(golden('import-info', stable));
    expect(info.files.map((f) => [f.name.split('/').at(-1), f.format])).toEqual([
      ['StreamingHistory_music_0.json', 'account'],
      ['StreamingHistory_podcast_0.json', 'account'],
      ['Streaming_History_Audio_2023-2024_0.json', 'extended'],
      ['Streaming_History_Video_2023-2024.json', 'extended'],
      ['endsong_0.json', 'extended'],
    ]);
    // endsong_0.json repeats the first stream of the Audio file (ip_addr_decrypted instead of ip_addr).
    expect(info.duplicates).toBe(1);
    expect(info.quarantined).toBe(3);
    expect(info.ignored).toEqual(['export/account/Userdata.json']);
  });

  it.each(['streams', 'listens', 'quarantine'])('writes the golden rows of %s', (name) => {
    expect(tables[name]).toEqual(golden(name, tables[name]));
  });

  it('quarantines exactly the records the import reported, with a reason each', () => {
    const quarantined = tables.quarantine!.filter((r) => r.table_name === 'streams');
    expect(quarantined).toHaveLength(info.quarantined);
    expect(quarantined.map((r) => r.rule).sort()).toEqual(['ended_at_valid', 'ended_at_valid', 'is_stream']);
    expect(quarantined.map((r) => JSON.parse(String(r.context)).index).sort()).toEqual(
      info.problems.map((p) => p.index).sort(),
    );
  });

  it('keeps episodes, audiobooks, unknown items and unknown fields; maps platforms to families', () => {
    const streams = tables.streams!;
    const types = streams.map((s) => s.item_type);
    expect(types.filter((t) => t === 'episode')).toHaveLength(3); // audio, video, account podcast
    expect(types.filter((t) => t === 'audiobook')).toHaveLength(1);
    expect(types.filter((t) => t === 'unknown')).toHaveLength(1);
    const families = new Map(streams.map((s) => [s.platform, s.platform_family]));
    expect(families.get('web_player windows 10;chrome 120.0.0.0;desktop')).toBe('web');
    expect(families.get('iOS 16.3 (iPhone14,2)')).toBe('ios');
    expect(families.get('OS X 10.15.7 [x86 8]')).toBe('desktop');
    expect(families.get('Partner sonos_arm Sonos;Play:1')).toBe('other');
    const drift = streams.find((s) => s.extra_fields !== null);
    expect(JSON.parse(String(drift?.extra_fields))).toEqual({
      dj_mode: true,
      new_field_2024: { kind: 'x', n: 2 },
    });
  });

  it('drops the personal fields by default: no username, IP address or user agent lands', async () => {
    const records = await readRawRecords(lake.store);
    expect(records.length).toBe(info.new);
    const text = JSON.stringify(records.map((r) => r.data));
    for (const secret of [
      'listener42',
      '192.0.2.10',
      '192.0.2.99',
      '198.51.100.7',
      'ip_addr',
      'user_agent',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(tables.streams!.every((s) => s.user_pseudonym === null && s.ip_pseudonym === null)).toBe(true);
  });

  it('merges an account-data stream into the extended stream of the same listen', () => {
    const listens = tables.listens!;
    expect(listens).toHaveLength(tables.streams!.length - 1);
    const nightDrive = listens.filter((l) => l.track_name === 'Night Drive');
    expect(nightDrive.map((l) => l.source)).toEqual(['export-extended']);
  });
});

describe('importStreamingHistory(runtime, inputs) again: idempotent', () => {
  let lake: { dir: string; store: ObjectStore };
  let first: ImportInfo;

  beforeAll(async () => {
    lake = newLake();
    first = await importStreamingHistory({ store: lake.store }, [EXPORT_DIR]);
    await transform({ store: lake.store }, { threads: 2 });
  });

  it('the same folder twice lands nothing, commits no run, and leaves every table byte-equal', async () => {
    const before = tableHashes(lake.dir);
    const runs = await committedRunIds(lake.store);
    const again = await importStreamingHistory({ store: lake.store }, [EXPORT_DIR]);
    expect(again).toMatchObject({ runId: undefined, new: 0, duplicates: first.records, quarantined: 0 });
    expect(await committedRunIds(lake.store)).toEqual(runs);
    const t = await transform({ store: lake.store }, { threads: 2 });
    expect(t.runs).toEqual([]);
    expect(tableHashes(lake.dir)).toEqual(before);
  });

  it('the same export as a zip (deflated, in a subfolder) is recognised entry by entry: all duplicates', async () => {
    const zip = join(tempDir('tunelake-zip-'), 'my_spotify_data.zip');
    writeFileSync(zip, buildZip(exportEntries(), { deflate: true }));
    const again = await importStreamingHistory({ store: lake.store }, [zip]);
    expect(again).toMatchObject({ runId: undefined, new: 0, duplicates: first.records });
    expect(again.files.map((f) => f.name)).toContain(
      'my_spotify_data.zip!Spotify Account Data/extended/endsong_0.json',
    );
    expect(again.ignored).toEqual(['my_spotify_data.zip!Spotify Account Data/account/Userdata.json']);
  });

  it('a newer export that overlaps the older one adds only the new streams', async () => {
    const before = await readTable(lake.dir, 'streams');
    const listensBefore = await readTable(lake.dir, 'listens');
    const dir = tempDir('tunelake-newer-');
    const audio = JSON.parse(
      readFileSync(join(EXPORT_DIR, 'extended', 'Streaming_History_Audio_2023-2024_0.json'), 'utf8'),
    ) as Row[];
    const newer = [
      audio[6]!, // 2024-03-05, already imported
      { ...audio[0]!, ts: '2024-06-01T10:00:00Z', ms_played: 200000 },
      { ...audio[1]!, ts: '2024-06-01T10:03:30Z' },
    ];
    writeFileSync(join(dir, 'Streaming_History_Audio_2024-2025_0.json'), JSON.stringify(newer));
    const info = await importStreamingHistory({ store: lake.store }, [dir]);
    expect(info).toMatchObject({ new: 2, duplicates: 1, quarantined: 0 });
    await transform({ store: lake.store }, { threads: 2 });
    const after = await readTable(lake.dir, 'streams');
    expect(after).toHaveLength(before.length + 2);
    expect(new Set(after.map((s) => s.stream_key)).size).toBe(after.length);
    expect(await readTable(lake.dir, 'listens')).toHaveLength(listensBefore.length + 2);
  });
});

describe('importStreamingHistory(runtime, inputs) on bad input', () => {
  async function rejects(store: ObjectStore, inputs: string[]): Promise<Error> {
    const error = await importStreamingHistory({ store }, inputs).then(
      () => new Error('resolved'),
      (e: Error) => e,
    );
    expect(isTunelakeError(error, 'INVALID_ARGUMENT'), error.message).toBe(true);
    return error;
  }

  it('a truncated zip: a clear message, nothing lands', async () => {
    const { store } = newLake();
    const whole = buildZip(exportEntries(), { deflate: true });
    const zip = join(tempDir('tunelake-zip-'), 'my_spotify_data.zip');
    writeFileSync(zip, whole.subarray(0, Math.floor(whole.length / 2)));
    const error = await rejects(store, [zip]);
    expect(error.message).toMatch(/my_spotify_data\.zip.*truncated or damaged/);
    expect(await rawKeys(store)).toEqual([]);
  });

  it('a zip whose entry is damaged (CRC mismatch): a clear message, nothing lands, the lake stays usable', async () => {
    const { store } = newLake();
    const good = buildZip(exportEntries());
    const broken = Buffer.from(good);
    // Flip a byte inside the first stored entry's data (after its 30-byte header and name).
    const nameLength = broken.readUInt16LE(26);
    broken[30 + nameLength + 10] = broken[30 + nameLength + 10]! ^ 0xff;
    const zip = join(tempDir('tunelake-zip-'), 'damaged.zip');
    writeFileSync(zip, broken);
    const error = await rejects(store, [zip]);
    expect(error.message).toMatch(/damaged\.zip|crc|JSON/i);
    expect(await rawKeys(store)).toEqual([]);
    const ok = await importStreamingHistory({ store }, [EXPORT_DIR]);
    expect(ok.runId).toBeDefined();
  });

  it('a JSON file cut in the middle: a clear message, no raw object, marker or lock left behind', async () => {
    const { store } = newLake();
    const dir = tempDir('tunelake-cut-');
    const text = readFileSync(
      join(EXPORT_DIR, 'extended', 'Streaming_History_Audio_2023-2024_0.json'),
      'utf8',
    );
    // The first two records are complete: with a tiny part size they are written before the failure.
    writeFileSync(
      join(dir, 'Streaming_History_Audio_2023-2024_0.json'),
      text.slice(0, Math.floor(text.length * 0.6)),
    );
    const error = await importStreamingHistory({ store }, [dir], {}, { maxRecordsPerPart: 1 }).catch(
      (e: Error) => e,
    );
    expect(isTunelakeError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect((error as Error).message).toMatch(
      /Streaming_History_Audio_2023-2024_0\.json.*truncated or not JSON/,
    );
    expect(await rawKeys(store)).toEqual([]);
    const ok = await importStreamingHistory({ store }, [EXPORT_DIR]);
    expect(ok.new).toBeGreaterThan(0);
  });

  it('a JSON file that is not an export, named by hand: refused', async () => {
    const { store } = newLake();
    const error = await rejects(store, [join(EXPORT_DIR, 'account', 'Userdata.json')]);
    expect(error.message).toMatch(/Userdata\.json" is not a Spotify streaming-history file/);
    const dir = tempDir('tunelake-notexport-');
    writeFileSync(
      join(dir, 'SearchQueries.json'),
      JSON.stringify([{ searchTime: '2024-01-01', searchQuery: 'x' }]),
    );
    const second = await rejects(store, [join(dir, 'SearchQueries.json')]);
    expect(second.message).toMatch(/not a Spotify streaming-history file/);
    expect(await rawKeys(store)).toEqual([]);
  });

  it('a zip or folder without streaming history: refused, naming what it found', async () => {
    const { store } = newLake();
    const zip = join(tempDir('tunelake-zip-'), 'other.zip');
    writeFileSync(zip, buildZip([{ name: 'MyData/Userdata.json', data: '{}' }]));
    const error = await rejects(store, [zip]);
    expect(error.message).toMatch(/No streaming-history file.*other\.zip!MyData\/Userdata\.json/);
    const missing = await rejects(store, [join(tmpdir(), 'no-such-export-here.zip')]);
    expect(missing.message).toMatch(/no-such-export-here\.zip/);
  });
});

describe('importStreamingHistory(runtime, inputs, {keepPseudonymous: true})', () => {
  it('replaces the personal fields with per-lake keyed hashes, equal values equal hashes', async () => {
    const a = newLake();
    const b = newLake();
    await importStreamingHistory({ store: a.store }, [EXPORT_DIR], { keepPseudonymous: true });
    await importStreamingHistory({ store: b.store }, [EXPORT_DIR], { keepPseudonymous: true });
    const usernames = (store: ObjectStore) =>
      readRawRecords(store).then(
        (rs) => new Set(rs.map((r) => r.data.username).filter((u) => u !== undefined)),
      );
    const ua = await usernames(a.store);
    const ub = await usernames(b.store);
    expect(ua.size).toBe(1);
    expect([...ua][0]).toMatch(/^hmac-sha256:[0-9a-f]{32}$/);
    // Another lake, another salt: pseudonyms do not link lakes.
    expect([...ub][0]).not.toBe([...ua][0]);
    const raw = JSON.stringify((await readRawRecords(a.store)).map((r) => r.data));
    expect(raw).not.toContain('listener42');
    expect(raw).not.toContain('192.0.2.10');

    // The salt is created once: a later import into the same lake gives the same pseudonyms.
    const dir = tempDir('tunelake-pseudo-');
    const audio = JSON.parse(
      readFileSync(join(EXPORT_DIR, 'extended', 'Streaming_History_Audio_2023-2024_0.json'), 'utf8'),
    ) as Row[];
    writeFileSync(
      join(dir, 'Streaming_History_Audio_2025.json'),
      JSON.stringify([{ ...audio[0]!, ts: '2025-01-01T00:00:00Z' }]),
    );
    await importStreamingHistory({ store: a.store }, [dir], { keepPseudonymous: true });
    expect(await usernames(a.store)).toEqual(ua);

    await transform({ store: a.store }, { threads: 2 });
    const streams = await readTable(a.dir, 'streams');
    // 192.0.2.10 streamed from four devices (ip_addr); 192.0.2.99 is the 2021 one (ip_addr_decrypted).
    const ip = (ts: string) => streams.find((s) => String(s.ended_at).startsWith(ts))?.ip_pseudonym;
    const same = [
      '2023-03-01 08:00:00',
      '2023-03-01 08:00:20',
      '2023-06-15 18:00:00',
      '2024-01-10 22:10:00',
    ].map(ip);
    expect(new Set(same).size).toBe(1);
    expect(same[0]).toMatch(/^hmac-sha256:/);
    expect(ip('2021-05-20 21:15:30')).toMatch(/^hmac-sha256:/);
    expect(ip('2021-05-20 21:15:30')).not.toBe(same[0]);
  });
});
