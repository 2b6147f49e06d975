import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PATH } from '../../test/support/env.js';
import { isTunelakeError } from '../errors.js';
import { emulatorOptionsFromFlags } from './emulator-command.js';

const BIN = resolve(import.meta.dirname, '../../bin/tunelake.js');
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

function start(args: string[]): { child: ChildProcess; firstLine: Promise<string>; stderr: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const firstLine = new Promise<string>((resolveLine, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const newline = out.indexOf('\n');
      if (newline >= 0) resolveLine(out.slice(0, newline));
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code} before printing: ${err}`)));
  });
  // The invalid-flags test never awaits it: keep its rejection from going unhandled.
  firstLine.catch(() => undefined);
  return { child, firstLine, stderr: () => err };
}

describe('tunelake emulator --port 0 --json', () => {
  it('prints one JSON object with the real port, answers a token request and a search, and stops on SIGTERM', async () => {
    const { child, firstLine } = start([
      'emulator',
      '--port',
      '0',
      '--json',
      '--tier',
      'extended',
      '--seed',
      '7',
    ]);
    const info = JSON.parse(await firstLine);
    expect(info).toMatchObject({
      ok: true,
      tier: 'extended',
      seed: 7,
      clientId: 'tunelake-demo',
      clientSecret: 'tunelake-demo-secret',
      env: { SPOTIFY_CLIENT_ID: 'tunelake-demo', SPOTIFY_ACCESS_TIER: 'extended' },
    });
    expect(info.port).toBeGreaterThan(0);
    expect(info.url).toBe(`http://127.0.0.1:${info.port}`);
    expect(info.apiUrl).toBe(`${info.url}/v1`);
    expect(info.env.SPOTIFY_ACCOUNTS_URL).toBe(info.url);

    const basic = Buffer.from(`${info.clientId}:${info.clientSecret}`).toString('base64');
    const tokenRes = await fetch(`${info.accountsUrl}/api/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(tokenRes.status).toBe(200);
    const { access_token } = await tokenRes.json();
    const search = await fetch(`${info.apiUrl}/search?q=a&type=artist&limit=50`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(search.status).toBe(200);
    expect((await search.json()).artists.limit).toBe(50);

    const refresh = await fetch(`${info.accountsUrl}/api/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: info.refreshToken,
        client_id: info.clientId,
      }),
    });
    expect(refresh.status).toBe(200);

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it('exits with code 2 and one clear line for invalid flags', async () => {
    const { child, stderr } = start(['emulator', '--port', 'abc', '--fault-429', '1.5', '--tier', 'premium']);
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(stderr()).toMatch(/^tunelake: Invalid emulator flags: /);
    for (const part of ['--port "abc"', '--fault-429 "1.5"', '--tier "premium"'])
      expect(stderr()).toContain(part);
    expect(stderr().trim().split('\n')).toHaveLength(1);
  });
});

describe('emulatorOptionsFromFlags(flags)', () => {
  const defaults = { port: '8787', tier: 'development', seed: '42', scale: '1', day: '0', rateLimit: '2000' };

  it('turns flags into emulator options, faults included', () => {
    expect(
      emulatorOptionsFromFlags({
        ...defaults,
        latencyMs: '25',
        fault5xx: '0.1',
        faultReset: '0',
        quotaExceeded: true,
        tokenTtl: '60',
      }),
    ).toEqual({
      port: 8787,
      tier: 'development',
      seed: 42,
      scale: 1,
      day: 0,
      rateLimit: 2000,
      tokenTtlSeconds: 60,
      faults: { latencyMs: 25, rate5xx: 0.1, rateReset: 0, quotaExceeded: true },
    });
  });

  it('turns the live-API knobs into options and faults (#14): prolific artists, the 403s, an hours-long Retry-After', () => {
    expect(
      emulatorOptionsFromFlags({
        ...defaults,
        prolificArtists: '3',
        chapterItems: true,
        strictPageSize: true,
        ownerNotPremium: true,
        userNotRegistered: true,
        olderDevelopmentApp: true,
        rotateRefreshTokens: true,
        fault429: '1',
        faultRetryAfter: '7200',
      }),
    ).toMatchObject({
      prolificArtists: 3,
      faults: {
        chapterItems: true,
        strictPageSize: true,
        ownerNotPremium: true,
        userNotRegistered: true,
        olderDevelopmentApp: true,
        rotateRefreshTokens: true,
        rate429: 1,
        retryAfterSeconds: 7200,
      },
    });
    expect(() => emulatorOptionsFromFlags({ ...defaults, prolificArtists: 'many' })).toThrow(
      /--prolific-artists/,
    );
  });

  it('turns the integrity knobs into faults (#17): a skewed Date header and an oversized playlist record', () => {
    expect(
      emulatorOptionsFromFlags({
        ...defaults,
        clockSkewSeconds: '-3600',
        playlistDescriptionBytes: '11000000',
      }),
    ).toMatchObject({ faults: { clockSkewSeconds: -3600, playlistDescriptionBytes: 11_000_000 } });
    expect(() => emulatorOptionsFromFlags({ ...defaults, clockSkewSeconds: '1.5' })).toThrow(
      /--clock-skew-seconds/,
    );
    expect(() => emulatorOptionsFromFlags({ ...defaults, playlistDescriptionBytes: '-1' })).toThrow(
      /--playlist-description-bytes/,
    );
  });

  it('reports every bad flag at once as INVALID_ARGUMENT', () => {
    let caught: unknown;
    try {
      emulatorOptionsFromFlags({
        ...defaults,
        port: '70000',
        scale: '0',
        day: '-2',
        faultTruncated: 'x',
        clientId: 'a b',
      });
    } catch (error) {
      caught = error;
    }
    expect(isTunelakeError(caught, 'INVALID_ARGUMENT')).toBe(true);
    const message = (caught as Error).message;
    for (const flag of ['--port', '--scale', '--day', '--fault-truncated', '--client-id'])
      expect(message).toContain(flag);
  });
});

describe('tunelake emulator (the command)', () => {
  it('answers a token request and a search within 2 s of start', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [BIN, 'emulator', '--port', '0', '--json'], {
      env: { PATH, TZ: 'UTC' },
    });
    try {
      const started = Date.now();
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += String(d);
          const line = out.split('\n').find((l) => l.trim().startsWith('{'));
          if (line) resolve((JSON.parse(line) as { accountsUrl?: string; url?: string }).accountsUrl ?? '');
        });
        child.on('exit', (code) => reject(new Error(`emulator exited ${code}`)));
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const token = await fetch(`${url}/api/token`, {
        method: 'POST',
        headers: {
          Authorization: `Basic ${Buffer.from('tunelake-demo:tunelake-demo-secret').toString('base64')}`,
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      });
      const { access_token } = (await token.json()) as { access_token: string };
      const search = await fetch(`${url}/v1/search?q=love&type=track`, {
        headers: { Authorization: `Bearer ${access_token}` },
      });
      expect(search.status).toBe(200);
      expect(((await search.json()) as { tracks: { items: unknown[] } }).tracks.items.length).toBeGreaterThan(
        0,
      );
      // Start-up plus both answers (generous for a loaded CI machine: the README promises 2 s).
      console.log(`emulator answered a token and a search ${Date.now() - started} ms after spawn`);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
