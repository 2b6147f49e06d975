// The accounts service (accounts.spotify.com): `GET /authorize`, which approves at once as the
// demo user, and `POST /api/token` for the client-credentials, authorization-code (+PKCE) and
// refresh-token grants. Error bodies are OAuth-shaped, as on the real service (https://developer.spotify.com/documentation/web-api/concepts/authorization).
//   https://developer.spotify.com/documentation/web-api/tutorials/code-pkce-flow
//   https://developer.spotify.com/blog/2025-02-12-increasing-the-security-requirements-for-integrating-with-spotify
import { createHash } from 'node:crypto';
import { ALL_SCOPES, type Grant, parseScopes } from '../auth.js';
import type { EmulatorState } from '../instance.js';
import { json, oauthFail, type Reply } from '../responses.js';

const GRANT_TYPES = ['client_credentials', 'authorization_code', 'refresh_token'];

interface ClientCredentials {
  id: string | undefined;
  secret: string | undefined;
}

function clientCredentials(authorization: string | null, form: URLSearchParams): ClientCredentials {
  if (authorization !== null) {
    const match = /^Basic\s+(\S+)$/i.exec(authorization.trim());
    if (!match) throw oauthFail('invalid_client', 'Invalid client');
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw oauthFail('invalid_client', 'Invalid client');
    return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
  }
  return { id: form.get('client_id') ?? undefined, secret: form.get('client_secret') ?? undefined };
}

export function tokenEndpoint(state: EmulatorState, authorization: string | null, body: string): Reply {
  const { auth } = state;
  const form = new URLSearchParams(body);
  const grantType = form.get('grant_type');
  if (!grantType) throw oauthFail('unsupported_grant_type', 'grant_type parameter is missing');
  if (!GRANT_TYPES.includes(grantType)) {
    throw oauthFail(
      'unsupported_grant_type',
      `grant_type must be client_credentials, authorization_code or refresh_token`,
    );
  }

  const client = clientCredentials(authorization, form);
  if (client.id === undefined || client.id === '') throw oauthFail('invalid_client');
  const check = auth.checkClient(client.id, client.secret);
  if (check === 'unknown-client') throw oauthFail('invalid_client', 'Invalid client');
  if (check === 'bad-secret') throw oauthFail('invalid_client', 'Invalid client secret');
  const confidential = client.secret !== undefined;
  const expiresIn = auth.tokenTtlSeconds;

  if (grantType === 'client_credentials') {
    if (!confidential) throw oauthFail('invalid_client');
    const grant: Grant = { clientId: client.id, userId: null, scopes: new Set() };
    return json(200, {
      access_token: auth.issueAccessToken(grant),
      token_type: 'Bearer',
      expires_in: expiresIn,
    });
  }

  if (grantType === 'authorization_code') {
    const code = form.get('code');
    const record = code ? auth.takeCode(code) : undefined;
    if (!record || record.clientId !== client.id)
      throw oauthFail('invalid_grant', 'Invalid authorization code');
    if (state.now() >= record.expiresAt) throw oauthFail('invalid_grant', 'Authorization code expired');
    if (form.get('redirect_uri') !== record.redirectUri)
      throw oauthFail('invalid_grant', 'Invalid redirect URI');
    if (record.codeChallenge !== null) {
      const verifier = form.get('code_verifier');
      if (!verifier) throw oauthFail('invalid_request', 'code_verifier required');
      if (createHash('sha256').update(verifier).digest('base64url') !== record.codeChallenge) {
        throw oauthFail('invalid_grant', 'code_verifier was incorrect');
      }
    } else if (!confidential) {
      throw oauthFail('invalid_client');
    }
    const grant: Grant = { clientId: record.clientId, userId: record.userId, scopes: record.scopes };
    return json(200, {
      access_token: auth.issueAccessToken(grant),
      token_type: 'Bearer',
      expires_in: expiresIn,
      refresh_token: auth.issueRefreshToken(grant, { publicClient: !confidential }),
      scope: [...grant.scopes].join(' '),
    });
  }

  const refreshToken = form.get('refresh_token');
  if (!refreshToken) throw oauthFail('invalid_request', 'refresh_token must be supplied');
  const record = auth.findRefreshToken(refreshToken);
  if (!record || record.clientId !== client.id) throw oauthFail('invalid_grant', 'Invalid refresh token');
  // A token from the confidential flow needs the secret to refresh (spotify-web-api-ts-sdk#79).
  if (!confidential && !record.publicClient) throw oauthFail('invalid_client', 'Invalid client secret');
  // Refresh tokens expire a fixed time after the original login; refreshing does not extend them.
  if (auth.refreshTokenExpired(record)) throw oauthFail('invalid_grant', 'Refresh token expired');
  const grant: Grant = { clientId: record.clientId, userId: record.userId, scopes: record.scopes };
  // Since 2026-07 refresh tokens no longer rotate: no new refresh_token in the answer, unless the
  // rotateRefreshTokens knob plays the documented rotation (the old token is then invalid).
  const rotated = state.faults.options.rotateRefreshTokens
    ? auth.rotateRefreshToken(refreshToken)
    : undefined;
  return json(200, {
    access_token: auth.issueAccessToken(grant),
    token_type: 'Bearer',
    expires_in: expiresIn,
    scope: [...grant.scopes].join(' '),
    ...(rotated ? { refresh_token: rotated } : {}),
  });
}

