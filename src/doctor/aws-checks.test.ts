// The doctor's AWS-deployment checks against moto_server: the stack, the schedule, the secret and the
// crawler are created with the SDK (moto runs no CDK), and the lines doctor prints are asserted.
import { CloudFormationClient, CreateStackCommand, DeleteStackCommand } from '@aws-sdk/client-cloudformation';
import { CreateCrawlerCommand, DeleteCrawlerCommand, GlueClient } from '@aws-sdk/client-glue';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Moto, motoClientConfig, motoS3Client, startMoto } from '../../test/support/moto.js';
import { loadConfig } from '../config.js';
import { writeManifest } from '../extract/manifest.js';
import { emptyState } from '../extract/state.js';
import { createObjectStore } from '../runtime.js';
import type { ObjectStore } from '../storage/store.js';
import { awsChecks } from './aws-checks.js';
import { createAwsDeployment, STACK_OUTPUTS } from './aws-deployment.js';
import type { DoctorCheck } from './check.js';
import { formatReport } from './doctor.js';

const BUCKET = 'tunelake-doctor-aws';
const LAKE = `s3://${BUCKET}/lake`;
const NOW = new Date('2026-11-25T12:00:00Z');
const ROLE = 'arn:aws:iam::123456789012:role/tunelake-scheduler';
const FUNCTION = 'arn:aws:lambda:us-east-1:123456789012:function:tunelake-extract';

let moto: Moto;
let s3: S3Client;
let store: ObjectStore;
let cfn: CloudFormationClient;
let scheduler: SchedulerClient;
let secrets: SecretsManagerClient;
let glue: GlueClient;
let secretArn: string;

beforeAll(async () => {
  moto = await startMoto();
  const config = motoClientConfig(moto.endpoint);
  s3 = await motoS3Client(moto.endpoint, [BUCKET]);
  store = createObjectStore(
    { lake: LAKE, s3Endpoint: moto.endpoint, awsRegion: 'us-east-1' },
    { s3Client: s3 },
  );
  cfn = new CloudFormationClient(config);
  scheduler = new SchedulerClient(config);
  secrets = new SecretsManagerClient(config);
  glue = new GlueClient(config);
});

afterAll(async () => {
  for (const client of [s3, cfn, scheduler, secrets, glue]) client?.destroy();
  await moto?.stop();
});

function configFor(env: Record<string, string> = {}) {
  return loadConfig(
    { readStoredCredentials: false, configFile: undefined },
    { TUNELAKE_LAKE: LAKE, TUNELAKE_CATALOG: 'glue', TUNELAKE_CONFIG: '', ...env },
  );
}

async function check(env: Record<string, string> = {}): Promise<DoctorCheck[]> {
  return awsChecks({
    config: configFor(env),
    store,
    now: () => NOW,
    openDeployment: () =>
      createAwsDeployment({ region: 'us-east-1', clientConfig: motoClientConfig(moto.endpoint) }),
  });
}

const line = (checks: DoctorCheck[], id: string) => {
  const found = checks.find((c) => c.id === id);
  if (!found) throw new Error(`no ${id} in ${checks.map((c) => c.id).join(', ')}`);
  return found;
};

/** A stack whose outputs name the resources, the way infra/tunelake-stack.ts does. */
async function deployStack(name: string, outputs: Record<string, string>): Promise<void> {
  const template = {
    Resources: { Marker: { Type: 'AWS::SQS::Queue', Properties: { QueueName: `${name}-marker` } } },
    Outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { Value: v }])),
  };
  await cfn.send(new CreateStackCommand({ StackName: name, TemplateBody: JSON.stringify(template) }));
}

