// `tunelake login` end to end against the emulator: its /authorize approves at once and redirects to
// the loopback callback, so a `fetch` that follows redirects plays the browser.
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerLoginCommand } from '../cli/login-command.js';
import { loadConfig } from '../config.js';
import { Emulator } from '../emulator/server.js';
import { isTunelakeError, type TunelakeError } from '../errors.js';
import { createSpotifyClient } from './client.js';
import { DEFAULT_SCOPES, login, saveCredentials } from './login.js';
import { emulatorConfig } from './test-support/clock-and-logger.js';

let emu: Emulator;
let dir: string;
const browser = async (url: string) => {
  await fetch(url, { redirect: 'follow' });
};

beforeAll(async () => {
  emu = await Emulator.create({ port: 0, tier: 'development', seed: 42 });
  dir = mkdtempSync(join(tmpdir(), 'tunelake-login-test-'));
});
afterAll(async () => {
  await emu?.close();
});

async function failure(promise: Promise<unknown>): Promise<TunelakeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isTunelakeError(error)) throw new Error(`expected a TunelakeError, got ${String(error)}`);
  return error;
}

describe('login(config, options) and saveCredentials(path, result)', () => {
  it('obtains a refresh token through the loopback redirect and saves it with mode 0600', async () => {
    let authorizeUrl = '';
    const result = await login(emulatorConfig(emu), {
      port: 0,
      openUrl: browser,
      onAuthorizeUrl: (url) => {
        authorizeUrl = url;
      },
    });
    const asked = new URL(authorizeUrl);
    expect(asked.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(asked.searchParams.get('code_challenge_method')).toBe('S256');
    expect(asked.searchParams.get('scope')).toBe(DEFAULT_SCOPES.join(' '));
    expect(result.redirectUri).toBe(asked.searchParams.get('redirect_uri'));
    expect(result.scope.split(' ').sort()).toEqual([...DEFAULT_SCOPES].sort());
    expect(String(result.refreshToken)).toBe('***');

    const path = join(dir, 'nested', 'deeper', 'credentials.json');
    await saveCredentials(path, result);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(path, 'utf8'));
    expect(Object.keys(stored).sort()).toEqual(['obtained_at', 'refresh_token', 'scope']);
    expect(stored.refresh_token).toBe(result.refreshToken.reveal());
    expect(new Date(stored.obtained_at).toISOString()).toBe(stored.obtained_at);

    // loadConfig() reads the saved token back, and the client can use it.
    const configFile = join(dir, 'empty.config.json');
    writeFileSync(configFile, '{}');
    const config = loadConfig(
      {
        configFile,
        credentialsFile: path,
        accountsUrl: emu.url,
        apiUrl: emu.apiUrl,
        clientId: 'tunelake-demo',
      },
      { SPOTIFY_CLIENT_SECRET: 'tunelake-demo-secret' },
    );
    expect(config.origins['spotify.refreshToken']).toBe('file');
    const me = await createSpotifyClient(config).me();
    expect(me.id).toBe(emu.world.demoUserId);
  });

  it('reports a denied authorisation (error=access_denied) clearly', async () => {
    const deny = async (url: string) => {
      const asked = new URL(url);
      const callback = new URL(asked.searchParams.get('redirect_uri')!);
      callback.searchParams.set('error', 'access_denied');
      callback.searchParams.set('state', asked.searchParams.get('state')!);
      await fetch(callback);
    };
    const error = await failure(login(emulatorConfig(emu), { port: 0, openUrl: deny }));
    expect(error.code).toBe('AUTH_INVALID_GRANT');
    expect(error.message).toContain('access_denied');
    expect(error.message).toContain('tunelake login');
  });

  it('rejects a callback whose state does not match', async () => {
    const forge = async (url: string) => {
      const callback = new URL(new URL(url).searchParams.get('redirect_uri')!);
      callback.searchParams.set('code', 'stolen-code');
      callback.searchParams.set('state', 'not-the-state');
      await fetch(callback);
    };
    const error = await failure(login(emulatorConfig(emu), { port: 0, openUrl: forge }));
    expect(error.code).toBe('AUTH_INVALID_GRANT');
    expect(error.message).toContain('state');
  });

  it('gives up after the timeout when no redirect arrives, and a failing opener is not an error', async () => {
    const error = await failure(
      login(emulatorConfig(emu), {
        port: 0,
        timeoutMs: 150,
        openUrl: () => {
          throw new Error('no browser here');
        },
      }),
    );
    expect(error.code).toBe('AUTH_INVALID_GRANT');
    expect(error.message).toContain('No Spotify login redirect arrived');
  });

  it('says which flag to use when the port is taken', async () => {
    const blocker = await listenAnywhere();
    try {
      const port = (blocker.address() as { port: number }).port;
      const error = await failure(login(emulatorConfig(emu), { port, openUrl: browser }));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toContain('--port');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

describe('registerLoginCommand(program)', () => {
  function run(args: string[], env: Record<string, string>) {
    const out: string[] = [];
    const err: string[] = [];
    const program = new Command('tunelake').exitOverride();
    registerLoginCommand(program, {
      env,
      openUrl: browser,
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
    });
    const configFile = join(dir, 'cli.config.json');
    writeFileSync(configFile, '{}');
    const common = [
      '--port',
      '0',
      '--accounts-url',
      emu.url,
      '--client-id',
      'tunelake-demo',
      '--config',
      configFile,
    ];
    return program
      .parseAsync(['login', ...common, ...args], { from: 'user' })
      .then(() => ({ out: out.join(''), err: err.join('') }));
  }

  it('--save writes the credentials file (the configured one by default), even over a broken one', async () => {
    const credentials = join(dir, 'cli', 'credentials.json');
    const env = { SPOTIFY_CLIENT_SECRET: 'tunelake-demo-secret', TUNELAKE_CREDENTIALS: credentials };
    await run(['--save', '--json'], env);
    expect(statSync(credentials).mode & 0o777).toBe(0o600);
    // A credentials file without a token would make loadConfig() fail; login must still replace it.
    writeFileSync(credentials, '{}');
    const { out, err } = await run(['--save', '--json'], env);
    const printed = JSON.parse(out);
    expect(printed).toMatchObject({ ok: true, saved: credentials });
    expect(out).not.toContain(JSON.parse(readFileSync(credentials, 'utf8')).refresh_token);
    expect(err).toContain('/authorize?');
  });

  it('without --save prints the token on stdout only, with a warning on stderr', async () => {
    const { out, err } = await run([], {
      SPOTIFY_CLIENT_SECRET: 'tunelake-demo-secret',
      TUNELAKE_CREDENTIALS: join(dir, 'none.json'),
    });
    expect(out).toMatch(/^SPOTIFY_REFRESH_TOKEN=\S+\n$/);
    expect(err).toContain('Store it like a password');
    const token = out.trim().split('=')[1]!;
    expect(err).not.toContain(token);
  });

  it('--help names the exact redirect URI to register and warns against localhost', () => {
    const program = new Command('tunelake');
    registerLoginCommand(program);
    let text = '';
    const login = program.commands.find((c) => c.name() === 'login')!;
    login.configureOutput({ writeOut: (s) => (text += s) });
    login.outputHelp();
    expect(text).toContain('http://127.0.0.1:8888/callback');
    expect(text).toContain('localhost');
    expect(text).toContain('--no-open');
  });
});

function listenAnywhere(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}
