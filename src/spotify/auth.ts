// Access tokens for the Web API, from the accounts service (`POST {accountsUrl}/api/token`):
// - the app token (client credentials, Basic auth) reads the public catalogue;
// - the user token (refresh token) reads `/me/**` and the user's own playlists.
// Both are cached and renewed shortly before they expire (60 s, or half the lifetime when that is
// shorter), concurrent callers share one in-flight token request, and `invalidate()` lets a 401 force
// a renewal. Token requests go through the same transport (timeouts, 5xx/429 retries) as API calls.
// Also here: the PKCE pieces of the authorization-code flow that `tunelake login` uses.
import { createHash, randomBytes } from 'node:crypto';
import type { SpotifyConfig } from '../config.js';
import { TunelakeError } from '../errors.js';
import type { Logger } from '../log.js';
import { registerSecretValue, Secret } from '../secret.js';
import type { SendResult, Transport } from './http.js';
import { AuthErrorBodySchema, type TokenResponse, TokenResponseSchema } from './schemas.js';

export interface TokenProvider {
  readonly kind: 'app' | 'user';
  /** A valid access token, from the cache or freshly requested. */
  token(): Promise<string>;
  /** Drops the cached token (only if it is still `stale`, when given) so the next call renews it. */
  invalidate(stale?: string): void;
}

export interface AuthContext {
  spotify: Pick<SpotifyConfig, 'clientId' | 'clientSecret' | 'refreshToken' | 'accountsUrl'>;
  transport: Transport;
  now: () => number;
  logger: Logger;
  /** Persists a refresh token the refresh grant rotated (the credentials file, or the AWS secret). */
  saveRefreshToken?: SaveRefreshToken;
}

/** Where a rotated refresh token is written back; the composition root picks it (src/runtime.ts). */
export type SaveRefreshToken = (token: Secret) => Promise<void>;

const RENEW_BEFORE_EXPIRY_MS = 60_000;

interface CachedToken {
  value: string;
  expiresAt: number;
  renewAt: number;
}

function createCachedProvider(
  kind: 'app' | 'user',
  now: () => number,
  fetchToken: () => Promise<TokenResponse>,
): TokenProvider {
  let cached: CachedToken | undefined;
  let pending: Promise<string> | undefined;

  const renew = async (): Promise<string> => {
    const response = await fetchToken();
    const issuedAt = now();
    const lifetimeMs = response.expires_in * 1000;
    cached = {
      value: response.access_token,
      expiresAt: issuedAt + lifetimeMs,
      renewAt: issuedAt + lifetimeMs - Math.min(RENEW_BEFORE_EXPIRY_MS, lifetimeMs / 2),
    };
    return cached.value;
  };

  return {
    kind,
    token() {
      if (cached && now() < cached.renewAt) return Promise.resolve(cached.value);
      if (!pending) {
        pending = renew().finally(() => {
          pending = undefined;
        });
      }
      return pending;
    },
    invalidate(stale) {
      if (cached && (stale === undefined || cached.value === stale)) cached = undefined;
    },
  };
}

/** The app token, via the client-credentials flow. */
export function createAppTokenProvider(ctx: AuthContext): TokenProvider {
  return createCachedProvider('app', ctx.now, async () => {
    const { clientId, clientSecret } = ctx.spotify;
    if (!clientId || !clientSecret) {
      throw new TunelakeError(
        'CONFIG_INVALID',
        'Spotify app credentials are missing: set SPOTIFY_CLIENT_ID (or spotify.clientId in tunelake.config.json) ' +
          "and SPOTIFY_CLIENT_SECRET (environment only), from the app's page in the Spotify developer dashboard.",
      );
    }
    return requestToken(ctx, { grant_type: 'client_credentials' }, 'client_credentials');
  });
}

/**
 * The user token, via the refresh token. Uses Basic auth when a client secret is configured (a
 * confidential client), else sends `client_id` in the body (a PKCE client). Undefined without a
 * refresh token.
 */
