// The `aws` group of `tunelake doctor`: the deployed stack (infra/tunelake-stack.ts) exists and is
// healthy, its schedule is enabled, its Spotify secret holds credentials, the last scheduled run
// committed recently, and the raw-zone crawler's last crawl did not fail. Checked when the lake is on
// S3 with the Glue catalog, or when TUNELAKE_STACK names a stack; read-only, one call per resource.
import type { Config } from '../config.js';
import { isTunelakeError, type TunelakeError, toTunelakeError } from '../errors.js';
import { committedRunIds, readManifest } from '../extract/manifest.js';
import type { ObjectStore } from '../storage/store.js';
import { type AwsDeployment, type DeployedStack, STACK_OUTPUTS } from './aws-deployment.js';
import { checksOf, type DoctorCheck, said } from './check.js';
import { STALE_RUN_HOURS } from './lake-checks.js';

export interface AwsCheckInput {
  config: Config;
  /** The configured lake: its run manifests are the deployed pipeline's runs when it is the stack's lake. */
  store: ObjectStore;
  now: () => Date;
  /** Built only when the deployment is checked. */
  openDeployment: () => AwsDeployment;
}

const HOUR_MS = 3_600_000;
const READY = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'IMPORT_COMPLETE']);
/** The stack works, but its last change was rolled back or is still running. */
const USABLE = new Set([
  'UPDATE_ROLLBACK_COMPLETE',
  'UPDATE_IN_PROGRESS',
  'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
  'UPDATE_ROLLBACK_IN_PROGRESS',
  'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
  'IMPORT_IN_PROGRESS',
]);

/** Whether doctor checks a deployment: an S3 lake with the Glue catalog, or a stack named explicitly. */
export function awsDeploymentConfigured(config: Config): boolean {
  const explicit = (config.origins['cloud.stackName'] ?? 'default') !== 'default';
  return explicit || (config.lake.startsWith('s3://') && config.catalog === 'glue');
}

