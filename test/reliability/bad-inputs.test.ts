// Bad inputs, table-driven: config typos and wrong types (file, environment, flags), malformed ids
// and URLs in the sources, forbidden and missing playlists, broken credentials, a spent quota, an
// unreachable API, non-UTF-8 bytes, unusable lake paths. Each case runs the real `tunelake run` in a
// child process on its own copy of a lake that already holds a committed run, and must give one
// clear message and the documented exit code (README, src/cli/exit-codes.ts), and lose nothing that
// had landed: every raw object and run manifest is still there, byte for byte.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emulator, type FaultOptions } from '../../src/emulator/server.js';
import { worldSummary } from '../../src/emulator/world.js';
import {
  type ChildResult,
  CLIENT_ID,
  CLIENT_SECRET,
  lakeFingerprint,
  runPipelineChild,
  SCALE,
  startWorld,
  tunelake,
  type World,
} from './support.js';

const VALID_ID = '4uLU6hMCjMI75M1A2tKUQC';

interface Case {
  name: string;
  /** The config file's content (JSON value, or raw bytes); default: the world's small sources. */
  file?: unknown;
  env?: Record<string, string>;
  args?: string[];
  /** Which lake to run on: the landed copy (default), or a path built from the case folder. */
  lake?: (dir: string) => string;
  /** Body faults for this case: it runs against its own emulator (same world) with these set. */
  faults?: Partial<FaultOptions>;
  /** The command run instead of `run` (its arguments are `args`). */
  command?: string;
  /** Damage done to the case's lake copy before the run (the run must then refuse, changing nothing). */
  damage?: (lake: string) => void;
  /** Environment built from the case folder (which holds `a-file`, a regular file). */
  envIn?: (dir: string) => Record<string, string>;
  /** A warning expected on stderr (for a run that exits 0). */
  warning?: RegExp;
  /** The run may land a new extract run before it stops (new raw objects and manifest); nothing else may change. */
  mayLand?: boolean;
  code: number;
  message: RegExp;
}

