// The accounts service's memory: the one registered app, authorization codes, access tokens and
// refresh tokens. Token strings come from the CSPRNG (never the seeded PRNG: they must not be
// guessable or repeat across runs); lifetimes are measured on the injected clock.
import { randomBytes } from 'node:crypto';

export interface Grant {
  clientId: string;
  /** null for app-only (client credentials) tokens. */
  userId: string | null;
  scopes: ReadonlySet<string>;
}

export interface RefreshGrant extends Grant {
  issuedAt: number;
  /** Issued to a public (PKCE) client, so it may be refreshed with `client_id` alone. */
  publicClient: boolean;
}

export interface CodeGrant extends Grant {
  redirectUri: string;
  /** The S256 code challenge, when the PKCE flow was used. */
  codeChallenge: string | null;
  expiresAt: number;
}

export type AccessCheck = { status: 'valid'; grant: Grant } | { status: 'expired' } | { status: 'unknown' };

export interface AuthStoreOptions {
  clientId: string;
  clientSecret: string;
  tokenTtlSeconds: number;
  refreshTokenMaxAgeDays: number;
  now: () => number;
}

export interface AuthStore {
  readonly clientId: string;
  readonly tokenTtlSeconds: number;
  checkClient(clientId: string, clientSecret: string | undefined): 'ok' | 'unknown-client' | 'bad-secret';
  issueAccessToken(grant: Grant): string;
  checkAccessToken(token: string): AccessCheck;
  /** Makes a valid token expire now (the token-expiry fault). */
  expireAccessToken(token: string): void;
  issueRefreshToken(grant: Grant, options?: { issuedAt?: number; publicClient?: boolean }): string;
  findRefreshToken(token: string): RefreshGrant | undefined;
  /** A new refresh token for the same grant and original authorisation time; the old one stops working. */
  rotateRefreshToken(token: string): string | undefined;
  refreshTokenExpired(grant: RefreshGrant): boolean;
  issueCode(grant: Omit<CodeGrant, 'expiresAt'>): string;
  /** Codes are single use: taking one deletes it. */
  takeCode(code: string): CodeGrant | undefined;
}

const CODE_TTL_MS = 10 * 60_000;
const DAY_MS = 86_400_000;

export const ALL_SCOPES: readonly string[] = [
  'ugc-image-upload',
  'user-read-playback-state',
  'user-modify-playback-state',
  'user-read-currently-playing',
  'app-remote-control',
  'streaming',
  'playlist-read-private',
  'playlist-read-collaborative',
  'playlist-modify-private',
  'playlist-modify-public',
  'user-follow-modify',
  'user-follow-read',
  'user-read-playback-position',
  'user-top-read',
  'user-read-recently-played',
  'user-library-modify',
  'user-library-read',
  'user-read-email',
  'user-read-private',
  'user-personalized',
];

/** What a tunelake run asks for: everything it reads, nothing it could write. */
export const DEMO_SCOPES: readonly string[] = [
  'user-read-private',
  'user-read-email',
  'user-read-recently-played',
  'user-top-read',
  'playlist-read-private',
  'playlist-read-collaborative',
  'user-library-read',
  'user-follow-read',
];

export function parseScopes(text: string | null | undefined): Set<string> {
  return new Set((text ?? '').split(/[\s+]+/).filter((s) => s.length > 0));
}

function token(prefix: string, bytes: number): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}

export function createAuthStore(options: AuthStoreOptions): AuthStore {
  const access = new Map<string, Grant & { expiresAt: number }>();
  const refresh = new Map<string, RefreshGrant>();
  const codes = new Map<string, CodeGrant>();
  const { now } = options;
  const maxAgeMs = options.refreshTokenMaxAgeDays * DAY_MS;

  return {
    clientId: options.clientId,
    tokenTtlSeconds: options.tokenTtlSeconds,
    checkClient: (clientId, clientSecret) => {
      if (clientId !== options.clientId) return 'unknown-client';
      if (clientSecret !== undefined && clientSecret !== options.clientSecret) return 'bad-secret';
      return 'ok';
    },
    issueAccessToken: (grant) => {
      const value = token('BQ', 96);
      access.set(value, { ...grant, expiresAt: now() + options.tokenTtlSeconds * 1000 });
      return value;
    },
    checkAccessToken: (value) => {
      const record = access.get(value);
      if (!record) return { status: 'unknown' };
      if (now() >= record.expiresAt) return { status: 'expired' };
      return { status: 'valid', grant: record };
    },
    expireAccessToken: (value) => {
      const record = access.get(value);
      if (record) record.expiresAt = Math.min(record.expiresAt, now());
    },
    issueRefreshToken: (grant, opts = {}) => {
      const value = token('AQ', 96);
      refresh.set(value, {
        ...grant,
        issuedAt: opts.issuedAt ?? now(),
        publicClient: opts.publicClient ?? true,
      });
      return value;
    },
    findRefreshToken: (value) => refresh.get(value),
    rotateRefreshToken: (value) => {
      const record = refresh.get(value);
      if (!record) return undefined;
      refresh.delete(value);
      const next = token('AQ', 96);
      refresh.set(next, { ...record });
      return next;
    },
    refreshTokenExpired: (grant) => now() - grant.issuedAt > maxAgeMs,
    issueCode: (grant) => {
      const value = token('AQ', 72);
      codes.set(value, { ...grant, expiresAt: now() + CODE_TTL_MS });
      return value;
    },
    takeCode: (value) => {
      const record = codes.get(value);
      codes.delete(value);
      return record;
    },
  };
}
