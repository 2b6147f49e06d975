// The retry policy, driven by the emulator's fault knobs over real HTTP. Waits go through a virtual
// clock (createFakeTime), so a Retry-After of minutes costs nothing and the waited time is exact;
// a fault is switched off from inside the first wait to make "fails once, then succeeds" certain.
import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Emulator } from '../emulator/server.js';
import { isTunelakeError, type TunelakeError } from '../errors.js';
import { createSpotifyClient } from './client.js';
import { TrackSchema } from './schemas.js';
import {
  createFakeTime,
  createRecordingLogger,
  type EmulatorConfigOptions,
  emulatorConfig,
  sum,
} from './test-support/clock-and-logger.js';

const NO_FAULTS = {
  latencyMs: 0,
  rate429: 0,
  retryAfterSeconds: 1,
  rate5xx: 0,
  rateTruncated: 0,
  rateReset: 0,
  rateTokenExpiry: 0,
  quotaExceeded: false,
};

let emu: Emulator;
let trackId: string;

beforeAll(async () => {
  emu = await Emulator.create({ port: 0, tier: 'development', seed: 42 });
  trackId = emu.world.trackIds[0]!;
});
afterAll(async () => {
  await emu?.close();
});
beforeEach(() => {
  emu.setFaults(NO_FAULTS);
  emu.resetStats();
});

/** A client on a virtual clock whose token is already fetched (so faults hit only API requests). */
async function warmClient(http: EmulatorConfigOptions['http'] = {}) {
  const time = createFakeTime();
  const client = createSpotifyClient(emulatorConfig(emu, { http: { maxRetries: 3, ...http } }), time);
  await client.get(`/tracks/${trackId}`, TrackSchema);
  emu.resetStats();
  return { client, time, requestsBefore: client.stats.requests };
}

async function failure(promise: Promise<unknown>): Promise<TunelakeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isTunelakeError(error)) throw new Error(`expected a TunelakeError, got ${String(error)}`);
  return error;
}

describe('request() on 429', () => {
  it('waits at least Retry-After, then retries and succeeds', async () => {
    const { client, time } = await warmClient();
    emu.setFaults({ ...NO_FAULTS, rate429: 1, retryAfterSeconds: 7 });
    time.onSleep = () => emu.setFaults(NO_FAULTS);
    const track = await client.get(`/tracks/${trackId}`, TrackSchema);
    expect(track.id).toBe(trackId);
    expect(sum(time.sleeps)).toBeGreaterThanOrEqual(7_000);
    expect(client.stats.retries['429']).toBe(1);
    expect(client.stats.rateLimitedWaitMs).toBeGreaterThanOrEqual(7_000);
    expect(emu.stats().total).toBe(2);
  });

  it('holds back every queued request until Retry-After has passed (a shared pause)', async () => {
    const { client, time } = await warmClient({ concurrency: 1 });
    emu.setFaults({ ...NO_FAULTS, rate429: 1, retryAfterSeconds: 5 });
    const t0 = time.now();
    let sentAfterPause = 0;
    time.onSleep = () => emu.setFaults(NO_FAULTS);
    const ids = emu.world.trackIds.slice(0, 4);
    const results = await Promise.all(
      ids.map(async (id) => {
        const track = await client.get(`/tracks/${id}`, TrackSchema);
        if (time.now() >= t0 + 5_000) sentAfterPause++;
        return track.id;
      }),
    );
    expect(results).toEqual(ids);
    // One 429; every request, the three that were queued behind it included, finished after the pause.
    expect(client.stats.retries['429']).toBe(1);
    expect(sentAfterPause).toBe(4);
    expect(emu.stats().total).toBe(5);
  });

  it('stops at once with SPOTIFY_RATE_LIMITED when Retry-After is above the cap', async () => {
    const { client, time } = await warmClient({ maxRetryAfterSeconds: 120 });
    emu.setFaults({ ...NO_FAULTS, rate429: 1, retryAfterSeconds: 3_600 });
    const error = await failure(client.get(`/tracks/${trackId}`, TrackSchema));
    expect(error.code).toBe('SPOTIFY_RATE_LIMITED');
    expect(error.message).toContain('TUNELAKE_MAX_RETRY_AFTER');
    expect(error.message).toContain('Retry-After: 3600');
    // Not retryable (a Lambda must not retry into the ban), with the time the extract keeps (#14).
    expect(error.retryable).toBe(false);
    const notBefore = new Date(time.now() + 3_600_000).toISOString();
    expect(error.details.notBefore).toBe(notBefore);
    expect(error.message).toContain(`Run it again after ${notBefore}`);
    expect(time.sleeps).toEqual([]);
    expect(emu.stats().total).toBe(1);
    // Requests queued after it fail the same way without being sent.
    const again = await failure(client.get(`/tracks/${emu.world.trackIds[1]}`, TrackSchema));
    expect(again.code).toBe('SPOTIFY_RATE_LIMITED');
    expect(emu.stats().total).toBe(1);
  });

  it('stops at once with SPOTIFY_QUOTA_EXCEEDED when the body says reason QUOTA_EXCEEDED', async () => {
    const { client, time } = await warmClient();
    emu.setFaults({ ...NO_FAULTS, quotaExceeded: true });
    const error = await failure(client.get(`/tracks/${trackId}`, TrackSchema));
    expect(error.code).toBe('SPOTIFY_QUOTA_EXCEEDED');
    expect(error.retryable).toBe(false);
    expect(time.sleeps).toEqual([]);
    expect(emu.stats().total).toBe(1);
  });
});