export function createUserTokenProvider(ctx: AuthContext): TokenProvider | undefined {
  const initial = ctx.spotify.refreshToken;
  if (!initial) return undefined;
  let refreshToken = initial.reveal();
  // A rejected refresh token stays rejected: later sources fail at once with the same error instead
  // of asking the token endpoint again (one clear message, no request per source).
  let rejected: TunelakeError | undefined;
  return createCachedProvider('user', ctx.now, async () => {
    if (rejected) throw rejected;
    if (!ctx.spotify.clientId) {
      throw new TunelakeError(
        'CONFIG_INVALID',
        'A refresh token is configured but SPOTIFY_CLIENT_ID is not: set it to the Client ID of the app you logged in with.',
      );
    }
    let response: TokenResponse;
    try {
      response = await requestToken(
        ctx,
        { grant_type: 'refresh_token', refresh_token: refreshToken },
        'refresh_token',
      );
    } catch (error) {
      if (error instanceof TunelakeError && error.code === 'AUTH_INVALID_GRANT') rejected = error;
      throw error;
    }
    // "The response might not include a new refresh token": keep the old one then (https://developer.spotify.com/documentation/web-api/tutorials/refreshing-tokens).
    // Spotify may then invalidate the old one, so the new one is persisted at once: otherwise the next
    // run would start from a dead token (#14). A failed write does not stop this run, which holds the
    // new token in memory; it is logged, without the token, with what to do.
    if (response.refresh_token && response.refresh_token !== refreshToken) {
      registerSecretValue(response.refresh_token);
      refreshToken = response.refresh_token;
      if (ctx.saveRefreshToken) {
        try {
          await ctx.saveRefreshToken(new Secret(response.refresh_token));
          ctx.logger.info('Spotify rotated the refresh token; the new one is saved');
        } catch (error) {
          ctx.logger.warn(
            'Spotify rotated the refresh token, but it could not be saved: the next run may need `tunelake login`',
            { error: error instanceof Error ? error.message : String(error) },
          );
        }
      } else {
        ctx.logger.warn(
          'Spotify rotated the refresh token, and it has nowhere to be saved (SPOTIFY_REFRESH_TOKEN comes from ' +
            'the environment): if the old one stops working, run `tunelake login` and use the credentials file',
        );
      }
    }
    return response;
  });
}

type Grant = 'client_credentials' | 'refresh_token' | 'authorization_code';

/** POSTs to the token endpoint and maps OAuth errors to TunelakeErrors. */
export async function requestToken(
  ctx: AuthContext,
  params: Record<string, string>,
  grant: Grant,
): Promise<TokenResponse> {
  const { clientId, clientSecret, accountsUrl } = ctx.spotify;
  const headers: Record<string, string> = {
    'Content-Type': 'application/x-www-form-urlencoded',
    Accept: 'application/json',
  };
  const form = new URLSearchParams(params);
  if (clientSecret && clientId) {
    headers.Authorization = `Basic ${Buffer.from(`${clientId}:${clientSecret.reveal()}`).toString('base64')}`;
  } else if (clientId && grant !== 'client_credentials') {
    form.set('client_id', clientId);
  }
  const result = await ctx.transport.send({
    method: 'POST',
    url: `${accountsUrl}/api/token`,
    route: 'POST /api/token',
    label: `POST /api/token (grant_type=${grant})`,
    kind: 'token',
    headers: () => headers,
    body: form.toString(),
  });
  if (result.status >= 200 && result.status < 300) {
    const parsed = TokenResponseSchema.safeParse(result.json);
    if (!parsed.success) {
      throw new TunelakeError(
        'SPOTIFY_BAD_RESPONSE',
        `Spotify's token endpoint (${accountsUrl}/api/token) answered ${result.status} without a usable access ` +
          'token. Check SPOTIFY_ACCOUNTS_URL.',
        { retryable: false, details: { status: result.status, grant } },
      );
    }
    registerSecretValue(parsed.data.access_token);
    ctx.logger.debug('spotify token issued', { grant, expiresIn: parsed.data.expires_in });
    return parsed.data;
  }
  throw tokenError(result, grant);
}

