// The real `tunelake` command in a child process against moto_server: `tunelake lambda invoke` (the
// harness) and `tunelake run` with an S3 lake and the Glue catalog. The child reaches moto's Glue,
// Athena and Secrets Manager through the SDK's standard AWS_ENDPOINT_URL, and S3 through
// TUNELAKE_S3_ENDPOINT, exactly as a user would point it at another endpoint.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateWorkGroupCommand } from '@aws-sdk/client-athena';
import { GetTablesCommand, type GlueClient } from '@aws-sdk/client-glue';
import type { S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PATH } from '../../test/support/env.js';
import {
  listBucketKeys,
  type Moto,
  motoAthenaClient,
  motoClientConfig,
  motoGlueClient,
  motoS3Client,
  startMoto,
} from '../../test/support/moto.js';
import { Emulator } from '../emulator/server.js';
import { worldSummary } from '../emulator/world.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'tunelake.js');
const CLIENT_SECRET = 'harness-test-client-secret-81d0e4';

/** Runs `tunelake args` (asynchronously: the emulator it talks to lives in this process). */
function tunelake(args: string[], cwd: string, env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH, HOME: cwd, TZ: 'UTC', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 170_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

// Each test runs several child processes, each loading the pipeline: minutes, not seconds, on a busy machine.
describe('tunelake lambda invoke and tunelake run on moto_server (child processes)', {
  timeout: 180_000,
}, () => {
  let moto: Moto;
  let s3: S3Client;
  let glue: GlueClient;
  let emu: Emulator;
  let dir: string;
  let aws: Record<string, string>;
  let lambdaEnv: Record<string, string>;
  let refreshToken: string;

  beforeAll(async () => {
    moto = await startMoto();
    s3 = await motoS3Client(moto.endpoint, ['harness-lake', 'cli-lake', 'stages-lake']);
    glue = motoGlueClient(moto.endpoint);
    const athena = motoAthenaClient(moto.endpoint);
    await athena.send(new CreateWorkGroupCommand({ Name: 'tunelake' }));
    athena.destroy();
    emu = await Emulator.create({ port: 0, tier: 'development', seed: 11, clientSecret: CLIENT_SECRET });
    refreshToken = emu.issueRefreshToken();
    const secrets = new SecretsManagerClient(motoClientConfig(moto.endpoint));
    const secret = await secrets.send(
      new CreateSecretCommand({
        Name: 'tunelake/spotify',
        SecretString: JSON.stringify({
          client_id: 'tunelake-demo',
          client_secret: CLIENT_SECRET,
          refresh_token: refreshToken,
        }),
      }),
    );
    secrets.destroy();

    dir = mkdtempSync(join(tmpdir(), 'tunelake-harness-'));
    const summary = worldSummary(emu.world);
    writeFileSync(
      join(dir, 'sources.json'),
      JSON.stringify({
        sources: {
          playlists: summary.playlists.owned.slice(0, 2).map((p) => p.id),
          artists: summary.artists.slice(0, 1).map((a) => a.id),
        },
      }),
    );
    aws = {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
      TUNELAKE_S3_ENDPOINT: moto.endpoint,
    };
    lambdaEnv = {
      ...aws,
      TUNELAKE_CONFIG: join(dir, 'sources.json'),
      TUNELAKE_LAKE: 's3://harness-lake/lake',
      TUNELAKE_CATALOG: 'glue',
      TUNELAKE_ENGINE: 'athena',
      TUNELAKE_ATHENA_WORKGROUP: 'tunelake',
      TUNELAKE_SPOTIFY_SECRET_ID: secret.ARN!,
      SPOTIFY_ACCOUNTS_URL: emu.url,
      SPOTIFY_API_URL: emu.apiUrl,
      TUNELAKE_RATE_LIMIT: '1500',
      TUNELAKE_LOG_LEVEL: 'info',
    };
  });

  afterAll(async () => {
    await emu?.close();
    s3?.destroy();
    glue?.destroy();
    await moto?.stop();
  });

  test('lambda invoke extract | transform | catalog: the chain runs on the S3 lake, Glue and Athena; stdout is the result, logs and EMF go to stderr', async () => {
    const eventFile = join(dir, 'schedule.json');
    writeFileSync(
      eventFile,
      JSON.stringify({ source: 'tunelake.schedule', scheduledTime: '2026-11-25T06:00:00Z' }),
    );
    const extract = await tunelake(
      ['lambda', 'invoke', 'extract', '--event', eventFile, '--json'],
      dir,
      lambdaEnv,
    );
    expect(extract.code, extract.stderr).toBe(0);
    const extracted = JSON.parse(extract.stdout) as { ok: boolean; status: string; runId: string };
    expect(extracted).toMatchObject({ ok: true, status: 'committed' });
    expect(extract.stderr).toContain('"ExtractRequests"');
    expect(extract.stderr).not.toContain(CLIENT_SECRET);
    expect(extract.stderr).not.toContain(refreshToken);
    const keys = await listBucketKeys(s3, 'harness-lake');
    expect(keys).toContain(`lake/runs/${extracted.runId}.json`);

    const again = await tunelake(
      ['lambda', 'invoke', 'extract', '--event', eventFile, '--json'],
      dir,
      lambdaEnv,
    );
    expect(JSON.parse(again.stdout)).toMatchObject({
      ok: true,
      status: 'already-committed',
      runId: extracted.runId,
    });
    expect(await listBucketKeys(s3, 'harness-lake')).toEqual(keys);

    const transform = await tunelake(['lambda', 'invoke', 'transform', '--json'], dir, lambdaEnv);
    expect(transform.code, transform.stderr).toBe(0);
    expect(JSON.parse(transform.stdout)).toMatchObject({
      ok: true,
      status: 'transformed',
      manifests: [extracted.runId],
    });

    const catalog = await tunelake(['lambda', 'invoke', 'catalog', '--json'], dir, lambdaEnv);
    expect(catalog.code, catalog.stderr).toBe(0);
    const registered = JSON.parse(catalog.stdout) as { status: string; insights: Array<{ status: string }> };
    expect(registered.status).toBe('registered');
    expect(registered.insights.some((i) => i.status === 'written')).toBe(true);
    expect(catalog.stderr).toContain('"PipelineSucceeded":1');
    const tables = await glue.send(new GetTablesCommand({ DatabaseName: 'tunelake' }));
    const names = (tables.TableList ?? []).map((t) => t.Name);
    expect(names).toContain('playlist_items');
    expect(names).toContain('insight_playlist_movers');
  });

  test('lambda invoke: an unknown handler, or transform on a lake without runs, is a clear error', async () => {
    const unknown = await tunelake(['lambda', 'invoke', 'load'], dir, lambdaEnv);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown handler "load"');
    const empty = await tunelake(['lambda', 'invoke', 'transform'], dir, {
      ...lambdaEnv,
      TUNELAKE_LAKE: 's3://harness-lake/empty',
    });
    expect(empty.code).toBe(7);
    expect(empty.stderr).toContain('has no committed run yet');
  });

  /** A user's settings for an S3 lake with the Glue catalog: the test's emulator and a small set of sources. */
  const cliEnv = (lake: string) => ({
    ...aws,
    TUNELAKE_LAKE: lake,
    TUNELAKE_CATALOG: 'glue',
    TUNELAKE_CONFIG: join(dir, 'sources.json'),
    SPOTIFY_CLIENT_ID: 'tunelake-demo',
    SPOTIFY_CLIENT_SECRET: CLIENT_SECRET,
    SPOTIFY_REFRESH_TOKEN: refreshToken,
    SPOTIFY_ACCOUNTS_URL: emu.url,
    SPOTIFY_API_URL: emu.apiUrl,
    TUNELAKE_RATE_LIMIT: '1500',
  });

  /** `tunelake query SQL --format json` for a one-row `count(*) AS n`. */
  const queryCount = async (sql: string, env: Record<string, string>) => {
    const result = await tunelake(['query', sql, '--format', 'json'], dir, env);
    const n = result.code === 0 ? (JSON.parse(result.stdout) as Array<{ n: number }>)[0]?.n : undefined;
    return { ...result, n };
  };

  test('tunelake run with TUNELAKE_LAKE=s3://, TUNELAKE_CATALOG=glue and TUNELAKE_S3_ENDPOINT: the whole pipeline, then a query', async () => {
    const env = cliEnv('s3://cli-lake/music');
    const run = await tunelake(['run', '--json'], dir, env);
    expect(run.code, run.stderr).toBe(0);
    const info = JSON.parse(run.stdout) as {
      ok: boolean;
      catalog: { tablesCreated: number; tablesUpdated: number };
      insights: { insights: Array<{ status: string }> };
    };
    expect(info.ok).toBe(true);
    // The harness test's tables share moto's `tunelake` database: this lake's run re-points them.
    expect(info.catalog.tablesCreated + info.catalog.tablesUpdated).toBeGreaterThan(5);
    expect(info.insights.insights.some((i) => i.status === 'written')).toBe(true);
    const keys = await listBucketKeys(s3, 'cli-lake');
    expect(keys.some((k) => k.startsWith('music/tables/playlist_items/'))).toBe(true);
    const tables = await glue.send(new GetTablesCommand({ DatabaseName: 'tunelake' }));
    expect((tables.TableList ?? []).map((t) => t.StorageDescriptor?.Location)).toContain(
      's3://cli-lake/music/tables/playlist_items/',
    );

    const query = await queryCount('select count(*) as n from playlist_items', env);
    expect(query.code, query.stderr).toBe(0);
    expect(query.n).toBeGreaterThan(0);
  });

  test('tunelake extract, then transform, then query on an S3 lake with the Glue catalog (the stage commands)', async () => {
    const env = cliEnv('s3://stages-lake/music');
    const extracted = await tunelake(['extract', '--json'], dir, env);
    expect(extracted.code, extracted.stderr).toBe(0);
    const landed = (JSON.parse(extracted.stdout) as { records: Record<string, number> }).records;
    const transformed = await tunelake(['transform', '--json'], dir, env);
    expect(transformed.code, transformed.stderr).toBe(0);
    const info = JSON.parse(transformed.stdout) as {
      catalog: { tablesCreated: number; tablesUpdated: number };
    };
    expect(info.catalog.tablesCreated + info.catalog.tablesUpdated).toBeGreaterThan(5);
    const tables = await glue.send(new GetTablesCommand({ DatabaseName: 'tunelake' }));
    expect((tables.TableList ?? []).map((t) => t.StorageDescriptor?.Location)).toContain(
      's3://stages-lake/music/tables/playlist_items/',
    );
    const raw = await queryCount('select count(*) as n from tunelake_raw.playlist_items', env);
    expect(raw.code, raw.stderr).toBe(0);
    expect(raw.n).toBe(landed.playlist_items);
    const typed = await queryCount('select count(*) as n from playlist_items', env);
    expect(typed.code, typed.stderr).toBe(0);
    expect(typed.n).toBeGreaterThan(0);
  });
});
