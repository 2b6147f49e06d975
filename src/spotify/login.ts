// `tunelake login`: the authorization-code flow with PKCE and a loopback redirect, to obtain the
// refresh token that user sources (`/me/**`, private playlists) need.
//
// A one-shot HTTP server listens on 127.0.0.1 (Spotify accepts loopback IP literals over plain HTTP
// but rejects `localhost` since 2025-11-27:
// https://developer.spotify.com/blog/2025-02-12-increasing-the-security-requirements-for-integrating-with-spotify), the user approves in a browser, Spotify
// redirects to `http://127.0.0.1:PORT/callback?code&state`, and the code is exchanged for tokens.
// Opening the browser is an injected effect, so tests drive the flow with `fetch` against the
// emulator's auto-approving /authorize.
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import type { Config } from '../config.js';
import { TunelakeError } from '../errors.js';
import { Secret } from '../secret.js';
import { makeDirs } from '../storage/make-dirs.js';
import {
  type AuthContext,
  buildAuthorizeUrl,
  codeChallengeS256,
  createCodeVerifier,
  createState,
  exchangeAuthorizationCode,
} from './auth.js';
import { createStats, createTransport, resolveDeps, type SpotifyDeps } from './http.js';

export const DEFAULT_LOGIN_PORT = 8888;
export const DEFAULT_LOGIN_TIMEOUT_MS = 5 * 60_000;
/**
 * What tunelake's user sources read (https://developer.spotify.com/documentation/web-api/concepts/scopes). `user-read-private` gives /me the user's
 * country, the market for track relinking; nothing reads followed artists, so no `user-follow-read` (#14).
 */
export const DEFAULT_SCOPES: readonly string[] = Object.freeze([
  'user-read-private',
  'user-read-recently-played',
  'user-top-read',
  'playlist-read-private',
  'playlist-read-collaborative',
  'user-library-read',
]);

export function redirectUriFor(port: number): string {
  return `http://127.0.0.1:${port}/callback`;
}

export interface LoginOptions {
  /** Loopback port for the redirect; 0 picks a free one (tests). Default 8888. */
  port?: number;
  scopes?: readonly string[];
  /** How long to wait for the browser's redirect. Default 5 minutes. */
  timeoutMs?: number;
  /** Opens the authorize URL (a browser, or a test's fetch). Its failure is logged, not fatal. */
  openUrl?: (url: string) => unknown;
  /** Told the authorize URL and redirect URI once the server listens (the CLI prints them). */
  onAuthorizeUrl?: (url: string, redirectUri: string) => void;
}

export interface LoginResult {
  refreshToken: Secret;
  accessToken: Secret;
  scope: string;
  /** ISO-8601 UTC. */
  obtainedAt: string;
  redirectUri: string;
}

/** What `tunelake login --save` writes and `loadConfig()` reads back. */
export interface StoredCredentials {
  refresh_token: string;
  scope: string;
  obtained_at: string;
}

export async function login(
  config: Pick<Config, 'spotify' | 'http'>,
  options: LoginOptions = {},
  deps: SpotifyDeps = {},
): Promise<LoginResult> {
  const resolved = resolveDeps(deps);
  const { clientId, accountsUrl } = config.spotify;
  if (!clientId) {
    throw new TunelakeError(
      'CONFIG_INVALID',
      '`tunelake login` needs the Client ID of your Spotify app: set SPOTIFY_CLIENT_ID (or spotify.clientId in ' +
        'tunelake.config.json, or pass --client-id).',
    );
  }
  const scopes = options.scopes && options.scopes.length > 0 ? options.scopes : DEFAULT_SCOPES;
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOGIN_TIMEOUT_MS;
  const verifier = createCodeVerifier();
  const state = createState();

  const callback = await listenForCallback(options.port ?? DEFAULT_LOGIN_PORT, state);
  try {
    const redirectUri = redirectUriFor(callback.port);
    const url = buildAuthorizeUrl({
      accountsUrl,
      clientId,
      redirectUri,
      state,
      scopes,
      codeChallenge: codeChallengeS256(verifier),
    });
    options.onAuthorizeUrl?.(url, redirectUri);
    // Not awaited: a test's fetch-based opener resolves only once the callback has been answered.
    Promise.resolve()
      .then(() => options.openUrl?.(url))
      .catch((error) => resolved.logger.warn('could not open a browser; open the URL yourself', { error }));

    const code = await callback.code(timeoutMs);
    const transport = createTransport(config.http, resolved, createStats());
    const ctx: AuthContext = {
      spotify: config.spotify,
      transport,
      now: resolved.now,
      logger: resolved.logger,
    };
    const tokens = await exchangeAuthorizationCode(ctx, { code, redirectUri, codeVerifier: verifier });
    if (!tokens.refresh_token) {
      throw new TunelakeError(
        'SPOTIFY_BAD_RESPONSE',
        `Spotify's token endpoint (${accountsUrl}/api/token) issued no refresh token for the authorization code.`,
        { retryable: false },
      );
    }
    return {
      refreshToken: new Secret(tokens.refresh_token),
      accessToken: new Secret(tokens.access_token),
      scope: tokens.scope ?? scopes.join(' '),
      obtainedAt: new Date(resolved.now()).toISOString(),
      redirectUri,
    };
  } finally {
    await callback.close();
  }
}

