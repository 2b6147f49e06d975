// The one way tunelake talks HTTP to Spotify. `createTransport().send()` carries a request through
// the rate limiter, a timeout and the retry policy; `createHttp().request()` adds the bearer token,
// renews it once on a 401, maps 4xx answers to TunelakeErrors that explain the likely restriction,
// and validates 2xx bodies with the caller's zod schema. The token endpoint uses the same transport
// (without the API's limiter), so both hosts share one retry policy:
//
// - 429: wait Retry-After (+ jitter) and retry; every other queued request waits too (the limiter's
//   shared pause). A Retry-After above `maxRetryAfterSeconds`, or `reason: "QUOTA_EXCEEDED"`, stops at
//   once: Spotify has been seen asking for hours (https://developer.spotify.com/documentation/web-api/concepts/rate-limits).
// - 5xx, connection failures, timeouts and 2xx bodies that are cut short or not JSON: exponential
//   backoff with jitter, at most `maxRetries` retries.
// - 401: invalidate the token, renew it, retry (at most three renewals per request).
// - 400/403/404: never retried.
import type { ZodType } from 'zod';
import type { HttpConfig } from '../config.js';
import { TunelakeError } from '../errors.js';
import { type Logger, silentLogger } from '../log.js';
import { redact } from '../secret.js';
import type { TokenProvider } from './auth.js';
import { createRateLimiter, type RateLimiter } from './rate-limiter.js';
import { ApiErrorBodySchema } from './schemas.js';

/** Effects the client uses, all replaceable in tests (the emulator's fetch, a fake clock). */
export interface SpotifyDeps {
  fetch?: typeof fetch;
  /** Milliseconds since the epoch. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1), for jitter. */
  random?: () => number;
  logger?: Logger;
}

export type ResolvedDeps = Required<SpotifyDeps>;

export function resolveDeps(deps: SpotifyDeps = {}): ResolvedDeps {
  return {
    fetch: deps.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    now: deps.now ?? Date.now,
    sleep: deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))),
    random: deps.random ?? Math.random,
    logger: deps.logger ?? silentLogger,
  };
}

export type RetryReason = '429' | '5xx' | 'network' | 'truncated' | '401';

export interface ClientStats {
  /** API requests sent, retries included (token requests are counted apart). */
  requests: number;
  retries: Record<RetryReason, number>;
  /** Time spent waiting out 429s (Retry-After and the shared pause). */
  rateLimitedWaitMs: number;
  /** Time spent waiting for the client-side budget (`rateLimit` per `rateWindowMs`). */
  throttledWaitMs: number;
  /** Time spent in backoff before retrying 5xx, network and truncated failures. */
  backoffWaitMs: number;
  tokenRequests: number;
  nullItemsSkipped: number;
  /** Playlist items of a type tunelake does not store (e.g. `chapter`), replaced by null in place. */
  unknownItemsSkipped: number;
  /** Requests by templated route, e.g. `GET /playlists/{id}/items`. */
  requestsByRoute: Record<string, number>;
  /** The last response's `Date` header and the client's clock when it arrived (clock-skew check, #17). */
  serverClock?: { dateMs: number; receivedMs: number };
}

export function createStats(): ClientStats {
  return {
    requests: 0,
    retries: { '429': 0, '5xx': 0, network: 0, truncated: 0, '401': 0 },
    rateLimitedWaitMs: 0,
    throttledWaitMs: 0,
    backoffWaitMs: 0,
    tokenRequests: 0,
    nullItemsSkipped: 0,
    unknownItemsSkipped: 0,
    requestsByRoute: {},
  };
}

const BACKOFF_BASE_MS = 250;
/** A 401 renews the access token and retries, at most this many times per request. */
const MAX_TOKEN_RENEWALS = 3;
const BACKOFF_CAP_MS = 8_000;
/** Extra wait after a Retry-After, so that a crowd of clients does not come back in the same second. */
const RETRY_AFTER_JITTER_MS = 500;
/** 429s within the cap are waited out this many times per request before giving up. */
const MAX_RATE_LIMIT_RETRIES = 10;

