// Secrets: with a distinctive client secret and refresh token, nothing tunelake writes may contain
// either: every log line (debug level), every error, the CLI's output (text and --json), and every
// object in the lake (read as bytes, gunzipped when compressed, and each Parquet file read back as
// rows through DuckDB). The runs go through a fault storm, so retry, token-renewal and error paths
// log too.
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDb } from '../../src/query/duckdb.js';
import { sqlString } from '../../src/query/sql-text.js';
import { type ChildResult, CLIENT_SECRET, startWorld, tunelake, type World } from './support.js';

function filesOf(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesOf(path));
    else if (statSync(path).isFile()) out.push(path);
  }
  return out;
}

describe('secrets in logs, errors, CLI output and the lake', () => {
  let world: World;
  let dir: string;
  let lake: string;
  const outputs: Array<{ what: string; result: ChildResult }> = [];

  beforeAll(async () => {
    world = await startWorld({
      seed: 66,
      faults: {
        rate5xx: 0.05,
        rateTokenExpiry: 0.05,
        rateTruncated: 0.02,
        rate429: 0.05,
        retryAfterSeconds: 0,
      },
    });
    dir = mkdtempSync(join(tmpdir(), 'tunelake-secrets-'));
    lake = join(dir, 'lake');
    writeFileSync(join(dir, 'tunelake.config.json'), JSON.stringify({ sources: world.sources }));
    const env = { ...world.env, TUNELAKE_LAKE: lake, TUNELAKE_LOG_LEVEL: 'debug' };
    outputs.push({ what: 'run (debug logs)', result: await tunelake(['run'], dir, env) });
    outputs.push({ what: 'run --json', result: await tunelake(['run', '--json'], dir, env) });
    outputs.push({
      what: 'run with the API unreachable (an error)',
      result: await tunelake(['run', '--json'], dir, {
        ...env,
        SPOTIFY_API_URL: 'http://127.0.0.1:9/v1',
        TUNELAKE_MAX_RETRIES: '0',
      }),
    });
    outputs.push({
      what: 'run with a refresh token the emulator refuses (an error quoting the token would leak it)',
      result: await tunelake(['run'], dir, { ...env, SPOTIFY_REFRESH_TOKEN: `${world.refreshToken}x` }),
    });
    outputs.push({ what: 'tables --json', result: await tunelake(['tables', '--json'], dir, env) });
  }, 120_000);
  afterAll(async () => {
    await world?.close();
  });

  it('the runs did what they should, so there was something to scan', () => {
    // A refused refresh token fails only the sources that need the user: exit 10 (partial, #14).
    expect(outputs.map((o) => o.result.code)).toEqual([0, 0, 6, 10, 0]);
    // Debug logging really was on.
    expect(outputs[0]!.result.stderr.split('\n').length).toBeGreaterThan(10);
  });

  it('0 hits for the client secret and the refresh token in the CLI output, logs and errors', () => {
    const secrets = [CLIENT_SECRET, world.refreshToken];
    let lines = 0;
    const hits: string[] = [];
    for (const { what, result } of outputs) {
      for (const line of `${result.stdout}\n${result.stderr}`.split('\n')) {
        lines++;
        for (const s of secrets) if (line.includes(s)) hits.push(`${what}: ${line.slice(0, 200)}`);
      }
    }
    console.log(`secrets: scanned ${lines} lines of CLI output and logs`);
    expect(hits).toEqual([]);
  });

  it('0 hits in every lake object, as bytes, decompressed, and as Parquet rows', async () => {
    const secrets = [CLIENT_SECRET, world.refreshToken];
    const files = filesOf(lake);
    const hits: string[] = [];
    const db = await DuckDb.create();
    try {
      for (const file of files) {
        const bytes = readFileSync(file);
        const texts = [bytes.toString('latin1')];
        if (file.endsWith('.gz')) texts.push(gunzipSync(bytes).toString('utf8'));
        if (file.endsWith('.parquet')) {
          const rows = await db.all<{ row: string }>(
            `SELECT CAST(to_json(t) AS VARCHAR) AS row FROM read_parquet(${sqlString(file)}) AS t`,
          );
          texts.push(rows.map((r) => r.row).join('\n'));
        }
        for (const text of texts) for (const s of secrets) if (text.includes(s)) hits.push(file);
      }
    } finally {
      await db.close();
    }
    console.log(`secrets: scanned ${files.length} lake objects`);
    expect(files.some((f) => f.endsWith('.parquet'))).toBe(true);
    expect(files.some((f) => f.endsWith('.gz'))).toBe(true);
    expect(hits).toEqual([]);
  });
});