describe('request() on transient failures', () => {
  it('retries a 5xx with backoff and then succeeds', async () => {
    const { client, time } = await warmClient();
    emu.setFaults({ ...NO_FAULTS, rate5xx: 1 });
    time.onSleep = () => emu.setFaults(NO_FAULTS);
    const track = await client.get(`/tracks/${trackId}`, TrackSchema);
    expect(track.id).toBe(trackId);
    expect(client.stats.retries['5xx']).toBe(1);
    expect(time.sleeps).toHaveLength(1);
    expect(time.sleeps[0]).toBeGreaterThan(0);
    expect(time.sleeps[0]).toBeLessThanOrEqual(8_000);
  });

  it('retries a connection reset and then succeeds', async () => {
    const { client, time } = await warmClient();
    emu.setFaults({ ...NO_FAULTS, rateReset: 1 });
    time.onSleep = () => emu.setFaults(NO_FAULTS);
    const track = await client.get(`/tracks/${trackId}`, TrackSchema);
    expect(track.id).toBe(trackId);
    expect(client.stats.retries.network).toBe(1);
  });

  it('retries a truncated JSON body and then succeeds', async () => {
    const { client, time } = await warmClient();
    emu.setFaults({ ...NO_FAULTS, rateTruncated: 1 });
    time.onSleep = () => emu.setFaults(NO_FAULTS);
    const track = await client.get(`/tracks/${trackId}`, TrackSchema);
    expect(track.id).toBe(trackId);
    expect(client.stats.retries.truncated).toBe(1);
  });

  it('gives up after maxRetries 5xx with SPOTIFY_UNAVAILABLE naming the request and the attempts', async () => {
    const { client, time } = await warmClient({ maxRetries: 2 });
    emu.setFaults({ ...NO_FAULTS, rate5xx: 1 });
    const error = await failure(client.get(`/tracks/${trackId}`, TrackSchema));
    expect(error.code).toBe('SPOTIFY_UNAVAILABLE');
    expect(error.message).toContain(`GET /tracks/${trackId}`);
    expect(error.message).toContain('3 attempts');
    expect(error.details).toMatchObject({ attempts: 3, route: 'GET /tracks/{id}' });
    expect(emu.stats().total).toBe(3);
    // Exponential: each wait's ceiling doubles (250, 500 ms), jitter keeps it in the upper half.
    expect(time.sleeps).toHaveLength(2);
    expect(time.sleeps[0]).toBeGreaterThanOrEqual(125);
    expect(time.sleeps[1]).toBeGreaterThanOrEqual(250);
  });

  it('gives up on a body that stays truncated with SPOTIFY_BAD_RESPONSE, never a crash', async () => {
    const { client } = await warmClient({ maxRetries: 1 });
    emu.setFaults({ ...NO_FAULTS, rateTruncated: 1 });
    const error = await failure(client.get(`/tracks/${trackId}`, TrackSchema));
    expect(error.code).toBe('SPOTIFY_BAD_RESPONSE');
    expect(client.stats.retries.truncated).toBe(1);
  });

  it('gives up on resets with NETWORK', async () => {
    const { client } = await warmClient({ maxRetries: 1 });
    emu.setFaults({ ...NO_FAULTS, rateReset: 1 });
    const error = await failure(client.get(`/tracks/${trackId}`, TrackSchema));
    expect(error.code).toBe('NETWORK');
    expect(error.message).toContain('2 attempts');
  });

  it('times out a slow answer after timeoutMs and reports NETWORK', async () => {
    const { client } = await warmClient({ maxRetries: 1, timeoutMs: 200 });
    emu.setFaults({ ...NO_FAULTS, latencyMs: 3_000 });
    const error = await failure(client.get(`/tracks/${trackId}`, TrackSchema));
    expect(error.code).toBe('NETWORK');
    expect(error.message).toContain('no answer within 200 ms');
  });

  it('reports NETWORK when nothing listens at SPOTIFY_API_URL', async () => {
    const port = await closedPort();
    const time = createFakeTime();
    const config = emulatorConfig(emu, { http: { maxRetries: 2 } });
    const client = createSpotifyClient(
      { ...config, spotify: { ...config.spotify, apiUrl: `http://127.0.0.1:${port}/v1` } },
      time,
    );
    const error = await failure(client.get(`/tracks/${trackId}`, TrackSchema));
    expect(error.code).toBe('NETWORK');
    expect(error.message).toContain('3 attempts');
    expect(client.stats.retries.network).toBe(2);
  });
});