export interface SendRequest {
  method: 'GET' | 'POST';
  url: string;
  /** For messages and stats: the templated route, e.g. `GET /tracks/{id}`. */
  route: string;
  /** What to call the request in messages (method and path, never a token). */
  label: string;
  /** Called per attempt, so a renewed token is picked up. */
  headers: () => Promise<Record<string, string>> | Record<string, string>;
  body?: string;
  /** 'api' requests go through the limiter and count as requests; 'token' ones count apart. */
  kind: 'api' | 'token';
}

export interface SendResult {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body; undefined when the body was empty or (for non-2xx) not JSON. */
  json: unknown;
  attempts: number;
}

export interface Transport {
  send(request: SendRequest): Promise<SendResult>;
  readonly limiter: RateLimiter;
  readonly stats: ClientStats;
}

type Failure = {
  reason: Exclude<RetryReason, '429' | '401'>;
  detail: string;
  cause?: unknown;
  status?: number;
};

export function createTransport(http: HttpConfig, deps: ResolvedDeps, stats: ClientStats): Transport {
  const { fetch, now, sleep, random, logger } = deps;
  const limiter = createRateLimiter(http, {
    now,
    sleep,
    onWait: (kind, ms) => {
      if (kind === 'paused') stats.rateLimitedWaitMs += ms;
      else stats.throttledWaitMs += ms;
    },
  });

  const backoff = (retry: number) => {
    const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** retry);
    return Math.round(ceiling / 2 + (random() * ceiling) / 2);
  };

  type Outcome = { response?: Response; text?: string; failure?: Failure; release: () => void };

  /** One try. The limiter slot is still held when it returns: `send` decides, then releases. */
  async function attempt(request: SendRequest): Promise<Outcome> {
    const release = request.kind === 'api' ? await limiter.acquire() : () => {};
    let response: Response | undefined;
    try {
      const headers = await request.headers();
      if (request.kind === 'api') {
        stats.requests++;
        stats.requestsByRoute[request.route] = (stats.requestsByRoute[request.route] ?? 0) + 1;
      } else {
        stats.tokenRequests++;
      }
      const init: RequestInit = {
        method: request.method,
        headers,
        signal: AbortSignal.timeout(http.timeoutMs),
      };
      if (request.body !== undefined) init.body = request.body;
      response = await fetch(request.url, init);
      const bytes = await response.arrayBuffer();
      // A 2xx body that is not valid UTF-8 is corrupt: decoding it leniently would land U+FFFD in
      // names and titles without a word (test/reliability/bad-inputs.test.ts). Retried like a cut body.
      const text = response.ok ? strictUtf8(bytes) : new TextDecoder().decode(bytes);
      if (text === undefined) {
        const detail = `HTTP ${response.status} with a body that is not valid UTF-8`;
        return { response, failure: { reason: 'truncated', detail, status: response.status }, release };
      }
      return { response, text, release };
    } catch (error) {
      if (error instanceof TunelakeError) {
        release();
        throw error;
      }
      const timedOut = isTimeout(error);
      const detail = timedOut ? `no answer within ${http.timeoutMs} ms` : describeCause(error);
      // Headers arrived but the body broke off: the response was truncated.
      const failure: Failure =
        response && !timedOut
          ? { reason: 'truncated', detail, cause: error, status: response.status }
          : { reason: 'network', detail, cause: error };
      return { failure, release };
    }
  }

  type Step =
    | { kind: 'done'; result: SendResult }
    | { kind: 'rate-limited'; waitMs: number }
    | { kind: 'failed'; failure: Failure };

  /**
   * Classifies an attempt. Synchronous on purpose: it runs while the limiter slot is still held, so
   * a 429's shared pause is in place before the next queued request can be admitted.
   */
  function decide(request: SendRequest, outcome: Outcome, attempts: number, rateRetries: number): Step {
    const { response, text } = outcome;
    const date = response ? Date.parse(response.headers.get('date') ?? '') : Number.NaN;
    if (Number.isFinite(date)) stats.serverClock = { dateMs: date, receivedMs: now() };
    if (!response || text === undefined) {
      return { kind: 'failed', failure: outcome.failure ?? { reason: 'network', detail: 'no response' } };
    }
    const status = response.status;
    if (status === 429)
      return { kind: 'rate-limited', waitMs: onRateLimited(request, response, text, attempts, rateRetries) };
    if (status >= 500)
      return {
        kind: 'failed',
        failure: { reason: '5xx', detail: `HTTP ${status}${errorSuffix(text)}`, status },
      };
    if (status >= 200 && status < 300) {
      if (text.trim() === '')
        return {
          kind: 'done',
          result: { status, headers: response.headers, text, json: undefined, attempts },
        };
      const json = parseJson(text);
      if (json !== undefined)
        return { kind: 'done', result: { status, headers: response.headers, text, json, attempts } };
      return {
        kind: 'failed',
        failure: {
          reason: 'truncated',
          detail: `HTTP ${status} with a body that is not complete JSON (${text.length} characters)`,
          status,
        },
      };
    }
    return {
      kind: 'done',
      result: { status, headers: response.headers, text, json: parseJson(text), attempts },
    };
  }

  /** Throws when the 429 must stop the run; otherwise sets the shared pause and returns the wait. */
  function onRateLimited(
    request: SendRequest,
    response: Response,
    text: string,
    attempts: number,
    rateRetries: number,
  ): number {
    const retryAfter = parseRetryAfter(response.headers.get('retry-after'), now());
    const parsed = ApiErrorBodySchema.safeParse(parseJson(text));
    const reason = parsed.success ? parsed.data.error.reason : undefined;
    const spotifyMessage = parsed.success ? parsed.data.error.message : undefined;
    const details = {
      method: request.method,
      route: request.route,
      status: 429,
      retryAfterSeconds: retryAfter,
      reason,
      spotifyMessage,
      attempts,
    };
    // A wait too long to sleep through: the time is kept in the lake's state (src/extract/state.ts
    // `notBefore`) so that no run asks again before it, and the error is not retryable, so that neither
    // the Lambda's automatic retries nor a scheduler call again into the ban (#14).
    const notBefore =
      retryAfter !== undefined && (reason === 'QUOTA_EXCEEDED' || retryAfter > http.maxRetryAfterSeconds)
        ? new Date(now() + retryAfter * 1000).toISOString()
        : undefined;
    if (notBefore) Object.assign(details, { notBefore });
    if (reason === 'QUOTA_EXCEEDED') {
      const error = new TunelakeError(
        'SPOTIFY_QUOTA_EXCEEDED',
        `Spotify's quota for this app is spent (429 QUOTA_EXCEEDED on ${request.label})${waitPhrase(retryAfter)}. ` +
          'Development-mode quotas are counted per developer account since 2026-07; wait for the quota to ' +
          'reset, or apply for extended quota mode in the Spotify developer dashboard.',
        { retryable: false, details },
      );
      if (request.kind === 'api') limiter.blockUntil(now() + (retryAfter ?? 60) * 1000, error);
      throw error;
    }
    if (retryAfter !== undefined && retryAfter > http.maxRetryAfterSeconds) {
      const error = new TunelakeError(
        'SPOTIFY_RATE_LIMITED',
        `Spotify rate-limited ${request.label} and asked tunelake to wait ${formatSeconds(retryAfter)} ` +
          `(Retry-After: ${retryAfter}), longer than the ${http.maxRetryAfterSeconds} s tunelake is willing to ` +
          `sleep, so the run stops here. Run it again after ${notBefore} (runs before then stop at once), or ` +
          'raise the cap with TUNELAKE_MAX_RETRY_AFTER=<seconds>.',
        { retryable: false, details },
      );
      if (request.kind === 'api') limiter.blockUntil(now() + retryAfter * 1000, error);
      throw error;
    }
    if (rateRetries >= MAX_RATE_LIMIT_RETRIES) {
      throw new TunelakeError(
        'SPOTIFY_RATE_LIMITED',
        `Spotify kept rate-limiting ${request.label}: still 429 after ${rateRetries} waits. Lower ` +
          'TUNELAKE_RATE_LIMIT or TUNELAKE_CONCURRENCY, or run again later.',
        { details },
      );
    }
    const waitMs =
      retryAfter === undefined
        ? backoff(rateRetries + 1)
        : retryAfter * 1000 + Math.round(random() * RETRY_AFTER_JITTER_MS);
    if (request.kind === 'api') limiter.pauseUntil(now() + waitMs);
    logger.warn('spotify rate limited; waiting', {
      route: request.route,
      retryAfterSeconds: retryAfter,
      waitMs,
    });
    return waitMs;
  }

  async function send(request: SendRequest): Promise<SendResult> {
    let transientRetries = 0;
    let rateRetries = 0;
    for (let attempts = 1; ; attempts++) {
      const outcome = await attempt(request);
      let step: Step;
      try {
        step = decide(request, outcome, attempts, rateRetries);
      } finally {
        outcome.release();
      }
      if (step.kind === 'done') return step.result;
      if (step.kind === 'rate-limited') {
        rateRetries++;
        stats.retries['429']++;
        // API requests wait in the limiter (the pause is already set); token requests wait here.
        if (request.kind === 'token') {
          await sleep(step.waitMs);
          stats.rateLimitedWaitMs += step.waitMs;
        }
        continue;
      }
      const { failure } = step;
      if (transientRetries >= http.maxRetries) throw exhausted(request, failure, attempts);
      transientRetries++;
      stats.retries[failure.reason]++;
      const waitMs = backoff(transientRetries - 1);
      logger.debug('spotify request failed; retrying', {
        route: request.route,
        reason: failure.reason,
        detail: failure.detail,
        attempt: attempts,
        waitMs,
      });
      await sleep(waitMs);
      stats.backoffWaitMs += waitMs;
    }
  }

  return { send, limiter, stats };
}

