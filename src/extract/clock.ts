// Clock-skew checks (#17): a run under a wrong clock dates its snapshots wrong (dt, fetched_at,
// snapshot_date), and nothing downstream can tell. Two references are checked:
// - the last committed run: a clock earlier than its start means this run would land "before" data
//   already in the lake (a clock set back a day, a VM restored from a snapshot);
// - Spotify's `Date` response header: an independent clock, seen on every response.
// Beyond CLOCK_SKEW_LIMIT_MS the run stops (exit 9) before it commits anything; above
// CLOCK_SKEW_WARN_MS it warns. TUNELAKE_ALLOW_CLOCK_SKEW=true (--allow-clock-skew) turns the stop into
// a warning, for a deliberate case (replaying a day). docs/reliability.md "Record size and clock skew".
import { TunelakeError } from '../errors.js';
import type { Logger } from '../log.js';

/** Further off than this stops the run (unless allowed). */
export const CLOCK_SKEW_LIMIT_MS = 5 * 60_000;
/** Further off than this (and within the limit) is a warning; the Date header has 1 s resolution. */
export const CLOCK_SKEW_WARN_MS = 60_000;

const HOW_TO_FIX =
  'Fix the machine clock (e.g. `timedatectl set-ntp true`, or `sudo ntpdate pool.ntp.org`) and run again; ' +
  'if the skew is deliberate, run with --allow-clock-skew (TUNELAKE_ALLOW_CLOCK_SKEW=true).';

/** The start time a run id carries (`20261125T122800Z-a1b2c3`), or undefined. */
export function runIdTime(runId: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-/.exec(runId);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
}

/** Stops (or warns) when `now` is earlier than the start of the last committed run. */
export function checkAgainstLastRun(
  now: Date,
  lastRunId: string | null,
  options: { allow: boolean; logger: Logger },
): void {
  const last = lastRunId ? runIdTime(lastRunId) : undefined;
  if (last === undefined) return;
  // Run ids carry whole seconds: a run started in the same second is not behind.
  const behind = last - Math.floor(now.getTime() / 1000) * 1000;
  if (behind <= 0) return;
  const what =
    `The clock says ${now.toISOString()}, ${describe(behind)} before the last committed run ` +
    `${lastRunId} started (${new Date(last).toISOString()}): this run's snapshots would be dated before ` +
    'data already in the lake.';
  judge(behind, what, { ...options, details: { lastRunId, now: now.toISOString(), behindMs: behind } });
}

/**
 * Stops (or warns) when the client's clock was far from Spotify's `Date` header when a response
 * arrived. Positive skew: this machine is ahead.
 */
export function checkAgainstServer(
  serverClock: { dateMs: number; receivedMs: number } | undefined,
  options: { allow: boolean; logger: Logger },
): void {
  if (!serverClock) return;
  // The header is truncated to the second: up to 1 s behind the moment it was sent.
  const raw = serverClock.receivedMs - serverClock.dateMs;
  const skew = raw > 0 ? Math.max(0, raw - 1000) : raw;
  if (Math.abs(skew) <= CLOCK_SKEW_WARN_MS) return;
  const what =
    `This machine's clock is ${describe(Math.abs(skew))} ${skew > 0 ? 'ahead of' : 'behind'} Spotify's ` +
    `(Date header ${new Date(serverClock.dateMs).toUTCString()}, received at ${new Date(serverClock.receivedMs).toISOString()} ` +
    "by this machine's clock): snapshots would be misdated.";
  judge(Math.abs(skew), what, { ...options, details: { skewMs: skew } });
}

function judge(
  offMs: number,
  what: string,
  options: { allow: boolean; logger: Logger; details: Record<string, unknown> },
): void {
  if (offMs > CLOCK_SKEW_LIMIT_MS && !options.allow) {
    throw new TunelakeError(
      'CLOCK_SKEW',
      `${what} More than ${describe(CLOCK_SKEW_LIMIT_MS)} off, so the run stops and commits nothing. ${HOW_TO_FIX}`,
      { details: options.details },
    );
  }
  options.logger.warn(
    offMs > CLOCK_SKEW_LIMIT_MS
      ? `${what} Going on because clock skew is allowed (TUNELAKE_ALLOW_CLOCK_SKEW).`
      : `${what} Within ${describe(CLOCK_SKEW_LIMIT_MS)}, so the run goes on; check the machine clock.`,
    options.details,
  );
}

function describe(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m} minutes`;
  const h = Math.round(m / 60);
  return h < 48 ? `${h} hours` : `${Math.round(h / 24)} days`;
}
