// The CDK stack, tested without deploying: one synth (with the real esbuild bundling) for the whole
// file, then assertions on the template, cfn-lint on it, and the bundled handlers run from the asset
// folders, as Lambda would load them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emulator } from '../src/emulator/server.js';
import { INSIGHTS, insightSql } from '../src/insights/insights.js';
import { silentLogger } from '../src/log.js';
import { functionConfigJson } from './function-config.js';
import { resolveStackSettings } from './stack-settings.js';
import {
  BYTES_SCANNED_CUTOFF,
  CRAWLER_FAILED_RULE_NAME,
  CRAWLER_NAME,
  CRAWLER_SECURITY_CONFIGURATION_NAME,
  FUNCTION_NAMES,
  OUTPUT_KEYS,
  runtimeSqlFiles,
  SCHEDULE_NAME,
  TunelakeStack,
} from './tunelake-stack.js';

const projectRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));

// biome-ignore lint/suspicious/noExplicitAny: a synthesized template is untyped JSON, read by path.
type Json = Record<string, any>;
let work: string;
let outdir: string;
let template: Template;
let json: Json;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tunelake-infra-'));
  outdir = join(work, 'cdk.out');
  // A local config file: its lake and endpoint must not reach the functions.
  const sources = join(work, 'tunelake.config.json');
  writeFileSync(
    sources,
    JSON.stringify({
      lake: './lake',
      s3Endpoint: 'http://127.0.0.1:9000',
      spotify: { market: 'SE', tier: 'extended' },
      sources: { playlists: ['3cEYpjA9oz9GiPac4AsH4n'] },
    }),
  );
  const app = new App({ outdir });
  const settings = resolveStackSettings({
    schedule: 'cron(0 6 * * ? *)',
    alarmEmail: 'ops@example.com',
    sourcesFile: sources,
  });
  const stack = new TunelakeStack(app, 'Tunelake', { settings, projectRoot });
  template = Template.fromStack(stack);
  json = template.toJSON();
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function resourcesOf(type: string): Array<[string, Json]> {
  return Object.entries(json.Resources as Record<string, Json>).filter(([, r]) => r.Type === type);
}

function functionNamed(name: string): [string, Json] {
  const found = resourcesOf('AWS::Lambda::Function').find(([, r]) => r.Properties.FunctionName === name);
  if (!found) throw new Error(`no function ${name}`);
  return found;
}