function strictUtf8(bytes: ArrayBuffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function exhausted(request: SendRequest, failure: Failure, attempts: number): TunelakeError {
  const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`;
  const details = {
    method: request.method,
    route: request.route,
    status: failure.status,
    reason: failure.reason,
    attempts,
  };
  const options = { cause: failure.cause, details };
  const fix = 'Try again later, or raise TUNELAKE_MAX_RETRIES.';
  if (failure.reason === '5xx') {
    return new TunelakeError(
      'SPOTIFY_UNAVAILABLE',
      redact(`Spotify failed ${request.label} with ${failure.detail} after ${tries}. ${fix}`),
      options,
    );
  }
  if (failure.reason === 'network') {
    return new TunelakeError(
      'NETWORK',
      redact(
        `Could not complete ${request.label} after ${tries}: ${failure.detail}. Check the network and ` +
          `${request.kind === 'token' ? 'SPOTIFY_ACCOUNTS_URL' : 'SPOTIFY_API_URL'}. ${fix}`,
      ),
      options,
    );
  }
  return new TunelakeError(
    'SPOTIFY_BAD_RESPONSE',
    redact(
      `Spotify's answer to ${request.label} was truncated or not JSON after ${tries}: ${failure.detail}. ${fix}`,
    ),
    { ...options, retryable: true },
  );
}

