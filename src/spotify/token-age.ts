// How old the user's refresh token is and when it expires: six months after the user authorised the
// app, which refreshing does not extend (developer.spotify.com/blog/2026-06-18-refresh-token-expiration).
// `tunelake login` records `obtained_at` in the credentials file; doctor and the dashboard's freshness
// bar both judge it here, warning from 30 days before expiry (#14).

export const REFRESH_TOKEN_LIFETIME_MONTHS = 6;
export const REFRESH_TOKEN_WARN_DAYS = 30;
const DAY_MS = 86_400_000;

export interface RefreshTokenAge {
  status: 'ok' | 'expiring' | 'expired';
  obtainedAt: string;
  expiresAt: string;
  ageDays: number;
  /** Whole days until expiry; negative once expired. */
  daysLeft: number;
  /** One line for people: the age, the expiry date and what to do. */
  message: string;
}

/** `obtained_at` from the credentials file's text; undefined when absent or invalid. */
export function obtainedAtOf(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as { obtained_at?: unknown };
    const value = typeof parsed?.obtained_at === 'string' ? new Date(parsed.obtained_at) : undefined;
    return value && !Number.isNaN(value.getTime()) ? value : undefined;
  } catch {
    return undefined;
  }
}

export function refreshTokenAge(obtainedAt: Date, now: Date): RefreshTokenAge {
  const expires = new Date(obtainedAt);
  expires.setUTCMonth(expires.getUTCMonth() + REFRESH_TOKEN_LIFETIME_MONTHS);
  const ageDays = Math.floor((now.getTime() - obtainedAt.getTime()) / DAY_MS);
  const daysLeft = Math.floor((expires.getTime() - now.getTime()) / DAY_MS);
  const day = expires.toISOString().slice(0, 10);
  const status =
    expires.getTime() <= now.getTime() ? 'expired' : daysLeft < REFRESH_TOKEN_WARN_DAYS ? 'expiring' : 'ok';
  const message =
    status === 'expired'
      ? `the Spotify login expired on ${day} (${REFRESH_TOKEN_LIFETIME_MONTHS} months after authorisation): run \`tunelake login\``
      : status === 'expiring'
        ? `the Spotify login is ${ageDays} days old and expires in ${daysLeft} days (${day}): run \`tunelake login\` before then`
        : `the Spotify login is ${ageDays} days old; it expires on ${day}`;
  return {
    status,
    obtainedAt: obtainedAt.toISOString(),
    expiresAt: expires.toISOString(),
    ageDays,
    daysLeft,
    message,
  };
}