function assetDir(functionName: string): string {
  const [, fn] = functionNamed(functionName);
  return join(outdir, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
}

describe('TunelakeStack: the lake bucket', () => {
  it('blocks public access, encrypts, versions, and is retained on delete', () => {
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    });
  });

  it('moves raw to Infrequent Access, expires Athena results and old versions', () => {
    const [[, bucket]] = resourcesOf('AWS::S3::Bucket') as [[string, Json]];
    const rules = bucket.Properties.LifecycleConfiguration.Rules as Json[];
    const rule = (id: string) => rules.find((r) => r.Id === id);
    expect(rule('raw-to-infrequent-access')).toMatchObject({
      Prefix: 'lake/raw/',
      Status: 'Enabled',
      Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
    });
    expect(rule('athena-results-expire')).toMatchObject({ Prefix: 'athena-results/', ExpirationInDays: 7 });
    expect(rule('noncurrent-versions-expire')).toMatchObject({
      NoncurrentVersionExpiration: { NoncurrentDays: 30 },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
    });
  });

  it('denies every request that does not use TLS', () => {
    const [[, policy]] = resourcesOf('AWS::S3::BucketPolicy') as [[string, Json]];
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Principal: { AWS: '*' },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  it('starts the transform for run manifests only: ObjectCreated on lake/runs/*.json', () => {
    const [transformId] = functionNamed(FUNCTION_NAMES.transform);
    const [[bucketId, bucket]] = resourcesOf('AWS::S3::Bucket') as [[string, Json]];
    expect(bucket.Properties.NotificationConfiguration.LambdaConfigurations).toEqual([
      {
        Event: 's3:ObjectCreated:*',
        Function: { 'Fn::GetAtt': [transformId, 'Arn'] },
        Filter: {
          S3Key: {
            Rules: [
              { Name: 'prefix', Value: 'lake/runs/' },
              { Name: 'suffix', Value: '.json' },
            ],
          },
        },
      },
    ]);
    const [[permissionId, permission]] = resourcesOf('AWS::Lambda::Permission').filter(
      ([, p]) => p.Properties.Principal === 's3.amazonaws.com',
    ) as [[string, Json]];
    expect(permission.Properties.FunctionName).toEqual({ 'Fn::GetAtt': [transformId, 'Arn'] });
    // S3 validates the destination when the notification is set: the permission must exist first.
    expect(json.Resources[bucketId].DependsOn).toContain(permissionId);
    // No custom resource (BucketNotificationsHandler) in the stack.
    expect(
      Object.values(json.Resources as Record<string, Json>).filter((r) => r.Type.startsWith('Custom::')),
    ).toEqual([]);
  });
});

describe('TunelakeStack: the functions', () => {
  const sizes = {
    [FUNCTION_NAMES.extract]: { MemorySize: 512, reserved: 1, storage: undefined },
    [FUNCTION_NAMES.transform]: { MemorySize: 3008, reserved: 1, storage: 4096 },
    [FUNCTION_NAMES.catalog]: { MemorySize: 1024, reserved: undefined, storage: undefined },
  };
  for (const [name, size] of Object.entries(sizes)) {
    it(`${name}: nodejs22.x on x86_64, ${size.MemorySize} MB, 15 minutes, reserved concurrency ${size.reserved ?? 'none'}`, () => {
      const [, fn] = functionNamed(name);
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['x86_64'],
        Handler: 'index.handler',
        MemorySize: size.MemorySize,
        Timeout: 900,
      });
      expect(fn.Properties.ReservedConcurrentExecutions).toBe(size.reserved);
      expect(fn.Properties.EphemeralStorage?.Size).toBe(size.storage);
    });
  }

  it('sets the environment of the contract on every function, and nothing secret', () => {
    const [secretId] = resourcesOf('AWS::SecretsManager::Secret')[0]!;
    for (const name of Object.values(FUNCTION_NAMES)) {
      const env = functionNamed(name)[1].Properties.Environment.Variables as Json;
      expect(env).toMatchObject({
        TUNELAKE_CATALOG: 'glue',
        TUNELAKE_ENGINE: 'athena',
        TUNELAKE_ATHENA_WORKGROUP: 'tunelake',
        TUNELAKE_ATHENA_DATABASE: 'tunelake',
        TUNELAKE_GLUE_CRAWLER: CRAWLER_NAME,
        TUNELAKE_SPOTIFY_SECRET_ID: { Ref: secretId },
        SPOTIFY_ACCESS_TIER: 'development',
        TUNELAKE_CONFIG: '/var/task/tunelake.config.json',
        TUNELAKE_TEMP_DIR: '/tmp',
        POWERTOOLS_SERVICE_NAME: 'tunelake',
        POWERTOOLS_METRICS_NAMESPACE: 'Tunelake',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      });
      expect(JSON.stringify(env.TUNELAKE_LAKE)).toContain('/lake');
      expect(JSON.stringify(env.TUNELAKE_ATHENA_OUTPUT)).toContain('/athena-results/');
      expect(Object.keys(env).filter((k) => /SECRET$|TOKEN|PASSWORD/.test(k))).toEqual([]);
    }
    // DuckDB's memory limit stays below the function's memory, so it spills instead of being killed.
    const limitOf = (name: string) =>
      (functionNamed(name)[1].Properties.Environment.Variables as Json).TUNELAKE_DUCKDB_MEMORY_LIMIT;
    expect(limitOf(FUNCTION_NAMES.transform)).toBe('2GB');
    expect(limitOf(FUNCTION_NAMES.catalog)).toBeUndefined();
    expect(limitOf(FUNCTION_NAMES.extract)).toBeUndefined();
  });

  it('retries asynchronous events twice, then sends them to the DLQ; the transform chains to the catalog', () => {
    const [dlqId] = resourcesOf('AWS::SQS::Queue')[0]!;
    const configs = resourcesOf('AWS::Lambda::EventInvokeConfig').map(([, r]) => r.Properties as Json);
    expect(configs).toHaveLength(3);
    for (const c of configs) {
      expect(c.MaximumRetryAttempts).toBe(2);
      expect(c.DestinationConfig.OnFailure.Destination).toEqual({ 'Fn::GetAtt': [dlqId, 'Arn'] });
    }
    const [transformId] = functionNamed(FUNCTION_NAMES.transform);
    const [catalogId] = functionNamed(FUNCTION_NAMES.catalog);
    const transform = configs.find((c) => c.FunctionName.Ref === transformId)!;
    expect(transform.DestinationConfig.OnSuccess.Destination).toEqual({ 'Fn::GetAtt': [catalogId, 'Arn'] });
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'tunelake-dlq',
      SqsManagedSseEnabled: true,
    });
  });

  it('runs the extract on the schedule with the scheduled time as input', () => {
    const [extractId] = functionNamed(FUNCTION_NAMES.extract);
    const [[, schedule]] = resourcesOf('AWS::Scheduler::Schedule') as [[string, Json]];
    expect(schedule.Properties).toMatchObject({
      Name: SCHEDULE_NAME,
      ScheduleExpression: 'cron(0 6 * * ? *)',
      ScheduleExpressionTimezone: 'Etc/UTC',
      State: 'ENABLED',
      Target: { Arn: { 'Fn::GetAtt': [extractId, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 3 } },
    });
    expect(JSON.parse(schedule.Properties.Target.Input)).toEqual({
      source: 'tunelake.schedule',
      scheduledTime: '<aws.scheduler.scheduled-time>',
    });
    expect(schedule.Properties.Target.DeadLetterConfig.Arn).toBeDefined();
  });

  it('creates the Spotify secret holding {} only', () => {
    const secrets = resourcesOf('AWS::SecretsManager::Secret');
    expect(secrets).toHaveLength(1);
    expect(secrets[0]![1].Properties.SecretString).toBe('{}');
    expect(secrets[0]![1].Properties.GenerateSecretString).toBeUndefined();
  });
});

