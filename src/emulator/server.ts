// The Spotify Web API emulator: one HTTP server on 127.0.0.1 that plays both hosts (accounts at
// the root, the API under /v1), plus an in-process `fetch` over the same handler for tests that
// want no socket. Real clients work against it unchanged; only the base URLs differ.
//
//   const emulator = await Emulator.create({ tier: 'development', seed: 42 });
//   // SPOTIFY_ACCOUNTS_URL=emulator.url  SPOTIFY_API_URL=emulator.apiUrl
//   await emulator.close();
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Sources } from '../config.js';
import { TunelakeError } from '../errors.js';
import type { Logger } from '../log.js';
import { type App, type AppResult, createApp } from './app.js';
import { createAuthStore } from './auth.js';
import { createFaultInjector, type FaultOptions } from './faults.js';
import {
  advanceDays,
  type EmulatorState,
  issueUserRefreshToken,
  type RefreshTokenRequest,
  setDay,
} from './instance.js';
import { createRateLimiter } from './rate-limit.js';
import { demoSources, simulatedClock } from './stand-in.js';
import { createStatsRecorder, type EmulatorStats } from './stats.js';
import { type Tier, tierRules } from './tiers.js';
import { createWorld, DAY_MS, EPOCH_MS, type World } from './world.js';

export type { FaultOptions } from './faults.js';
export type { EmulatorStats } from './stats.js';
export type { World } from './world.js';

export interface EmulatorOptions {
  /** 0 = ephemeral (default 0); the host is always 127.0.0.1. */
  port?: number;
  /** Default 'development'. */
  tier?: Tier;
  /** Default 42; the same seed, scale and day give a byte-identical catalogue and responses. */
  seed?: number;
  /** Catalogue size multiplier, default 1 (about 60 artists, 25 playlists). */
  scale?: number;
  /** Simulated day to start at, default 0 (2026-11-01). */
  day?: number;
  /** The first N artists get large, growing discographies (default 0; see WorldOptions). */
  prolificArtists?: number;
  /** Default 'tunelake-demo'. */
  clientId?: string;
  /** Default 'tunelake-demo-secret'. */
  clientSecret?: string;
  /** Requests per rolling 30 s window per client id on /v1 (default 2000); 0 = unlimited. */
  rateLimit?: number;
  /** Access-token lifetime, default 3600. */
  tokenTtlSeconds?: number;
  /** Default 183 (6 months), measured against the emulator's clock. */
  refreshTokenMaxAgeDays?: number;
  faults?: Partial<FaultOptions>;
  /** Seed for the fault PRNG (default = seed). */
  seedFaults?: number;
  /** Clock (ms) for tokens and rate limiting, default Date.now. */
  now?: () => number;
  /**
   * Answer track ids the catalogue lacks (an imported streaming history's) with a stand-in track
   * (src/emulator/imported.ts), default false.
   */
  resolveImportedTracks?: boolean;
}

export const DEFAULT_CLIENT_ID = 'tunelake-demo';
export const DEFAULT_CLIENT_SECRET = 'tunelake-demo-secret';
const RATE_WINDOW_MS = 30_000;
const MAX_BODY_BYTES = 1_000_000;

interface ResolvedOptions {
  port: number;
  tier: Tier;
  seed: number;
  scale: number;
  day: number;
  prolificArtists: number;
  clientId: string;
  clientSecret: string;
  rateLimit: number;
  tokenTtlSeconds: number;
  refreshTokenMaxAgeDays: number;
}