/** Writes the credentials file with mode 0600 (atomically: a temp file renamed over the old one). */
export async function saveCredentials(path: string, result: LoginResult): Promise<StoredCredentials> {
  const stored: StoredCredentials = {
    refresh_token: result.refreshToken.reveal(),
    scope: result.scope,
    obtained_at: result.obtainedAt,
  };
  try {
    await writeCredentialsFile(path, stored);
  } catch (error) {
    throw new TunelakeError(
      'STORAGE_FAILED',
      `Could not save the credentials to ${path}: ${(error as Error).message}. Pick another file with --save <file>.`,
      { cause: error },
    );
  }
  return stored;
}

/**
 * Replaces the refresh token in the credentials file with one Spotify rotated on refresh (#14).
 * `obtained_at` stays: the six-month expiry counts from the original authorisation, which a refresh
 * does not extend (developer.spotify.com/blog/2026-06-18-refresh-token-expiration).
 */
export async function saveRotatedRefreshToken(
  path: string,
  token: Secret,
  now: () => Date = () => new Date(),
): Promise<void> {
  let current: Partial<StoredCredentials> & Record<string, unknown> = {};
  try {
    current = JSON.parse(await readFile(path, 'utf8')) as typeof current;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new TunelakeError(
        'STORAGE_FAILED',
        `Could not read the credentials file ${path} to save the rotated refresh token: ${(error as Error).message}. ` +
          'Run `tunelake login` to write a new one.',
        { cause: error },
      );
    }
  }
  try {
    await writeCredentialsFile(path, {
      ...current,
      refresh_token: token.reveal(),
      rotated_at: now().toISOString(),
    });
  } catch (error) {
    throw new TunelakeError(
      'STORAGE_FAILED',
      `Could not save the rotated refresh token to ${path}: ${(error as Error).message}. Run \`tunelake login\` ` +
        'once the file is writable.',
      { cause: error },
    );
  }
}

async function writeCredentialsFile(path: string, value: object): Promise<void> {
  await makeDirs(dirname(path), 0o700);
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(temp, 0o600);
  await rename(temp, path);
}

interface CallbackServer {
  port: number;
  /** Resolves with the authorization code, or rejects on denial, a bad state or the timeout. */
  code(timeoutMs: number): Promise<string>;
  close(): Promise<void>;
}

async function listenForCallback(port: number, state: string): Promise<CallbackServer> {
  let settle: { resolve: (code: string) => void; reject: (error: Error) => void } | undefined;
  let outcome: { code?: string; error?: Error } | undefined;
  const finish = (result: { code?: string; error?: Error }) => {
    if (outcome) return;
    outcome = result;
    if (result.error) settle?.reject(result.error);
    else if (result.code) settle?.resolve(result.code);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== '/callback') {
      page(res, 404, 'Not found', 'This server only waits for the Spotify login redirect on /callback.');
      return;
    }
    if (outcome) {
      page(res, 409, 'Already done', 'This login has already been handled; return to the terminal.');
      return;
    }
    const params = url.searchParams;
    if (params.get('state') !== state) {
      page(
        res,
        400,
        'Login failed',
        'The state parameter does not match this login. Run `tunelake login` again.',
      );
      finish({
        error: new TunelakeError(
          'AUTH_INVALID_GRANT',
          'The Spotify login redirect carried a state that does not match this login (a stale tab, or a forged ' +
            'request). Run `tunelake login` again.',
        ),
      });
      return;
    }
    const denied = params.get('error');
    if (denied) {
      page(res, 400, 'Login cancelled', `Spotify reported "${denied}". Return to the terminal.`);
      finish({
        error: new TunelakeError(
          'AUTH_INVALID_GRANT',
          denied === 'access_denied'
            ? 'Spotify login was cancelled: the authorisation was denied (access_denied). Run `tunelake login` ' +
                'again and choose "Agree".'
            : `Spotify login failed with "${denied}". Check that the redirect URI is registered in the app's ` +
                'dashboard, then run `tunelake login` again.',
          { details: { error: denied } },
        ),
      });
      return;
    }
    const code = params.get('code');
    if (!code) {
      page(res, 400, 'Login failed', 'The redirect carried no authorization code.');
      finish({
        error: new TunelakeError(
          'AUTH_INVALID_GRANT',
          'The Spotify login redirect carried no authorization code.',
        ),
      });
      return;
    }
    page(res, 200, 'tunelake is authorised', 'You can close this tab and return to the terminal.');
    finish({ code });
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        new TunelakeError(
          'INVALID_ARGUMENT',
          error.code === 'EADDRINUSE'
            ? `Port ${port} on 127.0.0.1 is in use: pass --port <n> (and register http://127.0.0.1:<n>/callback ` +
                "as a redirect URI in the Spotify app's dashboard)."
            : `Cannot listen on 127.0.0.1:${port}: ${error.message}.`,
          { cause: error },
        ),
      );
    };
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve();
    });
  });

  return {
    port: (server.address() as AddressInfo).port,
    code(timeoutMs) {
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          finish({
            error: new TunelakeError(
              'AUTH_INVALID_GRANT',
              `No Spotify login redirect arrived within ${Math.round(timeoutMs / 1000)} s. Open the printed URL in a ` +
                'browser, check that the redirect URI is registered in the app dashboard, and run `tunelake login` again.',
            ),
          });
        }, timeoutMs);
        settle = {
          resolve: (code) => {
            clearTimeout(timer);
            resolve(code);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        };
        if (outcome?.error) settle.reject(outcome.error);
        else if (outcome?.code) settle.resolve(outcome.code);
      });
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function page(res: ServerResponse, status: number, title: string, text: string): void {
  const html =
    `<!doctype html><meta charset="utf-8"><title>${title}</title>` +
    `<body style="font-family:sans-serif;margin:3em"><h1>${title}</h1><p>${escapeHtml(text)}</p></body>`;
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(html);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