describe('TunelakeStack: IAM', () => {
  function statements(): Array<{ resource: string; statement: Json }> {
    const out: Array<{ resource: string; statement: Json }> = [];
    for (const [id, r] of Object.entries(json.Resources as Record<string, Json>)) {
      const docs: Json[] = [];
      if (r.Properties?.PolicyDocument) docs.push(r.Properties.PolicyDocument);
      for (const p of r.Properties?.Policies ?? []) docs.push(p.PolicyDocument);
      for (const d of docs) for (const statement of d.Statement) out.push({ resource: id, statement });
    }
    return out;
  }

  it('allows no wildcard action anywhere (the only * actions are the TLS-only denies)', () => {
    const all = statements();
    expect(all.length).toBeGreaterThan(20);
    for (const { resource, statement } of all) {
      const actions = ([] as string[]).concat(statement.Action ?? []);
      if (statement.Effect === 'Allow') {
        expect(
          actions.filter((a) => a.includes('*')),
          `${resource}: ${JSON.stringify(statement)}`,
        ).toEqual([]);
        expect(statement.NotAction, resource).toBeUndefined();
      } else {
        expect(statement.Condition, resource).toEqual({ Bool: { 'aws:SecureTransport': 'false' } });
      }
    }
  });

  it('scopes every allowed resource: no Resource "*"', () => {
    for (const { resource, statement } of statements()) {
      if (statement.Effect !== 'Allow') continue;
      expect(([] as unknown[]).concat(statement.Resource ?? []), resource).not.toContain('*');
    }
  });

  it('attaches no managed policies (AWSLambdaBasicExecutionRole and AWSGlueServiceRole allow too much)', () => {
    for (const [id, role] of resourcesOf('AWS::IAM::Role')) {
      expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
    }
  });

  it('gives the secret to the extract only, and Athena and the crawler to the catalog only', () => {
    const policyOf = (name: string) => {
      const [, fn] = functionNamed(name);
      const roleId = fn.Properties.Role['Fn::GetAtt'][0];
      return JSON.stringify(
        resourcesOf('AWS::IAM::Policy').filter(([, p]) =>
          p.Properties.Roles.some((r: Json) => r.Ref === roleId),
        ),
      );
    };
    expect(policyOf(FUNCTION_NAMES.extract)).toContain('secretsmanager:GetSecretValue');
    // Only the extract writes the secret: a rotated refresh token (#14).
    expect(policyOf(FUNCTION_NAMES.extract)).toContain('secretsmanager:PutSecretValue');
    expect(policyOf(FUNCTION_NAMES.extract)).not.toContain('glue:');
    expect(policyOf(FUNCTION_NAMES.transform)).not.toContain('secretsmanager:');
    expect(policyOf(FUNCTION_NAMES.transform)).not.toContain('athena:');
    expect(policyOf(FUNCTION_NAMES.catalog)).not.toContain('secretsmanager:');
    expect(policyOf(FUNCTION_NAMES.catalog)).toContain('athena:StartQueryExecution');
    expect(policyOf(FUNCTION_NAMES.catalog)).toContain(`crawler/${CRAWLER_NAME}`);
  });
});