describe('request() through the emulator’s in-process fetch', () => {
  // No socket: a truncated body arrives as half a JSON text, a reset as a rejected fetch.
  it('retries a half body and a reset the same way, then succeeds', async () => {
    const time = createFakeTime();
    const client = createSpotifyClient(emulatorConfig(emu, { http: { maxRetries: 3 } }), {
      ...time,
      fetch: emu.fetch,
    });
    await client.get(`/tracks/${trackId}`, TrackSchema);
    // First a truncated body; during the first backoff a reset; during the second, no fault.
    emu.setFaults({ ...NO_FAULTS, rateTruncated: 1 });
    let waits = 0;
    time.onSleep = () => {
      waits++;
      emu.setFaults(waits === 1 ? { ...NO_FAULTS, rateReset: 1 } : NO_FAULTS);
    };
    const track = await client.get(`/tracks/${trackId}`, TrackSchema);
    expect(track.id).toBe(trackId);
    expect(client.stats.retries.truncated).toBe(1);
    expect(client.stats.retries.network).toBe(1);
    expect(waits).toBe(2);
  });
});

describe('request() on 401', () => {
  it('renews the token once and retries when the token was revoked', async () => {
    const { client } = await warmClient();
    emu.setFaults({ ...NO_FAULTS, rateTokenExpiry: 1 });
    // Every token the emulator sees is expired by the fault, the renewed ones included: after three
    // renewals the client gives up. Every renewal succeeded, so it is a storm to wait out (retryable,
    // exit 6), not a credentials problem: the message does not send the user to SPOTIFY_CLIENT_ID (#17).
    const error = await failure(client.get(`/tracks/${trackId}`, TrackSchema));
    expect(error.code).toBe('SPOTIFY_UNAVAILABLE');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('renewed successfully every time');
    expect(error.message).not.toContain('SPOTIFY_CLIENT_ID');
    expect(client.stats.retries['401']).toBe(3);
    expect(client.stats.tokenRequests).toBe(4);
  });

  it('recovers when the renewed token is accepted', async () => {
    const time = createFakeTime();
    // The fault expires every token it sees; it is switched off when the client asks for a new one.
    let apiCalls = 0;
    const client = createSpotifyClient(emulatorConfig(emu), {
      ...time,
      fetch: async (input, init) => {
        if (String(input).endsWith('/api/token') && apiCalls > 0) emu.setFaults(NO_FAULTS);
        else if (!String(input).endsWith('/api/token')) apiCalls++;
        return fetch(input, init);
      },
    });
    emu.setFaults({ ...NO_FAULTS, rateTokenExpiry: 1 });
    const track = await client.get(`/tracks/${trackId}`, TrackSchema);
    expect(track.id).toBe(trackId);
    expect(client.stats.retries['401']).toBe(1);
    expect(client.stats.tokenRequests).toBe(2);
    expect(emu.stats().injected.tokenExpiry).toBe(1);
    expect(emu.stats().byStatus['401']).toBe(1);
  });
});

