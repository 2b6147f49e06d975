// Failure knobs, in the spirit of dlt's `dummy` destination (`fail_prob`, `retry_prob`): slow
// answers, 429 bursts, 5xx (sometimes an HTML error page), bodies cut off mid-way, reset
// connections, tokens that expire early, a spent quota, and bodies that are not what the schema
// says (drift, nulls everywhere, huge pages, non-UTF-8 bytes). Every /v1 request draws the same number
// of values from one seeded stream, so a run with the same request sequence fails the same way.
import { TunelakeError } from '../errors.js';
import { createRandom } from './random.js';

export interface FaultOptions {
  /** Added to every response. */
  latencyMs: number;
  /** Probability 0..1 of a 429 with Retry-After (on /v1 routes). */
  rate429: number;
  /** The Retry-After value sent with injected 429s. */
  retryAfterSeconds: number;
  /** Probability of a 500/502/503 (sometimes with a non-JSON HTML body). */
  rate5xx: number;
  /** Probability that a 200 JSON body is cut off mid-way (full Content-Length, then the socket ends). */
  rateTruncated: number;
  /** Probability that the connection is destroyed without a response. */
  rateReset: number;
  /** Probability that a valid access token is treated as expired. */
  rateTokenExpiry: number;
  /** Every /v1 call gets 429 reason QUOTA_EXCEEDED with a huge Retry-After. */
  quotaExceeded: boolean;
  /** Probability that a 200 body drifts from the documented schema: unknown fields in every object, optional ones dropped. */
  rateDrift: number;
  /** Probability that a 200 body has every field null except ids, types and the paging skeleton. */
  rateNulls: number;
  /** Probability that a 200 body is sent Latin-1 encoded: characters U+0080..U+00FF become invalid UTF-8 bytes. */
  rateNonUtf8: number;
  /** Pads every 200 JSON body with an unknown field of this many bytes (huge pages). */
  padBytes: number;
  /** Seconds added to the `Date` header of every response (negative: the server's clock is behind). */
  clockSkewSeconds: number;
  /** Every playlist's description (GET /v1/playlists/{id}) is this many bytes long: one huge record (#17). */
  playlistDescriptionBytes: number;
  // Live-API behaviours that are optional (#14; docs/spotify-api.md):
  /** Playlist episodes come back as audiobook chapters (`type: "chapter"`), a type tunelake does not store. */
  chapterItems: boolean;
  /** `limit` above 10 on search and artist albums -> 400 "Invalid limit" in the extended tier too (development is always strict). */
  strictPageSize: boolean;
  /** An older development-mode app (created before 2026-02-11): the batch endpoints still answer 200. */
  olderDevelopmentApp: boolean;
  /** Every /v1 call: 403 "Active premium subscription required for the owner of the app." */
  ownerNotPremium: boolean;
  /** Every /v1 call with a user token: 403 "User not registered in the Developer Dashboard". */
  userNotRegistered: boolean;
  /**
   * The refresh grant answers with a new refresh_token and the one it was asked with stops working,
   * as Spotify's documentation allows ("might include a new refresh token"); off by default since
   * Spotify stopped rotating around 2026-07-20 (aome510/spotify-player#1041).
   */
  rotateRefreshTokens: boolean;
  /** Probability that a request that would succeed answers 404 instead (an object listed a moment ago is gone). */
  rate404: number;
  /**
   * Route patterns the probabilistic faults apply to, e.g. `['/v1/albums/{id}']` (as in
   * src/emulator/routes/api.ts); empty: every /v1 route. Lets a test fail one step of a source half-way.
   */
  faultRoutes: readonly string[];
}

export const NO_FAULTS: Readonly<FaultOptions> = Object.freeze({
  latencyMs: 0,
  rate429: 0,
  retryAfterSeconds: 1,
  rate5xx: 0,
  rateTruncated: 0,
  rateReset: 0,
  rateTokenExpiry: 0,
  quotaExceeded: false,
  rateDrift: 0,
  rateNulls: 0,
  rateNonUtf8: 0,
  padBytes: 0,
  playlistDescriptionBytes: 0,
  clockSkewSeconds: 0,
  chapterItems: false,
  strictPageSize: false,
  olderDevelopmentApp: false,
  ownerNotPremium: false,
  userNotRegistered: false,
  rotateRefreshTokens: false,
  rate404: 0,
  faultRoutes: Object.freeze([]) as readonly string[],
});

const BOOLEANS = [
  'quotaExceeded',
  'chapterItems',
  'strictPageSize',
  'olderDevelopmentApp',
  'ownerNotPremium',
  'userNotRegistered',
  'rotateRefreshTokens',
] as const;

/** The Retry-After sent with QUOTA_EXCEEDED: hours, as seen in the wild (ShareList#23). */
export const QUOTA_RETRY_AFTER_SECONDS = 20_000;

const PROBABILITIES = [
  'rate429',
  'rate5xx',
  'rateTruncated',
  'rateReset',
  'rateTokenExpiry',
  'rateDrift',
  'rateNulls',
  'rateNonUtf8',
  'rate404',
] as const;