describe('TunelakeStack: Glue and Athena', () => {
  it('creates the tunelake and tunelake_raw databases', () => {
    const names = resourcesOf('AWS::Glue::Database').map(([, r]) => r.Properties.DatabaseInput.Name);
    expect(names.sort()).toEqual(['tunelake', 'tunelake_raw']);
  });

  it('crawls the raw prefix into tunelake_raw, one table per dataset, never deleting tables', () => {
    const [[, crawler]] = resourcesOf('AWS::Glue::Crawler') as [[string, Json]];
    expect(crawler.Properties).toMatchObject({
      Name: CRAWLER_NAME,
      DatabaseName: 'tunelake_raw',
      SchemaChangePolicy: { UpdateBehavior: 'UPDATE_IN_DATABASE', DeleteBehavior: 'LOG' },
      RecrawlPolicy: { RecrawlBehavior: 'CRAWL_EVERYTHING' },
    });
    expect(JSON.stringify(crawler.Properties.Targets.S3Targets[0].Path)).toContain('/lake/raw/');
    expect(crawler.Properties.Schedule).toBeUndefined();
    const configuration = JSON.parse(crawler.Properties.Configuration);
    expect(configuration.Grouping).toEqual({
      TableGroupingPolicy: 'CombineCompatibleSchemas',
      TableLevelConfiguration: 3,
    });
    expect(configuration.CrawlerOutput.Tables.AddOrUpdateBehavior).toBe('MergeNewColumns');
  });

  it('creates the tunelake workgroup: engine v3, a bytes-scanned cutoff, results in the bucket', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'tunelake',
      State: 'ENABLED',
      WorkGroupConfiguration: Match.objectLike({
        BytesScannedCutoffPerQuery: BYTES_SCANNED_CUTOFF,
        PublishCloudWatchMetricsEnabled: true,
        EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
        ResultConfiguration: {
          OutputLocation: Match.anyValue(),
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
        },
      }),
    });
  });

  it('has a named query for each insight, with its Athena SQL', () => {
    const queries = resourcesOf('AWS::Athena::NamedQuery').map(([, r]) => r.Properties as Json);
    expect(queries.map((q) => q.Name).sort()).toEqual(INSIGHTS.map((i) => `insight_${i.name}`).sort());
    for (const insight of INSIGHTS) {
      const query = queries.find((q) => q.Name === `insight_${insight.name}`)!;
      expect(query).toMatchObject({ Database: 'tunelake', WorkGroup: 'tunelake' });
      expect(query.QueryString).toBe(insightSql(insight.name, 'athena'));
    }
  });
});

describe('TunelakeStack: monitoring', () => {
  const alarms = () => resourcesOf('AWS::CloudWatch::Alarm').map(([, r]) => r.Properties as Json);

  it('alarms on errors, throttles and duration of each function, to the SNS topic', () => {
    const [topicId] = resourcesOf('AWS::SNS::Topic')[0]!;
    for (const stage of Object.keys(FUNCTION_NAMES)) {
      for (const what of ['errors', 'throttles', 'duration']) {
        const alarm = alarms().find((a) => a.AlarmName === `tunelake-${stage}-${what}`);
        expect(alarm, `tunelake-${stage}-${what}`).toBeDefined();
        expect(alarm!.Namespace).toBe('AWS/Lambda');
        expect(alarm!.AlarmActions).toEqual([{ Ref: topicId }]);
      }
    }
    const duration = alarms().find((a) => a.AlarmName === 'tunelake-transform-duration')!;
    expect(duration.Threshold).toBe(720_000);
  });

  it('alarms when no run succeeded in 25 h, counting missing data as a breach', () => {
    const alarm = alarms().find((a) => a.MetricName === 'PipelineSucceeded');
    expect(alarm).toMatchObject({
      Namespace: 'Tunelake',
      Dimensions: [{ Name: 'service', Value: 'tunelake' }],
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: 25,
      DatapointsToAlarm: 25,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it('sends failed crawls to the SNS topic with an EventBridge rule', () => {
    const [topicId] = resourcesOf('AWS::SNS::Topic')[0]!;
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.glue'],
        'detail-type': ['Glue Crawler State Change'],
        detail: { crawlerName: [CRAWLER_NAME], state: ['Failed'] },
      },
      Targets: [Match.objectLike({ Arn: { Ref: topicId } })],
    });
  });

  it('subscribes the alarm email, and has a dashboard and the outputs doctor reads', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    expect(Object.keys(json.Outputs).sort()).toEqual(Object.values(OUTPUT_KEYS).sort());
  });
});

