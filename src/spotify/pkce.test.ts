import { describe, expect, it } from 'vitest';
import { isTunelakeError } from '../errors.js';
import { buildAuthorizeUrl, codeChallengeS256, createCodeVerifier, createState } from './auth.js';

describe('createCodeVerifier(length)', () => {
  it('returns length characters of [A-Za-z0-9-._~], different every time', () => {
    for (const length of [43, 64, 128]) {
      const verifier = createCodeVerifier(length);
      expect(verifier).toHaveLength(length);
      expect(verifier).toMatch(/^[A-Za-z0-9\-._~]+$/);
    }
    expect(createCodeVerifier()).not.toBe(createCodeVerifier());
  });

  it('refuses lengths outside 43-128 with INVALID_ARGUMENT', () => {
    for (const length of [42, 129]) {
      let caught: unknown;
      try {
        createCodeVerifier(length);
      } catch (error) {
        caught = error;
      }
      expect(isTunelakeError(caught, 'INVALID_ARGUMENT')).toBe(true);
    }
  });
});

describe('codeChallengeS256(verifier)', () => {
  it('matches the example in RFC 7636 appendix B', () => {
    expect(codeChallengeS256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });
});

describe('createState()', () => {
  it('is URL-safe and unguessable (32 characters from 24 random bytes)', () => {
    const state = createState();
    expect(state).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(createState()).not.toBe(state);
  });
});

describe('buildAuthorizeUrl(options)', () => {
  it('asks for a code with PKCE S256, the loopback redirect and space-separated scopes', () => {
    const url = new URL(
      buildAuthorizeUrl({
        accountsUrl: 'https://accounts.spotify.com',
        clientId: 'abc',
        redirectUri: 'http://127.0.0.1:8888/callback',
        state: 'st',
        scopes: ['user-top-read', 'user-library-read'],
        codeChallenge: 'ch',
      }),
    );
    expect(`${url.origin}${url.pathname}`).toBe('https://accounts.spotify.com/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'abc',
      response_type: 'code',
      redirect_uri: 'http://127.0.0.1:8888/callback',
      state: 'st',
      scope: 'user-top-read user-library-read',
      code_challenge_method: 'S256',
      code_challenge: 'ch',
    });
  });
});