// ---------------------------------------------------------------------------------------------------

export interface RequestOptions<T> {
  /** A path under the API base (`/tracks/{id}`), or an absolute `next` URL followed verbatim. */
  pathOrUrl: string;
  query?: Record<string, string | number | undefined>;
  schema: ZodType<T>;
  /** Which token to send: the app's (client credentials) or the user's (refresh token). */
  auth: 'app' | 'user';
}

export interface Http {
  request<T>(options: RequestOptions<T>): Promise<T>;
  /** Sends without mapping errors: for probes that read the status (tier detection). */
  probe(options: Omit<RequestOptions<unknown>, 'schema'>): Promise<SendResult>;
  readonly stats: ClientStats;
  readonly transport: Transport;
}

export interface Tokens {
  app: TokenProvider;
  user: TokenProvider | undefined;
}

export function createHttp(
  apiUrl: string,
  transport: Transport,
  tokens: Tokens,
  deps: Pick<ResolvedDeps, 'logger'>,
): Http {
  const api = new URL(apiUrl);
  const basePath = api.pathname.replace(/\/+$/, '');

  const prepare = (options: Omit<RequestOptions<unknown>, 'schema'>) => {
    const url = buildUrl(api, basePath, options.pathOrUrl, options.query);
    const parsed = new URL(url);
    const path = stripBase(parsed.pathname, basePath);
    const route = `GET ${templateRoute(path)}`;
    const label = `GET ${path}${shortQuery(parsed.search)}`;
    const provider = options.auth === 'user' ? tokens.user : tokens.app;
    if (!provider) throw userTokenRequired(label);
    return { url, path, route, label, provider };
  };

  async function sendWithToken(options: Omit<RequestOptions<unknown>, 'schema'>) {
    const { url, path, route, label, provider } = prepare(options);
    let renewals = 0;
    for (;;) {
      let used: string | undefined;
      const result = await transport.send({
        method: 'GET',
        url,
        route,
        label,
        kind: 'api',
        headers: async () => {
          used = await provider.token();
          return { Authorization: `Bearer ${used}`, Accept: 'application/json' };
        },
      });
      if (result.status === 401) {
        // More than one renewal: with requests in flight, the renewed token can be revoked by the
        // time this request uses it (test/reliability/secrets.test.ts, under expiring tokens).
        if (renewals < MAX_TOKEN_RENEWALS) {
          renewals++;
          transport.stats.retries['401']++;
          deps.logger.debug('spotify access token rejected; renewing it', { route, renewal: renewals });
          provider.invalidate(used);
          continue;
        }
        const message = apiMessage(result.json) ?? 'Unauthorized';
        if (/expired/i.test(message)) {
          // Every renewal succeeded (the accounts service handed out new tokens) and each new token
          // was already expired when used: a token-expiry storm, or a clock far off. The app's
          // credentials are fine, so the message must not send the user to SPOTIFY_CLIENT_ID (#17).
          throw new TunelakeError(
            'SPOTIFY_UNAVAILABLE',
            `Spotify answered "${message}" (401) for ${label} to ${renewals + 1} access tokens in a row, each freshly ` +
              `renewed: the ${provider.kind} token was renewed successfully every time, so the credentials are fine. ` +
              "Spotify's tokens expire faster than they can be used right now; run again later, and check this " +
              "machine's clock if it keeps happening.",
            {
              retryable: true,
              details: { method: 'GET', route, status: 401, spotifyMessage: message, renewals },
            },
          );
        }
        throw new TunelakeError(
          'AUTH_UNAUTHORIZED',
          `Spotify rejected the ${provider.kind} access token for ${label} even after renewing it ${renewals} times ` +
            `(401: ${message}). Check that SPOTIFY_CLIENT_ID matches the app that issued the tokens` +
            `${provider.kind === 'user' ? ', or run `tunelake login` again' : ''}.`,
          { details: { method: 'GET', route, status: 401, spotifyMessage: message } },
        );
      }
      return { result, path, route, label };
    }
  }

  return {
    async request<T>(options: RequestOptions<T>): Promise<T> {
      const { result, path, route, label } = await sendWithToken(options);
      if (result.status < 200 || result.status >= 300) throw apiError(result, path, route, label);
      const parsed = options.schema.safeParse(result.json);
      if (parsed.success) return parsed.data;
      const issues = parsed.error.issues.slice(0, 5).map((issue) => {
        const at = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
        return `${at}: ${issue.message}`;
      });
      const more = parsed.error.issues.length - issues.length;
      throw new TunelakeError(
        'SPOTIFY_BAD_RESPONSE',
        `Spotify's answer to ${label} does not have the expected shape: ${issues.join('; ')}` +
          `${more > 0 ? ` (and ${more} more)` : ''}. The API may have changed; please report it.`,
        { retryable: false, details: { method: 'GET', route, issues } },
      );
    },
    async probe(options) {
      return (await sendWithToken(options)).result;
    },
    get stats() {
      return transport.stats;
    },
    transport,
  };
}

