import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emulator } from './server.js';
import { BASIC, CLIENT_ID, get, postForm, userToken } from './test-support/http.js';

const DAY = 86_400_000;
let clock = Date.UTC(2026, 10, 25, 12);
let emu: Emulator;

beforeAll(async () => {
  emu = await Emulator.create({ port: 0, tokenTtlSeconds: 600, now: () => clock });
});
afterAll(async () => {
  await emu?.close();
});

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(48).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

async function authorize(params: Record<string, string>): Promise<Response> {
  const query = new URLSearchParams({ client_id: CLIENT_ID, response_type: 'code', ...params });
  return fetch(`${emu.url}/authorize?${query}`, { redirect: 'manual' });
}

async function codeFor(redirectUri: string, extra: Record<string, string> = {}): Promise<string> {
  const res = await authorize({ redirect_uri: redirectUri, state: 'xyz', ...extra });
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get('location')!);
  expect(location.searchParams.get('state')).toBe('xyz');
  return location.searchParams.get('code')!;
}

describe('POST /api/token grant_type=client_credentials', () => {
  it('returns a Bearer token with expires_in and no refresh token (Basic auth or form credentials)', async () => {
    const reply = await postForm(emu, { grant_type: 'client_credentials' });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(reply.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 600 });
    const viaForm = await postForm(
      emu,
      { grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: 'tunelake-demo-secret' },
      null,
    );
    expect(viaForm.status).toBe(200);
    expect(viaForm.body.access_token).not.toBe(reply.body.access_token);
  });

  it('answers OAuth-shaped 400s for a bad secret, an unknown client, no credentials and no grant_type', async () => {
    const wrong = `Basic ${Buffer.from(`${CLIENT_ID}:nope`).toString('base64')}`;
    expect(await postForm(emu, { grant_type: 'client_credentials' }, wrong)).toMatchObject({
      status: 400,
      body: { error: 'invalid_client', error_description: 'Invalid client secret' },
    });
    const unknown = `Basic ${Buffer.from('someone-else:x').toString('base64')}`;
    expect(await postForm(emu, { grant_type: 'client_credentials' }, unknown)).toMatchObject({
      status: 400,
      body: { error: 'invalid_client', error_description: 'Invalid client' },
    });
    const none = await postForm(emu, { grant_type: 'client_credentials' }, null);
    expect(none.status).toBe(400);
    expect(none.body).toEqual({ error: 'invalid_client' });
    expect(await postForm(emu, {})).toMatchObject({
      status: 400,
      body: { error: 'unsupported_grant_type', error_description: 'grant_type parameter is missing' },
    });
    expect((await postForm(emu, { grant_type: 'password' })).body.error).toBe('unsupported_grant_type');
  });
});

describe('GET /authorize then POST /api/token grant_type=authorization_code', () => {
  it('runs the PKCE flow: redirect with code and state, exchange with client_id + code_verifier', async () => {
    const { verifier, challenge } = pkce();
    const redirect = 'http://127.0.0.1:8888/callback';
    const code = await codeFor(redirect, {
      code_challenge_method: 'S256',
      code_challenge: challenge,
      scope: 'user-read-private user-top-read',
    });
    const form = {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirect,
      client_id: CLIENT_ID,
      code_verifier: verifier,
    };
    const reply = await postForm(emu, form, null);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 600,
      refresh_token: expect.any(String),
      scope: 'user-read-private user-top-read',
    });
    const me = await get(emu, '/me', reply.body.access_token);
    expect(me.status).toBe(200);
    expect(me.body.id).toBe('tunelake-demo-user');
    expect(me.body.display_name).toBe('Demo Listener');
    // Codes are single use.
    expect(await postForm(emu, form, null)).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid authorization code' },
    });
  });

  it('rejects a wrong code_verifier and a redirect_uri that differs from the one authorized', async () => {
    const { challenge } = pkce();
    const redirect = 'http://[::1]:9000/cb';
    const code = await codeFor(redirect, { code_challenge_method: 'S256', code_challenge: challenge });
    const bad = await postForm(
      emu,
      {
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirect,
        client_id: CLIENT_ID,
        code_verifier: pkce().verifier,
      },
      null,
    );
    expect(bad.body.error).toBe('invalid_grant');
    const other = await codeFor('https://example.org/cb');
    const mismatch = await postForm(emu, {
      grant_type: 'authorization_code',
      code: other,
      redirect_uri: 'https://example.org/other',
    });
    expect(mismatch.body.error).toBe('invalid_grant');
  });

  it('runs the confidential flow with Basic auth and no PKCE', async () => {
    const code = await codeFor('https://example.org/cb', { scope: 'user-read-email' });
    const reply = await postForm(
      emu,
      { grant_type: 'authorization_code', code, redirect_uri: 'https://example.org/cb' },
      BASIC,
    );
    expect(reply.status).toBe(200);
    expect(reply.body.scope).toBe('user-read-email');
    expect(typeof reply.body.refresh_token).toBe('string');
  });

  it('refuses localhost and other insecure redirect URIs, and unknown clients', async () => {
    for (const uri of ['http://localhost:8888/callback', 'http://example.org/cb']) {
      const res = await authorize({ redirect_uri: uri });
      expect(res.status, uri).toBe(400);
      expect(await res.text()).toContain('INVALID_CLIENT: Insecure redirect URI');
    }
    const res = await fetch(
      `${emu.url}/authorize?client_id=nobody&response_type=code&redirect_uri=https://x.org/`,
      {
        redirect: 'manual',
      },
    );
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('INVALID_CLIENT: Invalid client');
  });
});

