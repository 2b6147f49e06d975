// The three handlers in-process against moto_server (S3, Glue, Athena, Secrets Manager) and the Spotify
// emulator over real HTTP, chained the way AWS chains them: a schedule event, the S3 notification of
// the manifest, the transform's on-success destination record. The default Powertools logger and
// metrics are used and their stdout/stderr lines captured, so the EMF and the redaction are the real ones.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AthenaClient,
  CreateWorkGroupCommand,
  GetQueryExecutionCommand,
  ListQueryExecutionsCommand,
} from '@aws-sdk/client-athena';
import { CreateCrawlerCommand, GetCrawlerCommand, type GlueClient } from '@aws-sdk/client-glue';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  listBucketKeys,
  type Moto,
  motoAthenaClient,
  motoClientConfig,
  motoGlueClient,
  motoS3Client,
  startMoto,
} from '../../test/support/moto.js';
import { crawl, RAW_TARGET } from '../catalog/crawler.js';
import { parquetTableInput } from '../catalog/table-input.js';
import { loadConfig } from '../config.js';
import { Emulator } from '../emulator/server.js';
import { worldSummary } from '../emulator/world.js';
import { readManifest } from '../extract/manifest.js';
import { commitState, loadState } from '../extract/state.js';
import { insightTableName } from '../insights/insights.js';
import { silentLogger } from '../log.js';
import { createCatalog, createObjectStore } from '../runtime.js';
import { createCatalogHandler } from './catalog.js';
import { createExtractHandler, scheduledRunId } from './extract.js';
import { manifestCreatedEvent } from './harness.js';
import type { HandlerDeps } from './runtime.js';
import { loadSpotifyCredentials } from './secrets.js';
import { createTransformHandler } from './transform.js';

const BUCKET = 'tunelake-lambda';
const LAKE = `s3://${BUCKET}/lake`;
const CLIENT_SECRET = 'handler-test-client-secret-5f2a9c';
const SCHEDULED = '2026-11-25T06:00:00Z';

/** Runs fn with stdout and stderr captured (Powertools writes through Console objects on them). */
async function captured<T>(fn: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const out: string[] = [];
  const original = { stdout: process.stdout.write, stderr: process.stderr.write };
  const capture = (chunk: unknown, ...rest: unknown[]) => {
    out.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString());
    const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  try {
    const result = await fn();
    return { result, lines: out.join('').split('\n').filter(Boolean) };
  } finally {
    process.stdout.write = original.stdout;
    process.stderr.write = original.stderr;
  }
}

/** The EMF metric values in the captured lines, summed by name. */
function emf(lines: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of lines) {
    if (!line.includes('"_aws"')) continue;
    const blob = JSON.parse(line) as {
      _aws: { CloudWatchMetrics: Array<{ Namespace: string; Metrics: Array<{ Name: string }> }> };
    } & Record<string, unknown>;
    for (const set of blob._aws.CloudWatchMetrics) {
      expect(set.Namespace).toBe('Tunelake');
      for (const m of set.Metrics) out[m.Name] = (out[m.Name] ?? 0) + Number(blob[m.Name]);
    }
    expect(blob.service).toBe('tunelake');
  }
  return out;
}

