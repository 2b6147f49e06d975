// One error model for the whole project. Every failure that crosses a module boundary is a
// TunelakeError with a code from the union below, the original error as `cause`, and a `retryable`
// flag. Each edge maps codes to its own output in exactly one place: the CLI to exit codes
// (src/cli/exit-codes.ts), the emulator to HTTP statuses, the Lambda handlers to throw-or-return.
// Messages say what happened, what was received, what was expected, and how to fix it.

export type ErrorCode =
  /** A setting, flag or config-file value is missing or invalid. */
  | 'CONFIG_INVALID'
  /** A command-line argument is malformed (an id, a URL, a date). */
  | 'INVALID_ARGUMENT'
  /** The Spotify app credentials were rejected (`invalid_client`). */
  | 'AUTH_INVALID_CLIENT'
  /** The refresh token or authorization code was rejected (`invalid_grant`): log in again. */
  | 'AUTH_INVALID_GRANT'
  /** A source needs a user (refresh) token and none is configured. */
  | 'AUTH_USER_TOKEN_REQUIRED'
  /** An access token was rejected even after one renewal. */
  | 'AUTH_UNAUTHORIZED'
  /** 400 from the API: the request is wrong and retrying will not help. */
  | 'SPOTIFY_BAD_REQUEST'
  /** 403 from the API: scope, tier (development mode), playlist ownership or Premium rules. */
  | 'SPOTIFY_FORBIDDEN'
  /** 404 from the API: unknown id, or an editorial playlist hidden from new apps. */
  | 'SPOTIFY_NOT_FOUND'
  /** 429 whose Retry-After is longer than the configured cap; the run stops instead of sleeping. */
  | 'SPOTIFY_RATE_LIMITED'
  /** 429 with reason QUOTA_EXCEEDED: the app's quota is spent. */
  | 'SPOTIFY_QUOTA_EXCEEDED'
  /** 5xx that outlived every retry. */
  | 'SPOTIFY_UNAVAILABLE'
  /** A response that is not JSON, is truncated, or does not match the API's schema. */
  | 'SPOTIFY_BAD_RESPONSE'
  /** Connection refused/reset or a timeout that outlived every retry. */
  | 'NETWORK'
  /** A create-only or compare-and-swap write lost its precondition. */
  | 'STORAGE_CONFLICT'
  /** An object that must exist does not. */
  | 'STORAGE_NOT_FOUND'
  /** An object's bytes differ from what was recorded when it was committed (size, record count, sha256). */
  | 'STORAGE_CORRUPT'
  /** Any other storage failure (permissions, disk full, S3 errors). */
  | 'STORAGE_FAILED'
  /** The machine's clock is off: behind the last committed run, or far from Spotify's `Date` header. */
  | 'CLOCK_SKEW'
  /** Another run holds the lake's run lock. */
  | 'RUN_IN_PROGRESS'
  /** Some sources failed while others landed: what succeeded is kept. */
  | 'PARTIAL_FAILURE'
  /** A bug: something that should not happen. */
  | 'INTERNAL';

/** Codes that are worth retrying as a whole (by AWS, a scheduler, or the user re-running). */
const RETRYABLE_BY_DEFAULT: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'SPOTIFY_RATE_LIMITED',
  'SPOTIFY_UNAVAILABLE',
  'NETWORK',
  'RUN_IN_PROGRESS',
]);

export interface TunelakeErrorOptions {
  cause?: unknown;
  retryable?: boolean;
  /** Machine-readable facts for `--json` output and logs (never secrets). */
  details?: Record<string, unknown>;
}

export class TunelakeError extends Error {
  override readonly name = 'TunelakeError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: TunelakeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT.has(code);
    this.details = options.details ?? {};
  }

  toJSON(): { code: ErrorCode; message: string; retryable: boolean; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, retryable: this.retryable, details: this.details };
  }
}

export function isTunelakeError(error: unknown, code?: ErrorCode): error is TunelakeError {
  return error instanceof TunelakeError && (code === undefined || error.code === code);
}

/** Wraps anything thrown into a TunelakeError, keeping the original as `cause`. */
export function toTunelakeError(error: unknown, fallback: ErrorCode = 'INTERNAL'): TunelakeError {
  if (error instanceof TunelakeError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new TunelakeError(fallback, message, { cause: error });
}