describe('TunelakeStack: the alarm topic and the crawler encrypted with a customer-managed key (#17)', () => {
  const keyId = () => {
    const keys = resourcesOf('AWS::KMS::Key');
    expect(keys).toHaveLength(1);
    return keys[0]![0];
  };
  const topic = () => resourcesOf('AWS::SNS::Topic')[0]!;
  const topicStatements = (): Json[] =>
    resourcesOf('AWS::SNS::TopicPolicy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
  const principalOf = (st: Json) => JSON.stringify(st.Principal);

  it('rotates the key yearly and encrypts the topic with it', () => {
    const [id, key] = resourcesOf('AWS::KMS::Key')[0]!;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(topic()[1].Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [id, 'Arn'] });
  });

  it('lets EventBridge publish only for the crawler-failed rule of this account', () => {
    const allowed = topicStatements().filter(
      (st) => st.Effect === 'Allow' && principalOf(st).includes('events.amazonaws.com'),
    );
    expect(allowed).toHaveLength(1);
    const [ruleId] = resourcesOf('AWS::Events::Rule').find(
      ([, r]) => r.Properties.Name === CRAWLER_FAILED_RULE_NAME,
    )!;
    expect(allowed[0]!.Action).toBe('sns:Publish');
    expect(allowed[0]!.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } },
    });
    // The rule still targets the topic.
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: CRAWLER_FAILED_RULE_NAME,
      Targets: [Match.objectLike({ Arn: { Ref: topic()[0] } })],
    });
  });

  it("lets CloudWatch publish only for this account's tunelake-* alarms, and every alarm is one", () => {
    const allowed = topicStatements().filter(
      (st) => st.Effect === 'Allow' && principalOf(st).includes('cloudwatch.amazonaws.com'),
    );
    expect(allowed).toHaveLength(1);
    expect(allowed[0]!.Condition.StringEquals).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
    expect(JSON.stringify(allowed[0]!.Condition.ArnLike['aws:SourceArn'])).toContain(':alarm:tunelake-*');
    for (const [id, a] of resourcesOf('AWS::CloudWatch::Alarm'))
      expect(a.Properties.AlarmName, id).toMatch(/^tunelake-/);
    // No statement lets a service principal publish without conditions.
    for (const st of topicStatements()) {
      if (st.Effect === 'Allow') expect(st.Condition, JSON.stringify(st)).toBeDefined();
    }
  });

  it('lets EventBridge and CloudWatch use the key for the topic, and the crawler logs for their log group only', () => {
    const statements = resourcesOf('AWS::KMS::Key')[0]![1].Properties.KeyPolicy.Statement as Json[];
    const publishers = statements.find((st) => st.Sid === 'AlarmPublishersUseTheKey')!;
    expect(publishers.Principal.Service.sort()).toEqual(['cloudwatch.amazonaws.com', 'events.amazonaws.com']);
    expect(publishers.Action.sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    const logsStatement = statements.find((st) => st.Sid === 'CrawlerLogsUseTheKey')!;
    expect(JSON.stringify(logsStatement.Condition.ArnLike)).toContain('/aws-glue/crawlers-role/*');
    // No other service principal in the key policy.
    const services = statements.flatMap((st) => ([] as string[]).concat(st.Principal?.Service ?? []));
    expect(services.filter((s) => typeof s === 'string').sort()).toEqual([
      'cloudwatch.amazonaws.com',
      'events.amazonaws.com',
    ]);
    keyId();
  });

  it('gives the crawler a security configuration: SSE-S3, its logs and bookmarks under the key', () => {
    const id = keyId();
    template.hasResourceProperties('AWS::Glue::SecurityConfiguration', {
      Name: CRAWLER_SECURITY_CONFIGURATION_NAME,
      EncryptionConfiguration: {
        S3Encryptions: [{ S3EncryptionMode: 'SSE-S3' }],
        CloudWatchEncryption: {
          CloudWatchEncryptionMode: 'SSE-KMS',
          KmsKeyArn: { 'Fn::GetAtt': [id, 'Arn'] },
        },
        JobBookmarksEncryption: {
          JobBookmarksEncryptionMode: 'CSE-KMS',
          KmsKeyArn: { 'Fn::GetAtt': [id, 'Arn'] },
        },
      },
    });
    const [, crawler] = resourcesOf('AWS::Glue::Crawler')[0]!;
    expect(crawler.Properties.CrawlerSecurityConfiguration).toBe(CRAWLER_SECURITY_CONFIGURATION_NAME);
    // The crawler's role may use the key and associate it with its encrypted log group.
    const roleId = crawler.Properties.Role['Fn::GetAtt'][0];
    const policies = JSON.stringify(
      resourcesOf('AWS::IAM::Policy').filter(([, p]) =>
        p.Properties.Roles.some((r: Json) => r.Ref === roleId),
      ),
    );
    expect(policies).toContain('logs:AssociateKmsKey');
    expect(policies).toContain('kms:GenerateDataKey');
    expect(policies).toContain(`-${CRAWLER_SECURITY_CONFIGURATION_NAME}`);
  });
});

