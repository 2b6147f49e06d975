// Endpoints that are not Spotify's: they let the CLI, benchmarks and tests in other processes steer
// a running emulator (simulated day, faults, counters, a login for the demo user). They are never
// rate limited, never faulted and not counted in stats.

import type { FaultOptions } from '../faults.js';
import { advanceDays, type EmulatorState, issueUserRefreshToken, setDay } from '../instance.js';
import { fail, json, type Reply } from '../responses.js';
import { worldNowMs, worldSummary } from '../world.js';

function parseBody(body: string): Record<string, unknown> {
  if (body.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw fail(400, 'Invalid JSON body');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw fail(400, 'Expected a JSON object');
  return value as Record<string, unknown>;
}

function dayReply(state: EmulatorState): Reply {
  return json(200, { day: state.world.day, now: new Date(worldNowMs(state.world)).toISOString() });
}

/** Answers a /_emulator/... request, or returns null for an unknown one. */
export function controlEndpoint(
  state: EmulatorState,
  method: string,
  path: string,
  body: string,
): Reply | null {
  const route = `${method} ${path}`;
  switch (route) {
    case 'GET /_emulator/stats':
      return json(200, state.stats.snapshot());
    case 'POST /_emulator/stats/reset':
      state.stats.reset();
      return json(200, { ok: true });
    case 'GET /_emulator/day':
      return dayReply(state);
    case 'POST /_emulator/day': {
      const input = parseBody(body);
      if (input.day !== undefined) setDay(state, input.day as number);
      else advanceDays(state, (input.advance as number | undefined) ?? 1);
      return dayReply(state);
    }
    case 'GET /_emulator/faults':
      return json(200, state.faults.options);
    case 'POST /_emulator/faults':
      return json(200, state.faults.set(parseBody(body) as Partial<FaultOptions>));
    case 'POST /_emulator/refresh-token': {
      const input = parseBody(body);
      const refreshToken = issueUserRefreshToken(state, {
        userId: input.userId as string | undefined,
        issuedAt: input.issuedAt as number | undefined,
        scope: input.scope as string | undefined,
      });
      return json(200, { refresh_token: refreshToken });
    }
    case 'GET /_emulator/catalog/summary':
      return json(200, worldSummary(state.world));
    default:
      return null;
  }
}
