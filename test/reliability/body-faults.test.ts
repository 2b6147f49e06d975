// The emulator's body faults the bad-input cases rely on (rateDrift, rateNulls, rateNonUtf8,
// padBytes), checked over real HTTP: each really changes the 200 bodies as it says, and only those.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emulator } from '../../src/emulator/server.js';

describe('Emulator body faults (rateDrift, rateNulls, rateNonUtf8, padBytes)', () => {
  let emu: Emulator;
  let token: string;
  let artistId: string;

  beforeAll(async () => {
    emu = await Emulator.create({ port: 0, seed: 7 });
    const response = await fetch(`${emu.url}/api/token`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from('tunelake-demo:tunelake-demo-secret').toString('base64')}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    token = ((await response.json()) as { access_token: string }).access_token;
    // An artist whose name has a Latin-1 letter beyond ASCII (é, Ó): as a Latin-1 byte it is not UTF-8.
    const accented = [...emu.world.artists.values()].find((a) =>
      [...a.name].some((c) => c.charCodeAt(0) > 127 && c.charCodeAt(0) < 256),
    );
    expect(accented).toBeDefined();
    artistId = accented!.id;
  });
  afterAll(async () => {
    await emu?.close();
  });

  async function artist(): Promise<{ status: number; bytes: Buffer }> {
    const response = await fetch(`${emu.apiUrl}/artists/${artistId}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) };
  }

  it('leaves bodies alone when off', async () => {
    emu.setFaults({ rateDrift: 0, rateNulls: 0, rateNonUtf8: 0, padBytes: 0 });
    const body = JSON.parse((await artist()).bytes.toString('utf8')) as Record<string, unknown>;
    expect(body.id).toBe(artistId);
    expect(typeof body.name).toBe('string');
    expect(body).not.toHaveProperty('x_added_field');
  });

  it('rateDrift: 1 adds unknown fields and drops the fields Spotify removed in 2026', async () => {
    emu.setFaults({ rateDrift: 1, rateNulls: 0, rateNonUtf8: 0, padBytes: 0 });
    const body = JSON.parse((await artist()).bytes.toString('utf8')) as Record<string, unknown>;
    expect(body).toHaveProperty('x_added_field');
    expect(body).not.toHaveProperty('popularity');
    expect(body.id).toBe(artistId);
  });

  it('rateNulls: 1 nulls every field but ids, types and the paging skeleton', async () => {
    emu.setFaults({ rateDrift: 0, rateNulls: 1, rateNonUtf8: 0, padBytes: 0 });
    const body = JSON.parse((await artist()).bytes.toString('utf8')) as Record<string, unknown>;
    expect(body.id).toBe(artistId);
    expect(body.type).toBe('artist');
    expect(body.name).toBeNull();
  });

  it('rateNonUtf8: 1 sends bytes that a strict UTF-8 decoder rejects', async () => {
    emu.setFaults({ rateDrift: 0, rateNulls: 0, rateNonUtf8: 1, padBytes: 0 });
    const { status, bytes } = await artist();
    expect(status).toBe(200);
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toThrow();
    expect(JSON.parse(bytes.toString('latin1')).id).toBe(artistId);
  });

  it('padBytes pads every 200 body with an unknown field of that size', async () => {
    emu.setFaults({ rateDrift: 0, rateNulls: 0, rateNonUtf8: 0, padBytes: 100_000 });
    const { bytes } = await artist();
    expect(bytes.length).toBeGreaterThan(100_000);
    expect((JSON.parse(bytes.toString('utf8')) as { _padding: string })._padding).toHaveLength(100_000);
    emu.setFaults({ padBytes: 0 });
  });
});