describe('TunelakeStack with context: an existing secret, a bucket name, a deeper prefix', () => {
  it('creates no secret, grants the extract that ARN, and follows the bucket and prefix everywhere', () => {
    // Bundling skipped: this synth checks the template only.
    const app = new App({ outdir: join(work, 'imported'), context: { 'aws:cdk:bundling-stacks': [] } });
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:spotify-AbCdEf';
    const settings = resolveStackSettings({
      spotifySecretArn: arn,
      bucketName: 'my-lake',
      lakePrefix: '/data/lake/',
    });
    const other = Template.fromStack(new TunelakeStack(app, 'Tunelake', { settings, projectRoot }));
    other.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const env = other.findResources('AWS::Lambda::Function');
    for (const fn of Object.values(env)) {
      expect(fn.Properties.Environment.Variables).toMatchObject({
        TUNELAKE_SPOTIFY_SECRET_ID: arn,
        TUNELAKE_LAKE: 's3://my-lake/data/lake',
        TUNELAKE_ATHENA_OUTPUT: 's3://my-lake/athena-results/',
      });
    }
    other.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['secretsmanager:GetSecretValue']),
            Resource: arn,
          }),
        ]),
      },
    });
    other.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'my-lake',
      NotificationConfiguration: {
        LambdaConfigurations: [
          Match.objectLike({
            Filter: {
              S3Key: {
                Rules: [
                  { Name: 'prefix', Value: 'data/lake/runs/' },
                  { Name: 'suffix', Value: '.json' },
                ],
              },
            },
          }),
        ],
      },
    });
    const crawler = Object.values(other.findResources('AWS::Glue::Crawler'))[0]!;
    expect(JSON.parse(crawler.Properties.Configuration).Grouping.TableLevelConfiguration).toBe(4);
  });
});

