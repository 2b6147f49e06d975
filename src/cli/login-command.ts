// `tunelake login`: authorise tunelake for a Spotify user and keep the refresh token. The flow lives in
// src/spotify/login.ts; this file parses flags, prints, and opens a browser.
import { spawn } from 'node:child_process';
import { type Command, InvalidArgumentError } from 'commander';
import { type Config, type ConfigSpec, loadConfig } from '../config.js';
import {
  DEFAULT_LOGIN_PORT,
  DEFAULT_SCOPES,
  type LoginResult,
  login,
  redirectUriFor,
  saveCredentials,
} from '../spotify/login.js';
import { configOption } from './common-options.js';

export interface LoginCommandDeps {
  /** Opens the authorize URL; default: the platform's browser opener. */
  openUrl?: (url: string) => unknown;
  /** The environment for loadConfig(); default: the process's. */
  env?: Readonly<Record<string, string | undefined>>;
  fetch?: typeof fetch;
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
}

interface LoginFlags {
  port: number;
  scopes?: string;
  save?: string | true;
  open: boolean;
  json?: boolean;
  timeout: number;
  clientId?: string;
  accountsUrl?: string;
  config?: string;
}

export function registerLoginCommand(program: Command, deps: LoginCommandDeps = {}): void {
  const stdout = deps.stdout ?? ((text: string) => process.stdout.write(text));
  const stderr = deps.stderr ?? ((text: string) => process.stderr.write(text));
  program
    .command('login')
    .description(
      'Authorise tunelake to read your Spotify data (authorization code + PKCE) and get a refresh token for ' +
        'the user sources (recently played, top items, saved tracks, your playlists).',
    )
    .option('--port <port>', 'loopback port of the redirect URI', parsePort, DEFAULT_LOGIN_PORT)
    .option(
      '--scopes <scopes>',
      `scopes to ask for, comma or space separated (default: ${DEFAULT_SCOPES.join(' ')})`,
    )
    .option(
      '--save [file]',
      'save the refresh token to a file with mode 0600 (default: TUNELAKE_CREDENTIALS or .tunelake/credentials.json, where tunelake looks for it)',
    )
    .option('--no-open', 'print the authorize URL without trying to open a browser')
    .option('--timeout <seconds>', 'how long to wait for the browser redirect', parseSeconds, 300)
    .option('--client-id <id>', 'the Spotify app Client ID (default: SPOTIFY_CLIENT_ID)')
    .option(
      '--accounts-url <url>',
      'the accounts service (default: SPOTIFY_ACCOUNTS_URL or https://accounts.spotify.com)',
    )
    .addOption(configOption())
    .option('--json', 'print one JSON object on stdout')
    .addHelpText(
      'after',
      `
Register this exact redirect URI in your Spotify app's dashboard (Edit settings > Redirect URIs):

  ${redirectUriFor(DEFAULT_LOGIN_PORT)}

or http://127.0.0.1:<port>/callback for the --port you use. It must be the loopback IP literal
127.0.0.1: Spotify rejects "localhost" redirect URIs.

Without --save the refresh token is printed on stdout; store it like a password (it grants access
to your Spotify account for 6 months). With --save, tunelake reads it back from the file.`,
    )
    .action(async (flags: LoginFlags) => {
      const spec: ConfigSpec = {};
      if (flags.clientId) spec.clientId = flags.clientId;
      if (flags.accountsUrl) spec.accountsUrl = flags.accountsUrl;
      if (flags.config) spec.configFile = flags.config;
      const config = loadLoginConfig(spec, deps.env);
      const scopes = flags.scopes?.split(/[\s,]+/).filter((s) => s.length > 0);
      const result = await login(
        config,
        {
          port: flags.port,
          scopes,
          timeoutMs: flags.timeout * 1000,
          openUrl: flags.open ? (deps.openUrl ?? openBrowser) : undefined,
          onAuthorizeUrl: (url, redirectUri) => {
            stderr(
              `Open this URL in a browser and approve tunelake:\n\n  ${url}\n\n` +
                `Waiting for Spotify to redirect to ${redirectUri} (it must be registered in the app's dashboard)...\n`,
            );
          },
        },
        deps.fetch ? { fetch: deps.fetch } : {},
      );
      await report(result, flags, config, stdout, stderr);
    });

  async function report(
    result: LoginResult,
    flags: LoginFlags,
    config: Config,
    out: (text: string) => void,
    err: (text: string) => void,
  ): Promise<void> {
    if (flags.save !== undefined) {
      const path = flags.save === true ? config.credentialsFile : flags.save;
      await saveCredentials(path, result);
      if (flags.json) {
        out(
          `${JSON.stringify({ ok: true, saved: path, scope: result.scope, obtained_at: result.obtainedAt })}\n`,
        );
      } else {
        out(`Logged in. Saved the refresh token to ${path} (mode 0600); tunelake reads it from there.\n`);
      }
      return;
    }
    const token = result.refreshToken.reveal();
    err(
      'Warning: this refresh token grants access to your Spotify account for 6 months. Store it like a password ' +
        '(a secret manager, never git), or run `tunelake login --save` instead.\n',
    );
    if (flags.json) {
      out(
        `${JSON.stringify({ ok: true, refresh_token: token, scope: result.scope, obtained_at: result.obtainedAt })}\n`,
      );
    } else {
      out(`SPOTIFY_REFRESH_TOKEN=${token}\n`);
    }
  }
}

/** Login replaces the stored refresh token, so it does not read it (a broken file must not stop it). */
function loadLoginConfig(spec: ConfigSpec, env: LoginCommandDeps['env']): Config {
  const withoutStored = { ...spec, readStoredCredentials: false };
  return env ? loadConfig(withoutStored, env) : loadConfig(withoutStored);
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError('expected a port number from 0 to 65535.');
  }
  return port;
}

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new InvalidArgumentError('expected a positive number of seconds.');
  return seconds;
}

/** Best effort: a missing opener (a server, a container) only means the user opens the URL by hand. */
function openBrowser(url: string): Promise<void> {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  return new Promise((resolve) => {
    try {
      const child = spawn(command, args, { stdio: 'ignore', detached: true });
      child.once('error', () => resolve());
      child.once('spawn', () => {
        child.unref();
        resolve();
      });
    } catch {
      resolve();
    }
  });
}
