// `tunelake deploy`: the printed recipe, and --run with the command runner and the credential probe
// passed in (nothing reaches AWS or runs the CDK here).
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { deployPlan, formatPlan, parseContext, registerDeployCommand } from '../src/cli/deploy-command.js';

async function deploy(args: string[], options: { credentials: boolean; exitCodes?: number[] }) {
  let stdout = '';
  let stderr = '';
  const ran: string[] = [];
  const codes = [...(options.exitCodes ?? [])];
  const program = new Command().exitOverride();
  registerDeployCommand(program, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env: { AWS_REGION: 'eu-north-1' },
    hasCredentials: async () => options.credentials,
    run: async (command) => {
      ran.push(command);
      return codes.shift() ?? 0;
    },
  });
  process.exitCode = undefined;
  await program.parseAsync(['deploy', ...args], { from: 'user' });
  const exitCode = process.exitCode;
  process.exitCode = undefined;
  return { stdout, stderr, ran, exitCode };
}

describe('tunelake deploy', () => {
  it('prints bootstrap, deploy, the secret, the first run and the check, with the context passed on', async () => {
    const { stdout, ran } = await deploy(['-c', 'schedule=cron(0 6 * * ? *)', '-c', 'tier=extended'], {
      credentials: true,
    });
    expect(ran).toEqual([]);
    expect(stdout).toContain("npx cdk bootstrap -c schedule='cron(0 6 * * ? *)' -c tier=extended");
    expect(stdout).toContain(
      "npx cdk deploy Tunelake --require-approval never -c schedule='cron(0 6 * * ? *)'",
    );
    expect(stdout).toContain(
      'aws secretsmanager put-secret-value --region eu-north-1 --secret-id $(aws cloudformation',
    );
    expect(stdout).toContain("OutputKey=='SpotifySecretArn'");
    expect(stdout).toContain('aws lambda invoke --region eu-north-1 --function-name tunelake-extract');
    expect(stdout).toContain('npx tunelake doctor');
    expect(stdout).toMatch(/# 2\. Deploy the stack Tunelake[\s\S]*tier extended/);
  });

  it('--run runs bootstrap then deploy, and prints the steps that need a person', async () => {
    const { ran, stdout, exitCode } = await deploy(['--run', '-c', 'stackName=MyLake'], {
      credentials: true,
    });
    expect(ran).toEqual([
      'npx cdk bootstrap -c stackName=MyLake',
      'npx cdk deploy MyLake --require-approval never -c stackName=MyLake',
    ]);
    expect(exitCode).toBeUndefined();
    expect(stdout).toMatch(/^\nNext steps:\n\n# 1\. Put the Spotify credentials/);
    expect(stdout).not.toContain('cdk deploy');
  });

  it('--run stops at the first command that fails and exits with its code', async () => {
    const { ran, stderr, exitCode } = await deploy(['--run'], { credentials: true, exitCodes: [3] });
    expect(ran).toEqual(['npx cdk bootstrap']);
    expect(exitCode).toBe(3);
    expect(stderr).toContain('`npx cdk bootstrap` exited with code 3');
  });

  it('--run without AWS credentials says so and prints the commands instead', async () => {
    const { ran, stdout, stderr } = await deploy(['--run'], { credentials: false });
    expect(ran).toEqual([]);
    expect(stderr).toContain('no AWS credentials found');
    expect(stdout).toContain('npx cdk deploy Tunelake');
  });

  it('--destroy --run runs cdk destroy; the bucket is kept and its removal is printed', async () => {
    const { ran, stdout } = await deploy(['--destroy', '--run'], { credentials: true });
    expect(ran.at(-1)).toBe('npx cdk destroy Tunelake --force');
    expect(stdout).toContain('aws s3 rb s3://<bucket>');
  });
});

describe('parseContext(pairs) and deployPlan(options)', () => {
  it('rejects unknown keys and pairs without "="', () => {
    expect(() => parseContext(['bucket=x'])).toThrow(/Invalid --context "bucket=x"/);
    expect(() => parseContext(['schedule'])).toThrow(/expected key=value/);
    expect(parseContext(['lakePrefix=data/lake'])).toEqual({ lakePrefix: 'data/lake' });
  });

  it('validates the context like the CDK app does', () => {
    expect(() => deployPlan({ context: { schedule: 'daily' }, region: 'us-east-1' })).toThrow(
      /Invalid context schedule "daily"/,
    );
    const plan = deployPlan({ context: {}, region: 'us-east-1', profile: 'prod' });
    expect(formatPlan(plan.deploy)).toContain(
      'npx cdk deploy Tunelake --require-approval never --profile prod',
    );
  });
});