describe('TunelakeStack with context publishBrief=true', () => {
  /** Every IAM policy statement of a role (by its logical id prefix), with its policy's roles. */
  const statementsOf = (t: Template) =>
    Object.values(t.findResources('AWS::IAM::Policy')).flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as Json[]).map((st) => ({
        ...st,
        roles: p.Properties.Roles as Json[],
      })),
    );
  const publishes = (st: Json) => ([] as unknown[]).concat(st.Action).includes('sns:Publish');

  it('is off by default: no function has TUNELAKE_BRIEF_TOPIC_ARN and none may publish', () => {
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties.Environment.Variables).not.toHaveProperty('TUNELAKE_BRIEF_TOPIC_ARN');
    }
    expect(statementsOf(template).filter(publishes)).toEqual([]);
  });

  it('hands the catalog function the alarm topic, and grants sns:Publish on it to that function only', () => {
    const app = new App({ outdir: join(work, 'brief'), context: { 'aws:cdk:bundling-stacks': [] } });
    const settings = resolveStackSettings({ publishBrief: 'true' });
    const stack = new TunelakeStack(app, 'Tunelake', { settings, projectRoot });
    const t = Template.fromStack(stack);
    const [topicId] = Object.keys(t.findResources('AWS::SNS::Topic'));
    const functions = t.findResources('AWS::Lambda::Function');
    for (const fn of Object.values(functions)) {
      const vars = fn.Properties.Environment.Variables;
      if (fn.Properties.FunctionName === FUNCTION_NAMES.catalog) {
        expect(vars.TUNELAKE_BRIEF_TOPIC_ARN).toEqual({ Ref: topicId });
      } else expect(vars).not.toHaveProperty('TUNELAKE_BRIEF_TOPIC_ARN');
    }
    const catalogFn = Object.values(functions).find(
      (f) => f.Properties.FunctionName === FUNCTION_NAMES.catalog,
    )!;
    const catalogRoleId = catalogFn.Properties.Role['Fn::GetAtt'][0];
    const publishing = statementsOf(t).filter(publishes);
    expect(publishing).toEqual([
      expect.objectContaining({ Action: 'sns:Publish', Effect: 'Allow', Resource: { Ref: topicId } }),
    ]);
    expect(publishing[0]!.roles).toEqual([{ Ref: catalogRoleId }]);
    // The topic is encrypted: the catalog function may use its key, with these two actions only (#17).
    const [keyId] = Object.keys(t.findResources('AWS::KMS::Key'));
    const keyUsers = (statementsOf(t) as Json[]).filter((st) => JSON.stringify(st.Resource).includes(keyId!));
    expect(keyUsers.filter((st) => JSON.stringify(st.roles).includes(catalogRoleId))).toEqual([
      expect.objectContaining({ Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Effect: 'Allow' }),
    ]);
    // cfn-lint finds nothing new in this variant (the same W3005 as the default stack, below).
    const run = spawnSync(
      'cfn-lint',
      ['--format', 'parseable', '--', join(work, 'brief', 'Tunelake.template.json')],
      {
        encoding: 'utf8',
      },
    );
    expect(run.error).toBeUndefined();
    expect(run.status! & 2, run.stdout + run.stderr).toBe(0);
    for (const line of run.stdout.split('\n').filter(Boolean)) expect(line).toMatch(/:W3005:/);
    // A synth and a cfn-lint run: over the default 30 s on a busy machine.
  }, 120_000);
});

describe('cfn-lint on the synthesized template', () => {
  it('reports no errors', () => {
    const file = join(outdir, 'Tunelake.template.json');
    const run = spawnSync('cfn-lint', ['--format', 'parseable', '--', file], { encoding: 'utf8' });
    if (run.error) {
      throw new Error(
        `cfn-lint did not run (${run.error.message}): install it (pip install cfn-lint); CI has it through pyenv shims.`,
      );
    }
    const lines = run.stdout.split('\n').filter(Boolean);
    // Exit code bits: 2 = errors, 4 = warnings, 8 = informational.
    expect(run.status! & 2, run.stdout + run.stderr).toBe(0);
    // The only warning: W3005, a DependsOn on the role that CDK adds next to the Fn::GetAtt (harmless).
    for (const line of lines) expect(line).toMatch(/:W3005:/);
  });
});

