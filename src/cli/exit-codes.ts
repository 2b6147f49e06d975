// The CLI's one mapping from error codes to process exit codes. Documented in the README; scripts
// may rely on them.
import type { ErrorCode } from '../errors.js';

export const EXIT_OK = 0;

export const EXIT_CODES: Record<ErrorCode, number> = {
  INTERNAL: 1,
  CONFIG_INVALID: 2,
  INVALID_ARGUMENT: 2,
  AUTH_INVALID_CLIENT: 3,
  AUTH_INVALID_GRANT: 3,
  AUTH_USER_TOKEN_REQUIRED: 3,
  AUTH_UNAUTHORIZED: 3,
  SPOTIFY_BAD_REQUEST: 4,
  SPOTIFY_FORBIDDEN: 4,
  SPOTIFY_NOT_FOUND: 4,
  SPOTIFY_RATE_LIMITED: 5,
  SPOTIFY_QUOTA_EXCEEDED: 5,
  SPOTIFY_UNAVAILABLE: 6,
  SPOTIFY_BAD_RESPONSE: 6,
  NETWORK: 6,
  STORAGE_CONFLICT: 7,
  STORAGE_NOT_FOUND: 7,
  STORAGE_CORRUPT: 7,
  STORAGE_FAILED: 7,
  RUN_IN_PROGRESS: 8,
  CLOCK_SKEW: 9,
  PARTIAL_FAILURE: 10,
};