describe('the Lambda handlers (extract, transform, catalog) on moto_server', () => {
  let moto: Moto;
  let s3: S3Client;
  let glue: GlueClient;
  let athena: AthenaClient;
  let secrets: SecretsManagerClient;
  let emu: Emulator;
  let env: Record<string, string>;
  let deps: HandlerDeps;
  let refreshToken: string;
  let emptySecretArn: string;

  beforeAll(async () => {
    moto = await startMoto();
    s3 = await motoS3Client(moto.endpoint, [BUCKET]);
    glue = motoGlueClient(moto.endpoint);
    athena = motoAthenaClient(moto.endpoint);
    secrets = new SecretsManagerClient(motoClientConfig(moto.endpoint));
    emu = await Emulator.create({ port: 0, tier: 'development', seed: 8, clientSecret: CLIENT_SECRET });
    refreshToken = emu.issueRefreshToken();

    await athena.send(
      new CreateWorkGroupCommand({
        Name: 'tunelake',
        Configuration: { ResultConfiguration: { OutputLocation: `s3://${BUCKET}/athena-results/` } },
      }),
    );
    await glue.send(
      new CreateCrawlerCommand({
        Name: 'tunelake-raw-crawler',
        Role: 'arn:aws:iam::123456789012:role/tunelake-crawler',
        DatabaseName: 'tunelake_raw',
        Targets: { S3Targets: [{ Path: `${LAKE}/raw/` }] },
      }),
    );
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
    const empty = await secrets.send(new CreateSecretCommand({ Name: 'tunelake/empty', SecretString: '{}' }));
    emptySecretArn = empty.ARN!;

    const summary = worldSummary(emu.world);
    const dir = mkdtempSync(join(tmpdir(), 'tunelake-lambda-'));
    const configFile = join(dir, 'tunelake.config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        sources: {
          playlists: summary.playlists.owned.slice(0, 3).map((p) => p.id),
          artists: summary.artists.slice(0, 2).map((a) => a.id),
          me: { recentlyPlayed: true, topItems: true },
        },
      }),
    );
    env = {
      TUNELAKE_CONFIG: configFile,
      TUNELAKE_CREDENTIALS: join(dir, 'no-credentials.json'),
      TUNELAKE_LAKE: LAKE,
      TUNELAKE_S3_ENDPOINT: moto.endpoint,
      TUNELAKE_CATALOG: 'glue',
      TUNELAKE_ENGINE: 'athena',
      TUNELAKE_ATHENA_WORKGROUP: 'tunelake',
      TUNELAKE_ATHENA_OUTPUT: `s3://${BUCKET}/athena-results/`,
      TUNELAKE_ATHENA_DATABASE: 'tunelake',
      TUNELAKE_GLUE_CRAWLER: 'tunelake-raw-crawler',
      TUNELAKE_SPOTIFY_SECRET_ID: secret.ARN!,
      TUNELAKE_TEMP_DIR: dir,
      SPOTIFY_ACCESS_TIER: 'development',
      SPOTIFY_ACCOUNTS_URL: emu.url,
      SPOTIFY_API_URL: emu.apiUrl,
      TUNELAKE_RATE_LIMIT: '1500',
      TUNELAKE_CONCURRENCY: '8',
    };
    deps = { env, s3Client: s3, glueClient: glue, athenaClient: athena, secretsClient: secrets };
  });

  afterAll(async () => {
    await emu?.close();
    for (const client of [s3, glue, athena, secrets]) client?.destroy();
    await moto?.stop();
  });

  test('extract(schedule event) lands the raw zone with the credentials from the secret; a retry of the same scheduled time lands nothing', async () => {
    const event = { source: 'tunelake.schedule', scheduledTime: SCHEDULED };
    const { result, lines } = await captured(() => createExtractHandler(deps)(event));
    expect(result).toMatchObject({
      ok: true,
      status: 'committed',
      runId: scheduledRunId(new Date(SCHEDULED)),
    });
    const first = result as { runId: string; records: Record<string, number> };
    expect(first.runId).toMatch(/^20261125T060000Z-[0-9a-z]{6}$/);
    expect(first.records.playlist_items).toBeGreaterThan(0);
    const keys = await listBucketKeys(s3, BUCKET);
    expect(keys).toContain(`lake/runs/${first.runId}.json`);
    expect(keys.some((k) => k.startsWith('lake/raw/playlist_items/'))).toBe(true);
    expect(keys).not.toContain('lake/state/lock.json');

    const metrics = emf(lines);
    expect(metrics.RecordsLanded).toBe(Object.values(first.records).reduce((a, b) => a + b, 0));
    expect(metrics.ExtractRequests).toBeGreaterThan(0);
    expect(metrics).toHaveProperty('RunDurationMs');
    // Structured JSON logs, and no secret value anywhere (client secret, refresh token).
    expect(lines.some((l) => l.includes('"level":"INFO"') && l.includes('committed'))).toBe(true);
    for (const line of lines) {
      expect(line).not.toContain(CLIENT_SECRET);
      expect(line).not.toContain(refreshToken);
    }

    const retry = await captured(() => createExtractHandler(deps)(event));
    expect(retry.result).toMatchObject({ ok: true, status: 'already-committed', runId: first.runId });
    expect(await listBucketKeys(s3, BUCKET)).toEqual(keys);
  });

  test('transform(S3 ObjectCreated of the manifest) writes the Parquet tables; a notification for another key does nothing', async () => {
    const runId = scheduledRunId(new Date(SCHEDULED));
    const config = loadConfig({}, env);
    const event = manifestCreatedEvent(config, runId, new Date());
    expect(event.Records[0]?.s3.object.key).toBe(`lake/runs/${runId}.json`);
    const { result, lines } = await captured(() => createTransformHandler(deps)(event));
    expect(result).toMatchObject({ ok: true, status: 'transformed', manifests: [runId], runs: [runId] });
    const keys = await listBucketKeys(s3, BUCKET);
    expect(
      keys.some((k) => /^lake\/tables\/playlist_items\/snapshot_date=[\d-]+\/.+\.parquet$/.test(k)),
    ).toBe(true);
    expect(keys.some((k) => /^lake\/tables\/tracks\/.+\.parquet$/.test(k))).toBe(true);
    expect(emf(lines).RowsWritten).toBeGreaterThan(0);

    const other = {
      Records: [
        { eventSource: 'aws:s3', s3: { bucket: { name: BUCKET }, object: { key: 'lake/raw/x.json' } } },
      ],
    };
    expect((await captured(() => createTransformHandler(deps)(other))).result).toMatchObject({
      ok: true,
      status: 'ignored',
    });
    // A duplicate notification (S3 delivers at least once) finds the tables up to date.
    expect((await captured(() => createTransformHandler(deps)(event))).result).toMatchObject({
      ok: true,
      status: 'up-to-date',
      runs: [],
    });
  });

  test('catalog(on-success destination) registers tables and partitions in Glue, starts the crawler, and refreshes the insights with CTAS on Athena', async () => {
    const runId = scheduledRunId(new Date(SCHEDULED));
    const config = loadConfig({}, env);
    const destination = {
      version: '1.0',
      requestContext: { condition: 'Success', approximateInvokeCount: 1 },
      requestPayload: manifestCreatedEvent(config, runId, new Date()),
      responseContext: { statusCode: 200 },
      responsePayload: { ok: true, status: 'transformed', manifests: [runId], runs: [runId] },
    };
    const { result, lines } = await captured(() => createCatalogHandler(deps)(destination));
    expect(result).toMatchObject({ ok: true, status: 'registered', crawler: 'started' });
    const info = result as {
      tablesCreated: number;
      partitionsCreated: number;
      schemaChanges: string[];
      insights: Array<{ name: string; status: string }>;
    };
    expect(info.tablesCreated).toBeGreaterThan(5);
    expect(info.partitionsCreated).toBeGreaterThan(0);
    // The crawler crawls the raw zone: started because no raw table exists yet, not because the typed
    // tables (registered directly) were created.
    expect(info.schemaChanges).toContain(
      'raw dataset playlist_items has no table in tunelake_raw for this lake',
    );
    expect(
      (await glue.send(new GetCrawlerCommand({ Name: 'tunelake-raw-crawler' }))).Crawler?.State,
    ).not.toBe('READY');

    const store = createObjectStore(config, { s3Client: s3 });
    const catalog = createCatalog(config, { store, glueClient: glue, logger: silentLogger });
    const items = await catalog.getTable('tunelake', 'playlist_items');
    expect(items?.StorageDescriptor.Location).toBe(`${LAKE}/tables/playlist_items/`);
    const partitions = await catalog.getPartitions('tunelake', 'playlist_items');
    expect(partitions.length).toBeGreaterThan(0);
    expect(partitions[0]?.StorageDescriptor.Location).toMatch(
      /^s3:\/\/tunelake-lambda\/lake\/tables\/playlist_items\/snapshot_date=\d{4}-\d{2}-\d{2}\/$/,
    );

    // Every written insight: one CTAS into a fresh versioned location, polled to SUCCEEDED, and its
    // table pointed at that location.
    const written = info.insights.filter((i) => i.status === 'written');
    expect(written.map((i) => i.name)).toContain('playlist_movers');
    const executions = await athenaExecutions(athena);
    for (const { name } of written) {
      const ctas = executions.find((e) => e.query.startsWith(`CREATE TABLE "tunelake"."insight_${name}_`));
      expect(ctas, name).toBeDefined();
      expect(ctas?.state).toBe('SUCCEEDED');
      expect(ctas?.workGroup).toBe('tunelake');
      const location = /external_location = '([^']+)'/.exec(ctas!.query)?.[1];
      expect(location).toMatch(new RegExp(`^${LAKE}/insights/${name}/v=[0-9a-z_-]+/$`));
      const table = await catalog.getTable('tunelake', insightTableName(name));
      expect(table?.StorageDescriptor.Location).toBe(location);
      expect(table?.StorageDescriptor.InputFormat).toContain('Parquet');
    }
    // The temporary CTAS names are gone from the catalog.
    const names = (await catalog.listTables('tunelake')).map((t) => t.Name);
    expect(names.filter((n) => /^insight_.+_\d{8}t\d{6}z_/.test(n))).toEqual([]);
    expect(emf(lines).PipelineSucceeded).toBe(1);
  });

  test('the next day: raw partitions are added to the tables the crawler made, no crawl without a schema change, and each insight is re-pointed at a new version with the old objects deleted', async () => {
    const config = loadConfig({}, env);
    const store = createObjectStore(config, { s3Client: s3 });
    const catalog = createCatalog(config, { store, glueClient: glue, logger: silentLogger });
    // moto's crawler never runs: make the raw tables the way the Glue crawler would.
    await crawl(store, catalog, RAW_TARGET);
    const before = await catalog.getTable('tunelake', 'insight_playlist_movers');
    const oldKey = `${before!.StorageDescriptor.Location.replace(`s3://${BUCKET}/`, '')}part-0.parquet`;
    const duckdbKey = 'lake/insights/playlist_movers/part-00000.parquet';
    for (const key of [oldKey, duckdbKey]) {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'PAR1' }));
    }

    // What a refresh that crashed between its CTAS and the re-pointing leaves: a temporary table.
    const leftover = 'insight_playlist_movers_20261101t000000z_abc123';
    await catalog.createTable(
      'tunelake',
      parquetTableInput({ name: leftover, location: `${LAKE}/insights/playlist_movers/v=x/`, columns: [] }),
    );

    emu.advanceDay();
    const extracted = await captured(() =>
      createExtractHandler(deps)({ scheduledTime: '2026-11-26T06:00:00Z' }),
    );
    const runId = (extracted.result as { runId: string }).runId;
    expect(extracted.result).toMatchObject({ ok: true, status: 'committed' });
    const transformed = await captured(() =>
      createTransformHandler(deps)(manifestCreatedEvent(config, runId, new Date())),
    );
    expect(transformed.result).toMatchObject({ ok: true, status: 'transformed', runs: [runId] });
    const { result } = await captured(() =>
      createCatalogHandler(deps)({ responsePayload: transformed.result, requestContext: {} }),
    );
    expect(result).toMatchObject({
      ok: true,
      status: 'registered',
      schemaChanges: [],
      crawler: 'not-needed',
    });
    expect((result as { rawPartitionsCreated: number }).rawPartitionsCreated).toBeGreaterThan(0);
    const manifest = await readManifest(store, runId);
    const dataset = manifest.objects[0]!.dataset;
    const raw = (await catalog.getPartitions('tunelake_raw', dataset)).filter((p) => p.Values[1] === runId);
    expect(raw.map((p) => p.Values)).toEqual([[manifest.dt, runId]]);
    expect(raw[0]?.StorageDescriptor.Location).toBe(`${LAKE}/raw/${dataset}/dt=${manifest.dt}/run=${runId}/`);

    const after = await catalog.getTable('tunelake', 'insight_playlist_movers');
    expect(after?.StorageDescriptor.Location).not.toBe(before?.StorageDescriptor.Location);
    const keys = await listBucketKeys(s3, BUCKET);
    expect(keys).not.toContain(oldKey);
    expect(keys).not.toContain(duckdbKey);
    expect(await catalog.getTable('tunelake', leftover)).toBeUndefined();
  });

  test('extract with an empty secret returns a terminal AUTH error naming the secret and the fix', async () => {
    const { result, lines } = await captured(() =>
      createExtractHandler({ ...deps, env: { ...env, TUNELAKE_SPOTIFY_SECRET_ID: emptySecretArn } })({
        scheduledTime: '2026-11-28T06:00:00Z',
      }),
    );
    expect(result).toMatchObject({ ok: false, error: { code: 'AUTH_INVALID_CLIENT', retryable: false } });
    const message = (result as { error: { message: string } }).error.message;
    expect(message).toContain(emptySecretArn);
    expect(message).toContain('aws secretsmanager put-secret-value');
    expect(lines.some((l) => l.includes('"level":"ERROR"') && l.includes('AUTH_INVALID_CLIENT'))).toBe(true);
  });

  test('loadSpotifyCredentials(secretId): a secret without a value, a missing secret, a secret that is not JSON', async () => {
    const noValue = await secrets.send(new CreateSecretCommand({ Name: 'tunelake/no-value' }));
    await expect(loadSpotifyCredentials(noValue.ARN!, { secretsClient: secrets })).rejects.toMatchObject({
      code: 'AUTH_INVALID_CLIENT',
      message: expect.stringContaining('aws secretsmanager put-secret-value'),
    });
    await expect(
      loadSpotifyCredentials('tunelake/missing', { secretsClient: secrets }),
    ).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('tunelake/missing'),
    });
    await secrets.send(new CreateSecretCommand({ Name: 'tunelake/text', SecretString: 'client=x' }));
    await expect(loadSpotifyCredentials('tunelake/text', { secretsClient: secrets })).rejects.toMatchObject({
      code: 'AUTH_INVALID_CLIENT',
      retryable: false,
    });
    expect(await loadSpotifyCredentials('tunelake/spotify', { secretsClient: secrets })).toEqual({
      clientId: 'tunelake-demo',
      clientSecret: CLIENT_SECRET,
      refreshToken,
    });
  });

  test('extract before the "not before" time of a long Retry-After returns a terminal SPOTIFY_RATE_LIMITED (no Lambda retry into the ban)', async () => {
    const store = createObjectStore(loadConfig({}, env), { s3Client: s3 });
    const { state, etag } = await loadState(store);
    const until = new Date(Date.now() + 5 * 3_600_000).toISOString();
    const etagWith = await commitState(
      store,
      { ...state, notBefore: { until, code: 'SPOTIFY_RATE_LIMITED', route: 'GET /v1/search', runId: 'r0' } },
      etag,
    );
    try {
      const { result } = await captured(() =>
        createExtractHandler(deps)({ scheduledTime: '2026-11-29T06:00:00Z' }),
      );
      expect(result).toMatchObject({ ok: false, error: { code: 'SPOTIFY_RATE_LIMITED', retryable: false } });
      expect((result as { error: { message: string } }).error.message).toContain(until);
    } finally {
      await commitState(store, state, etagWith);
    }
  });

  test('a retryable failure is thrown (for Lambda to retry), not returned', async () => {
    // The lake's run lock held by another live run: RUN_IN_PROGRESS is retryable.
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'lake/state/lock.json',
        Body: JSON.stringify({
          runId: 'other',
          host: 'elsewhere',
          pid: 1,
          acquiredAt: new Date().toISOString(),
          expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
        }),
      }),
    );
    try {
      await expect(
        captured(() => createExtractHandler(deps)({ scheduledTime: '2026-11-27T06:00:00Z' })),
      ).rejects.toMatchObject({ code: 'RUN_IN_PROGRESS', retryable: true });
    } finally {
      const store = createObjectStore(loadConfig({}, env), { s3Client: s3 });
      await store.delete('state/lock.json');
    }
  });

  // Last: it rotates the secret's refresh token, which the tests above compare with.
  test('extract writes a refresh token Spotify rotates back into the secret, keeping its other keys; the next invocation refreshes with it (#14)', async () => {
    emu.setFaults({ rotateRefreshTokens: true });
    const secretId = env.TUNELAKE_SPOTIFY_SECRET_ID!;
    try {
      const first = await captured(() =>
        createExtractHandler({ ...deps, forceFetchSecret: true })({ scheduledTime: '2026-12-01T06:00:00Z' }),
      );
      expect(first.result).toMatchObject({ ok: true, status: 'committed', errors: [] });
      const stored = JSON.parse(
        (await secrets.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString!,
      ) as Record<string, string>;
      expect(stored.client_id).toBe('tunelake-demo');
      expect(stored.client_secret).toBe(CLIENT_SECRET);
      expect(stored.refresh_token).toMatch(/^AQ/);
      expect(stored.refresh_token).not.toBe(refreshToken);
      // Never in the logs: neither the old token nor the new one.
      for (const line of first.lines) {
        expect(line).not.toContain(refreshToken);
        expect(line).not.toContain(stored.refresh_token);
      }

      // The old token is dead (the emulator rotated it away); the next run reads the new one and lands
      // the user's sources again, rotating once more.
      const second = await captured(() =>
        createExtractHandler(deps)({ scheduledTime: '2026-12-02T06:00:00Z' }),
      );
      expect(second.result).toMatchObject({ ok: true, status: 'committed', errors: [] });
      const again = JSON.parse(
        (await secrets.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString!,
      ) as Record<string, string>;
      expect(again.refresh_token).not.toBe(stored.refresh_token);
    } finally {
      emu.setFaults({ rotateRefreshTokens: false });
    }
  });
});

async function athenaExecutions(client: AthenaClient) {
  const { QueryExecutionIds = [] } = await client.send(new ListQueryExecutionsCommand({}));
  const out: Array<{ query: string; state: string | undefined; workGroup: string | undefined }> = [];
  for (const id of QueryExecutionIds) {
    const { QueryExecution } = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
    out.push({
      query: QueryExecution?.Query ?? '',
      state: QueryExecution?.Status?.State,
      workGroup: QueryExecution?.WorkGroup,
    });
  }
  return out;
}