describe('awsChecks(input): not deployed or not configured', () => {
  beforeEach(async () => {
    await moto.reset();
    await s3.send(createBucket());
  });

  it('skips with one line on a local lake and catalog', async () => {
    const checks = await awsChecks({
      config: loadConfig({ readStoredCredentials: false }, { TUNELAKE_LAKE: './lake', TUNELAKE_CONFIG: '' }),
      store,
      now: () => NOW,
      openDeployment: () => {
        throw new Error('must not be built');
      },
    });
    expect(checks).toEqual([expect.objectContaining({ id: 'aws.deployment', status: 'skip' })]);
    expect(checks[0]!.summary).toContain('not configured');
  });

  it('warns that the stack is not deployed, naming `tunelake deploy`', async () => {
    const checks = await check();
    expect(line(checks, 'aws.stack')).toMatchObject({ status: 'warn' });
    expect(line(checks, 'aws.stack').summary).toBe('the stack Tunelake is not deployed in us-east-1');
    expect(line(checks, 'aws.stack').fix).toContain('`tunelake deploy`');
    expect(checks).toHaveLength(1);
  });

  it('fails when TUNELAKE_STACK names a stack that does not exist', async () => {
    const checks = await check({ TUNELAKE_STACK: 'MyLake' });
    expect(line(checks, 'aws.stack')).toMatchObject({ status: 'fail', code: 'CONFIG_INVALID' });
    expect(line(checks, 'aws.stack').summary).toContain('MyLake is not deployed');
  });
});

