// The emulator's request handler, independent of any socket: the HTTP server and the in-process
// `fetch` both call `handle()`. For a /v1 call the order is: route lookup, injected connection
// reset, bearer token, quota, rate limit, injected 429 and 5xx, the route's own rules (user token,
// scope, tier), the handler, the body faults of a 200 (drift, nulls, padding, Latin-1 bytes), and
// finally an injected truncation of a 200 body.
import type { Grant } from './auth.js';
import { NO_ROLL, QUOTA_RETRY_AFTER_SECONDS, reshapeBody, targeted } from './faults.js';
import { apiUrlOf, type EmulatorState } from './instance.js';
import type { RenderContext } from './objects.js';
import { errorReply, fail, json, type Reply } from './responses.js';
import { authorizeEndpoint, tokenEndpoint } from './routes/accounts.js';
import { API_ROUTES, type ApiRoute } from './routes/api.js';
import { controlEndpoint } from './routes/control.js';

export interface AppRequest {
  method: string;
  url: URL;
  headers: Headers;
  body: string;
  signal?: AbortSignal;
}

export type AppResult =
  | { kind: 'reply'; reply: Reply; truncate: boolean; latin1?: boolean }
  | { kind: 'reset' };

export interface App {
  handle(request: AppRequest): Promise<AppResult>;
}