function page(status: number, text: string): Reply {
  return {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
    body: `${text}\n`,
  };
}

/** Since 2025-11-27 redirect URIs must be HTTPS or a loopback IP literal; `localhost` is refused. */
function secureRedirect(uri: URL): boolean {
  if (uri.protocol === 'https:') return true;
  if (uri.protocol === 'http:')
    return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(uri.hostname) || uri.hostname === '[::1]';
  // Custom schemes (mobile apps) are allowed.
  return uri.protocol !== 'javascript:' && uri.protocol !== 'data:' && uri.protocol !== 'file:';
}

export function authorizeEndpoint(state: EmulatorState, url: URL): Reply {
  const q = url.searchParams;
  if (q.get('client_id') !== state.auth.clientId) return page(400, 'INVALID_CLIENT: Invalid client');
  const redirect = q.get('redirect_uri');
  let redirectUrl: URL;
  try {
    redirectUrl = new URL(redirect ?? '');
  } catch {
    return page(400, 'INVALID_CLIENT: Invalid redirect URI');
  }
  if (!secureRedirect(redirectUrl)) return page(400, 'INVALID_CLIENT: Insecure redirect URI');
  const responseType = q.get('response_type');
  if (responseType !== 'code') {
    return page(
      400,
      `UNSUPPORTED_RESPONSE_TYPE: response_type must be code (got ${JSON.stringify(responseType)})`,
    );
  }
  const challenge = q.get('code_challenge');
  const method = q.get('code_challenge_method');
  if (challenge !== null && method !== 'S256')
    return page(400, 'INVALID_REQUEST: code_challenge_method must be S256');
  if (method !== null && !challenge) return page(400, 'INVALID_REQUEST: code_challenge missing');
  const scopes = parseScopes(q.get('scope'));
  const unknown = [...scopes].filter((s) => !ALL_SCOPES.includes(s));
  if (unknown.length > 0) return page(400, `INVALID_SCOPE: Invalid scope ${unknown.join(' ')}`);

  const code = state.auth.issueCode({
    clientId: state.auth.clientId,
    userId: state.world.demoUserId,
    scopes,
    redirectUri: redirect!,
    codeChallenge: challenge,
  });
  redirectUrl.searchParams.set('code', code);
  const st = q.get('state');
  if (st !== null) redirectUrl.searchParams.set('state', st);
  return {
    status: 302,
    headers: { location: redirectUrl.toString(), 'cache-control': 'no-store' },
    body: '',
  };
}
