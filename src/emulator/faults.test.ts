import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NO_FAULTS } from './faults.js';
import { Emulator } from './server.js';
import { appToken, get } from './test-support/http.js';

let emu: Emulator;
let token: string;
let trackPath: string;

beforeAll(async () => {
  emu = await Emulator.create({ port: 0, seed: 42 });
  token = await appToken(emu);
  trackPath = `${emu.apiUrl}/tracks/${emu.world.trackIds[0]}`;
});
afterAll(async () => {
  await emu?.close();
});
beforeEach(() => {
  emu.setFaults(NO_FAULTS);
  emu.resetStats();
});

const auth = () => ({ headers: { authorization: `Bearer ${token}` } });

describe('Emulator.setFaults({ rate429 })', () => {
  it('answers 429 with the configured Retry-After and counts the injection', async () => {
    emu.setFaults({ rate429: 1, retryAfterSeconds: 7 });
    const reply = await get(emu, trackPath, token);
    expect(reply.status).toBe(429);
    expect(reply.headers.get('retry-after')).toBe('7');
    expect(reply.body).toEqual({ error: { status: 429, message: 'API rate limit exceeded' } });
    expect(emu.stats().injected['429']).toBe(1);
    emu.setFaults({ rate429: 0 });
    expect((await get(emu, trackPath, token)).status).toBe(200);
  });
});

describe('Emulator.setFaults({ quotaExceeded })', () => {
  it('answers every /v1 call with 429 reason QUOTA_EXCEEDED and a Retry-After of hours', async () => {
    emu.setFaults({ quotaExceeded: true });
    const reply = await get(emu, trackPath, token);
    expect(reply.status).toBe(429);
    expect(reply.body).toEqual({
      error: { status: 429, message: 'Too many requests', reason: 'QUOTA_EXCEEDED' },
    });
    expect(Number(reply.headers.get('retry-after'))).toBeGreaterThanOrEqual(3600);
  });
});

describe('Emulator.setFaults({ rate5xx })', () => {
  it('answers 500/502/503, some as JSON errors and some as HTML pages', async () => {
    emu.setFaults({ rate5xx: 1 });
    const kinds = new Set<string>();
    for (let i = 0; i < 24; i++) {
      const res = await fetch(trackPath, auth());
      expect([500, 502, 503]).toContain(res.status);
      const text = await res.text();
      if (res.headers.get('content-type')!.startsWith('text/html')) {
        expect(() => JSON.parse(text)).toThrow();
        kinds.add('html');
      } else {
        expect(JSON.parse(text).error.status).toBe(res.status);
        kinds.add('json');
      }
    }
    expect(kinds).toEqual(new Set(['html', 'json']));
    expect(emu.stats().injected['5xx']).toBe(24);
  });

  it('leaves the accounts service and the control endpoints alone', async () => {
    emu.setFaults({ rate5xx: 1, rateReset: 1 });
    expect(typeof (await appToken(emu))).toBe('string');
    expect((await fetch(`${emu.url}/_emulator/stats`)).status).toBe(200);
  });
});

describe('Emulator.setFaults({ rateTruncated })', () => {
  it('cuts a 200 body mid-way so that reading it as JSON fails, over HTTP and in process', async () => {
    emu.setFaults({ rateTruncated: 1 });
    const res = await fetch(trackPath, auth());
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('content-length'))).toBeGreaterThan(100);
    await expect(res.json()).rejects.toThrow();
    const inProcess = await emu.fetch(trackPath, auth());
    const text = await inProcess.text();
    expect(text.length).toBeLessThan(Number(inProcess.headers.get('content-length')));
    expect(() => JSON.parse(text)).toThrow();
    expect(emu.stats().injected.truncated).toBe(2);
  });
});