describe('awsChecks(input): a deployed stack', () => {
  beforeAll(async () => {
    await moto.reset();
    await s3.send(createBucket());
    const created = await secrets.send(
      new CreateSecretCommand({ Name: 'tunelake-spotify', SecretString: '{}' }),
    );
    secretArn = created.ARN!;
    await scheduler.send(
      new CreateScheduleCommand({
        Name: 'tunelake-extract',
        ScheduleExpression: 'rate(1 day)',
        ScheduleExpressionTimezone: 'Etc/UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
        Target: { Arn: FUNCTION, RoleArn: ROLE },
      }),
    );
    await glue.send(
      new CreateCrawlerCommand({
        Name: 'tunelake-raw-crawler',
        Role: ROLE,
        DatabaseName: 'tunelake_raw',
        Targets: { S3Targets: [{ Path: `${LAKE}/raw/` }] },
      }),
    );
    await deployStack('Tunelake', {
      [STACK_OUTPUTS.lake]: LAKE,
      [STACK_OUTPUTS.secret]: secretArn,
      [STACK_OUTPUTS.schedule]: 'tunelake-extract',
      [STACK_OUTPUTS.crawler]: 'tunelake-raw-crawler',
      [STACK_OUTPUTS.extract]: 'tunelake-extract',
    });
  });

  it('reports the stack, the enabled schedule and the crawler that has not run', async () => {
    const checks = await check();
    expect(line(checks, 'aws.stack')).toMatchObject({
      status: 'ok',
      summary: 'the stack Tunelake is deployed (us-east-1)',
    });
    expect(line(checks, 'aws.stack').evidence).toContain('CREATE_COMPLETE');
    expect(line(checks, 'aws.schedule')).toMatchObject({
      status: 'ok',
      summary: 'the schedule is enabled (rate(1 day))',
    });
    expect(line(checks, 'aws.crawler').status).toBe('ok');
    expect(line(checks, 'aws.crawler').summary).toContain('has not run yet');
  });

  it('fails on the empty secret {} with the put-secret-value command, then passes once it is set', async () => {
    const empty = line(await check(), 'aws.secret');
    expect(empty).toMatchObject({ status: 'fail', code: 'AUTH_INVALID_CLIENT' });
    expect(empty.summary).toContain('lacks client_id and client_secret');
    expect(empty.evidence).toContain('holds {} (not set yet)');
    expect(empty.fix).toContain(`aws secretsmanager put-secret-value --secret-id ${secretArn}`);

    await secrets.send(
      new PutSecretValueCommand({
        SecretId: secretArn,
        SecretString: JSON.stringify({ client_id: 'id-123', client_secret: 'very-secret-value' }),
      }),
    );
    const partial = line(await check(), 'aws.secret');
    expect(partial.status).toBe('warn');
    expect(partial.summary).toContain('no refresh_token');

    await secrets.send(
      new PutSecretValueCommand({
        SecretId: secretArn,
        SecretString: JSON.stringify({
          client_id: 'id-123',
          client_secret: 'very-secret-value',
          refresh_token: 'refresh-value',
        }),
      }),
    );
    const checks = await check();
    const set = line(checks, 'aws.secret');
    expect(set.status).toBe('ok');
    expect(set.evidence).toContain('keys client_id, client_secret, refresh_token set (values not shown)');
    // Never a value, in any line or in the printed report.
    const printed = formatReport({ ok: true, checks }, { tty: false }) + JSON.stringify(checks);
    for (const value of ['id-123', 'very-secret-value', 'refresh-value'])
      expect(printed).not.toContain(value);
  });

  it('fails when the schedule is disabled', async () => {
    await scheduler.send(
      new UpdateScheduleCommand({
        Name: 'tunelake-extract',
        ScheduleExpression: 'rate(1 day)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'DISABLED',
        Target: { Arn: FUNCTION, RoleArn: ROLE },
      }),
    );
    const disabled = line(await check(), 'aws.schedule');
    expect(disabled).toMatchObject({ status: 'fail', code: 'CONFIG_INVALID' });
    expect(disabled.summary).toBe('the schedule tunelake-extract is disabled: no run will start');
    await scheduler.send(new DeleteScheduleCommand({ Name: 'tunelake-extract' }));
    expect(line(await check(), 'aws.schedule').summary).toContain('does not exist');
  });

  it('reports the last committed run of the stack lake: none, recent, stale', async () => {
    const none = line(await check(), 'aws.last-run');
    expect(none.status).toBe('warn');
    expect(none.fix).toContain('aws lambda invoke --function-name tunelake-extract');

    await writeManifest(store, manifest('20261125T060000Z-abc123', '2026-11-25T06:05:00Z'));
    const recent = line(await check(), 'aws.last-run');
    expect(recent).toMatchObject({ status: 'ok', summary: 'the last run committed 5.9 h ago' });

    const stale = await awsChecks({
      config: configFor(),
      store,
      now: () => new Date('2026-11-27T12:00:00Z'),
      openDeployment: () =>
        createAwsDeployment({ region: 'us-east-1', clientConfig: motoClientConfig(moto.endpoint) }),
    });
    expect(line(stale, 'aws.last-run').status).toBe('warn');
    expect(line(stale, 'aws.last-run').summary).toContain('54 h old');
  });

  it("skips the last run when the configured lake is not the stack's", async () => {
    const other = line(await check({ TUNELAKE_LAKE: `s3://${BUCKET}/elsewhere` }), 'aws.last-run');
    expect(other.status).toBe('skip');
    expect(other.fix).toBe(`set TUNELAKE_LAKE=${LAKE} to check the deployed lake`);
  });

  it('warns when the crawler is gone', async () => {
    await glue.send(new DeleteCrawlerCommand({ Name: 'tunelake-raw-crawler' }));
    const crawler = line(await check(), 'aws.crawler');
    expect(crawler.status).toBe('warn');
    expect(crawler.summary).toContain('does not exist');
  });

  it('reports a deleted secret, then a deleted stack', async () => {
    await secrets.send(new DeleteSecretCommand({ SecretId: secretArn, ForceDeleteWithoutRecovery: true }));
    expect(line(await check(), 'aws.secret').summary).toContain('does not exist');
    await cfn.send(new DeleteStackCommand({ StackName: 'Tunelake' }));
    expect(line(await check(), 'aws.stack').status).toBe('warn');
  });
});

/** Recreated after each moto reset: the lake's store reads manifests there. */
function createBucket() {
  return new CreateBucketCommand({ Bucket: BUCKET });
}

function manifest(runId: string, finishedAt: string) {
  return {
    runId,
    status: 'committed' as const,
    dt: finishedAt.slice(0, 10),
    startedAt: finishedAt,
    finishedAt,
    tier: 'development',
    sources: { playlists: 0, artists: 0, search: 0, me: [] },
    records: {},
    requests: 0,
    retries: 0,
    skipped: [],
    errors: [],
    objects: [],
    stateAfter: emptyState(),
  };
}