/** Checks every option and reports all problems at once. */
function resolveOptions(options: EmulatorOptions): ResolvedOptions {
  const problems: string[] = [];
  const int = (
    name: string,
    value: number | undefined,
    fallback: number,
    min: number,
    max = Number.MAX_SAFE_INTEGER,
  ) => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} ${JSON.stringify(value)}: expected an integer from ${min} to ${max}`);
      return fallback;
    }
    return value;
  };
  const positive = (name: string, value: number | undefined, fallback: number, max: number) => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
      problems.push(`${name} ${JSON.stringify(value)}: expected a number above 0 and at most ${max}`);
      return fallback;
    }
    return value;
  };
  const text = (name: string, value: string | undefined, fallback: string) => {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || value.trim() === '' || /[:\s]/.test(value)) {
      problems.push(`${name} ${JSON.stringify(value)}: expected a non-empty string without spaces or colons`);
      return fallback;
    }
    return value;
  };
  const tier = options.tier ?? 'development';
  if (tier !== 'development' && tier !== 'extended') {
    problems.push(`tier ${JSON.stringify(tier)}: expected "development" or "extended"`);
  }
  const resolved: ResolvedOptions = {
    port: int('port', options.port, 0, 0, 65535),
    tier: tier === 'extended' ? 'extended' : 'development',
    seed: int('seed', options.seed, 42, -(2 ** 31), 2 ** 32 - 1),
    scale: positive('scale', options.scale, 1, 1000),
    day: int('day', options.day, 0, 0, 100_000),
    prolificArtists: int('prolificArtists', options.prolificArtists, 0, 0, 1000),
    clientId: text('clientId', options.clientId, DEFAULT_CLIENT_ID),
    clientSecret: text('clientSecret', options.clientSecret, DEFAULT_CLIENT_SECRET),
    rateLimit: int('rateLimit', options.rateLimit, 2000, 0),
    tokenTtlSeconds: positive('tokenTtlSeconds', options.tokenTtlSeconds, 3600, 10 * 365 * 86_400),
    refreshTokenMaxAgeDays: positive('refreshTokenMaxAgeDays', options.refreshTokenMaxAgeDays, 183, 100_000),
  };
  if (options.seedFaults !== undefined) int('seedFaults', options.seedFaults, 0, -(2 ** 31), 2 ** 32 - 1);
  if (problems.length > 0) {
    throw new TunelakeError('INVALID_ARGUMENT', `Invalid emulator options: ${problems.join('; ')}.`, {
      details: { problems },
    });
  }
  return resolved;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const message =
        error.code === 'EADDRINUSE'
          ? `Port ${port} on 127.0.0.1 is already in use: pick another port, or 0 for any free one.`
          : `Could not listen on 127.0.0.1:${port}: ${error.message}`;
      reject(new TunelakeError('INVALID_ARGUMENT', message, { cause: error, details: { port } }));
    };
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function connectionReset(): TypeError {
  const cause = Object.assign(new Error('read ECONNRESET'), {
    code: 'ECONNRESET',
    errno: -104,
    syscall: 'read',
  });
  return new TypeError('fetch failed', { cause });
}

export class Emulator {
  readonly url: string;
  readonly apiUrl: string;
  readonly port: number;
  readonly tier: Tier;
  /** In-process fetch: the same handler, no socket. Never follows redirects. */
  readonly fetch: typeof fetch;
  readonly #state: EmulatorState;
  readonly #server: Server;
  #closed: Promise<void> | undefined;

  private constructor(state: EmulatorState, server: Server, port: number, app: App) {
    this.#state = state;
    this.#server = server;
    this.port = port;
    this.url = state.baseUrl;
    this.apiUrl = `${state.baseUrl}/v1`;
    this.tier = state.rules.tier;
    this.fetch = (input, init) => inProcessFetch(app, input, init);
  }

  /** Generates the world, starts listening, and resolves once the server accepts connections. */
  static async create(options: EmulatorOptions = {}): Promise<Emulator> {
    const o = resolveOptions(options);
    const now = options.now ?? Date.now;
    const state: EmulatorState = {
      rules: tierRules(o.tier),
      seed: o.seed,
      scale: o.scale,
      world: createWorld({
        seed: o.seed,
        scale: o.scale,
        day: o.day,
        prolificArtists: o.prolificArtists,
      }),
      auth: createAuthStore({
        clientId: o.clientId,
        clientSecret: o.clientSecret,
        tokenTtlSeconds: o.tokenTtlSeconds,
        refreshTokenMaxAgeDays: o.refreshTokenMaxAgeDays,
        now,
      }),
      limiter: createRateLimiter({ limit: o.rateLimit, windowMs: RATE_WINDOW_MS, now }),
      faults: createFaultInjector(options.seedFaults ?? o.seed, options.faults ?? {}),
      stats: createStatsRecorder(),
      baseUrl: '',
      now,
      resolveImportedTracks: options.resolveImportedTracks === true,
    };
    const app = createApp(state);
    const server = createServer((req, res) => {
      void serve(app, state, req, res);
    });
    const port = await listen(server, o.port);
    state.baseUrl = `http://127.0.0.1:${port}`;
    return new Emulator(state, server, port, app);
  }

  /**
   * Starts the emulator as tunelake's stand-in for Spotify, for a command that needs Spotify and has
   * no credentials, and says so. The emulated world moves on one simulated day per real day, so runs
   * on later days see history.
   */
  static async startStandIn(tier: Tier, logger: Logger): Promise<Emulator> {
    const day = Math.max(0, Math.floor((Date.now() - EPOCH_MS) / DAY_MS));
    // An imported streaming history names real tracks: the stand-in answers for them (imported.ts).
    const emulator = await Emulator.create({ tier, day, resolveImportedTracks: true });
    logger.warn(
      'No SPOTIFY_CLIENT_ID is set: using the built-in Spotify emulator and its generated catalogue ' +
        '(set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET to use the real API).',
      { emulator: emulator.url, tier: emulator.tier },
    );
    return emulator;
  }

  /** The generated world at the current day (read-only: change it through advanceDay). */
  get world(): World {
    return this.#state.world;
  }

  get day(): number {
    return this.#state.world.day;
  }

  get faults(): FaultOptions {
    return this.#state.faults.options;
  }

  advanceDay(days = 1): void {
    advanceDays(this.#state, days);
  }

  /** Jumps to a simulated day, forwards or backwards; the world is the same as if started there. */
  setDay(day: number): void {
    setDay(this.#state, day);
  }

  setFaults(faults: Partial<FaultOptions>): void {
    this.#state.faults.set(faults);
  }

  stats(): EmulatorStats {
    return this.#state.stats.snapshot();
  }

  resetStats(): void {
    this.#state.stats.reset();
  }

  /** A valid refresh token for the demo user (or `userId`), as if they had logged in at `issuedAt`. */
  issueRefreshToken(options: RefreshTokenRequest = {}): string {
    return issueUserRefreshToken(this.#state, options);
  }

  /** What the demo watches when no sources are configured (stand-in.ts). */
  demoSources(): Sources {
    return demoSources(this);
  }

  /** The simulated clock a pipeline run against this emulator uses (stand-in.ts). */
  clock(): () => Date {
    return simulatedClock(this);
  }

  close(): Promise<void> {
    this.#closed ??= new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    return this.#closed;
  }
}

async function serve(
  app: App,
  state: EmulatorState,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) {
        res.writeHead(413, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
        res.end(JSON.stringify({ error: { status: 413, message: 'Request entity too large' } }));
        return;
      }
      chunks.push(chunk as Buffer);
    }
    const headers = new Headers();
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
      headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    // A client that hangs up during injected latency should not leave a timer running.
    const gone = new AbortController();
    res.once('close', () => {
      if (!res.writableEnded) gone.abort();
    });
    const result: AppResult = await app.handle({
      method: req.method ?? 'GET',
      url: new URL(req.url ?? '/', state.baseUrl),
      headers,
      body: Buffer.concat(chunks).toString('utf8'),
      signal: gone.signal,
    });
    if (res.destroyed) return;
    if (result.kind === 'reset') {
      // An RST, so the client sees ECONNRESET rather than a clean end of stream.
      req.socket.resetAndDestroy();
      return;
    }
    const body = Buffer.from(result.reply.body, result.latin1 ? 'latin1' : 'utf8');
    res.writeHead(result.reply.status, { ...result.reply.headers, 'content-length': String(body.length) });
    if (result.truncate) {
      // Promise the full length, send half, then hang up: the client's body read must fail.
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
      return;
    }
    res.end(body);
  } catch {
    if (!res.headersSent && !res.destroyed) {
      res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: { status: 500, message: 'Server error' } }));
    } else {
      res.destroy();
    }
  }
}

async function inProcessFetch(
  app: App,
  input: string | URL | Request,
  init?: RequestInit,
): Promise<Response> {
  const request = new Request(input, init);
  const body = request.method === 'GET' || request.method === 'HEAD' ? '' : await request.text();
  const result = await app.handle({
    method: request.method,
    url: new URL(request.url),
    headers: request.headers,
    body,
    signal: request.signal,
  });
  if (request.signal.aborted) throw request.signal.reason;
  if (result.kind === 'reset') throw connectionReset();
  const { reply, truncate } = result;
  const bytes = Buffer.from(reply.body, result.latin1 ? 'latin1' : 'utf8');
  const headers = new Headers(reply.headers);
  headers.set('content-length', String(bytes.length));
  const payload = truncate ? bytes.subarray(0, Math.floor(bytes.length / 2)) : bytes;
  const empty =
    reply.status === 204 ||
    reply.status === 304 ||
    (reply.status >= 300 && reply.status < 400 && bytes.length === 0);
  return new Response(empty ? null : payload, { status: reply.status, headers });
}