describe('Emulator.setFaults({ rateReset })', () => {
  it('drops the connection without an answer: fetch fails with a connection error', async () => {
    emu.setFaults({ rateReset: 1 });
    const error = await fetch(trackPath, auth()).then(
      () => undefined,
      (e: unknown) => e as TypeError & { cause?: { code?: string } },
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(['ECONNRESET', 'UND_ERR_SOCKET']).toContain(error?.cause?.code);
    const inProcess = await emu.fetch(trackPath, auth()).then(
      () => undefined,
      (e: unknown) => e as TypeError & { cause?: { code?: string } },
    );
    expect(inProcess).toBeInstanceOf(TypeError);
    expect(inProcess?.message).toBe('fetch failed');
    expect(inProcess?.cause?.code).toBe('ECONNRESET');
    expect(emu.stats().injected.reset).toBe(2);
  });
});

describe('Emulator.setFaults({ rateTokenExpiry })', () => {
  it('expires a valid token for good: 401 "The access token expired" until the client gets a new one', async () => {
    const doomed = await appToken(emu);
    emu.setFaults({ rateTokenExpiry: 1 });
    const reply = await get(emu, trackPath, doomed);
    expect(reply.status).toBe(401);
    expect(reply.body.error.message).toBe('The access token expired');
    expect(reply.headers.get('www-authenticate')).toContain('invalid_token');
    emu.setFaults({ rateTokenExpiry: 0 });
    expect((await get(emu, trackPath, doomed)).status).toBe(401);
    expect((await get(emu, trackPath, await appToken(emu))).status).toBe(200);
    expect(emu.stats().injected.tokenExpiry).toBe(1);
  });
});

describe('Emulator.setFaults({ latencyMs })', () => {
  it('delays answers: a client that gives up first sees its own timeout', async () => {
    emu.setFaults({ latencyMs: 2_000 });
    await expect(emu.fetch(trackPath, { ...auth(), signal: AbortSignal.timeout(20) })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    await expect(fetch(trackPath, { ...auth(), signal: AbortSignal.timeout(20) })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
  });
});

describe('POST /_emulator/faults', () => {
  it('updates the knobs over HTTP and rejects invalid values with a 400', async () => {
    const res = await fetch(`${emu.url}/_emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ rate429: 1 }),
    });
    expect(await res.json()).toMatchObject({ rate429: 1, rate5xx: 0 });
    expect(emu.faults.rate429).toBe(1);
    const bad = await fetch(`${emu.url}/_emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ rate5xx: 2, nope: 1 }),
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toMatch(/rate5xx.*probability.*unknown fault "nope"/);
  });
});

describe('fault draws (seedFaults)', () => {
  it('repeat for the same seed and the same request sequence', async () => {
    const statuses = async (seedFaults: number) => {
      const e = await Emulator.create({ seedFaults, faults: { rate429: 0.3, rate5xx: 0.3 } });
      try {
        const t = await appToken(e);
        const out: number[] = [];
        for (let i = 0; i < 30; i++) {
          const res = await e.fetch(`${e.apiUrl}/tracks/${e.world.trackIds[i]}`, {
            headers: { authorization: `Bearer ${t}` },
          });
          out.push(res.status);
        }
        return out;
      } finally {
        await e.close();
      }
    };
    const first = await statuses(5);
    expect(await statuses(5)).toEqual(first);
    expect(first.some((s) => s !== 200)).toBe(true);
    expect(first).toContain(200);
    expect(await statuses(6)).not.toEqual(first);
  });
});

describe('Emulator.create({ rateLimit })', () => {
  it('allows rateLimit calls per rolling 30 s window, then 429 with Retry-After until a slot frees', async () => {
    let clock = 1_000_000;
    const limited = await Emulator.create({ rateLimit: 3, now: () => clock });
    try {
      const t = await appToken(limited);
      const path = `/tracks/${limited.world.trackIds[0]}`;
      for (let i = 0; i < 3; i++) {
        expect((await get(limited, path, t)).status).toBe(200);
        clock += 1_000;
      }
      const refused = await get(limited, path, t);
      expect(refused.status).toBe(429);
      expect(refused.body).toEqual({ error: { status: 429, message: 'API rate limit exceeded' } });
      // The first call (at 1 000 000) leaves the window at 1 030 000; now is 1 003 000.
      expect(refused.headers.get('retry-after')).toBe('27');
      for (let i = 0; i < 5; i++) expect((await fetch(`${limited.url}/_emulator/stats`)).status).toBe(200);
      clock += 27_000;
      expect((await get(limited, path, t)).status).toBe(200);
      expect((await get(limited, path, t)).status).toBe(429);
      expect(limited.stats().injected['429']).toBe(0);
    } finally {
      await limited.close();
    }
  });
});

describe('Emulator.setFaults({ rate404, faultRoutes })', () => {
  it('answers 404 on the targeted routes only, and counts the injection', async () => {
    emu.setFaults({ rate404: 1, faultRoutes: ['/v1/tracks/{id}'] });
    const reply = await get(emu, trackPath, token);
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual({ error: { status: 404, message: 'Non existing id' } });
    expect(emu.stats().injected['404']).toBe(1);
    const album = await get(emu, `${emu.apiUrl}/albums/${emu.world.albums.keys().next().value}`, token);
    expect(album.status).toBe(200);
  });

  it('rejects a route pattern that is not a /v1 path', () => {
    expect(() => emu.setFaults({ faultRoutes: ['albums'] })).toThrow(/faultRoutes must be a list/);
  });
});
