// The emulator as tunelake's stand-in for Spotify: what the commands that want it (`start`, `demo`,
// any Spotify-facing command when no SPOTIFY_CLIENT_ID is set) need beyond the HTTP server itself.
// The composition root (src/runtime.ts) never starts an emulator; it applies one it is given.
import type { Sources } from '../config.js';
import type { Tier } from './tiers.js';
import { DAY_MS, type World, worldNowMs, worldSummary } from './world.js';

/** What these functions read of an emulator. */
export interface EmulatorWorld {
  readonly world: World;
  readonly tier: Tier;
}

/** The emulator's demo app credentials (public: they only open the local emulator). */
export const EMULATOR_CLIENT_ID = 'tunelake-demo';
export const EMULATOR_CLIENT_SECRET = 'tunelake-demo-secret';

/**
 * The emulator's simulated time: in the last quarter hour of its current day, moving with the wall
 * clock from the moment the day began, so that the lake's ingestion dates follow the simulated days.
 * When the simulated day is today's (the demo's last day, a run without credentials), it is the
 * wall clock itself: a run stamped 23:45 at 14:37 would lie in the future of every reader of the lake
 * (the dashboard measured "0.0 h ago", #18).
 */
export function simulatedClock(emulator: EmulatorWorld): () => Date {
  let day = emulator.world.day;
  let since = Date.now();
  return () => {
    if (emulator.world.day !== day) {
      day = emulator.world.day;
      since = Date.now();
    }
    const end = worldNowMs(emulator.world);
    const simulated = Math.min(end, end - 15 * 60_000 + (Date.now() - since));
    const wall = Date.now();
    return new Date(wall >= end - DAY_MS + 1 && wall < simulated ? wall : simulated);
  };
}

/** What the demo watches when no sources are configured: a realistic mix from the emulator's world. */
export function demoSources(emulator: EmulatorWorld): Sources {
  const summary = worldSummary(emulator.world);
  return {
    // In development mode only owned and collaborative playlists have readable items.
    playlists: [
      ...summary.playlists.owned.map((p) => p.id),
      ...summary.playlists.collaborative.map((p) => p.id),
      ...(emulator.tier === 'extended' ? summary.playlists.other.slice(0, 4).map((p) => p.id) : []),
    ],
    artists: summary.artists.slice(0, 8).map((a) => a.id),
    artistIncludeGroups: ['album', 'single'],
    search: [{ q: 'tag:new', type: 'album', limit: 50 }],
    me: { recentlyPlayed: true, topItems: true, savedTracks: true, playlists: true },
  };
}
