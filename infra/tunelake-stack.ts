// The tunelake pipeline on AWS (docs/aws.md, docs/lambda.md):
//
//   EventBridge Scheduler --async--> extract --writes runs/<id>.json--> S3 notification --async--> transform
//   transform --on success (Lambda destination)--> catalog: Glue tables + partitions, crawler, Athena CTAS
//   any function or the schedule, after its retries --> SQS tunelake-dlq; alarms --> SNS tunelake-alarms
//
// Names the code and the docs rely on are fixed (Glue databases `tunelake` and `tunelake_raw`, the
// Athena workgroup `tunelake`, the functions `tunelake-<stage>`), so there is one tunelake per account
// and region. IAM is written out statement by statement: no wildcard actions, every resource scoped.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  Aws,
  CfnOutput,
  Duration,
  RemovalPolicy,
  SecretValue,
  Size,
  Stack,
  type StackProps,
  TimeZone,
} from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { STACK_OUTPUTS } from '../src/doctor/aws-deployment.js';
import { INSIGHTS, insightSql, insightTableName } from '../src/insights/insights.js';
import { RAW_DATASETS } from '../src/lake.js';
import { functionBundling } from './function-bundling.js';
import { stageFunctionConfig } from './function-config.js';
import type { StackSettings } from './stack-settings.js';

export const TABLES_DATABASE_NAME = 'tunelake';
export const RAW_DATABASE_NAME = 'tunelake_raw';
export const WORKGROUP_NAME = 'tunelake';
export const CRAWLER_NAME = 'tunelake-raw-crawler';
export const DLQ_NAME = 'tunelake-dlq';
export const ALARM_TOPIC_NAME = 'tunelake-alarms';
export const SCHEDULE_NAME = 'tunelake-extract';
export const CRAWLER_FAILED_RULE_NAME = 'tunelake-crawler-failed';
/** The crawler's Glue security configuration: its CloudWatch logs and job bookmarks under the lake key. */
export const CRAWLER_SECURITY_CONFIGURATION_NAME = 'tunelake-crawler';
/** Every alarm is named tunelake-*: the topic policy lets CloudWatch publish for these alarms only. */
export const ALARM_NAME_PREFIX = 'tunelake-';
export const DASHBOARD_NAME = 'tunelake';
export const FUNCTION_NAMES = {
  extract: 'tunelake-extract',
  transform: 'tunelake-transform',
  catalog: 'tunelake-catalog',
} as const;
/** The EMF namespace and the Powertools service dimension the handlers publish with (contract-aws.md). */
export const METRICS_NAMESPACE = 'Tunelake';
export const SERVICE_NAME = 'tunelake';
/** Athena cancels (and still bills) a query that scans more than this. */
export const BYTES_SCANNED_CUTOFF = 10 * 1024 ** 3;

/** The stack's outputs, read by `tunelake doctor` and `tunelake deploy` (one list, in src/). */
export const OUTPUT_KEYS = STACK_OUTPUTS;

export interface TunelakeStackProps extends StackProps {
  settings: StackSettings;
  /** The repository root: handler entries, the lock file, the SQL files. */
  projectRoot: string;
}

type Stage = keyof typeof FUNCTION_NAMES;