export interface AppDeps {
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

interface CompiledRoute {
  route: ApiRoute;
  pattern: RegExp;
  names: string[];
}

const COMPILED: readonly CompiledRoute[] = API_ROUTES.map((route) => {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const m = /^\{(\w+)\}$/.exec(segment);
      if (!m) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(m[1]!);
      return '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), names };
});

function matchApi(path: string): { route: ApiRoute; params: Record<string, string> } | null {
  for (const compiled of COMPILED) {
    const m = compiled.pattern.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    compiled.names.forEach((name, i) => {
      params[name] = safeDecode(m[i + 1]!);
    });
    return { route: compiled.route, params };
  }
  return null;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const AUTH_REALM = 'Bearer realm="spotify"';
const INVALID_TOKEN = 'Bearer realm="spotify", error="invalid_token"';

function serverErrorReply(status: 500 | 502 | 503, html: boolean): Reply {
  if (html) {
    const title =
      status === 502
        ? '502 Bad Gateway'
        : status === 503
          ? '503 Service Unavailable'
          : '500 Internal Server Error';
    return {
      status,
      headers: { 'content-type': 'text/html; charset=utf-8' },
      body: `<html>\n<head><title>${title}</title></head>\n<body>\n<center><h1>${title}</h1></center>\n</body>\n</html>\n`,
    };
  }
  const message = status === 503 ? 'Service unavailable' : status === 502 ? 'Bad gateway' : 'Server error';
  return json(status, { error: { status, message } });
}

export function createApp(state: EmulatorState, deps: AppDeps = {}): App {
  const sleep = deps.sleep ?? defaultSleep;

  const reply = (route: string, r: Reply, truncate = false): AppResult => {
    state.stats.record(route, r.status);
    // A real Date header, as Spotify sends (the client checks its clock against it, #17); shifted by
    // the clockSkewSeconds knob. The wall clock, not `state.now`: the header is the server's real time.
    const date = new Date(Date.now() + state.faults.options.clockSkewSeconds * 1000).toUTCString();
    return { kind: 'reply', reply: { ...r, headers: { ...r.headers, date } }, truncate };
  };

  /** The bearer token's grant, or a 401 as Spotify words it. */
  const authenticate = (request: AppRequest, injectExpiry: boolean): Grant => {
    const header = request.headers.get('authorization');
    if (header === null || header.trim() === '') {
      throw fail(401, 'No token provided', { headers: { 'www-authenticate': AUTH_REALM } });
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!bearer) throw fail(400, 'Only valid bearer authentication supported');
    const check = state.auth.checkAccessToken(bearer[1]!);
    if (check.status === 'unknown') {
      throw fail(401, 'Invalid access token', { headers: { 'www-authenticate': INVALID_TOKEN } });
    }
    if (check.status === 'valid' && injectExpiry) {
      state.auth.expireAccessToken(bearer[1]!);
      state.stats.inject('tokenExpiry');
    } else if (check.status === 'valid') {
      return check.grant;
    }
    throw fail(401, 'The access token expired', { headers: { 'www-authenticate': INVALID_TOKEN } });
  };

  /** The quota, the rolling-window rate limit, then an injected 429: each a 429 with Retry-After. */
  const admit = (grant: Grant, inject429: boolean): void => {
    if (state.faults.options.quotaExceeded) {
      state.stats.inject('429');
      const headers = { 'retry-after': String(QUOTA_RETRY_AFTER_SECONDS) };
      throw fail(429, 'Too many requests', { headers, reason: 'QUOTA_EXCEEDED' });
    }
    const admitted = state.limiter.take(grant.clientId);
    if (!admitted.ok) {
      throw fail(429, 'API rate limit exceeded', {
        headers: { 'retry-after': String(admitted.retryAfterSeconds) },
      });
    }
    if (inject429) {
      state.stats.inject('429');
      const headers = { 'retry-after': String(state.faults.options.retryAfterSeconds) };
      throw fail(429, 'API rate limit exceeded', { headers });
    }
  };

  const api = (request: AppRequest, path: string): AppResult => {
    const match = matchApi(path);
    if (!match) return reply(`${request.method} (unmatched)`, errorReply(fail(404, 'Service not found')));
    const routeKey = `${request.method} ${match.route.path}`;
    if (request.method !== 'GET') return reply(routeKey, errorReply(fail(405, 'Method not allowed')));

    const drawn = state.faults.roll();
    const roll = targeted(state.faults.options, match.route.path) ? drawn : NO_ROLL;
    if (roll.reset) {
      state.stats.inject('reset');
      state.stats.record(routeKey, 'reset');
      return { kind: 'reset' };
    }

    let result: Reply;
    try {
      const grant = authenticate(request, roll.tokenExpiry);
      admit(grant, roll.rateLimited);
      if (roll.serverError !== null) {
        state.stats.inject('5xx');
        return reply(routeKey, serverErrorReply(roll.serverError, roll.html));
      }
      const { route, params } = match;
      // Development mode since 2026-02: the app owner needs Premium, and users must be allow-listed.
      if (state.faults.options.ownerNotPremium) {
        throw fail(403, 'Active premium subscription required for the owner of the app.');
      }
      if (state.faults.options.userNotRegistered && grant.userId !== null) {
        throw fail(403, 'User not registered in the Developer Dashboard');
      }
      if (route.user && grant.userId === null) throw fail(403, 'This request requires user authentication.');
      if (route.scope && !grant.scopes.has(route.scope)) throw fail(403, 'Insufficient client scope');
      // Older development-mode apps keep the batch endpoints (removal postponed on 2026-03-09).
      const legacyAllowed = state.rules.legacyEndpoints || state.faults.options.olderDevelopmentApp;
      if (route.legacy && !legacyAllowed) throw fail(403, 'Forbidden');
      const render: RenderContext = { world: state.world, rules: state.rules, apiUrl: apiUrlOf(state) };
      const country = grant.userId === null ? undefined : state.world.users.get(grant.userId)?.country;
      const market = marketOf(request.url.searchParams, country);
      if (market !== undefined) render.market = market;
      const value = route.handle({ state, query: request.url.searchParams, params, grant, render });
      if (roll.notFound) {
        state.stats.inject('404');
        throw fail(404, 'Non existing id');
      }
      result = json(200, reshapeBody(hugeDescription(route.path, value), roll, state.faults.options));
    } catch (error) {
      result = errorReply(error);
    }
    const truncate = result.status === 200 && roll.truncated;
    if (truncate) state.stats.inject('truncated');
    const replied = reply(routeKey, result, truncate);
    if (replied.kind === 'reply' && result.status === 200 && roll.nonUtf8) replied.latin1 = true;
    return replied;
  };

  /** The playlistDescriptionBytes knob: a playlist whose one record is larger than a raw line may be. */
  function hugeDescription(routePath: string, value: unknown): unknown {
    const bytes = state.faults.options.playlistDescriptionBytes;
    if (bytes <= 0 || routePath !== '/v1/playlists/{id}' || !value || typeof value !== 'object') return value;
    if (!('description' in value)) return value;
    return { ...value, description: 'd'.repeat(bytes) };
  }

  return {
    handle: async (request) => {
      const path = request.url.pathname;
      if (path.startsWith('/_emulator/')) {
        try {
          const r = controlEndpoint(state, request.method, path, request.body);
          return { kind: 'reply', reply: r ?? errorReply(fail(404, 'Service not found')), truncate: false };
        } catch (error) {
          return { kind: 'reply', reply: errorReply(error), truncate: false };
        }
      }

      const latency = state.faults.options.latencyMs;
      if (latency > 0) await sleep(latency, request.signal);

      if (path === '/v1' || path.startsWith('/v1/')) return api(request, path);

      if (path === '/api/token') {
        state.stats.tokenRequest();
        const routeKey = `${request.method} /api/token`;
        if (request.method !== 'POST') return reply(routeKey, errorReply(fail(405, 'Method not allowed')));
        try {
          return reply(routeKey, tokenEndpoint(state, request.headers.get('authorization'), request.body));
        } catch (error) {
          return reply(routeKey, errorReply(error));
        }
      }
      if (path === '/authorize' && request.method === 'GET') {
        return reply('GET /authorize', authorizeEndpoint(state, request.url));
      }
      return reply(`${request.method} (unmatched)`, errorReply(fail(404, 'Service not found')));
    },
  };
}

/** `market`: an ISO 3166-1 alpha-2 code, or `from_token` (the user's country). */
function marketOf(query: URLSearchParams, userCountry: string | undefined): string | undefined {
  const market = query.get('market');
  if (market === null || market === '') return undefined;
  if (market === 'from_token') return userCountry;
  if (!/^[A-Z]{2}$/.test(market)) throw fail(400, 'Invalid market code');
  return market;
}
