// The stack's settings, from CDK context (`cdk deploy -c schedule='cron(0 6 * * ? *)'`, cdk.json, or
// `tunelake deploy --context k=v`). Explicit context beats the defaults below; every problem is
// reported at once, as loadConfig does for the CLI.
import { existsSync } from 'node:fs';
import { TunelakeError } from '../src/errors.js';

export interface StackSettingsSpec {
  stackName?: string;
  bucketName?: string;
  lakePrefix?: string;
  schedule?: string;
  tier?: string;
  sourcesFile?: string;
  alarmEmail?: string;
  spotifySecretArn?: string;
  publishBrief?: string;
}

export interface StackSettings {
  stackName: string;
  /** undefined: `tunelake-<account>-<region>`, resolved at deploy time. */
  bucketName: string | undefined;
  /** Where the lake lives in the bucket, without slashes: `lake` -> s3://<bucket>/lake/. */
  lakePrefix: string;
  /** An EventBridge Scheduler expression: `rate(1 day)`, `cron(0 6 * * ? *)` (UTC). */
  schedule: string;
  tier: 'development' | 'extended';
  /** The tunelake config file whose sources the Lambda functions extract; undefined: no sources. */
  sourcesFile: string | undefined;
  alarmEmail: string | undefined;
  /** An existing Secrets Manager secret to read the Spotify credentials from, instead of a new one. */
  spotifySecretArn: string | undefined;
  /**
   * The catalog function publishes the daily brief to the alarm topic after each refresh
   * (TUNELAKE_BRIEF_TOPIC_ARN), so that its email subscribers get it. Default false.
   */
  publishBrief: boolean;
}

export const DEFAULT_STACK_NAME = 'Tunelake';
export const CONTEXT_KEYS = [
  'stackName',
  'bucketName',
  'lakePrefix',
  'schedule',
  'tier',
  'sourcesFile',
  'alarmEmail',
  'spotifySecretArn',
  'publishBrief',
] as const;

/** Which file the functions' sources come from when the context names none. */
export const DEFAULT_SOURCES_FILES = ['tunelake.config.json', 'tunelake.config.example.json'] as const;

export function resolveStackSettings(
  spec: StackSettingsSpec,
  deps: { exists?: (path: string) => boolean } = {},
): StackSettings {
  const exists = deps.exists ?? existsSync;
  const problems: string[] = [];
  const text = (value: string | undefined) =>
    value === undefined || value.trim() === '' ? undefined : value.trim();

  const stackName = text(spec.stackName) ?? DEFAULT_STACK_NAME;
  if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(stackName)) {
    problems.push(`Invalid context stackName "${stackName}": expected a CloudFormation stack name.`);
  }
  const bucketName = text(spec.bucketName);
  if (bucketName !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucketName)) {
    problems.push(
      `Invalid context bucketName "${bucketName}": expected an S3 bucket name (3-63 a-z, 0-9, '.', '-').`,
    );
  }
  const lakePrefix = (text(spec.lakePrefix) ?? 'lake').replace(/^\/+|\/+$/g, '');
  if (!/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/.test(lakePrefix)) {
    problems.push(
      `Invalid context lakePrefix "${spec.lakePrefix}": expected folder names (letters, digits, '_', '-') joined by '/'.`,
    );
  }
  const schedule = text(spec.schedule) ?? 'rate(1 day)';
  if (!/^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(\S+( \S+){5}\))$/.test(schedule)) {
    problems.push(
      `Invalid context schedule "${schedule}": expected an EventBridge Scheduler expression such as "rate(1 day)" or "cron(0 6 * * ? *)" (six fields, UTC).`,
    );
  }
  const tierText = text(spec.tier) ?? 'development';
  const tier = tierText === 'extended' ? 'extended' : 'development';
  if (tierText !== 'development' && tierText !== 'extended') {
    problems.push(`Invalid context tier "${tierText}": expected "development" or "extended".`);
  }
  let sourcesFile = text(spec.sourcesFile);
  if (sourcesFile !== undefined && !exists(sourcesFile)) {
    problems.push(`Invalid context sourcesFile "${sourcesFile}": the file does not exist.`);
    sourcesFile = undefined;
  }
  if (spec.sourcesFile === undefined) sourcesFile = DEFAULT_SOURCES_FILES.find((f) => exists(f));
  const alarmEmail = text(spec.alarmEmail);
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail)) {
    problems.push(`Invalid context alarmEmail "${alarmEmail}": expected an email address.`);
  }
  const spotifySecretArn = text(spec.spotifySecretArn);
  if (
    spotifySecretArn !== undefined &&
    !/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/.test(
      spotifySecretArn,
    )
  ) {
    problems.push(
      `Invalid context spotifySecretArn "${spotifySecretArn}": expected a complete secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>).`,
    );
  }
  const publishText = (text(spec.publishBrief) ?? 'false').toLowerCase();
  if (publishText !== 'true' && publishText !== 'false') {
    problems.push(`Invalid context publishBrief "${spec.publishBrief}": expected "true" or "false".`);
  }
  const publishBrief = publishText === 'true';
  if (problems.length > 0) {
    throw new TunelakeError(
      'CONFIG_INVALID',
      problems.length === 1
        ? problems[0]!
        : `${problems.length} problems in the stack context:\n- ${problems.join('\n- ')}`,
      { details: { problems } },
    );
  }
  return {
    stackName,
    bucketName,
    lakePrefix,
    schedule,
    tier,
    sourcesFile,
    alarmEmail,
    spotifySecretArn,
    publishBrief,
  };
}
