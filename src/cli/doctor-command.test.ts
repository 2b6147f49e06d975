import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listBucketKeys, type Moto, type MotoS3, motoS3Client, startMoto } from '../../test/support/moto.js';
import { Emulator } from '../emulator/server.js';
import { registerDoctorCommand } from './doctor-command.js';

let dir: string;
let emu: Emulator;
let moto: Moto;
let s3: MotoS3;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tunelake-doctor-cli-'));
  [emu, moto] = await Promise.all([Emulator.create({ port: 0 }), startMoto()]);
  s3 = await motoS3Client(moto.endpoint);
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  await Promise.all([emu?.close(), moto?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  process.exitCode = undefined;
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    SPOTIFY_CLIENT_ID: 'tunelake-demo',
    SPOTIFY_CLIENT_SECRET: 'tunelake-demo-secret',
    SPOTIFY_ACCOUNTS_URL: emu.url,
    SPOTIFY_API_URL: emu.apiUrl,
    SPOTIFY_REFRESH_TOKEN: emu.issueRefreshToken(),
    TUNELAKE_CREDENTIALS: join(dir, 'none.json'),
    TUNELAKE_LAKE: join(dir, 'lake'),
    ...extra,
  };
}

/** Runs `tunelake doctor <args>`; returns what it printed and the exit code it set. */
async function doctor(
  args: string[],
  environment: Record<string, string>,
  isTty = false,
): Promise<{ out: string; exitCode: number }> {
  let out = '';
  const program = new Command('tunelake').exitOverride();
  registerDoctorCommand(program, {
    env: environment,
    stdout: (t) => {
      out += t;
    },
    isTty,
    runtime: { s3Client: s3 },
  });
  await program.parseAsync(['doctor', ...args], { from: 'user' });
  const exitCode = process.exitCode === undefined ? 0 : Number(process.exitCode);
  return { out, exitCode };
}

describe('tunelake doctor', () => {
  it('--json prints {ok, checks} with id, group, status, summary, evidence and fix', async () => {
    const { out, exitCode } = await doctor(['--json'], env());
    const report = JSON.parse(out) as { ok: boolean; checks: Array<Record<string, string>> };
    expect(report.ok).toBe(true);
    expect(exitCode).toBe(0);
    for (const c of report.checks) {
      expect(Object.keys(c).sort()).toEqual(['evidence', 'fix', 'group', 'id', 'status', 'summary']);
    }
    const secret = report.checks.find((c) => c.id === 'config.spotify.clientSecret')!;
    expect(secret.summary).toBe('spotify.clientSecret = tune***');
    expect(secret.evidence).toBe('origin: env (SPOTIFY_CLIENT_SECRET)');
    expect(report.checks.find((c) => c.id === 'config.lake')!.evidence).toBe('origin: env (TUNELAKE_LAKE)');
    expect(out).not.toContain('tunelake-demo-secret');
  });

  it('marks lines with words when stdout is not a terminal, and with ✓/!/✗ when it is', async () => {
    const plain = await doctor([], env());
    expect(plain.out).toMatch(/^credentials\n {2}ok {3}client-credentials/m);
    expect(plain.out).not.toContain('✓');
    const tty = await doctor([], env(), true);
    expect(tty.out).toMatch(/^ {2}✓ client-credentials/m);
    expect(tty.out).toMatch(/^ {2}! artist objects lack/m);
  });

  it('without SPOTIFY_CLIENT_ID says plainly that it is using the emulator', async () => {
    const environment = env();
    delete (environment as Record<string, string | undefined>).SPOTIFY_CLIENT_ID;
    const { out } = await doctor([], environment);
    expect(out).toMatch(/^ {2}warn using the emulator: no SPOTIFY_CLIENT_ID is set/m);
  });

  it('an invalid configuration is one failed line and exit code 2', async () => {
    const { out, exitCode } = await doctor(['--tier', 'extnded'], env());
    expect(out).toMatch(
      /^ {2}fail the configuration is invalid, so nothing else was checked \(Invalid --tier "extnded"/m,
    );
    expect(exitCode).toBe(2);
  });

  it('moto S3 without the bucket: the lake is not writable, exit code 7', async () => {
    const { out, exitCode } = await doctor(
      [],
      env({ TUNELAKE_LAKE: 's3://no-such-bucket/lake', TUNELAKE_S3_ENDPOINT: moto.endpoint }),
    );
    expect(out).toMatch(/^ {2}fail the lake s3:\/\/no-such-bucket\/lake is not writable .*bucket/m);
    expect(exitCode).toBe(7);
  });

  it('moto S3 with the bucket: writable, create-only and compare-and-swap, and nothing left behind', async () => {
    await s3.destroy();
    s3 = await motoS3Client(moto.endpoint, ['doctor-lake']);
    const { out, exitCode } = await doctor(
      ['--json'],
      env({ TUNELAKE_LAKE: 's3://doctor-lake/lake', TUNELAKE_S3_ENDPOINT: moto.endpoint }),
    );
    const report = JSON.parse(out) as { checks: Array<{ id: string; status: string }> };
    const status = (id: string) => report.checks.find((c) => c.id === id)?.status;
    expect(status('lake.writable')).toBe('ok');
    expect(status('lake.create-only')).toBe('ok');
    expect(status('lake.compare-and-swap')).toBe('ok');
    expect(status('aws.deployment')).toBe('skip');
    expect(exitCode).toBe(0);
    expect(await listBucketKeys(s3, 'doctor-lake')).toEqual([]);
  });
});