describe('tunelake run with bad inputs (table-driven)', () => {
  let world: World;
  let quota: Emulator;
  let landed: string;
  let owned: string;
  let editorial: string;

  beforeAll(async () => {
    world = await startWorld({ seed: 55 });
    quota = await Emulator.create({
      port: 0,
      seed: 55,
      day: 2,
      scale: SCALE.emulatorScale,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      faults: { quotaExceeded: true },
    });
    const summary = worldSummary(world.emulator.world);
    owned = summary.playlists.owned[0]!.id;
    editorial = summary.playlists.editorial[0]!.id;
    landed = mkdtempSync(join(tmpdir(), 'tunelake-bad-landed-'));
    const first = await runPipelineChild({ ...world.childArgs, lake: landed });
    expect(first.code).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await world?.close();
    await quota?.close();
  });

  const small = () => ({ playlists: [owned], me: { recentlyPlayed: true } });
  const cases: Array<Case | (() => Case)> = [
    // --- the config file: typos and wrong types
    { name: 'unknown top-level key', file: { lakee: './lake' }, code: 2, message: /unknown key "lakee"/ },
    {
      name: 'engine typo',
      file: { engine: 'duckdv' },
      code: 2,
      message: /"duckdv".*Did you mean "duckdb"\?/,
    },
    {
      name: 'rateLimit as a string',
      file: { http: { rateLimit: '100' } },
      code: 2,
      message: /http\.rateLimit/,
    },
    {
      name: 'concurrency 0',
      file: { http: { concurrency: 0 } },
      code: 2,
      message: /whole number from 1 to 64/,
    },
    {
      name: 'tier typo',
      file: { spotify: { tier: 'extendd' } },
      code: 2,
      message: /Did you mean "extended"\?/,
    },
    {
      name: 'market as a name',
      file: { spotify: { market: 'Sweden' } },
      code: 2,
      message: /ISO 3166-1 alpha-2/,
    },
    {
      name: 'Athena output not on S3',
      file: { athena: { outputLocation: 'https://x' } },
      code: 2,
      message: /an S3 location/,
    },
    {
      name: 'unknown key in spotify',
      file: { spotify: { clientid: 'x' } },
      code: 2,
      message: /unknown key "clientid"/,
    },
    {
      name: 'sources.playlists not a list',
      file: { sources: { playlists: 'abc' } },
      code: 2,
      message: /sources\.playlists/,
    },
    {
      name: 'search type "song"',
      file: { sources: { search: [{ q: 'x', type: 'song' }] } },
      code: 2,
      message: /sources\.search\.0\.type/,
    },
    {
      name: 'me flag "yes"',
      file: { sources: { me: { recentlyPlayed: 'yes' } } },
      code: 2,
      message: /sources\.me\.recentlyPlayed/,
    },
    {
      name: 'sources key typo',
      file: { sources: { playlist: [VALID_ID] } },
      code: 2,
      message: /unknown key "playlist"/,
    },
    { name: 'not JSON', file: Buffer.from('{ "lake": "./lake", }'), code: 2, message: /is not valid JSON/ },
    {
      name: 'config file missing',
      args: ['--config', 'missing.json'],
      code: 2,
      message: /Cannot read config file .*missing\.json: it does not exist/,
    },
    {
      name: 'non-UTF-8 bytes in a playlist id',
      file: Buffer.concat([
        Buffer.from('{"sources":{"playlists":["4uLU6hMCjMI75M1A2tKU'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('"]}}'),
      ]),
      code: 2,
      message: /sources\.playlists\[0\]/,
    },
    // --- malformed ids and URLs in the sources
    {
      name: 'malformed playlist id',
      file: { sources: { playlists: ['not-an-id!'] } },
      code: 2,
      message: /sources\.playlists\[0\]/,
    },
    {
      name: 'album URL as a playlist',
      file: { sources: { playlists: [`https://open.spotify.com/album/${VALID_ID}`] } },
      code: 2,
      message: /sources\.playlists\[0\]/,
    },
    {
      name: 'artist URL on another host',
      file: { sources: { artists: [`https://example.com/artist/${VALID_ID}`] } },
      code: 2,
      message: /sources\.artists\[0\]/,
    },
    {
      name: 'playlist URI with a short id',
      file: { sources: { playlists: ['spotify:playlist:abc'] } },
      code: 2,
      message: /sources\.playlists\[0\]/,
    },
    // --- the environment
    {
      name: 'TUNELAKE_ENGINE typo',
      env: { TUNELAKE_ENGINE: 'athenna' },
      code: 2,
      message: /TUNELAKE_ENGINE "athenna".*Did you mean "athena"\?/,
    },
    {
      name: 'TUNELAKE_RATE_LIMIT not a number',
      env: { TUNELAKE_RATE_LIMIT: 'abc' },
      code: 2,
      message: /TUNELAKE_RATE_LIMIT "abc"/,
    },
    {
      name: 'TUNELAKE_CONCURRENCY negative',
      env: { TUNELAKE_CONCURRENCY: '-1' },
      code: 2,
      message: /TUNELAKE_CONCURRENCY "-1"/,
    },
    {
      name: 'TUNELAKE_MAX_RETRIES fractional',
      env: { TUNELAKE_MAX_RETRIES: '1.5' },
      code: 2,
      message: /TUNELAKE_MAX_RETRIES "1\.5"/,
    },
    {
      name: 'TUNELAKE_LOG_LEVEL unknown',
      env: { TUNELAKE_LOG_LEVEL: 'verbose' },
      code: 2,
      message: /TUNELAKE_LOG_LEVEL "verbose"/,
    },
    {
      name: 'SPOTIFY_ACCESS_TIER unknown',
      env: { SPOTIFY_ACCESS_TIER: 'premium' },
      code: 2,
      message: /SPOTIFY_ACCESS_TIER "premium"/,
    },
    {
      name: 'SPOTIFY_API_URL not a URL',
      env: { SPOTIFY_API_URL: 'not a url' },
      code: 2,
      message: /SPOTIFY_API_URL "not a url"/,
    },
    {
      name: 'credentials file not JSON',
      env: { SPOTIFY_REFRESH_TOKEN: '', TUNELAKE_CREDENTIALS: 'creds.json' },
      code: 2,
      message: /Cannot read credentials file creds\.json/,
    },
    {
      name: 'SPOTIFY_ACCOUNTS_URL with credentials',
      env: { SPOTIFY_ACCOUNTS_URL: 'http://someone:acct-pass-4821@127.0.0.1:9' },
      code: 2,
      message: /SPOTIFY_ACCOUNTS_URL "http:\/\/\*\*\*@127\.0\.0\.1:9": a URL must not carry credentials/,
    },
    {
      name: 'SPOTIFY_API_URL with a user name only',
      env: { SPOTIFY_API_URL: 'https://apiuser@127.0.0.1:9/v1' },
      code: 2,
      message: /SPOTIFY_API_URL "https:\/\/\*\*\*@127\.0\.0\.1:9\/v1"/,
    },
    {
      name: 'TUNELAKE_S3_ENDPOINT with credentials',
      env: { TUNELAKE_S3_ENDPOINT: 'http://AKIAEXAMPLE:s3-pass-1234@127.0.0.1:5000' },
      code: 2,
      message: /TUNELAKE_S3_ENDPOINT "http:\/\/\*\*\*@127\.0\.0\.1:5000"/,
    },
    // --- a damaged raw zone: refused, never fewer rows
    {
      // An incremental `run` reads only new runs (and their day's earlier runs), so an older run's
      // damaged object is met by a rebuild: `transform --full` (and, later, `tunelake verify`).
      name: 'raw part replaced by a valid gzip of its first 10 lines',
      command: 'transform',
      args: ['--full'],
      damage: (lake) => truncateRawPart(lake, 'playlist_items', 10),
      code: 7,
      message:
        /raw object\(s\) differ from what their run manifest recorded.*playlist_items.*10 records|playlist_items.*bytes, the manifest recorded/,
    },
    {
      name: 'raw part with one byte flipped',
      command: 'transform',
      args: ['--full'],
      damage: (lake) => flipByte(rawPart(lake, 'artists')),
      code: 7,
      message: /raw\/artists\/.*sha256/,
    },
    {
      name: 'raw part truncated under a manifest without checksums (older lake)',
      command: 'transform',
      args: ['--full'],
      damage: (lake) => {
        dropChecksums(lake);
        truncateRawPart(lake, 'playlists', 1);
      },
      code: 7,
      message: /raw\/playlists\/.*records, the manifest recorded/,
    },
    {
      name: 'run manifest truncated',
      command: 'transform',
      args: ['--full'],
      damage: (lake) => {
        const name = readdirSync(join(lake, 'runs')).find((n) => n.endsWith('.json'))!;
        const path = join(lake, 'runs', name);
        writeFileSync(path, readFileSync(path).subarray(0, 200));
      },
      code: 7,
      message: /run manifest .*runs\/.*\.json is damaged: it is not valid JSON/,
    },
    // --- `tunelake verify`: every kind of damage found, named, with its repair (exit 7)
    {
      name: 'verify: raw part with one byte flipped',
      command: 'verify',
      damage: (lake) => flipByte(rawPart(lake, 'artists')),
      code: 7,
      message: /raw\/artists\/.*sha256.*Repair: restore/,
    },
    {
      name: 'verify: run manifest deleted',
      command: 'verify',
      damage: (lake) => {
        const name = readdirSync(join(lake, 'runs')).find((n) => n.endsWith('.json'))!;
        rmSync(join(lake, 'runs', name));
      },
      code: 7,
      message: /runs\/.*\.json: it vanished.*transform --full/,
    },
    {
      name: 'verify: table file deleted',
      command: 'verify',
      damage: (lake) => rmSync(tableFile(lake, 'playlist_items')),
      code: 7,
      message: /tables\/playlist_items\/.*it is missing.*Repair: run `tunelake run`/,
    },
    {
      name: "verify: table file replaced by another table's",
      command: 'verify',
      damage: (lake) => cpSync(tableFile(lake, 'tracks'), tableFile(lake, 'playlist_items')),
      code: 7,
      message: /tables\/playlist_items\/.*the transform wrote/,
    },
    {
      name: "run: table file replaced by another table's (rebuilt from the raw zone, and said)",
      damage: (lake) => cpSync(tableFile(lake, 'tracks'), tableFile(lake, 'playlist_items')),
      code: 0,
      message: /healed 1 table file\(s\).*rebuilt from the raw zone/,
      warning: /rebuilding the tables from the raw zone/,
    },
    {
      name: 'tables over a corrupt catalog file',
      command: 'tables',
      damage: (lake) =>
        writeFileSync(join(lake, 'catalog', 'tunelake', 'plays', 'table.json'), '{"format": 1, '),
      code: 7,
      message: /catalog file .*plays\/table\.json is not valid JSON/,
    },
    // --- config files that JSON.parse accepts but that would be misread
    {
      name: 'config file with a UTF-8 BOM (accepted: the typo after it is found)',
      file: Buffer.from(`\uFEFF${JSON.stringify({ engine: 'duckdv' })}`),
      code: 2,
      message: /engine "duckdv".*Did you mean "duckdb"/,
    },
    {
      name: '"sources" given twice',
      file: Buffer.from(`{"sources": {"playlists": ["${VALID_ID}"]}, "sources": {"artists": []}}`),
      code: 2,
      message: /has the key "sources" twice/,
    },
    {
      name: 'file value hidden by an environment override',
      file: { engine: 'duckdv' },
      env: { TUNELAKE_ENGINE: 'duckdb' },
      code: 2,
      message: /engine "duckdv"/,
    },
    {
      name: 'hex whole number',
      env: { TUNELAKE_CONCURRENCY: '0x10' },
      code: 2,
      message: /TUNELAKE_CONCURRENCY "0x10"/,
    },
    {
      name: 'a 20 kB bad playlist id',
      file: { sources: { playlists: ['y'.repeat(20_000)] } },
      code: 2,
      message: /sources\.playlists\[0\].*\(20000 characters\)/,
    },
    {
      name: 'no source configured (runs, and says so)',
      file: {},
      faults: { rateDrift: 0 },
      code: 0,
      message: /run complete/,
      warning: /No sources configured in tunelake\.config\.json/,
    },
    // --- temp folders
    {
      name: 'TMPDIR is a regular file',
      envIn: (dir) => ({ TMPDIR: join(dir, 'a-file') }),
      code: 2,
      message: /temp folder TMPDIR=".*a-file" is a file, not a folder/,
    },
    {
      name: 'TUNELAKE_TEMP_DIR does not exist',
      envIn: (dir) => ({ TUNELAKE_TEMP_DIR: join(dir, 'no-such-folder') }),
      code: 2,
      message: /temp folder TUNELAKE_TEMP_DIR=".*no-such-folder" does not exist/,
    },
    {
      name: 'TUNELAKE_TEMP_DIR is a regular file (the CLI uses it)',
      envIn: (dir) => ({ TUNELAKE_TEMP_DIR: join(dir, 'a-file') }),
      code: 2,
      message: /temp folder TUNELAKE_TEMP_DIR=".*a-file" is a file, not a folder/,
    },
    // --- flags
    { name: '--tier typo', args: ['--tier', 'extnded'], code: 2, message: /--tier "extnded"/ },
    // --- the dashboard on a non-loopback address (#17: DNS rebinding); refused before binding anything
    {
      name: 'serve --host 0.0.0.0 without --allow-host',
      command: 'serve',
      args: ['--host', '0.0.0.0', '--port', '0'],
      code: 2,
      message: /--host 0\.0\.0\.0 is not a loopback address, and no --allow-host was given/,
    },
    {
      name: 'serve --allow-host with a port',
      command: 'serve',
      args: ['--host', '0.0.0.0', '--port', '0', '--allow-host', 'nas.local:8080'],
      code: 2,
      message: /Invalid --allow-host "nas\.local:8080": expected a host name or address without a port/,
    },
    // --- a damaged table file read by a query (#17: was exit 2, meant for bad arguments)
    {
      name: 'query over a corrupt Parquet file',
      command: 'query',
      args: ['SELECT count(*) FROM tracks'],
      damage: (lake) => writeFileSync(tableFile(lake, 'tracks'), 'PAR1 not a parquet file PAR1'),
      code: 7,
      message:
        /^tunelake: Query failed: Table tunelake\.tracks cannot be read: A table file is damaged, DuckDB could not query: Invalid Input Error: Footer length error.*tunelake transform --full/m,
    },
    // --- the record size limit (#17: one oversized record committed, then blocked every run)
    {
      name: 'a playlist record over the record size limit (11 MB description: quarantined)',
      faults: { playlistDescriptionBytes: 11_000_000 },
      code: 10,
      message: /over the 10000000-byte record size limit: quarantined, not landed/,
    },
    {
      name: 'TUNELAKE_MAX_RECORD_BYTES above what the transform reads',
      env: { TUNELAKE_MAX_RECORD_BYTES: '20000000' },
      code: 2,
      message: /Invalid TUNELAKE_MAX_RECORD_BYTES "20000000"/,
    },
    // --- clock skew (#17: a run a day back or in 2030 landed misdated snapshots silently)
    {
      name: "clock an hour ahead of Spotify's Date header",
      faults: { clockSkewSeconds: -3600 },
      code: 9,
      mayLand: true,
      message: /clock is 60 minutes ahead of Spotify's .*--allow-clock-skew/,
    },
    {
      name: "clock an hour ahead of Spotify's, allowed with --allow-clock-skew",
      faults: { clockSkewSeconds: -3600 },
      args: ['--allow-clock-skew'],
      code: 0,
      message: /run complete/,
      warning: /60 minutes ahead of Spotify's.*clock skew is allowed/,
    },
    {
      name: 'clock behind the last committed run (its run id says 2030)',
      damage: (lake) => {
        const path = join(lake, 'state', 'extract.json');
        const state = JSON.parse(readFileSync(path, 'utf8')) as { lastRunId: string };
        state.lastRunId = '20300101T000000Z-zzzzzz';
        writeFileSync(path, JSON.stringify(state));
      },
      code: 9,
      message: /before the last committed run 20300101T000000Z-zzzzzz started/,
    },
    {
      name: 'TUNELAKE_ALLOW_CLOCK_SKEW not true or false',
      env: { TUNELAKE_ALLOW_CLOCK_SKEW: 'yes' },
      code: 2,
      message: /Invalid TUNELAKE_ALLOW_CLOCK_SKEW "yes"/,
    },
    // --- lake paths that cannot work (a path under a regular file fails for root too)
    {
      name: 'lake under a regular file',
      lake: (dir) => join(dir, 'a-file', 'lake'),
      code: 7,
      message: /a-file/,
    },
    {
      name: 'lake under /proc (a folder that cannot be created: no endless retry)',
      lake: () => '/proc/tunelake-bad-input/lake',
      code: 7,
      message: /a folder cannot be created there.*TUNELAKE_LAKE/,
    },
    {
      name: 'lake with a bad bucket name',
      lake: () => 's3://Bad_Bucket/lake',
      code: 2,
      message: /s3:\/\/bucket\[\/prefix\]/,
    },
    {
      name: 'lake with an unknown scheme',
      lake: () => 'ftp://host/lake',
      code: 2,
      message: /Invalid lake "ftp:\/\/host\/lake"/,
    },
    // --- Spotify says no: the run stops (or records the source) with a clear reason
    {
      // invalid_grant, like an expired one (#14): the user's sources fail, the app-token ones land.
      name: 'wrong refresh token',
      env: { SPOTIFY_REFRESH_TOKEN: 'not-a-valid-refresh-token' },
      code: 10,
      message: /refresh token was rejected.*tunelake login/i,
    },
    {
      name: 'wrong client secret',
      env: { SPOTIFY_CLIENT_SECRET: 'wrong-secret-123' },
      code: 3,
      message: /client/i,
    },
    () => ({
      name: 'quota spent',
      env: {
        SPOTIFY_API_URL: quota.apiUrl,
        SPOTIFY_ACCOUNTS_URL: quota.url,
        SPOTIFY_REFRESH_TOKEN: quota.issueRefreshToken(),
      },
      code: 5,
      message: /quota/i,
    }),
    {
      name: 'API unreachable',
      env: { SPOTIFY_API_URL: 'http://127.0.0.1:9/v1', TUNELAKE_MAX_RETRIES: '1' },
      code: 6,
      message: /SPOTIFY_API_URL/,
    },
    () => ({
      name: 'editorial playlist in development mode',
      file: { sources: { playlists: [owned, editorial] } },
      code: 10,
      message: new RegExp(editorial),
    }),
    () => ({
      name: 'missing playlist',
      file: { sources: { playlists: [owned, VALID_ID] } },
      code: 10,
      message: new RegExp(VALID_ID),
    }),
    // --- responses that are not what the schema says (emulator body faults on every 200)
    { name: 'schema drift in every response', faults: { rateDrift: 1 }, code: 0, message: /run complete/ },
    {
      name: 'nulls everywhere',
      faults: { rateNulls: 1 },
      code: 10,
      message: /does not have the expected shape/,
    },
    () => ({
      name: 'non-UTF-8 bytes in responses',
      file: { sources: world.sources },
      faults: { rateNonUtf8: 1 },
      env: { TUNELAKE_MAX_RETRIES: '1' },
      code: 10,
      message: /not valid UTF-8/,
    }),
    {
      name: 'huge pages (2 MB of padding per response)',
      faults: { padBytes: 2_000_000 },
      code: 0,
      message: /run complete/,
    },
  ];

  const credentialsPrinted = /acct-pass-4821|s3-pass-1234|apiuser@/;
  it('has at least 70 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(70);
  });

  it('every case gives one clear message and its documented exit code, and loses nothing landed', async () => {
    const failures: string[] = [];
    const runCase = async (input: Case | (() => Case)) => {
      const c = typeof input === 'function' ? input() : input;
      const dir = mkdtempSync(join(tmpdir(), 'tunelake-bad-'));
      const lake = join(dir, 'lake');
      // The local catalog records absolute locations, so a run that gets as far as the catalog needs
      // a lake landed where it is (moving a lake folder is not supported); the others get a copy.
      if (c.code === 10 || c.faults) {
        const first = await runPipelineChild({ ...world.childArgs, lake });
        if (first.code !== 0) throw new Error(`could not land a lake for "${c.name}": ${first.stderr}`);
      } else {
        cpSync(landed, lake, { recursive: true });
      }
      writeFileSync(join(dir, 'a-file'), 'not a folder');
      writeFileSync(join(dir, 'creds.json'), '{ not json');
      const file = c.file ?? { sources: small() };
      writeFileSync(join(dir, 'tunelake.config.json'), Buffer.isBuffer(file) ? file : JSON.stringify(file));
      let faulty: Emulator | undefined;
      if (c.faults) {
        faulty = await Emulator.create({
          port: 0,
          seed: 55,
          day: 2,
          scale: SCALE.emulatorScale,
          clientId: CLIENT_ID,
          clientSecret: CLIENT_SECRET,
          faults: c.faults,
        });
        c.env = {
          SPOTIFY_API_URL: faulty.apiUrl,
          SPOTIFY_ACCOUNTS_URL: faulty.url,
          SPOTIFY_REFRESH_TOKEN: faulty.issueRefreshToken(),
          ...c.env,
        };
      }
      c.damage?.(lake);
      const before = lakeFingerprint(lake);
      const result: ChildResult = await tunelake([c.command ?? 'run', ...(c.args ?? [])], dir, {
        ...world.env,
        TUNELAKE_LAKE: c.lake ? c.lake(dir) : lake,
        ...c.env,
        ...c.envIn?.(dir),
      });
      await faulty?.close();
      const after = lakeFingerprint(lake);
      const problems: string[] = [];
      if (result.code !== c.code) problems.push(`exit ${result.code}, expected ${c.code}`);
      // Errors and warnings go to stderr, a run's summary to stdout.
      if (!c.message.test(c.code === 0 ? result.stdout : result.stderr)) {
        problems.push(`${c.code === 0 ? 'stdout' : 'stderr'} does not match ${c.message}`);
      }
      if (c.warning && !c.warning.test(result.stderr)) problems.push(`stderr does not match ${c.warning}`);
      if (credentialsPrinted.test(result.stdout + result.stderr))
        problems.push('a URL credential was printed');
      // One clear message: a `tunelake:` line, no stack trace.
      if (/^\s+at /m.test(result.stderr)) problems.push('a stack trace was printed');
      const errorLines = result.stderr.split('\n').filter((l) => l.startsWith('tunelake: '));
      if (c.code !== 0 && c.code !== 10 && errorLines.length !== 1)
        problems.push(`${errorLines.length} "tunelake:" lines`);
      // Nothing landed is lost: raw objects and manifests are immutable. (A run stopped by Spotify
      // may leave its pending marker: invisible to readers, cleaned up by the next run's recovery.)
      for (const [key, hash] of before) {
        if ((key.startsWith('raw/') || key.startsWith('runs/')) && after.get(key) !== hash) {
          problems.push(`${key} was lost or changed`);
        }
      }
      // A run that failed before extracting changed nothing at all.
      if (c.code === 2 || c.code === 7 || c.code === 9) {
        const changed = [...new Set([...before.keys(), ...after.keys()])].filter(
          (k) =>
            before.get(k) !== after.get(k) &&
            !(c.mayLand && !before.has(k) && (k.startsWith('raw/') || k.startsWith('runs/'))),
        );
        if (changed.length > 0) problems.push(`the lake changed: ${changed.slice(0, 5).join(', ')}`);
      }
      if (problems.length > 0) {
        failures.push(`${c.name}: ${problems.join('; ')}\n  stderr: ${result.stderr.slice(0, 600)}`);
      }
      console.log(
        `bad input "${c.name}": exit ${result.code}; ${errorLines[0] ?? result.stderr.split('\n')[0]}`,
      );
    };
    // A few at a time: each case is one short child process.
    const queue = [...cases];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) await runCase(next);
      }),
    );
    expect(failures).toEqual([]);
  }, 900_000);
});

