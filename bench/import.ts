// Benchmark of the streaming-history import (not a test: it measures and reports, it asserts nothing).
//
//   npx tsx bench/import.ts                  # 1,000,000 streams (~600 MB of JSON), first import + re-import
//   npx tsx bench/import.ts --quick          # 100,000 streams
//   npx tsx bench/import.ts --streams 300000 --per-file 16000 --zip --transform --heap-mb 256
//
// A generated Extended streaming-history export (Spotify's record shape, pretty-printed like the real
// files, about 16,000 streams per Streaming_History_Audio_*.json) is written first (not measured).
// Then, each in a child process of its own so that its peak RSS is its own:
// - the first import into an empty lake: every stream parsed (stream-json), keyed, landed;
// - the same import again: every stream parsed and found already landed (nothing written);
// - with --heap-mb N, the first import again into a new lake with V8's heap capped at N MB: it
//   finishes only if memory does not grow with the export;
// - with --zip, the first import from a zip of the same files (yauzl, deflated entries);
// - with --transform, the transform that builds streams and listens from the imported lake.
// Results go to bench/results/import.json (import-quick.json with --quick) and a table on stdout.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { importStreamingHistory } from '../src/import/streaming-history.js';
import { createLocalObjectStore } from '../src/storage/local.js';
import { transform } from '../src/transform/transform.js';
import { formatTable, machineInfo, maxRssBytes, mib, optionChecker, writeResults } from './support.js';

const USAGE =
  'usage: npx tsx bench/import.ts [--quick] [--streams N] [--per-file N] [--heap-mb N] [--zip] [--transform] [--keep DIR]';

interface ChildResult {
  step: string;
  wallMs: number;
  peakRssBytes: number;
  records: number;
  new: number;
  duplicates: number;
}

// --- child: one measured step --------------------------------------------------------------------

