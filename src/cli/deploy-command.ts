// `tunelake deploy [--run] [--destroy] [--context key=value ...]`: the commands that put tunelake on AWS
// with the CDK app (bin/app.ts, infra/): bootstrap, deploy, put the Spotify credentials in the secret,
// start a first run, check it, and tear it down. By default it prints them, ready to paste; with --run
// it runs bootstrap and deploy itself (or destroy, with --destroy), when AWS credentials are available.
// The secret is never set from here: its value should not pass through a command line tunelake builds.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { CONTEXT_KEYS, resolveStackSettings, type StackSettingsSpec } from '../../infra/stack-settings.js';
import { loadConfig } from '../config.js';
import { hasAwsCredentials, STACK_OUTPUTS } from '../doctor/aws-deployment.js';
import { TunelakeError } from '../errors.js';

export interface DeployOptions {
  /** Context values for the CDK app (`-c key=value`), validated like the app validates them. */
  context: Record<string, string>;
  region: string;
  profile?: string | undefined;
}

export interface DeployStep {
  title: string;
  /** Shell commands, ready to paste (one per line). */
  commands: string[];
  note?: string;
  /** Run by `tunelake deploy --run` (the others need a person: a secret value, a decision). */
  runnable?: boolean;
}

/** The recipe for a stack: bootstrap, deploy, secret, first run, check, logs, tear down. */
export function deployPlan(options: DeployOptions): { deploy: DeployStep[]; destroy: DeployStep[] } {
  const spec = toSpec(options.context);
  const settings = resolveStackSettings(spec);
  const stack = settings.stackName;
  const ctx = Object.entries(options.context)
    .map(([k, v]) => ` -c ${k}=${shellQuote(v)}`)
    .join('');
  const profile = options.profile ? ` --profile ${shellQuote(options.profile)}` : '';
  const region = ` --region ${options.region}`;
  const output = (key: string) =>
    `$(aws cloudformation describe-stacks --stack-name ${stack}${region}${profile} ` +
    `--query "Stacks[0].Outputs[?OutputKey=='${key}'].OutputValue" --output text)`;
  const extract = 'tunelake-extract';
  const deploy: DeployStep[] = [
    {
      title: 'Bootstrap the account and region for the CDK (once per account and region)',
      commands: [`npx cdk bootstrap${profile}${ctx}`],
      runnable: true,
    },
    {
      title: `Deploy the stack ${stack} (synth bundles the functions with esbuild; no Docker needed)`,
      commands: [`npx cdk deploy ${stack} --require-approval never${profile}${ctx}`],
      note:
        `schedule ${settings.schedule} (UTC), tier ${settings.tier}, lake s3://${settings.bucketName ?? 'tunelake-<account>-<region>'}/${settings.lakePrefix}, ` +
        `sources from ${settings.sourcesFile ?? '(none: an empty sources file)'}`,
      runnable: true,
    },
    {
      title: 'Put the Spotify credentials in the secret (the stack creates it holding {})',
      commands: [
        `cat > spotify-secret.json <<'JSON'\n{"client_id": "...", "client_secret": "...", "refresh_token": "..."}\nJSON`,
        `aws secretsmanager put-secret-value${region}${profile} --secret-id ${output(STACK_OUTPUTS.secret)} --secret-string file://spotify-secret.json && rm spotify-secret.json`,
      ],
      note: 'refresh_token comes from `tunelake login` (.tunelake/credentials.json); only sources under "me" need it',
    },
    {
      title: 'Start a first run now instead of waiting for the schedule',
      commands: [
        `aws lambda invoke${region}${profile} --function-name ${extract} --invocation-type Event ` +
          `--cli-binary-format raw-in-base64-out --payload '{"source":"manual"}' /dev/null`,
      ],
      note: 'the extract commits runs/<id>.json, which starts the transform, whose success starts the catalog',
    },
    {
      title: 'Check the deployment and query the lake from this machine',
      commands: [
        `export TUNELAKE_STACK=${stack} AWS_REGION=${options.region} TUNELAKE_LAKE=${output(STACK_OUTPUTS.lake)} TUNELAKE_CATALOG=glue TUNELAKE_ENGINE=athena TUNELAKE_ATHENA_WORKGROUP=tunelake`,
        'npx tunelake doctor',
        'npx tunelake query "select count(*) as n from playlist_items"',
      ],
      note: `logs: /aws/lambda/tunelake-{extract,transform,catalog}; metrics: namespace Tunelake; dashboard: tunelake; alarms: SNS topic tunelake-alarms`,
    },
  ];
  const destroy: DeployStep[] = [
    {
      title: `Delete the stack ${stack} (the lake bucket is kept: it holds your data)`,
      commands: [
        `echo "the lake bucket: ${output(STACK_OUTPUTS.bucket)}"`,
        `npx cdk destroy ${stack} --force${profile}${ctx}`,
      ],
      runnable: true,
    },
    {
      title: 'Then, to delete the data too: empty and remove the bucket (every version)',
      commands: [
        `aws s3api list-object-versions --bucket <bucket>${region}${profile} --output json ` +
          `--query '{Objects: [Versions, DeleteMarkers][][].{Key: Key, VersionId: VersionId}}' > versions.json`,
        `aws s3api delete-objects --bucket <bucket>${region}${profile} --delete file://versions.json  # 1000 keys per call`,
        `aws s3 rb s3://<bucket>${region}${profile}`,
      ],
    },
  ];
  return { deploy, destroy };
}

