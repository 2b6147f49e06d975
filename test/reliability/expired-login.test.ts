// An expired refresh token (#14 item 3): since 2026-07-20 refresh tokens expire six months after the
// user authorised the app (Spotify developer blog, 2026-06-18) and the refresh grant answers
// invalid_grant. Through the real `tunelake run`: the sources that need the user fail with one message
// naming `tunelake login`, every app-token source lands, and the exit code is 10 (partial).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessTier, Sources } from '../../src/config.js';
import { Emulator } from '../../src/emulator/server.js';
import { worldSummary } from '../../src/emulator/world.js';
import { CLIENT_ID, CLIENT_SECRET, tunelake } from './support.js';

const DAY_MS = 86_400_000;

describe.each<AccessTier>(['development', 'extended'])(
  'tunelake run with an expired refresh token (%s tier)',
  (tier) => {
    let emu: Emulator;
    let dir: string;
    beforeAll(async () => {
      emu = await Emulator.create({
        port: 0,
        tier,
        seed: 7,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
      });
      dir = mkdtempSync(join(tmpdir(), 'tunelake-expired-login-'));
    });
    afterAll(async () => {
      await emu?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('exits 10 with the app-token sources landed and one message naming tunelake login', async () => {
      const summary = worldSummary(emu.world);
      const sources: Sources = {
        playlists: [summary.playlists.owned[0]!.id],
        artists: summary.artists.slice(0, 2).map((a) => a.id),
        artistIncludeGroups: ['album', 'single'],
        search: [{ q: 'tag:new', type: 'album', limit: 10 }],
        me: { recentlyPlayed: true, topItems: true, savedTracks: true, playlists: true },
      };
      writeFileSync(join(dir, 'tunelake.config.json'), JSON.stringify({ sources }));
      // Authorised seven months ago: past the emulator's six-month refresh-token lifetime.
      const expired = emu.issueRefreshToken({ issuedAt: Date.now() - 213 * DAY_MS });
      const result = await tunelake(['run', '--json'], dir, {
        SPOTIFY_CLIENT_ID: CLIENT_ID,
        SPOTIFY_CLIENT_SECRET: CLIENT_SECRET,
        SPOTIFY_REFRESH_TOKEN: expired,
        SPOTIFY_ACCOUNTS_URL: emu.url,
        SPOTIFY_API_URL: emu.apiUrl,
        TUNELAKE_RATE_LIMIT: '5000',
        TUNELAKE_LAKE: join(dir, 'lake'),
        SPOTIFY_ACCESS_TIER: tier,
      });
      expect(result.code, result.stderr).toBe(10);
      expect(result.stderr).not.toMatch(/^\s+at /m);
      const info = JSON.parse(result.stdout);
      const errors = info.extract.errors as Array<{ source: string; code: string; message: string }>;
      // One error, naming the login and every source that needed it.
      expect(errors).toHaveLength(1);
      expect(errors[0]!.code).toBe('AUTH_INVALID_GRANT');
      expect(errors[0]!.message).toMatch(/tunelake login/);
      expect(errors[0]!.message).toMatch(/\bme\b/);
      const records = info.extract.records as Record<string, number>;
      for (const dataset of ['artists', 'artist_albums', 'albums', 'search_results']) {
        expect(records[dataset], dataset).toBeGreaterThan(0);
      }
      expect(records.recently_played ?? 0).toBe(0);
      // Extended quota mode reads the public playlist with the app token; development mode cannot.
      if (tier === 'extended') expect(records.playlist_items).toBeGreaterThan(0);
      else expect(errors[0]!.message).toMatch(new RegExp(`playlist:${sources.playlists[0]}`));
      // The token endpoint was asked once for the user, not once per source.
      expect(emu.stats().byRoute['POST /api/token'] ?? 0).toBeLessThanOrEqual(3);
    }, 120_000);
  },
);