describe('POST /api/token grant_type=refresh_token', () => {
  it('issues access tokens without rotating the refresh token, with client_id alone (PKCE) or Basic', async () => {
    const refresh = emu.issueRefreshToken();
    const first = await postForm(
      emu,
      { grant_type: 'refresh_token', refresh_token: refresh, client_id: CLIENT_ID },
      null,
    );
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).toBeUndefined();
    expect(first.body.token_type).toBe('Bearer');
    const second = await postForm(emu, { grant_type: 'refresh_token', refresh_token: refresh });
    expect(second.status).toBe(200);
    expect(second.body.access_token).not.toBe(first.body.access_token);
  });

  it('rejects an unknown refresh token and one older than the maximum age, by the emulator clock', async () => {
    expect(await postForm(emu, { grant_type: 'refresh_token', refresh_token: 'AQnope' })).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid refresh token' },
    });
    const old = emu.issueRefreshToken({ issuedAt: clock - 184 * DAY });
    expect(await postForm(emu, { grant_type: 'refresh_token', refresh_token: old })).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Refresh token expired' },
    });
    // Refreshing does not extend the lifetime: still measured from the original login.
    const fresh = emu.issueRefreshToken({ issuedAt: clock - 182 * DAY });
    expect((await postForm(emu, { grant_type: 'refresh_token', refresh_token: fresh })).status).toBe(200);
    clock += 2 * DAY;
    expect((await postForm(emu, { grant_type: 'refresh_token', refresh_token: fresh })).body.error).toBe(
      'invalid_grant',
    );
  });
});

describe('Authorization on /v1', () => {
  it('answers 401 for no token, an unknown token and an expired one (with WWW-Authenticate)', async () => {
    const none = await get(emu, '/me');
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ error: { status: 401, message: 'No token provided' } });
    expect((await get(emu, '/me', 'BQnot-a-token')).body).toEqual({
      error: { status: 401, message: 'Invalid access token' },
    });
    const token = await userToken(emu);
    expect((await get(emu, '/me', token)).status).toBe(200);
    clock += 601_000;
    const expired = await get(emu, '/me', token);
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual({ error: { status: 401, message: 'The access token expired' } });
    expect(expired.headers.get('www-authenticate')).toBe('Bearer realm="spotify", error="invalid_token"');
  });

  it('forbids /me with an app token and a route whose scope the user token lacks', async () => {
    const app = (await postForm(emu, { grant_type: 'client_credentials' })).body.access_token;
    expect((await get(emu, '/me', app)).body).toEqual({
      error: { status: 403, message: 'This request requires user authentication.' },
    });
    const narrow = await userToken(emu, { scope: 'user-read-private' });
    expect((await get(emu, '/me/top/tracks', narrow)).body).toEqual({
      error: { status: 403, message: 'Insufficient client scope' },
    });
    expect((await get(emu, '/me/player/recently-played', narrow)).status).toBe(403);
    expect((await get(emu, '/me', narrow)).status).toBe(200);
  });
});