/** The first raw part of a dataset in a local lake. */
function rawPart(lake: string, dataset: string): string {
  const root = join(lake, 'raw', dataset);
  for (const dt of readdirSync(root).sort()) {
    for (const run of readdirSync(join(root, dt)).sort()) {
      const parts = readdirSync(join(root, dt, run)).sort();
      if (parts.length > 0) return join(root, dt, run, parts[0]!);
    }
  }
  throw new Error(`no raw part of ${dataset} in ${lake}`);
}

/** The first Parquet file of a table in a local lake. */
function tableFile(lake: string, table: string): string {
  const walk = (dir: string): string | undefined => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const path = join(dir, entry.name);
      const found = entry.isDirectory() ? walk(path) : entry.name.endsWith('.parquet') ? path : undefined;
      if (found) return found;
    }
    return undefined;
  };
  const found = walk(join(lake, 'tables', table));
  if (!found) throw new Error(`no Parquet file of ${table} in ${lake}`);
  return found;
}

/** Replaces a dataset's first raw part with a valid gzip of its first `keep` lines (#17's reproduction). */
function truncateRawPart(lake: string, dataset: string, keep: number): void {
  const path = rawPart(lake, dataset);
  const lines = gunzipSync(readFileSync(path)).toString('utf8').split('\n').filter(Boolean);
  if (lines.length <= keep) throw new Error(`${path} has only ${lines.length} lines`);
  writeFileSync(path, gzipSync(`${lines.slice(0, keep).join('\n')}\n`));
}

function flipByte(path: string): void {
  const bytes = readFileSync(path);
  bytes[bytes.length - 9] = bytes[bytes.length - 9]! ^ 0x01;
  writeFileSync(path, bytes);
}

/** Rewrites every run manifest as one written before checksums were recorded. */
function dropChecksums(lake: string): void {
  for (const name of readdirSync(join(lake, 'runs')).filter((n) => n.endsWith('.json'))) {
    const path = join(lake, 'runs', name);
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as { objects: Array<{ sha256?: string }> };
    for (const object of manifest.objects) delete object.sha256;
    writeFileSync(path, JSON.stringify(manifest));
  }
}