async function child(step: string, input: string, lake: string): Promise<void> {
  const store = createLocalObjectStore({ root: lake });
  const started = performance.now();
  let counts = { records: 0, new: 0, duplicates: 0 };
  if (step === 'transform') {
    const info = await transform({ store }, { threads: 2 });
    counts = { records: info.rows.streams ?? 0, new: info.rows.listens ?? 0, duplicates: 0 };
  } else {
    const info = await importStreamingHistory({ store }, [input]);
    counts = { records: info.records, new: info.new, duplicates: info.duplicates };
  }
  const result: ChildResult = {
    step,
    wallMs: Math.round(performance.now() - started),
    peakRssBytes: maxRssBytes(),
    ...counts,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function runChild(step: string, input: string, lake: string, heapMb?: number): Promise<ChildResult> {
  return new Promise((resolvePromise, reject) => {
    const proc = spawn(
      process.execPath,
      [
        ...(heapMb ? [`--max-old-space-size=${heapMb}`] : []),
        '--import',
        'tsx',
        fileURLToPath(import.meta.url),
        '--child',
        step,
        input,
        lake,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    proc.on('error', reject);
    proc.on('close', (code) => {
      if (code !== 0) reject(new Error(`bench child ${step} exited with ${code}`));
      else resolvePromise(JSON.parse(out.trim().split('\n').at(-1)!) as ChildResult);
    });
  });
}

// --- the generated export ------------------------------------------------------------------------

/** mulberry32: a small seeded PRNG, so that every run generates the same export. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const PLATFORMS = [
  'Android OS 13 API 33 (Google, Pixel 7)',
  'iOS 16.3 (iPhone14,2)',
  'Windows 10 (10.0.19045; x64)',
  'web_player windows 10;chrome 120.0.0.0;desktop',
  'OS X 10.15.7 [x86 8]',
];

async function generateExport(
  dir: string,
  streams: number,
  perFile: number,
): Promise<{ bytes: number; files: number }> {
  await mkdir(dir, { recursive: true });
  const random = prng(20261125);
  const trackIds = Array.from({ length: 20_000 }, () =>
    Array.from({ length: 22 }, () => BASE62[Math.floor(random() * 62)]).join(''),
  );
  let t = Date.parse('2014-01-01T00:00:00Z');
  let bytes = 0;
  let files = 0;
  for (let start = 0; start < streams; start += perFile) {
    const count = Math.min(perFile, streams - start);
    const path = join(dir, `Streaming_History_Audio_2014-2026_${files}.json`);
    const out = createWriteStream(path);
    const write = (text: string) =>
      out.write(text) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r()));
    await write('[\n');
    for (let i = 0; i < count; i++) {
      const ms = Math.floor(random() * 240_000);
      t += ms + Math.floor(random() * 400_000);
      const track = Math.floor(random() ** 2 * trackIds.length);
      const skipped = ms < 30_000;
      const record = {
        ts: new Date(t).toISOString().replace('.000Z', 'Z'),
        username: 'bench-user',
        platform: PLATFORMS[track % PLATFORMS.length],
        ms_played: ms,
        conn_country: 'DE',
        ip_addr: `192.0.2.${track % 250}`,
        master_metadata_track_name: `Track ${track}`,
        master_metadata_album_artist_name: `Artist ${track % 2000}`,
        master_metadata_album_album_name: `Album ${track % 5000}`,
        spotify_track_uri: `spotify:track:${trackIds[track]}`,
        episode_name: null,
        episode_show_name: null,
        spotify_episode_uri: null,
        audiobook_title: null,
        audiobook_uri: null,
        audiobook_chapter_uri: null,
        audiobook_chapter_title: null,
        reason_start: 'trackdone',
        reason_end: skipped ? 'fwdbtn' : 'trackdone',
        shuffle: random() < 0.3,
        skipped,
        offline: false,
        offline_timestamp: null,
        incognito_mode: false,
      };
      await write(`${JSON.stringify(record, null, 2).replace(/^/gm, '  ')}${i < count - 1 ? ',' : ''}\n`);
    }
    await write(']\n');
    await new Promise<void>((r, j) => out.end((error?: Error | null) => (error ? j(error) : r())));
    bytes += statSync(path).size;
    files++;
  }
  return { bytes, files };
}

// --- main ----------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      child: { type: 'string' },
      quick: { type: 'boolean' },
      streams: { type: 'string' },
      'per-file': { type: 'string' },
      zip: { type: 'boolean' },
      transform: { type: 'boolean' },
      keep: { type: 'string' },
      'heap-mb': { type: 'string' },
    },
  });
  if (values.child) {
    await child(values.child, positionals[0]!, positionals[1]!);
    return;
  }
  const { num, finish } = optionChecker(USAGE);
  const quick = values.quick ?? false;
  const streams = num('streams', values.streams, quick ? 100_000 : 1_000_000, 1, 50_000_000);
  const perFile = num('per-file', values['per-file'], 16_000, 1, 10_000_000);
  const heapMb = num('heap-mb', values['heap-mb'], 0, 0, 1_000_000);
  finish();

  const root = values.keep ? resolve(values.keep) : mkdtempSync(join(tmpdir(), 'tunelake-bench-import-'));
  const exportDir = join(root, 'export');
  try {
    console.error(`generating an export of ${streams} streams in ${exportDir} ...`);
    const generated = await generateExport(exportDir, streams, perFile);
    const results: ChildResult[] = [];
    const lake = join(root, 'lake');
    rmSync(lake, { recursive: true, force: true });
    results.push(await runChild('first import', exportDir, lake));
    results.push(await runChild('re-import (all duplicates)', exportDir, lake));
    if (heapMb > 0) {
      // The same first import with the V8 heap capped: it completes only if memory does not grow
      // with the export (the uncapped peak includes garbage V8 had no reason to collect yet).
      const capped = join(root, 'lake-capped');
      rmSync(capped, { recursive: true, force: true });
      const result = await runChild('first import', exportDir, capped, heapMb);
      results.push({ ...result, step: `first import, heap capped at ${heapMb} MB` });
    }
    if (values.transform) results.push(await runChild('transform', exportDir, lake));
    if (values.zip) {
      const zip = join(root, 'my_spotify_data.zip');
      rmSync(zip, { force: true });
      const zipped = spawnSync('zip', ['-q', '-r', '-1', zip, 'export'], { cwd: root });
      if (zipped.status !== 0) console.error('zip is not installed: --zip skipped');
      else {
        const zipLake = join(root, 'lake-zip');
        rmSync(zipLake, { recursive: true, force: true });
        results.push(await runChild('first import from a zip', zip, zipLake));
      }
    }
    const rows = results.map((r) => [
      r.step,
      String(r.records),
      String(r.new),
      `${(r.wallMs / 1000).toFixed(1)} s`,
      r.step === 'transform' ? '-' : `${Math.round(r.records / (r.wallMs / 1000))}/s`,
      r.step === 'transform'
        ? '-'
        : `${(generated.bytes / 1024 / 1024 / (r.wallMs / 1000)).toFixed(1)} MiB/s`,
      mib(r.peakRssBytes),
    ]);
    console.log(
      `export: ${streams} streams in ${generated.files} files, ${mib(generated.bytes)} of JSON\n` +
        formatTable(['step', 'records', 'new', 'wall', 'streams/s', 'JSON', 'peak RSS'], rows),
    );
    const out = fileURLToPath(new URL(`./results/import${quick ? '-quick' : ''}.json`, import.meta.url));
    await writeResults(out, {
      machine: machineInfo(),
      params: { streams, perFile, heapMb, zip: values.zip ?? false, transform: values.transform ?? false },
      export: generated,
      results: results.map((r) => ({
        ...r,
        streamsPerSecond: Math.round(r.records / (r.wallMs / 1000)),
      })),
    });
    console.error(`results: ${out}`);
  } finally {
    if (!values.keep) rmSync(root, { recursive: true, force: true });
  }
}

await main();