describe('the bundled handlers (cdk.out/asset.*/index.mjs)', () => {
  it('carry every SQL file and a config file without the local lake or endpoint', () => {
    for (const name of Object.values(FUNCTION_NAMES)) {
      const dir = assetDir(name);
      expect(existsSync(join(dir, 'index.mjs'))).toBe(true);
      for (const file of runtimeSqlFiles(projectRoot))
        expect(existsSync(join(dir, file)), `${name}: ${file}`).toBe(true);
      const config = JSON.parse(readFileSync(join(dir, 'tunelake.config.json'), 'utf8'));
      expect(config).toEqual({
        spotify: { market: 'SE' },
        sources: { playlists: ['3cEYpjA9oz9GiPac4AsH4n'] },
      });
    }
  });

  it('load DuckDB from the asset node_modules (transform and catalog), not from the bundle or the repo', async () => {
    for (const name of [FUNCTION_NAMES.transform, FUNCTION_NAMES.catalog]) {
      const dir = assetDir(name);
      const resolved = createRequire(join(dir, 'index.mjs')).resolve('@duckdb/node-api');
      expect(resolved.startsWith(join(dir, 'node_modules'))).toBe(true);
      const duckdb = (await import(pathToFileURL(resolved).href)) as typeof import('@duckdb/node-api');
      const instance = await duckdb.DuckDBInstance.create(':memory:');
      const connection = await instance.connect();
      const reader = await connection.runAndReadAll('select 40 + 2 as answer');
      expect(reader.getRowObjects()).toEqual([{ answer: 42 }]);
      connection.closeSync();
      instance.closeSync();
      expect(readFileSync(join(dir, 'index.mjs'), 'utf8')).toMatch(/from\s*"@duckdb\/node-api"/);
    }
    expect(existsSync(join(assetDir(FUNCTION_NAMES.extract), 'node_modules'))).toBe(false);
  });

  it('run extract -> transform -> catalog from the assets against the emulator and a local lake', async () => {
    const lake = join(work, 'lake');
    const envOf = (name: string) => ({
      TUNELAKE_LAKE: lake,
      TUNELAKE_CONFIG: join(assetDir(name), 'tunelake.config.json'),
      TUNELAKE_TEMP_DIR: work,
    });
    const load = async (name: string) => import(pathToFileURL(join(assetDir(name), 'index.mjs')).href);
    const quiet = { logger: silentLogger };

    // A deployed function never starts an emulator itself: the harness hands one in, as
    // `tunelake lambda invoke` does without credentials; empty sources mean its demo mix.
    const emulator = await Emulator.create({ port: 0, tier: 'development' });
    const extract = await load(FUNCTION_NAMES.extract);
    const landed = await extract
      .createExtractHandler({
        ...quiet,
        env: envOf(FUNCTION_NAMES.extract),
        spec: { sources: {} },
        emulator,
      })({ source: 'tunelake.schedule', scheduledTime: '2026-11-25T06:00:00Z' })
      .finally(() => emulator.close());
    expect(landed).toMatchObject({ ok: true, status: 'committed' });

    const transform = await load(FUNCTION_NAMES.transform);
    const transformed = await transform.createTransformHandler({
      ...quiet,
      env: envOf(FUNCTION_NAMES.transform),
    })({
      source: 'manual',
    });
    expect(transformed).toMatchObject({ ok: true, status: 'transformed', runs: [landed.runId] });
    expect(transformed.rows.playlist_items).toBeGreaterThan(0);

    const catalog = await load(FUNCTION_NAMES.catalog);
    const registered = await catalog.createCatalogHandler({ ...quiet, env: envOf(FUNCTION_NAMES.catalog) })({
      requestPayload: {},
      responsePayload: transformed,
    });
    expect(registered).toMatchObject({ ok: true, status: 'registered' });
    // The insights' SQL was read from the asset's sql/ folder.
    expect(registered.insights.filter((i: Json) => i.status === 'written').length).toBeGreaterThan(0);
  }, 120_000);
});

describe('functionConfigJson(sourcesFile)', () => {
  it('is an empty sources file when there is none', () => {
    expect(JSON.parse(functionConfigJson(undefined))).toEqual({ sources: {} });
  });

  it('rejects a config file the CLI would reject, at synth time', () => {
    const bad = join(work, 'bad.json');
    writeFileSync(bad, JSON.stringify({ sources: { playlists: ['not a playlist'] } }));
    expect(() => functionConfigJson(bad)).toThrow(/sources\.playlists\[0\]/);
  });
});

describe('resolveStackSettings(spec)', () => {
  it('defaults: stack Tunelake, prefix lake, daily, development, the example sources file', () => {
    const settings = resolveStackSettings({}, { exists: (p) => p === 'tunelake.config.example.json' });
    expect(settings).toEqual({
      stackName: 'Tunelake',
      bucketName: undefined,
      lakePrefix: 'lake',
      schedule: 'rate(1 day)',
      tier: 'development',
      sourcesFile: 'tunelake.config.example.json',
      alarmEmail: undefined,
      spotifySecretArn: undefined,
      publishBrief: false,
    });
  });

  it('reports every invalid value at once', () => {
    expect(() =>
      resolveStackSettings({
        bucketName: 'Not_A_Bucket',
        schedule: 'every day',
        tier: 'premium',
        alarmEmail: 'nobody',
        spotifySecretArn: 'arn:aws:s3:::bucket',
        publishBrief: 'yes',
      }),
    ).toThrow(
      /6 problems in the stack context[\s\S]*bucketName[\s\S]*schedule[\s\S]*tier[\s\S]*alarmEmail[\s\S]*spotifySecretArn[\s\S]*publishBrief "yes": expected "true" or "false"/,
    );
  });
});