describe('request() on 4xx', () => {
  it('maps 400 to SPOTIFY_BAD_REQUEST without retrying', async () => {
    const { client } = await warmClient();
    const error = await failure(client.get('/tracks/not-a-valid-id', TrackSchema));
    expect(error.code).toBe('SPOTIFY_BAD_REQUEST');
    expect(error.details.spotifyMessage).toBeTruthy();
    expect(emu.stats().total).toBe(1);
  });

  it('maps 404 to SPOTIFY_NOT_FOUND without retrying', async () => {
    const { client } = await warmClient();
    const error = await failure(client.get('/tracks/0000000000000000000000', TrackSchema));
    expect(error.code).toBe('SPOTIFY_NOT_FOUND');
    expect(emu.stats().total).toBe(1);
  });

  it('rejects a body that does not match the schema with SPOTIFY_BAD_RESPONSE naming the path and issue', async () => {
    const { client } = await warmClient();
    const error = await failure(client.get(`/tracks/${trackId}`, z.object({ id: z.number() })));
    expect(error.code).toBe('SPOTIFY_BAD_RESPONSE');
    expect(error.message).toContain(`GET /tracks/${trackId}`);
    expect(error.message).toContain('id:');
    expect(emu.stats().total).toBe(1);
  });

  it('refuses to send the token to a next URL on another host', async () => {
    const { client } = await warmClient();
    const error = await failure(client.get('https://example.invalid/v1/tracks', TrackSchema));
    expect(error.code).toBe('SPOTIFY_BAD_RESPONSE');
    expect(emu.stats().total).toBe(0);
  });
});

describe('secrets', () => {
  it('never appear in error messages or log lines', async () => {
    const { logger, lines } = createRecordingLogger();
    const seenTokens = new Set<string>();
    const time = createFakeTime();
    const spy: typeof fetch = async (input, init) => {
      const auth = new Headers(init?.headers).get('authorization');
      if (auth?.startsWith('Bearer ')) seenTokens.add(auth.slice(7));
      const response = await fetch(input, init);
      if (String(input).endsWith('/api/token')) {
        const body = (await response.clone().json()) as { access_token?: string; refresh_token?: string };
        if (body.access_token) seenTokens.add(body.access_token);
        if (body.refresh_token) seenTokens.add(body.refresh_token);
      }
      return response;
    };
    const refreshToken = emu.issueRefreshToken();
    const config = emulatorConfig(emu, { refreshToken, http: { maxRetries: 1 } });
    const client = createSpotifyClient(config, { ...time, logger, fetch: spy });
    const errors: unknown[] = [];
    const attempt = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (error) {
        errors.push(error);
      }
    };
    await attempt(client.get(`/tracks/${trackId}`, TrackSchema));
    await attempt(client.me());
    emu.setFaults({ ...NO_FAULTS, rate5xx: 1 });
    await attempt(client.get(`/tracks/${trackId}`, TrackSchema));
    emu.setFaults({ ...NO_FAULTS, rateTokenExpiry: 1 });
    await attempt(client.me());
    emu.setFaults({ ...NO_FAULTS, rate429: 1, retryAfterSeconds: 1 });
    time.onSleep = () => emu.setFaults({ ...NO_FAULTS, rateReset: 1 });
    await attempt(client.get(`/tracks/${trackId}`, TrackSchema));
    emu.setFaults(NO_FAULTS);
    time.onSleep = undefined;
    const badSecret = createSpotifyClient(emulatorConfig(emu, { clientSecret: 'not-the-secret-123456' }), {
      ...time,
      logger,
    });
    await attempt(badSecret.get(`/tracks/${trackId}`, TrackSchema));
    const badRefresh = createSpotifyClient(
      emulatorConfig(emu, { refreshToken: 'revoked-refresh-token-abcdef' }),
      {
        ...time,
        logger,
      },
    );
    await attempt(badRefresh.me());

    expect(errors.length).toBeGreaterThanOrEqual(4);
    expect(seenTokens.size).toBeGreaterThan(0);
    const secrets = [
      ...seenTokens,
      refreshToken,
      'tunelake-demo-secret',
      'not-the-secret-123456',
      'revoked-refresh-token-abcdef',
    ];
    const texts = [
      ...lines,
      ...errors.map((e) => {
        const err = e as TunelakeError;
        return `${err.message} ${JSON.stringify(err.toJSON?.() ?? {})} ${String(err.stack)}`;
      }),
    ];
    expect(lines.length).toBeGreaterThan(0);
    for (const text of texts) {
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
