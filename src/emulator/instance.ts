// Everything one emulator instance holds, shared by the HTTP app and the Emulator class: the world,
// the accounts service, the limiter, the fault knobs and the counters. The day-changing and
// token-issuing operations live here so that the Emulator's methods and the /_emulator control
// endpoints do exactly the same thing.
import { TunelakeError } from '../errors.js';
import { type AuthStore, DEMO_SCOPES, parseScopes } from './auth.js';
import type { FaultInjector } from './faults.js';
import type { RateLimiter } from './rate-limit.js';
import type { StatsRecorder } from './stats.js';
import type { TierRules } from './tiers.js';
import { advanceWorld, createWorld, type World } from './world.js';

export interface EmulatorState {
  readonly rules: TierRules;
  readonly seed: number;
  readonly scale: number;
  world: World;
  readonly auth: AuthStore;
  readonly limiter: RateLimiter;
  readonly faults: FaultInjector;
  readonly stats: StatsRecorder;
  /** http://127.0.0.1:PORT, known once the server listens. */
  baseUrl: string;
  readonly now: () => number;
  /** Answer unknown track ids with a stand-in (src/emulator/imported.ts). */
  readonly resolveImportedTracks?: boolean;
}

export function apiUrlOf(state: EmulatorState): string {
  return `${state.baseUrl}/v1`;
}

/** Moves to `day`: forward by replaying days, backward by regenerating (state is a function of the day). */
export function setDay(state: EmulatorState, day: number): number {
  if (!Number.isInteger(day) || day < 0) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Invalid day ${JSON.stringify(day)}: expected an integer >= 0.`,
    );
  }
  if (day >= state.world.day) advanceWorld(state.world, day - state.world.day);
  else
    state.world = createWorld({
      seed: state.seed,
      scale: state.scale,
      day,
      prolificArtists: state.world.prolificArtists,
    });
  return state.world.day;
}

export function advanceDays(state: EmulatorState, days: number): number {
  if (!Number.isInteger(days) || days < 0) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Invalid number of days ${JSON.stringify(days)}: expected an integer >= 0.`,
    );
  }
  return setDay(state, state.world.day + days);
}

export interface RefreshTokenRequest {
  userId?: string;
  issuedAt?: number;
  scope?: string;
}

/** A refresh token as if the user had just logged in (default: the demo user, tunelake's scopes). */
export function issueUserRefreshToken(state: EmulatorState, request: RefreshTokenRequest = {}): string {
  const userId = request.userId ?? state.world.demoUserId;
  if (!state.world.users.has(userId)) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Unknown user "${userId}": expected the id of a generated user.`,
    );
  }
  if (request.issuedAt !== undefined && !Number.isFinite(request.issuedAt)) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Invalid issuedAt ${JSON.stringify(request.issuedAt)}: expected Unix ms.`,
    );
  }
  const scopes = parseScopes(request.scope ?? DEMO_SCOPES.join(' '));
  return state.auth.issueRefreshToken(
    { clientId: state.auth.clientId, userId, scopes },
    { issuedAt: request.issuedAt, publicClient: true },
  );
}