function tokenError(result: SendResult, grant: Grant): TunelakeError {
  const parsed = AuthErrorBodySchema.safeParse(result.json);
  const code = parsed.success ? parsed.data.error : undefined;
  const description = parsed.success ? parsed.data.error_description : undefined;
  const said = description ? `${code}: ${description}` : (code ?? `HTTP ${result.status}`);
  const details = { status: result.status, grant, error: code, errorDescription: description };
  if (code === 'invalid_client' || (!code && result.status === 401)) {
    return new TunelakeError(
      'AUTH_INVALID_CLIENT',
      `Spotify rejected the app credentials (${said}). Check SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET: they ` +
        "must be the Client ID and Client secret shown on the app's page in the Spotify developer dashboard.",
      { details },
    );
  }
  if (code === 'invalid_grant') {
    if (grant === 'refresh_token') {
      return new TunelakeError(
        'AUTH_INVALID_GRANT',
        `The Spotify refresh token was rejected (invalid_grant: ${description ?? 'no description'}). Refresh tokens ` +
          'expire 6 months after you authorised tunelake; run `tunelake login` again.',
        { details },
      );
    }
    return new TunelakeError(
      'AUTH_INVALID_GRANT',
      `Spotify rejected the authorization code (${said}). Codes are single-use and short-lived; run \`tunelake login\` again.`,
      { details },
    );
  }
  return new TunelakeError(
    'SPOTIFY_BAD_REQUEST',
    `Spotify's token endpoint refused the ${grant} request (${said}). Check SPOTIFY_ACCOUNTS_URL and the app's settings.`,
    { details },
  );
}

// --- PKCE (authorization code flow) -----------------------------------------------------------------

const VERIFIER_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~';

/** A PKCE code verifier: `length` (43-128) characters of `[A-Za-z0-9-._~]`, from a CSPRNG. */
export function createCodeVerifier(length = 64): string {
  if (!Number.isInteger(length) || length < 43 || length > 128) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `A PKCE code verifier must be 43 to 128 characters, got ${length}.`,
    );
  }
  // 66 characters do not divide 256: reject the top bytes so every character is equally likely.
  const limit = 256 - (256 % VERIFIER_CHARS.length);
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit && out.length < length) out += VERIFIER_CHARS[byte % VERIFIER_CHARS.length];
    }
  }
  return out;
}

/** The S256 code challenge: base64url(sha256(verifier)) without padding. */
export function codeChallengeS256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/** An unguessable `state` for the authorize request. */
export function createState(): string {
  return randomBytes(24).toString('base64url');
}

export interface AuthorizeUrlOptions {
  accountsUrl: string;
  clientId: string;
  redirectUri: string;
  state: string;
  scopes: readonly string[];
  codeChallenge: string;
}

export function buildAuthorizeUrl(options: AuthorizeUrlOptions): string {
  const url = new URL(`${options.accountsUrl}/authorize`);
  url.searchParams.set('client_id', options.clientId);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('redirect_uri', options.redirectUri);
  url.searchParams.set('state', options.state);
  url.searchParams.set('scope', options.scopes.join(' '));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('code_challenge', options.codeChallenge);
  return url.toString();
}

/** Trades an authorization code for tokens (PKCE; Basic auth too when a client secret is configured). */
export async function exchangeAuthorizationCode(
  ctx: AuthContext,
  options: { code: string; redirectUri: string; codeVerifier: string },
): Promise<TokenResponse> {
  const clientId = ctx.spotify.clientId;
  if (!clientId) {
    throw new TunelakeError(
      'CONFIG_INVALID',
      'SPOTIFY_CLIENT_ID is not set: `tunelake login` needs the app’s Client ID.',
    );
  }
  return requestToken(
    ctx,
    {
      grant_type: 'authorization_code',
      code: options.code,
      redirect_uri: options.redirectUri,
      client_id: clientId,
      code_verifier: options.codeVerifier,
    },
    'authorization_code',
  );
}