export function userTokenRequired(what: string): TunelakeError {
  return new TunelakeError(
    'AUTH_USER_TOKEN_REQUIRED',
    `${what} needs a Spotify user token and none is configured: set SPOTIFY_REFRESH_TOKEN or run \`tunelake login\`.`,
    { details: { what } },
  );
}

/** Maps a non-2xx, non-401, non-429, non-5xx answer to an error that says what probably went wrong. */
function apiError(result: SendResult, path: string, route: string, label: string): TunelakeError {
  const status = result.status;
  const spotifyMessage = apiMessage(result.json) ?? result.text.slice(0, 200);
  const details = { method: 'GET', route, status, spotifyMessage };
  const said = spotifyMessage ? ` (${status}: ${spotifyMessage})` : ` (${status})`;
  const playlistId = /^\/playlists\/([^/?]+)/.exec(path)?.[1];
  const editorial =
    playlistId?.startsWith('37i9dQZ') === true
      ? ` Playlist ${playlistId} looks like one of Spotify's own: Spotify-owned editorial and algorithmic ` +
        'playlists are not readable by apps created after 2024-11-27.'
      : '';

  if (status === 404) {
    return new TunelakeError(
      'SPOTIFY_NOT_FOUND',
      redact(
        `Spotify has nothing at ${label}${said}.${editorial || ' Check the id; it may have been removed.'}`,
      ),
      { details },
    );
  }
  if (status === 403) {
    return new TunelakeError(
      'SPOTIFY_FORBIDDEN',
      redact(`Spotify refused ${label}${said}: ${forbiddenHint(path, label, spotifyMessage, editorial)}`),
      {
        details,
      },
    );
  }
  if (status === 400) {
    return new TunelakeError(
      'SPOTIFY_BAD_REQUEST',
      redact(
        `Spotify rejected ${label} as invalid${said}. Check the ids and limits sent; retrying will not help.`,
      ),
      { details },
    );
  }
  return new TunelakeError(
    'SPOTIFY_BAD_REQUEST',
    redact(`Spotify answered ${label} with an unexpected status${said}.`),
    {
      details,
    },
  );
}

