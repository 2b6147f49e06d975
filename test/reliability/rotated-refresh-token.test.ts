// Refresh tokens that Spotify rotates (#14 item 6): "the response might include a new refresh token"
// (developer.spotify.com/documentation/web-api/tutorials/refreshing-tokens), and the old one may stop
// working. With the emulator's rotateRefreshTokens knob on, the runtime writes the new token into the
// credentials file `tunelake login` wrote, so that the next run (a new process) refreshes with it.
// (The Lambda writes it into its Secrets Manager secret: src/lambda/handlers.test.ts.)
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { Emulator } from '../../src/emulator/server.js';
import { createLogger } from '../../src/log.js';
import { createRuntime } from '../../src/runtime.js';

const CLIENT_ID = 'tunelake-demo';
const CLIENT_SECRET = 'tunelake-demo-secret';

describe('createRuntime(config) when the refresh grant rotates the refresh token', () => {
  it('saves the new token in the credentials file (obtained_at kept, mode 0600, never logged); the next runtime refreshes with it', async () => {
    const emu = await Emulator.create({ port: 0, seed: 3, faults: { rotateRefreshTokens: true } });
    const dir = mkdtempSync(join(tmpdir(), 'tunelake-rotate-'));
    const file = join(dir, 'credentials.json');
    const original = emu.issueRefreshToken();
    const obtainedAt = '2026-11-01T10:00:00.000Z';
    writeFileSync(
      file,
      JSON.stringify({ refresh_token: original, scope: 'user-read-private', obtained_at: obtainedAt }),
      { mode: 0o600 },
    );
    const env = {
      SPOTIFY_CLIENT_ID: CLIENT_ID,
      SPOTIFY_CLIENT_SECRET: CLIENT_SECRET,
      SPOTIFY_ACCOUNTS_URL: emu.url,
      SPOTIFY_API_URL: emu.apiUrl,
      TUNELAKE_CREDENTIALS: file,
      TUNELAKE_LAKE: join(dir, 'lake'),
      TUNELAKE_CONFIG: '',
    };
    const logged: string[] = [];
    const logger = createLogger({ level: 'debug', write: (line) => logged.push(line) });
    const me = async () => {
      const config = loadConfig({}, env);
      expect(config.origins['spotify.refreshToken']).toBe('file');
      const runtime = await createRuntime(config, { logger });
      try {
        return await runtime.spotify.me();
      } finally {
        await runtime.close();
      }
    };
    const stored = () => JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    try {
      const user = await me();
      expect(user.id).toBeTruthy();
      const first = stored();
      expect(first.refresh_token).not.toBe(original);
      expect(first.obtained_at).toBe(obtainedAt);
      expect(first.scope).toBe('user-read-private');
      expect(first.rotated_at).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(statSync(file).mode & 0o777).toBe(0o600);

      // A new process with the new token: works, and rotates again.
      expect((await me()).id).toBe(user.id);
      const second = stored();
      expect(second.refresh_token).not.toBe(first.refresh_token);

      // The old token was invalidated by the rotation: a runtime still holding it is refused.
      const stale = await createRuntime(loadConfig({}, { ...env, SPOTIFY_REFRESH_TOKEN: original }), {
        logger,
      });
      try {
        await expect(stale.spotify.me()).rejects.toMatchObject({ code: 'AUTH_INVALID_GRANT' });
      } finally {
        await stale.close();
      }

      expect(logged.some((l) => l.includes('rotated the refresh token; the new one is saved'))).toBe(true);
      for (const token of [original, first.refresh_token!, second.refresh_token!])
        expect(logged.join('\n')).not.toContain(token);
    } finally {
      await emu.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
