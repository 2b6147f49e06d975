// The slice of CloudFormation, EventBridge Scheduler, Secrets Manager and Glue that `tunelake doctor`
// reads to check a deployed stack (aws-checks.ts). Read-only calls, one per resource. The secret's
// values never leave this file: only the names of the keys that hold a non-empty string do.
//
// The SDK is loaded on first use, so a doctor run on a local lake never loads it. Endpoints come from
// the SDK's own settings (AWS_ENDPOINT_URL_*, profiles), or `clientConfig` in tests.
import { TunelakeError } from '../errors.js';

/** The outputs of the CDK stack (infra/tunelake-stack.ts) that doctor and `tunelake deploy` read. */
export const STACK_OUTPUTS = {
  bucket: 'LakeBucketName',
  lake: 'LakeUri',
  secret: 'SpotifySecretArn',
  schedule: 'ScheduleName',
  crawler: 'CrawlerName',
  workGroup: 'AthenaWorkGroup',
  extract: 'ExtractFunctionName',
  transform: 'TransformFunctionName',
  catalog: 'CatalogFunctionName',
  dlq: 'DeadLetterQueueUrl',
  dashboard: 'DashboardName',
} as const;

export interface DeployedStack {
  name: string;
  status: string;
  statusReason: string | undefined;
  updatedAt: Date | undefined;
  outputs: Record<string, string>;
}

export interface DeployedSchedule {
  state: string;
  expression: string;
  timezone: string | undefined;
  targetArn: string | undefined;
}

export interface DeployedSecret {
  /** Keys of the secret's JSON object whose value is a non-empty string; never the values. */
  keys: string[];
  /** False when the SecretString is not a JSON object. */
  json: boolean;
  lastChangedAt: Date | undefined;
}

export interface DeployedCrawler {
  state: string;
  lastCrawl: { status: string; startedAt: Date | undefined; errorMessage: string | undefined } | undefined;
}

/** Each returns undefined when the resource does not exist. */
export interface AwsDeployment {
  describeStack(name: string): Promise<DeployedStack | undefined>;
  getSchedule(name: string, group?: string): Promise<DeployedSchedule | undefined>;
  describeSecret(id: string): Promise<DeployedSecret | undefined>;
  getCrawler(name: string): Promise<DeployedCrawler | undefined>;
}

export interface AwsDeploymentConfig {
  region: string;
  /** Extra SDK client settings (tests: moto's endpoint and fake credentials). */
  clientConfig?: Record<string, unknown>;
}