const BATCH_PATH = /^\/(tracks|albums|artists|episodes|shows|audiobooks|chapters)$/;
const REMOVED_IN_DEVELOPMENT =
  /^\/(artists\/[^/]+\/top-tracks|browse\/new-releases|browse\/categories(\/[^/]+)?|markets|users\/[^/]+(\/playlists)?)$/;

function forbiddenHint(path: string, label: string, message: string, editorial: string): string {
  const lower = message.toLowerCase();
  if (lower.includes('premium')) {
    return 'the Spotify app owner needs an active Premium subscription (a development-mode rule since 2026-02).';
  }
  if (lower.includes('not registered')) {
    return "add this Spotify user under 'Users and Access' in the app's developer dashboard (development mode allows 5).";
  }
  if (lower.includes('user authentication')) {
    return 'this endpoint needs a user token: run `tunelake login` (or set SPOTIFY_REFRESH_TOKEN).';
  }
  if (lower.includes('scope')) {
    return 'the user token lacks a scope this endpoint needs: run `tunelake login` again (it asks for every scope tunelake uses).';
  }
  if (editorial) return lowerFirst(editorial.trim());
  if (BATCH_PATH.test(path) && label.includes('ids=')) {
    return (
      'batch endpoints are not available to development-mode apps (SPOTIFY_ACCESS_TIER=development): set ' +
      'SPOTIFY_ACCESS_TIER=development so tunelake looks items up one at a time.'
    );
  }
  if (/^\/playlists\/[^/]+\/(items|tracks)$/.test(path)) {
    return (
      'in development mode an app may read the items only of playlists the authorised user owns or collaborates ' +
      'on: log in (`tunelake login`) as the owner, or drop this playlist from the sources.'
    );
  }
  if (REMOVED_IN_DEVELOPMENT.test(path)) {
    return 'this endpoint was removed for development-mode apps in February 2026 (SPOTIFY_ACCESS_TIER=development).';
  }
  if (path.startsWith('/me')) {
    return 'the user token may lack a scope this endpoint needs: run `tunelake login` again.';
  }
  return 'a missing scope, a development-mode restriction, or the app owner lacking Premium are the usual causes.';
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function apiMessage(json: unknown): string | undefined {
  const parsed = ApiErrorBodySchema.safeParse(json);
  return parsed.success ? parsed.data.error.message : undefined;
}

function buildUrl(
  api: URL,
  basePath: string,
  pathOrUrl: string,
  query: Record<string, string | number | undefined> | undefined,
): string {
  const entries = Object.entries(query ?? {}).filter(
    (entry): entry is [string, string | number] => entry[1] !== undefined,
  );
  if (/^https?:\/\//i.test(pathOrUrl)) {
    const target = new URL(pathOrUrl);
    // The bearer token goes wherever `next` points: never let a response send it to another host.
    if (target.origin !== api.origin) {
      throw new TunelakeError(
        'SPOTIFY_BAD_RESPONSE',
        `Refusing to follow ${target.origin}${target.pathname}: it is not on the API host ${api.origin} (SPOTIFY_API_URL).`,
        { retryable: false, details: { url: `${target.origin}${target.pathname}` } },
      );
    }
    if (entries.length === 0) return pathOrUrl;
    for (const [key, value] of entries) target.searchParams.set(key, String(value));
    return target.toString();
  }
  const path = pathOrUrl.startsWith('/') ? pathOrUrl : `/${pathOrUrl}`;
  const url = new URL(`${api.origin}${basePath}${path}`);
  for (const [key, value] of entries) url.searchParams.set(key, String(value));
  return url.toString();
}

function stripBase(pathname: string, basePath: string): string {
  return basePath && pathname.startsWith(basePath) ? pathname.slice(basePath.length) || '/' : pathname;
}

/** `/playlists/3cEYpjA9oz9GiPac4AsH4n/items` -> `/playlists/{id}/items`. */
export function templateRoute(path: string): string {
  const parts = path.split('/');
  return parts
    .map((part, i) => {
      if (part === '') return part;
      const before = parts[i - 1];
      if (/^[0-9A-Za-z]{22}$/.test(part)) return '{id}';
      if (before === 'users' || before === 'categories') return '{id}';
      return part;
    })
    .join('/');
}

function shortQuery(search: string): string {
  return search.length > 100 ? `${search.slice(0, 97)}...` : search;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorSuffix(text: string): string {
  const message = apiMessage(parseJson(text));
  return message ? `: ${message}` : '';
}

/** Retry-After is seconds in practice; an HTTP date is accepted too. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value.trim());
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(value);
  if (Number.isFinite(date)) return Math.max(0, Math.ceil((date - nowMs) / 1000));
  return undefined;
}

function waitPhrase(retryAfter: number | undefined): string {
  return retryAfter === undefined ? '' : `; Spotify asked to wait ${formatSeconds(retryAfter)}`;
}

function formatSeconds(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const inner = cause instanceof Error ? `: ${(cause as NodeJS.ErrnoException).code ?? cause.message}` : '';
  return `${error.message}${inner}`;
}