export async function awsChecks(input: AwsCheckInput): Promise<DoctorCheck[]> {
  const { config } = input;
  const out: DoctorCheck[] = [];
  const lines = checksOf('aws', out);
  if (!awsDeploymentConfigured(config)) {
    lines.skip('aws.deployment', {
      summary:
        config.lake.startsWith('s3://') || config.engine === 'athena'
          ? 'AWS deployment not checked: it is checked with the Glue catalog (TUNELAKE_CATALOG=glue) or TUNELAKE_STACK set'
          : 'AWS deployment not configured (local lake, local catalog, DuckDB)',
      evidence: `lake ${config.lake}, catalog ${config.catalog}, engine ${config.engine}`,
    });
    return out;
  }

  const stackName = config.cloud.stackName;
  const region = config.awsRegion;
  const explicit = (config.origins['cloud.stackName'] ?? 'default') !== 'default';
  const deployment = input.openDeployment();
  let stack: DeployedStack | undefined;
  try {
    stack = await deployment.describeStack(stackName);
  } catch (error) {
    const err = toTunelakeError(error, 'STORAGE_FAILED');
    lines.fail('aws.stack', {
      summary: `the CloudFormation stack ${stackName} cannot be read (${region})`,
      evidence: said(err),
      fix:
        err.code === 'AUTH_UNAUTHORIZED'
          ? 'use AWS credentials (AWS_PROFILE, aws configure) that may call cloudformation:DescribeStacks'
          : 'check AWS_REGION and the network (AWS_ENDPOINT_URL if you use an emulator)',
      code: err.code,
    });
    return out;
  }
  if (!stack) {
    const summary = `the stack ${stackName} is not deployed in ${region}`;
    const fix = `deploy it: \`tunelake deploy\` prints the commands (bootstrap, deploy, set the secret, first run)${
      explicit ? '' : `; or set TUNELAKE_STACK to the name you deployed it under`
    }`;
    // Without an explicit stack, an S3 lake with Glue may just be run from this machine.
    if (explicit)
      lines.fail('aws.stack', {
        summary,
        evidence: `DescribeStacks ${stackName}: does not exist`,
        fix,
        code: 'CONFIG_INVALID',
      });
    else lines.warn('aws.stack', { summary, evidence: `DescribeStacks ${stackName}: does not exist`, fix });
    return out;
  }

  const when = stack.updatedAt ? `, last changed ${stack.updatedAt.toISOString()}` : '';
  const stackEvidence = `${stack.name}: ${stack.status}${stack.statusReason ? ` (${stack.statusReason})` : ''}${when}`;
  if (READY.has(stack.status)) {
    lines.ok('aws.stack', {
      summary: `the stack ${stackName} is deployed (${region})`,
      evidence: stackEvidence,
    });
  } else if (USABLE.has(stack.status)) {
    lines.warn('aws.stack', {
      summary: `the stack ${stackName} is usable, but its last change ${stack.status.includes('ROLLBACK') ? 'was rolled back' : 'is still in progress'}`,
      evidence: stackEvidence,
      fix: 'see the stack events in the CloudFormation console, fix the cause, and deploy again (`tunelake deploy --run`)',
    });
  } else {
    lines.fail('aws.stack', {
      summary: `the stack ${stackName} is not usable (${stack.status})`,
      evidence: stackEvidence,
      fix:
        stack.status === 'ROLLBACK_COMPLETE'
          ? 'the first deploy failed: read the stack events, delete the stack (`npx cdk destroy`), fix the cause, deploy again'
          : 'read the stack events in the CloudFormation console, fix the cause, then deploy again',
      code: 'CONFIG_INVALID',
    });
  }

  const output = (key: string) => stack.outputs[key];
  const missing = (id: string, what: string, key: string) =>
    lines.skip(id, {
      summary: `${what} not checked: the stack has no output ${key}`,
      evidence: `outputs: ${Object.keys(stack.outputs).join(', ') || 'none'}`,
      fix: 'deploy the current stack (`tunelake deploy`)',
    });
  const failed = (id: string, summary: string, error: unknown, fix: string) => {
    const err: TunelakeError = toTunelakeError(error, 'STORAGE_FAILED');
    lines.fail(id, { summary, evidence: said(err), fix, code: err.code });
  };

  // The schedule.
  const scheduleName = output(STACK_OUTPUTS.schedule);
  if (!scheduleName) missing('aws.schedule', 'the schedule', STACK_OUTPUTS.schedule);
  else {
    try {
      const schedule = await deployment.getSchedule(scheduleName);
      if (!schedule) {
        lines.fail('aws.schedule', {
          summary: `the schedule ${scheduleName} does not exist: no run will start`,
          evidence: `GetSchedule ${scheduleName}: not found`,
          fix: 'deploy the stack again (`tunelake deploy`), which recreates it',
          code: 'CONFIG_INVALID',
        });
      } else {
        const evidence = `${scheduleName}: ${schedule.state}, ${schedule.expression}${schedule.timezone ? ` (${schedule.timezone})` : ''}`;
        if (schedule.state === 'ENABLED') {
          lines.ok('aws.schedule', { summary: `the schedule is enabled (${schedule.expression})`, evidence });
        } else {
          lines.fail('aws.schedule', {
            summary: `the schedule ${scheduleName} is ${schedule.state.toLowerCase()}: no run will start`,
            evidence,
            fix: 'enable it in the EventBridge Scheduler console, or deploy the stack again (it sets ENABLED)',
            code: 'CONFIG_INVALID',
          });
        }
      }
    } catch (error) {
      failed(
        'aws.schedule',
        `the schedule ${scheduleName} cannot be read`,
        error,
        'allow scheduler:GetSchedule',
      );
    }
  }

  // The secret: which keys are set, never their values.
  const secretId = output(STACK_OUTPUTS.secret);
  if (!secretId) missing('aws.secret', 'the Spotify secret', STACK_OUTPUTS.secret);
  else {
    const put =
      `aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string ` +
      `'{"client_id":"...","client_secret":"...","refresh_token":"..."}'`;
    try {
      const secret = await deployment.describeSecret(secretId);
      const keys = secret?.keys ?? [];
      const evidence = secret
        ? `${secretId}: ${secret.json ? (keys.length ? `keys ${keys.join(', ')} set (values not shown)` : 'holds {} (not set yet)') : 'not a JSON object'}${
            secret.lastChangedAt ? `, last put ${secret.lastChangedAt.toISOString()}` : ''
          }`
        : `${secretId}: not found`;
      const lacking = ['client_id', 'client_secret'].filter((k) => !keys.includes(k));
      if (!secret || lacking.length > 0) {
        lines.fail('aws.secret', {
          summary: secret
            ? `the Spotify secret lacks ${lacking.join(' and ')}: every scheduled extract will fail`
            : 'the Spotify secret does not exist: every scheduled extract will fail',
          evidence,
          fix: secret
            ? `put the credentials: ${put}`
            : 'deploy the stack again (`tunelake deploy`), then put the credentials',
          code: 'AUTH_INVALID_CLIENT',
        });
      } else if (!keys.includes('refresh_token')) {
        lines.warn('aws.secret', {
          summary:
            'the Spotify secret has no refresh_token: sources under "me" (your listening) cannot be extracted',
          evidence,
          fix: `run \`tunelake login\`, then add the refresh token from .tunelake/credentials.json: ${put}`,
        });
      } else {
        lines.ok('aws.secret', {
          summary: 'the Spotify secret holds client_id, client_secret and refresh_token',
          evidence,
        });
      }
    } catch (error) {
      failed(
        'aws.secret',
        'the Spotify secret cannot be read',
        error,
        'allow secretsmanager:GetSecretValue on it',
      );
    }
  }

  // The last scheduled run: the newest run manifest in the stack's lake.
  const stackLake = output(STACK_OUTPUTS.lake);
  const extractFn = output(STACK_OUTPUTS.extract) ?? 'tunelake-extract';
  const firstRun = `aws lambda invoke --function-name ${extractFn} --invocation-type Event --cli-binary-format raw-in-base64-out --payload '{"source":"manual"}' /dev/null`;
  if (!stackLake) missing('aws.last-run', 'the last Lambda run', STACK_OUTPUTS.lake);
  else if (trimSlash(stackLake) !== trimSlash(config.lake)) {
    lines.skip('aws.last-run', {
      summary: `the last Lambda run not checked: the configured lake is not the stack's`,
      evidence: `stack lake ${stackLake}, configured lake ${config.lake}`,
      fix: `set TUNELAKE_LAKE=${stackLake} to check the deployed lake`,
    });
  } else {
    try {
      const ids = await committedRunIds(input.store);
      const last = ids.at(-1);
      if (!last) {
        lines.warn('aws.last-run', {
          summary: 'the deployed pipeline has not committed a run yet',
          evidence: `no manifest under ${trimSlash(stackLake)}/runs/`,
          fix: `wait for the schedule, or start one now: ${firstRun}; logs: /aws/lambda/${extractFn}`,
        });
      } else {
        const manifest = await readManifest(input.store, last);
        const hours = Math.max(0, (input.now().getTime() - Date.parse(manifest.finishedAt)) / HOUR_MS);
        const evidence = `runs/${last}.json finished ${manifest.finishedAt} (${hours.toFixed(1)} h ago)`;
        if (hours > STALE_RUN_HOURS) {
          lines.warn('aws.last-run', {
            summary: `the last committed run is ${hours.toFixed(0)} h old: scheduled runs are failing or not starting`,
            evidence,
            fix: `read the logs (/aws/lambda/${extractFn}) and the dead-letter queue tunelake-dlq; start one: ${firstRun}`,
          });
        } else {
          lines.ok('aws.last-run', { summary: `the last run committed ${hours.toFixed(1)} h ago`, evidence });
        }
      }
    } catch (error) {
      failed('aws.last-run', 'the deployed lake cannot be read', error, 'see the lake group');
    }
  }

  // The crawler: started only when a raw schema changed, so "never ran" is fine.
  const crawlerName = output(STACK_OUTPUTS.crawler);
  if (!crawlerName) missing('aws.crawler', 'the crawler', STACK_OUTPUTS.crawler);
  else {
    try {
      const crawler = await deployment.getCrawler(crawlerName);
      if (!crawler) {
        lines.warn('aws.crawler', {
          summary: `the crawler ${crawlerName} does not exist: raw-zone schema changes will not reach Glue`,
          evidence: `GetCrawler ${crawlerName}: not found`,
          fix: 'deploy the stack again (`tunelake deploy`)',
        });
      } else if (!crawler.lastCrawl) {
        lines.ok('aws.crawler', {
          summary: `the crawler ${crawlerName} has not run yet (it runs when a raw schema changes)`,
          evidence: `state ${crawler.state}`,
        });
      } else {
        const at = crawler.lastCrawl.startedAt ? ` at ${crawler.lastCrawl.startedAt.toISOString()}` : '';
        const evidence = `state ${crawler.state}, last crawl ${crawler.lastCrawl.status}${at}${
          crawler.lastCrawl.errorMessage ? `: ${crawler.lastCrawl.errorMessage}` : ''
        }`;
        if (crawler.lastCrawl.status === 'FAILED') {
          lines.warn('aws.crawler', {
            summary: `the crawler's last crawl failed: raw tables may miss new columns`,
            evidence,
            fix: `read the log group /aws-glue/crawlers (stream ${crawlerName}), then \`aws glue start-crawler --name ${crawlerName}\``,
          });
        } else {
          lines.ok('aws.crawler', {
            summary: `the crawler's last crawl ${crawler.lastCrawl.status.toLowerCase()}`,
            evidence,
          });
        }
      }
    } catch (error) {
      if (isTunelakeError(error, 'AUTH_UNAUTHORIZED')) {
        failed('aws.crawler', `the crawler ${crawlerName} cannot be read`, error, 'allow glue:GetCrawler');
      } else failed('aws.crawler', `the crawler ${crawlerName} cannot be read`, error, 'see the evidence');
    }
  }
  return out;
}

function trimSlash(uri: string): string {
  return uri.replace(/\/+$/, '');
}