export class TunelakeStack extends Stack {
  constructor(scope: Construct, id: string, props: TunelakeStackProps) {
    super(scope, id, props);
    const { settings, projectRoot } = props;
    const prefix = settings.lakePrefix;

    // Everything refers to the bucket by name and ARN strings, not by Ref: the bucket's notification
    // needs the transform function, whose policies name the bucket; with Refs that is a cycle that
    // CDK would break with a custom-resource Lambda (and its `Resource: *` policy).
    const bucketName = settings.bucketName ?? `tunelake-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
    const bucketArn = `arn:${Aws.PARTITION}:s3:::${bucketName}`;
    const lakeUri = `s3://${bucketName}/${prefix}`;
    const athenaOutput = `s3://${bucketName}/athena-results/`;
    const objects = (path: string) => `${bucketArn}/${path}`;

    // ---- storage --------------------------------------------------------------------------------
    const bucket = new s3.Bucket(this, 'LakeBucket', {
      bucketName,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // The lake is the product: a `cdk destroy` leaves it (docs/aws.md says how to empty it).
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'raw-to-infrequent-access',
          // Raw responses are read again only to rebuild tables; after a month they rarely are.
          prefix: `${prefix}/raw/`,
          transitions: [
            { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(30) },
          ],
        },
        {
          id: 'athena-results-expire',
          prefix: 'athena-results/',
          expiration: Duration.days(7),
        },
        {
          id: 'noncurrent-versions-expire',
          // Versioning guards against a bad overwrite or delete; a month is time enough to notice.
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
          expiredObjectDeleteMarker: true,
        },
      ],
    });

    // ---- queues, topic, secret ------------------------------------------------------------------
    const dlq = new sqs.Queue(this, 'DeadLetterQueue', {
      queueName: DLQ_NAME,
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    // One customer-managed key ($1 a month, docs/aws.md "Encryption"): the alarm topic, and the crawler's
    // logs and job bookmarks. An AWS-managed SNS key cannot be used here: its key policy cannot be
    // edited, so EventBridge and CloudWatch could not publish to the topic.
    const key = new kms.Key(this, 'LakeKey', {
      description: 'tunelake: the alarm topic, the crawler logs and job bookmarks',
      enableKeyRotation: true,
      // A key scheduled for deletion waits 30 days (the most), time to notice a topic that stopped.
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      topicName: ALARM_TOPIC_NAME,
      displayName: 'tunelake alarms',
      enforceSSL: true,
      masterKey: key,
    });
    // The services that publish to the encrypted topic must use the key (their documented key policy
    // statement: docs.aws.amazon.com/sns/latest/dg/sns-key-management.html); the topic policy below
    // restricts what they may publish for.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AlarmPublishersUseTheKey',
        principals: [
          new iam.ServicePrincipal('events.amazonaws.com'),
          new iam.ServicePrincipal('cloudwatch.amazonaws.com'),
        ],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
      }),
    );
    if (settings.alarmEmail)
      alarmTopic.addSubscription(new subscriptions.EmailSubscription(settings.alarmEmail));

    // Created holding `{}` ("not set yet": the extract says which command fills it), or imported. The
    // credentials are never in the template; CloudFormation does not re-apply an unchanged SecretString,
    // so a later `put-secret-value` survives stack updates.
    const secret = settings.spotifySecretArn
      ? secretsmanager.Secret.fromSecretCompleteArn(this, 'SpotifySecret', settings.spotifySecretArn)
      : new secretsmanager.Secret(this, 'SpotifySecret', {
          description:
            'tunelake: Spotify credentials as JSON {"client_id","client_secret","refresh_token"}; set with aws secretsmanager put-secret-value',
          secretStringValue: SecretValue.unsafePlainText('{}'),
        });

    // ---- Glue -----------------------------------------------------------------------------------
    const catalogArn = `arn:${Aws.PARTITION}:glue:${Aws.REGION}:${Aws.ACCOUNT_ID}:catalog`;
    const databaseArn = (db: string) =>
      `arn:${Aws.PARTITION}:glue:${Aws.REGION}:${Aws.ACCOUNT_ID}:database/${db}`;
    const tablesArn = (db: string) =>
      `arn:${Aws.PARTITION}:glue:${Aws.REGION}:${Aws.ACCOUNT_ID}:table/${db}/*`;
    new glue.CfnDatabase(this, 'TablesDatabase', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: {
        name: TABLES_DATABASE_NAME,
        description: 'tunelake: typed Parquet tables and insight_* tables (registered by the functions)',
        locationUri: `${lakeUri}/tables/`,
      },
    });
    const rawDb = new glue.CfnDatabase(this, 'RawDatabase', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: {
        name: RAW_DATABASE_NAME,
        description: 'tunelake: the raw zone (gzipped NDJSON API responses), one table per dataset',
        locationUri: `${lakeUri}/raw/`,
      },
    });

    const crawlerRole = new iam.Role(this, 'CrawlerRole', {
      assumedBy: new iam.ServicePrincipal('glue.amazonaws.com'),
      description: 'tunelake raw-zone crawler: reads the raw prefix, writes the tunelake_raw database',
    });
    crawlerRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [objects(`${prefix}/raw/*`)] }),
    );
    crawlerRole.addToPolicy(listBucketStatement(bucketArn, [`${prefix}/raw/`, `${prefix}/raw/*`]));
    crawlerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: [...GLUE_READ, ...GLUE_WRITE, 'glue:CreatePartitionIndex', 'glue:GetPartitionIndexes'],
        resources: [catalogArn, databaseArn(RAW_DATABASE_NAME), tablesArn(RAW_DATABASE_NAME)],
      }),
    );
    crawlerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [
          `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:/aws-glue/crawlers`,
          `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:/aws-glue/crawlers:*`,
        ],
      }),
    );
    // Folder depth of a dataset under the bucket: `lake/raw/<dataset>/` is level 3 for prefix `lake`.
    const tableLevel = prefix.split('/').length + 2;
    const crawler = new glue.CfnCrawler(this, 'RawCrawler', {
      name: CRAWLER_NAME,
      description: 'tunelake raw zone: started by the catalog function when a dataset schema changed',
      role: crawlerRole.roleArn,
      databaseName: RAW_DATABASE_NAME,
      targets: { s3Targets: [{ path: `s3://${bucketName}/${prefix}/raw/` }] },
      // Why these policies (docs/aws.md "The crawler"): the catalog function starts the crawler only
      // when a schema changed, so each crawl is rare and must see the drift: CRAWL_EVERYTHING, because
      // CRAWL_NEW_FOLDERS_ONLY forces LOG and skips folders whose schema differs, the very case it is
      // started for. UPDATE_IN_DATABASE with MergeNewColumns adds columns and never drops or retypes
      // one that older partitions still hold; DeleteBehavior LOG, because raw data moving to another
      // storage class or being expired must never delete a table.
      schemaChangePolicy: { updateBehavior: 'UPDATE_IN_DATABASE', deleteBehavior: 'LOG' },
      recrawlPolicy: { recrawlBehavior: 'CRAWL_EVERYTHING' },
      configuration: JSON.stringify({
        Version: 1.0,
        // One table per dataset folder whatever the schemas look like; dt= and run= are partitions.
        Grouping: { TableGroupingPolicy: 'CombineCompatibleSchemas', TableLevelConfiguration: tableLevel },
        CrawlerOutput: {
          Partitions: { AddOrUpdateBehavior: 'InheritFromTable' },
          // A layout mistake (one table per date folder) stops the crawl instead of flooding the catalog.
          Tables: { AddOrUpdateBehavior: 'MergeNewColumns', TableThreshold: RAW_DATASETS.length + 6 },
        },
        CreatePartitionIndex: true,
      }),
    });
    crawler.addResourceDependency(rawDb);
    // The crawler's CloudWatch logs and job bookmarks encrypted with the lake key; it writes no S3
    // objects, SSE-S3 is the bucket's own encryption. With CloudWatch encryption Glue logs to
    // /aws-glue/crawlers-role/<role name>-<security configuration> and associates the key with it.
    const securityConfiguration = new glue.CfnSecurityConfiguration(this, 'CrawlerSecurityConfiguration', {
      name: CRAWLER_SECURITY_CONFIGURATION_NAME,
      encryptionConfiguration: {
        s3Encryptions: [{ s3EncryptionMode: 'SSE-S3' }],
        cloudWatchEncryption: { cloudWatchEncryptionMode: 'SSE-KMS', kmsKeyArn: key.keyArn },
        jobBookmarksEncryption: { jobBookmarksEncryptionMode: 'CSE-KMS', kmsKeyArn: key.keyArn },
      },
    });
    crawler.crawlerSecurityConfiguration = CRAWLER_SECURITY_CONFIGURATION_NAME;
    crawler.addResourceDependency(securityConfiguration);
    const crawlerLogGroup = `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:/aws-glue/crawlers-role/${crawlerRole.roleName}-${CRAWLER_SECURITY_CONFIGURATION_NAME}`;
    crawlerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:AssociateKmsKey'],
        resources: [crawlerLogGroup, `${crawlerLogGroup}:*`],
      }),
    );
    key.grant(crawlerRole, 'kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey');
    // CloudWatch Logs encrypts the crawler's log group with the key, for that log group only.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CrawlerLogsUseTheKey',
        principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:/aws-glue/crawlers-role/*`,
          },
        },
      }),
    );

    // ---- Athena ---------------------------------------------------------------------------------
    const workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: WORKGROUP_NAME,
      description: 'tunelake: queries and insight refreshes',
      state: 'ENABLED',
      // Lets `cdk destroy` remove the workgroup with its named queries and query history.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        // Not enforced: Athena fails every CTAS that names an external_location in a workgroup that
        // enforces its result location (docs.aws.amazon.com/athena/latest/ug/workgroups-troubleshooting.html),
        // and the catalog function writes the insight tables into the lake with CTAS. The workgroup's
        // location and encryption still apply to every query that does not set its own, and the
        // functions set the same location (TUNELAKE_ATHENA_OUTPUT).
        enforceWorkGroupConfiguration: false,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: BYTES_SCANNED_CUTOFF,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: athenaOutput,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
    for (const insight of INSIGHTS) {
      const query = new athena.CfnNamedQuery(this, `Insight${pascal(insight.name)}Query`, {
        name: insightTableName(insight.name),
        description: truncate(insight.description, 1024),
        database: TABLES_DATABASE_NAME,
        workGroup: WORKGROUP_NAME,
        queryString: insightSql(insight.name, 'athena'),
      });
      query.addResourceDependency(workGroup);
    }

    // ---- functions ------------------------------------------------------------------------------
    const configFile = stageFunctionConfig(projectRoot, settings.sourcesFile);
    const environment: Record<string, string> = {
      TUNELAKE_LAKE: lakeUri,
      TUNELAKE_CATALOG: 'glue',
      TUNELAKE_ENGINE: 'athena',
      TUNELAKE_ATHENA_WORKGROUP: WORKGROUP_NAME,
      TUNELAKE_ATHENA_OUTPUT: athenaOutput,
      TUNELAKE_ATHENA_DATABASE: TABLES_DATABASE_NAME,
      TUNELAKE_GLUE_CRAWLER: CRAWLER_NAME,
      TUNELAKE_SPOTIFY_SECRET_ID: secret.secretArn,
      SPOTIFY_ACCESS_TIER: settings.tier,
      TUNELAKE_CONFIG: '/var/task/tunelake.config.json',
      TUNELAKE_TEMP_DIR: '/tmp',
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    // duckdbMemory: DuckDB's memory_limit (TUNELAKE_DUCKDB_MEMORY_LIMIT), left below the function's
    // memory for Node and the bundle; beyond it DuckDB spills to /tmp instead of being killed.
    const sizes: Record<
      Stage,
      { memory: number; storage?: number; reserved?: number; duckdb: boolean; duckdbMemory?: string }
    > = {
      // Calls the API and writes gzipped NDJSON: little memory. One at a time: two runs must not race.
      extract: { memory: 512, reserved: 1, duckdb: false },
      // DuckDB over a day's raw zone: memory is also CPU on Lambda; temp files need /tmp.
      transform: { memory: 3008, storage: 4096, reserved: 1, duckdb: true, duckdbMemory: '2GB' },
      catalog: { memory: 1024, duckdb: true },
    };
    const fns = {} as Record<Stage, nodejs.NodejsFunction>;
    const timeout = Duration.minutes(15);
    // The catalog function first: it is the transform's on-success destination.
    for (const stage of ['extract', 'catalog', 'transform'] as const) {
      const size = sizes[stage];
      const name = FUNCTION_NAMES[stage];
      const logGroup = new logs.LogGroup(this, `${pascal(stage)}Logs`, {
        logGroupName: `/aws/lambda/${name}`,
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      // Our own role: the default one carries AWSLambdaBasicExecutionRole (logs on every log group).
      const role = new iam.Role(this, `${pascal(stage)}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `tunelake ${stage} function`,
      });
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logGroup.logGroupArn],
        }),
      );
      fns[stage] = new nodejs.NodejsFunction(this, `${pascal(stage)}Function`, {
        functionName: name,
        description: `tunelake ${stage} (src/lambda/${stage}.ts)`,
        entry: join(projectRoot, 'src', 'lambda', `${stage}.ts`),
        handler: 'handler',
        projectRoot,
        depsLockFilePath: join(projectRoot, 'package-lock.json'),
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.X86_64,
        memorySize: size.memory,
        timeout,
        ...(size.storage ? { ephemeralStorageSize: Size.mebibytes(size.storage) } : {}),
        ...(size.reserved ? { reservedConcurrentExecutions: size.reserved } : {}),
        role,
        logGroup,
        loggingFormat: lambda.LoggingFormat.JSON,
        environment: size.duckdbMemory
          ? { ...environment, TUNELAKE_DUCKDB_MEMORY_LIMIT: size.duckdbMemory }
          : environment,
        bundling: functionBundling({ configFile, duckdb: size.duckdb }),
        // Asynchronous invocations: two retries, then the dead-letter queue (contract-aws.md).
        retryAttempts: 2,
        maxEventAge: Duration.hours(6),
        onFailure: new destinations.SqsDestination(dlq),
        ...(stage === 'transform' ? { onSuccess: new destinations.LambdaDestination(fns.catalog) } : {}),
      });
    }

    // ---- permissions ----------------------------------------------------------------------------
    const lakeObjects = objects(`${prefix}/*`);
    for (const stage of Object.keys(fns) as Stage[]) {
      const role = fns[stage].role!;
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: [...S3_OBJECT_READ_WRITE], resources: [lakeObjects] }),
      );
      const listed = [`${prefix}/`, `${prefix}/*`];
      if (stage === 'catalog') listed.push('athena-results/', 'athena-results/*');
      role.addToPrincipalPolicy(listBucketStatement(bucketArn, listed));
    }
    secret.grantRead(fns.extract);
    // A refresh token Spotify rotates is written back (src/lambda/secrets.ts), or the next run fails (#14).
    fns.extract.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:PutSecretValue'], resources: [secret.secretArn] }),
    );
    for (const stage of ['transform', 'catalog'] as const) {
      fns[stage].role!.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: [...GLUE_READ, ...GLUE_WRITE, 'glue:CreateDatabase', 'glue:GetTableVersions'],
          resources: [
            catalogArn,
            databaseArn(TABLES_DATABASE_NAME),
            databaseArn(RAW_DATABASE_NAME),
            tablesArn(TABLES_DATABASE_NAME),
            tablesArn(RAW_DATABASE_NAME),
          ],
        }),
      );
    }
    const catalogRole = fns.catalog.role!;
    catalogRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['glue:StartCrawler', 'glue:GetCrawler'],
        resources: [`arn:${Aws.PARTITION}:glue:${Aws.REGION}:${Aws.ACCOUNT_ID}:crawler/${CRAWLER_NAME}`],
      }),
    );
    catalogRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'athena:StartQueryExecution',
          'athena:GetQueryExecution',
          'athena:GetQueryResults',
          'athena:StopQueryExecution',
          'athena:GetWorkGroup',
        ],
        resources: [
          `arn:${Aws.PARTITION}:athena:${Aws.REGION}:${Aws.ACCOUNT_ID}:workgroup/${WORKGROUP_NAME}`,
        ],
      }),
    );
    // Athena runs the queries with the caller's permissions: results, and the bucket's location.
    catalogRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [...S3_OBJECT_READ_WRITE],
        resources: [objects('athena-results/*')],
      }),
    );
    catalogRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetBucketLocation'], resources: [bucketArn] }),
    );
    if (settings.publishBrief) {
      // The daily brief (src/brief/publish.ts) goes to the alarm topic's subscribers; only the catalog
      // function may publish to it, with the topic's key.
      fns.catalog.addEnvironment('TUNELAKE_BRIEF_TOPIC_ARN', alarmTopic.topicArn);
      // Written out rather than grantPublish, which grants kms:GenerateDataKey* (a wildcard action).
      fns.catalog.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [alarmTopic.topicArn] }),
      );
      key.grant(fns.catalog, 'kms:GenerateDataKey', 'kms:Decrypt');
    }

    // ---- triggers -------------------------------------------------------------------------------
    // The manifest runs/<runId>.json is the extract's commit point: it starts the transform.
    const s3Invoke = new lambda.CfnPermission(this, 'TransformInvokeFromS3', {
      action: 'lambda:InvokeFunction',
      functionName: fns.transform.functionArn,
      principal: 's3.amazonaws.com',
      sourceAccount: Aws.ACCOUNT_ID,
      sourceArn: bucketArn,
    });
    const cfnBucket = bucket.node.defaultChild as s3.CfnBucket;
    cfnBucket.notificationConfiguration = {
      lambdaConfigurations: [
        {
          event: 's3:ObjectCreated:*',
          function: fns.transform.functionArn,
          filter: {
            s3Key: {
              rules: [
                { name: 'prefix', value: `${prefix}/runs/` },
                { name: 'suffix', value: '.json' },
              ],
            },
          },
        },
      ],
    };
    // S3 checks that it may invoke the function when the notification is set.
    cfnBucket.addResourceDependency(s3Invoke);

    const schedule = new scheduler.Schedule(this, 'ExtractSchedule', {
      scheduleName: SCHEDULE_NAME,
      description: `tunelake: runs the extract (${settings.schedule}, UTC)`,
      schedule: scheduler.ScheduleExpression.expression(settings.schedule, TimeZone.ETC_UTC),
      target: new schedulerTargets.LambdaInvoke(fns.extract, {
        // The scheduled time is the run's idempotency key (contract-aws.md).
        input: scheduler.ScheduleTargetInput.fromObject({
          source: 'tunelake.schedule',
          scheduledTime: scheduler.ContextAttribute.scheduledTime,
        }),
        deadLetterQueue: dlq,
        retryAttempts: 3,
        maxEventAge: Duration.hours(1),
      }),
    });

    // ---- monitoring -----------------------------------------------------------------------------
    const alarmAction = new cwActions.SnsAction(alarmTopic);
    const alarm = (id: string, props: cloudwatch.AlarmProps) => {
      const a = new cloudwatch.Alarm(this, id, props);
      a.addAlarmAction(alarmAction);
      return a;
    };
    for (const stage of Object.keys(fns) as Stage[]) {
      const fn = fns[stage];
      const p = pascal(stage);
      alarm(`${p}Errors`, {
        alarmName: `tunelake-${stage}-errors`,
        alarmDescription: `The ${stage} function failed (each failure is retried twice, then lands in ${DLQ_NAME}).`,
        metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm(`${p}Throttles`, {
        alarmName: `tunelake-${stage}-throttles`,
        alarmDescription: `The ${stage} function was throttled (reserved concurrency, or the account limit).`,
        metric: fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm(`${p}Duration`, {
        alarmName: `tunelake-${stage}-duration`,
        alarmDescription: `The ${stage} function ran longer than 80% of its ${timeout.toMinutes()}-minute timeout.`,
        metric: fn.metricDuration({ period: Duration.minutes(15), statistic: 'Maximum' }),
        threshold: timeout.toMilliseconds() * 0.8,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
    const pipelineSucceeded = new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: 'PipelineSucceeded',
      dimensionsMap: { service: SERVICE_NAME },
      statistic: 'Sum',
      period: Duration.hours(1),
    });
    // 25 hourly periods, all of them without a success, and missing data counts as a breach: a daily
    // schedule that misses one run (or whose catalog step keeps failing) alarms an hour after it.
    alarm('NoSuccessfulRun', {
      alarmName: 'tunelake-no-successful-run-25h',
      alarmDescription: 'No pipeline run succeeded (PipelineSucceeded) in the last 25 hours.',
      metric: pipelineSucceeded,
      threshold: 1,
      evaluationPeriods: 25,
      datapointsToAlarm: 25,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    alarm('DeadLetters', {
      alarmName: 'tunelake-dead-letters',
      alarmDescription: `An event gave up after its retries and waits in ${DLQ_NAME}.`,
      metric: dlq.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // Glue crawlers publish no CloudWatch metrics: their state changes arrive on EventBridge.
    // Not events-targets' SnsTopic: it lets events.amazonaws.com publish for any rule of any account
    // (the confused deputy, docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html).
    const crawlerFailed = new events.Rule(this, 'CrawlerFailedRule', {
      ruleName: CRAWLER_FAILED_RULE_NAME,
      description: `The ${CRAWLER_NAME} crawl failed`,
      eventPattern: {
        source: ['aws.glue'],
        detailType: ['Glue Crawler State Change'],
        detail: { crawlerName: [CRAWLER_NAME], state: ['Failed'] },
      },
      targets: [{ bind: () => ({ arn: alarmTopic.topicArn }) }],
    });
    alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CrawlerFailedRulePublishes',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [alarmTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnEquals: { 'aws:SourceArn': crawlerFailed.ruleArn },
        },
      }),
    );
    alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'TunelakeAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [alarmTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: {
            'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:${ALARM_NAME_PREFIX}*`,
          },
        },
      }),
    );

    const emf = (metricName: string, statistic = 'Sum') =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: SERVICE_NAME },
        statistic,
        period: Duration.days(1),
      });
    const perFunction = (what: (fn: lambda.IFunction) => cloudwatch.IMetric) =>
      (Object.keys(fns) as Stage[]).map((s) => what(fns[s]));
    new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: DASHBOARD_NAME,
      defaultInterval: Duration.days(14),
      widgets: [
        [
          new cloudwatch.SingleValueWidget({
            title: 'Successful runs (14 days)',
            metrics: [pipelineSucceeded.with({ period: Duration.days(14) })],
            width: 6,
          }),
          new cloudwatch.AlarmStatusWidget({
            title: 'Alarms',
            width: 18,
            alarms: this.node.findAll().filter((c): c is cloudwatch.Alarm => c instanceof cloudwatch.Alarm),
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Invocations',
            left: perFunction((fn) => fn.metricInvocations({ period: Duration.hours(1) })),
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Errors',
            left: perFunction((fn) => fn.metricErrors({ period: Duration.hours(1) })),
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Duration (max, ms)',
            left: perFunction((fn) => fn.metricDuration({ period: Duration.hours(1), statistic: 'Maximum' })),
            width: 8,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Extract: requests and retries per day',
            left: [emf('ExtractRequests'), emf('ExtractRetries')],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Records landed, rows written, quarantined, crawls started per day',
            left: [emf('RecordsLanded'), emf('RowsWritten')],
            right: [emf('RecordsQuarantined'), emf('CrawlerStarted')],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Run duration per stage (max, ms)',
            // The handlers publish RunDurationMs with a `stage` dimension next to `service`.
            left: (Object.keys(FUNCTION_NAMES) as Stage[]).map(
              (stage) =>
                new cloudwatch.Metric({
                  namespace: METRICS_NAMESPACE,
                  metricName: 'RunDurationMs',
                  dimensionsMap: { service: SERVICE_NAME, stage },
                  statistic: 'Maximum',
                  period: Duration.days(1),
                  label: stage,
                }),
            ),
            width: 8,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Athena bytes scanned per day (workgroup tunelake)',
            left: [
              new cloudwatch.Metric({
                namespace: 'AWS/Athena',
                metricName: 'ProcessedBytes',
                dimensionsMap: { WorkGroup: WORKGROUP_NAME },
                statistic: 'Sum',
                period: Duration.days(1),
              }),
            ],
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: `Dead letters (${DLQ_NAME})`,
            left: [dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) })],
            width: 12,
          }),
        ],
      ],
    });

    // ---- outputs (tunelake doctor and tunelake deploy read these) -------------------------------
    const output = (key: string, value: string, description: string) =>
      new CfnOutput(this, key, { value, description });
    output(OUTPUT_KEYS.bucket, bucket.bucketName, 'The lake bucket');
    output(OUTPUT_KEYS.lake, lakeUri, 'TUNELAKE_LAKE for the CLI');
    output(OUTPUT_KEYS.secret, secret.secretArn, 'Put the Spotify credentials here');
    output(OUTPUT_KEYS.schedule, schedule.scheduleName, 'The EventBridge Scheduler schedule (default group)');
    output(OUTPUT_KEYS.crawler, crawler.ref, 'The raw-zone Glue crawler');
    output(OUTPUT_KEYS.workGroup, workGroup.ref, 'TUNELAKE_ATHENA_WORKGROUP for the CLI');
    output(OUTPUT_KEYS.extract, fns.extract.functionName, 'aws lambda invoke --function-name ...');
    output(OUTPUT_KEYS.transform, fns.transform.functionName, 'The transform function');
    output(OUTPUT_KEYS.catalog, fns.catalog.functionName, 'The catalog function');
    output(OUTPUT_KEYS.dlq, dlq.queueUrl, 'Events that failed after their retries');
    output(OUTPUT_KEYS.dashboard, DASHBOARD_NAME, 'The CloudWatch dashboard');
  }
}

const S3_OBJECT_READ_WRITE = [
  's3:GetObject',
  's3:PutObject',
  's3:DeleteObject',
  's3:AbortMultipartUpload',
  's3:ListMultipartUploadParts',
] as const;
const GLUE_READ = [
  'glue:GetDatabase',
  'glue:GetDatabases',
  'glue:GetTable',
  'glue:GetTables',
  'glue:GetPartition',
  'glue:GetPartitions',
  'glue:BatchGetPartition',
] as const;
const GLUE_WRITE = [
  'glue:CreateTable',
  'glue:UpdateTable',
  'glue:DeleteTable',
  'glue:CreatePartition',
  'glue:BatchCreatePartition',
  'glue:UpdatePartition',
  'glue:BatchUpdatePartition',
  'glue:DeletePartition',
  'glue:BatchDeletePartition',
] as const;

/** s3:ListBucket limited to keys under the given prefixes. */
function listBucketStatement(bucketArn: string, prefixes: string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['s3:ListBucket'],
    resources: [bucketArn],
    conditions: { StringLike: { 's3:prefix': prefixes } },
  });
}

function pascal(name: string): string {
  return name.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The SQL files a bundle must carry (the tests check the asset holds them all). */
export function runtimeSqlFiles(projectRoot: string): string[] {
  const list = (dir: string, to: string) =>
    readdirSync(join(projectRoot, dir))
      .filter((f) => f.endsWith('.sql'))
      .map((f) => `${to}${f}`);
  return [
    ...list('src/transform/tables', 'tables/'),
    'macros.sql',
    'objects.sql',
    ...list('src/insights/sql', 'sql/'),
  ];
}