/** Applies a partial update, checking every value; throws INVALID_ARGUMENT naming each bad one. */
export function mergeFaults(current: FaultOptions, patch: Partial<FaultOptions>): FaultOptions {
  const next: FaultOptions = { ...current };
  const problems: string[] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (!(key in NO_FAULTS)) {
      problems.push(`unknown fault "${key}" (expected one of ${Object.keys(NO_FAULTS).join(', ')})`);
    } else if ((BOOLEANS as readonly string[]).includes(key)) {
      if (typeof value !== 'boolean')
        problems.push(`${key} must be true or false, got ${JSON.stringify(value)}`);
      else (next as unknown as Record<string, boolean>)[key] = value;
    } else if (key === 'faultRoutes') {
      if (!Array.isArray(value) || value.some((r) => typeof r !== 'string' || !r.startsWith('/v1/')))
        problems.push(
          `faultRoutes must be a list of route patterns starting with /v1/, got ${JSON.stringify(value)}`,
        );
      else next.faultRoutes = Object.freeze([...value]);
    } else if (typeof value !== 'number' || !Number.isFinite(value)) {
      problems.push(`${key} must be a number, got ${JSON.stringify(value)}`);
    } else if ((PROBABILITIES as readonly string[]).includes(key) && (value < 0 || value > 1)) {
      problems.push(`${key} must be a probability from 0 to 1, got ${value}`);
    } else if (value < 0 && key !== 'clockSkewSeconds') {
      problems.push(`${key} must not be negative, got ${value}`);
    } else {
      (next as unknown as Record<string, number>)[key] =
        key === 'retryAfterSeconds' ? Math.ceil(value) : value;
    }
  }
  if (problems.length > 0) {
    throw new TunelakeError('INVALID_ARGUMENT', `Invalid fault options: ${problems.join('; ')}.`, {
      details: { problems },
    });
  }
  return next;
}

export interface FaultRoll {
  reset: boolean;
  tokenExpiry: boolean;
  rateLimited: boolean;
  serverError: 500 | 502 | 503 | null;
  /** Whether an injected 5xx comes as an HTML page instead of JSON. */
  html: boolean;
  truncated: boolean;
  drift: boolean;
  nulls: boolean;
  nonUtf8: boolean;
  notFound: boolean;
}

/** A roll that injects nothing: what a route outside `faultRoutes` gets. */
export const NO_ROLL: Readonly<FaultRoll> = Object.freeze({
  reset: false,
  tokenExpiry: false,
  rateLimited: false,
  serverError: null,
  html: false,
  truncated: false,
  drift: false,
  nulls: false,
  nonUtf8: false,
  notFound: false,
});

/** Whether the probabilistic faults apply to a route (`GET /v1/albums/{id}` style key). */
export function targeted(options: FaultOptions, routePath: string): boolean {
  return options.faultRoutes.length === 0 || options.faultRoutes.includes(routePath);
}

export interface FaultInjector {
  readonly options: FaultOptions;
  set(patch: Partial<FaultOptions>): FaultOptions;
  /** Draws the fate of one /v1 request: always the same number of draws. */
  roll(): FaultRoll;
}

export function createFaultInjector(seed: number, initial: Partial<FaultOptions> = {}): FaultInjector {
  const rng = createRandom(seed);
  // The body faults draw from their own stream, so adding them left the others' sequence unchanged.
  const bodyRng = createRandom(seed + 1);
  const notFoundRng = createRandom(seed + 2);
  let options = mergeFaults(NO_FAULTS, initial);
  return {
    get options() {
      return options;
    },
    set: (patch) => {
      options = mergeFaults(options, patch);
      return options;
    },
    roll: () => {
      const draws = [rng.next(), rng.next(), rng.next(), rng.next(), rng.next(), rng.next(), rng.next()];
      const [reset, expiry, limited, error, kind, html, truncated] = draws as [
        number,
        number,
        number,
        number,
        number,
        number,
        number,
      ];
      return {
        reset: reset < options.rateReset,
        tokenExpiry: expiry < options.rateTokenExpiry,
        rateLimited: limited < options.rate429,
        serverError: error < options.rate5xx ? ([500, 502, 503] as const)[Math.floor(kind * 3)]! : null,
        html: html < 0.5,
        truncated: truncated < options.rateTruncated,
        drift: bodyRng.next() < options.rateDrift,
        nulls: bodyRng.next() < options.rateNulls,
        nonUtf8: bodyRng.next() < options.rateNonUtf8,
        notFound: notFoundRng.next() < options.rate404,
      };
    },
  };
}

/** Keys a "nulls everywhere" body keeps: without ids and the paging skeleton it is not a page at all. */
const KEPT_BY_NULLS = new Set([
  'id',
  'type',
  'uri',
  'items',
  'next',
  'previous',
  'total',
  'limit',
  'offset',
  'cursors',
]);
/** Keys a drifted body drops: those Spotify has already removed in development mode (2026-02). */
const DROPPED_BY_DRIFT = new Set(['available_markets', 'popularity', 'genres']);

/** A 200 body as the body faults of `roll` reshape it (drift, nulls, padding); unchanged without any. */
export function reshapeBody(value: unknown, roll: FaultRoll, options: FaultOptions): unknown {
  let out = value;
  if (roll.drift) out = mapObjects(out, (o) => driftObject(o));
  if (roll.nulls) {
    out = mapObjects(out, (o) =>
      Object.fromEntries(Object.entries(o).map(([k, v]) => [k, KEPT_BY_NULLS.has(k) ? v : null])),
    );
  }
  if (options.padBytes > 0 && out && typeof out === 'object' && !Array.isArray(out)) {
    out = { ...out, _padding: 'x'.repeat(options.padBytes) };
  }
  return out;
}

function driftObject(o: Record<string, unknown>): Record<string, unknown> {
  const kept = Object.entries(o).filter(([k]) => !DROPPED_BY_DRIFT.has(k));
  return { ...Object.fromEntries(kept), x_added_field: { nested: [1, 'two', null], at: '2026-11-25' } };
}

function mapObjects(value: unknown, fn: (o: Record<string, unknown>) => Record<string, unknown>): unknown {
  if (Array.isArray(value)) return value.map((v) => mapObjects(v, fn));
  if (value === null || typeof value !== 'object') return value;
  const inner = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapObjects(v, fn)]));
  return fn(inner);
}
