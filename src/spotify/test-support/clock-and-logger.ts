// Helpers for the Spotify client's tests: a virtual clock whose sleep advances time at once, and a
// logger that keeps its lines. Real components only; nothing here imitates Spotify.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AccessTier, type Config, loadConfig } from '../../config.js';
import { createLogger, type Logger } from '../../log.js';

export interface FakeTime {
  now: () => number;
  /** Resolves on the next macrotask and moves the clock to (call time + ms) if that is later. */
  sleep: (ms: number) => Promise<void>;
  advance(ms: number): void;
  /** Every sleep asked for, in order. */
  readonly sleeps: number[];
  /** Hook run at the start of each sleep (e.g. to switch an emulator fault off during a backoff). */
  onSleep?: (ms: number) => void;
}

export function createFakeTime(start = Date.UTC(2026, 10, 25, 12)): FakeTime {
  let t = start;
  const fake: FakeTime = {
    now: () => t,
    sleep: async (ms) => {
      const from = t;
      fake.sleeps.push(ms);
      fake.onSleep?.(ms);
      await new Promise((resolve) => setImmediate(resolve));
      t = Math.max(t, from + Math.max(0, ms));
    },
    advance(ms) {
      t += ms;
    },
    sleeps: [],
  };
  return fake;
}

export function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** A debug-level logger that records every line it would have written. */
export function createRecordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }), lines };
}

/** The parts of the emulator (src/emulator/server.ts) a client test needs, so this file does not import it. */
export interface EmulatorLike {
  url: string;
  apiUrl: string;
  issueRefreshToken(options?: { issuedAt?: number }): string;
}

export interface EmulatorConfigOptions {
  tier?: AccessTier;
  /** true: a fresh refresh token from the emulator; a string: that token; false (default): none. */
  refreshToken?: boolean | string;
  clientSecret?: string;
  market?: string;
  http?: {
    rateLimit?: number;
    concurrency?: number;
    maxRetries?: number;
    maxRetryAfterSeconds?: number;
    timeoutMs?: number;
  };
}

let isolatedDir: string | undefined;

/**
 * A client config pointing at an emulator, built through loadConfig() as the CLI would. An empty
 * config file and a missing credentials file keep whatever sits in the working directory out of it.
 */
export function emulatorConfig(emu: EmulatorLike, options: EmulatorConfigOptions = {}): Config {
  isolatedDir ??= mkdtempSync(join(tmpdir(), 'tunelake-client-test-'));
  const configFile = join(isolatedDir, 'tunelake.config.json');
  writeFileSync(configFile, '{}\n');
  const env: Record<string, string> = {
    SPOTIFY_CLIENT_SECRET: options.clientSecret ?? 'tunelake-demo-secret',
  };
  if (options.refreshToken === true) env.SPOTIFY_REFRESH_TOKEN = emu.issueRefreshToken();
  else if (typeof options.refreshToken === 'string') env.SPOTIFY_REFRESH_TOKEN = options.refreshToken;
  return loadConfig(
    {
      configFile,
      credentialsFile: join(isolatedDir, 'no-credentials.json'),
      accountsUrl: emu.url,
      apiUrl: emu.apiUrl,
      clientId: 'tunelake-demo',
      tier: options.tier ?? 'development',
      market: options.market,
      ...options.http,
    },
    env,
  );
}

/** Sums an emulator stats `byRoute` map over the keys matching `pattern`. */
export function countRoutes(byRoute: Record<string, number>, pattern: RegExp): number {
  return Object.entries(byRoute)
    .filter(([route]) => pattern.test(route))
    .reduce((total, [, n]) => total + n, 0);
}