export function formatPlan(steps: DeployStep[]): string {
  const lines: string[] = [];
  steps.forEach((step, i) => {
    lines.push(`# ${i + 1}. ${step.title}`);
    if (step.note) lines.push(`#    ${step.note}`);
    lines.push(...step.commands, '');
  });
  return lines.join('\n');
}

export interface DeployCommandDeps {
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  env?: Readonly<Record<string, string | undefined>>;
  /** Default: the SDK's credential chain finds credentials. */
  hasCredentials?: (region: string) => Promise<boolean>;
  /** Runs one command line in the project folder; resolves to its exit code. */
  run?: (commandLine: string) => Promise<number>;
}

interface DeployFlags {
  run?: boolean;
  print?: boolean;
  destroy?: boolean;
  context: string[];
  profile?: string;
  region?: string;
}

export function registerDeployCommand(program: Command, deps: DeployCommandDeps = {}): void {
  program
    .command('deploy')
    .description(
      'Print (default) or run (--run) the commands that deploy tunelake to AWS with the CDK: bootstrap, deploy, ' +
        'set the Spotify secret, first run, check; --destroy for the tear-down.',
    )
    .option('--run', 'run bootstrap and deploy (or destroy) with the AWS credentials of this shell')
    .option('--print', 'only print the commands (the default)')
    .option('--destroy', 'the tear-down commands instead')
    .option(
      '-c, --context <key=value>',
      `stack context, repeatable: ${CONTEXT_KEYS.join(', ')}`,
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--profile <name>', 'AWS profile for the cdk and aws commands')
    .option('--region <region>', 'AWS region (default: AWS_REGION, else us-east-1)')
    .action(async (flags: DeployFlags) => {
      const code = await deploy(flags, deps);
      if (code !== 0) process.exitCode = code;
    });
}

async function deploy(flags: DeployFlags, deps: DeployCommandDeps): Promise<number> {
  const write = deps.stdout ?? ((text: string) => process.stdout.write(text));
  const warn = deps.stderr ?? ((text: string) => process.stderr.write(text));
  const config = loadConfig({ awsRegion: flags.region, readStoredCredentials: false }, deps.env);
  const options: DeployOptions = {
    context: parseContext(flags.context),
    region: config.awsRegion,
    profile: flags.profile,
  };
  const plan = deployPlan(options);
  const steps = flags.destroy ? plan.destroy : plan.deploy;
  if (!flags.run || flags.print) {
    write(formatPlan(steps));
    return 0;
  }
  const credentials = await (deps.hasCredentials ?? hasAwsCredentials)(options.region);
  if (!credentials && !flags.profile) {
    warn(
      'tunelake deploy: no AWS credentials found (environment, profile, SSO or role): printing the commands instead.\n',
    );
    write(formatPlan(steps));
    return 0;
  }
  const run = deps.run ?? runInProject;
  for (const step of steps) {
    if (!step.runnable) continue;
    for (const command of step.commands) {
      warn(`$ ${command}\n`);
      const code = await run(command);
      if (code !== 0) {
        // The CDK printed why; its exit code is the most precise one to pass on.
        warn(`tunelake deploy: \`${command}\` exited with code ${code}; see its output above.\n`);
        return code;
      }
    }
  }
  const rest = steps.filter((s) => !s.runnable);
  if (rest.length > 0) write(`\nNext steps:\n\n${formatPlan(rest)}`);
  return 0;
}

/** `key=value` pairs; an unknown key or a missing '=' is an INVALID_ARGUMENT. */
export function parseContext(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const key = at > 0 ? pair.slice(0, at) : '';
    if (!(CONTEXT_KEYS as readonly string[]).includes(key)) {
      throw new TunelakeError(
        'INVALID_ARGUMENT',
        `Invalid --context "${pair}": expected key=value with key one of ${CONTEXT_KEYS.join(', ')}.`,
      );
    }
    out[key] = pair.slice(at + 1);
  }
  return out;
}

function toSpec(context: Record<string, string>): StackSettingsSpec {
  const spec: StackSettingsSpec = {};
  for (const key of CONTEXT_KEYS) if (context[key] !== undefined) spec[key] = context[key];
  return spec;
}

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@=+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

function runInProject(commandLine: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', commandLine], { cwd: PROJECT_ROOT, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}