export function createAwsDeployment(config: AwsDeploymentConfig): AwsDeployment {
  const clientConfig = { region: config.region, ...config.clientConfig };
  const lazy = <T>(load: () => Promise<T>) => {
    let promise: Promise<T> | undefined;
    return () => {
      promise ??= load();
      return promise;
    };
  };
  const cloudformation = lazy(async () => {
    const sdk = await import('@aws-sdk/client-cloudformation');
    return { sdk, client: new sdk.CloudFormationClient(clientConfig) };
  });
  const scheduler = lazy(async () => {
    const sdk = await import('@aws-sdk/client-scheduler');
    return { sdk, client: new sdk.SchedulerClient(clientConfig) };
  });
  const secrets = lazy(async () => {
    const sdk = await import('@aws-sdk/client-secrets-manager');
    return { sdk, client: new sdk.SecretsManagerClient(clientConfig) };
  });
  const glue = lazy(async () => {
    const sdk = await import('@aws-sdk/client-glue');
    return { sdk, client: new sdk.GlueClient(clientConfig) };
  });

  return {
    async describeStack(name) {
      const { sdk, client } = await cloudformation();
      try {
        const out = await client.send(new sdk.DescribeStacksCommand({ StackName: name }));
        const stack = out.Stacks?.[0];
        if (!stack) return undefined;
        const outputs: Record<string, string> = {};
        for (const o of stack.Outputs ?? [])
          if (o.OutputKey && o.OutputValue) outputs[o.OutputKey] = o.OutputValue;
        return {
          name: stack.StackName ?? name,
          status: stack.StackStatus ?? 'UNKNOWN',
          statusReason: stack.StackStatusReason,
          updatedAt: stack.LastUpdatedTime ?? stack.CreationTime,
          outputs,
        };
      } catch (error) {
        // CloudFormation answers a missing stack with a ValidationError, not a NotFound.
        if (/does not exist/.test((error as Error).message ?? '')) return undefined;
        throw awsError(error, `cloudformation:DescribeStacks ${name}`);
      }
    },

    async getSchedule(name, group) {
      const { sdk, client } = await scheduler();
      try {
        const out = await client.send(new sdk.GetScheduleCommand({ Name: name, GroupName: group }));
        return {
          state: out.State ?? 'UNKNOWN',
          expression: out.ScheduleExpression ?? '',
          timezone: out.ScheduleExpressionTimezone,
          targetArn: out.Target?.Arn,
        };
      } catch (error) {
        if (error instanceof sdk.ResourceNotFoundException) return undefined;
        throw awsError(error, `scheduler:GetSchedule ${name}`);
      }
    },

    async describeSecret(id) {
      const { sdk, client } = await secrets();
      try {
        const out = await client.send(new sdk.GetSecretValueCommand({ SecretId: id }));
        let parsed: unknown;
        try {
          parsed = JSON.parse(out.SecretString ?? '');
        } catch {
          parsed = undefined;
        }
        const json = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed);
        const keys = json
          ? Object.entries(parsed as Record<string, unknown>)
              .filter(([, v]) => typeof v === 'string' && v.trim() !== '')
              .map(([k]) => k)
              .sort()
          : [];
        return { keys, json, lastChangedAt: out.CreatedDate };
      } catch (error) {
        if (error instanceof sdk.ResourceNotFoundException) return undefined;
        throw awsError(error, `secretsmanager:GetSecretValue ${id}`);
      }
    },

    async getCrawler(name) {
      const { sdk, client } = await glue();
      try {
        const out = await client.send(new sdk.GetCrawlerCommand({ Name: name }));
        const last = out.Crawler?.LastCrawl;
        return {
          state: out.Crawler?.State ?? 'UNKNOWN',
          lastCrawl: last?.Status
            ? { status: last.Status, startedAt: last.StartTime, errorMessage: last.ErrorMessage }
            : undefined,
        };
      } catch (error) {
        if (error instanceof sdk.EntityNotFoundException) return undefined;
        throw awsError(error, `glue:GetCrawler ${name}`);
      }
    },
  };
}

function awsError(error: unknown, call: string): TunelakeError {
  const name = (error as { name?: string }).name ?? '';
  const message = (error as Error).message ?? String(error);
  if (
    /AccessDenied|UnrecognizedClient|InvalidClientTokenId|ExpiredToken|CredentialsProviderError/.test(name)
  ) {
    return new TunelakeError('AUTH_UNAUTHORIZED', `${call}: ${name}: ${message}`, { cause: error });
  }
  // No answer at all (wrong endpoint, no network) versus an answer that is an error.
  const network = /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|TimeoutError|NetworkingError/.test(`${name} ${message}`);
  return new TunelakeError(
    network ? 'NETWORK' : 'STORAGE_FAILED',
    `${call}: ${name ? `${name}: ` : ''}${message}`,
    {
      cause: error,
      retryable: network,
    },
  );
}

/**
 * Whether the SDK's default credential chain (environment, profile, SSO, instance role) yields
 * credentials, without calling AWS: `tunelake deploy` prints the commands instead of running them
 * when it does not.
 */
export async function hasAwsCredentials(region: string): Promise<boolean> {
  const sdk = await import('@aws-sdk/client-cloudformation');
  const client = new sdk.CloudFormationClient({ region });
  try {
    const credentials = await client.config.credentials();
    return Boolean(credentials.accessKeyId);
  } catch {
    return false;
  } finally {
    client.destroy();
  }
}
