// How the emulator answers: JSON bodies with Spotify's headers, and the one place where a
// TunelakeError becomes an HTTP status and Spotify's error body. Handlers throw `fail(...)` or
// `oauthFail(...)`; `errorReply` renders whatever was thrown.
import { type ErrorCode, TunelakeError } from '../errors.js';

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export const JSON_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'private, max-age=0',
};

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'SPOTIFY_BAD_REQUEST',
  401: 'AUTH_UNAUTHORIZED',
  403: 'SPOTIFY_FORBIDDEN',
  404: 'SPOTIFY_NOT_FOUND',
  429: 'SPOTIFY_RATE_LIMITED',
};

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  INVALID_ARGUMENT: 400,
  SPOTIFY_BAD_REQUEST: 400,
  AUTH_UNAUTHORIZED: 401,
  SPOTIFY_FORBIDDEN: 403,
  SPOTIFY_NOT_FOUND: 404,
  SPOTIFY_RATE_LIMITED: 429,
  SPOTIFY_QUOTA_EXCEEDED: 429,
  SPOTIFY_UNAVAILABLE: 503,
};

export interface FailOptions {
  headers?: Record<string, string>;
  /** Spotify's optional `reason`, e.g. QUOTA_EXCEEDED. */
  reason?: string;
}

/** An API error as Spotify words it: `{"error":{"status":400,"message":"invalid id"}}`. */
export function fail(status: number, message: string, options: FailOptions = {}): TunelakeError {
  const code = CODE_BY_STATUS[status] ?? (status >= 500 ? 'SPOTIFY_UNAVAILABLE' : 'SPOTIFY_BAD_REQUEST');
  return new TunelakeError(code, message, { details: { status, ...options } });
}

export type OAuthErrorCode =
  | 'invalid_client'
  | 'invalid_grant'
  | 'invalid_request'
  | 'unsupported_grant_type'
  | 'invalid_scope';

/** An accounts-service error, OAuth style: `{"error":"invalid_grant","error_description":"..."}`. */
export function oauthFail(error: OAuthErrorCode, description?: string): TunelakeError {
  const code: ErrorCode =
    error === 'invalid_client'
      ? 'AUTH_INVALID_CLIENT'
      : error === 'invalid_grant'
        ? 'AUTH_INVALID_GRANT'
        : 'INVALID_ARGUMENT';
  return new TunelakeError(code, description ?? error, {
    details: { status: 400, oauth: error, description },
  });
}

export function errorReply(error: unknown): Reply {
  if (!(error instanceof TunelakeError)) {
    return json(500, { error: { status: 500, message: 'Server error' } });
  }
  const details = error.details as { status?: number; oauth?: string; description?: string } & FailOptions;
  const status = details.status ?? STATUS_BY_CODE[error.code] ?? 500;
  if (details.oauth) {
    const body =
      details.description === undefined
        ? { error: details.oauth }
        : { error: details.oauth, error_description: details.description };
    return json(status, body);
  }
  const body: { status: number; message: string; reason?: string } = { status, message: error.message };
  if (details.reason) body.reason = details.reason;
  return json(status, { error: body }, details.headers ?? {});
}
