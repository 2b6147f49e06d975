// The dashboard's capability matrix (GET /api/capabilities): doctor's access-tier probes, run on the
// first request and kept for the server's lifetime. A refresh probes again at most once a minute, so
// that reloading the page cannot spend the app's rate budget; concurrent first requests share one
// probe. The probes never make the API fail: without Spotify access every status is `unknown`.
import type { Config } from '../config.js';
import { type CapabilityMatrix, probeCapabilities, unknownCapabilities } from '../doctor/capabilities.js';
import type { EmulatorInfo } from '../doctor/config-checks.js';
import type { SpotifyApi } from '../spotify/client.js';

export const REFRESH_INTERVAL_MS = 60_000;

/** A Spotify client to probe with, and what closes it: a Runtime fits. */
export interface SpotifyAccess {
  config: Pick<Config, 'spotify' | 'sources'>;
  spotify: SpotifyApi;
  emulator: EmulatorInfo | undefined;
  close(): Promise<void>;
}

export interface CapabilitiesDeps {
  /** Opens Spotify access for one round of probes; closed after it. */
  openSpotify: () => Promise<SpotifyAccess>;
  /** For the matrix when openSpotify itself fails. */
  config: Pick<Config, 'spotify' | 'sources'>;
  now?: () => Date;
  refreshIntervalMs?: number;
}

export interface CapabilitiesAnswer extends CapabilityMatrix {
  /** When a refresh is allowed again (ISO). */
  refreshableAt: string;
  /** Set when a refresh was asked for too soon and the cached matrix is returned instead. */
  refreshRefused?: string;
}

export interface Capabilities {
  get(options?: { refresh?: boolean }): Promise<CapabilitiesAnswer>;
}

export function createCapabilities(deps: CapabilitiesDeps): Capabilities {
  const now = deps.now ?? (() => new Date());
  const interval = deps.refreshIntervalMs ?? REFRESH_INTERVAL_MS;
  let current: Promise<CapabilityMatrix> | undefined;
  let startedAt = 0;

  const probe = async (): Promise<CapabilityMatrix> => {
    let access: SpotifyAccess;
    try {
      access = await deps.openSpotify();
    } catch (error) {
      return unknownCapabilities(deps.config, error, now);
    }
    try {
      return await probeCapabilities({
        config: access.config,
        spotify: access.spotify,
        emulator: access.emulator,
        now,
      });
    } catch (error) {
      return unknownCapabilities(access.config, error, now);
    } finally {
      await access.close().catch(() => {});
    }
  };

  const start = () => {
    startedAt = now().getTime();
    current = probe();
    return current;
  };

  return {
    async get(options = {}) {
      let refused: string | undefined;
      if (!current) {
        await start();
      } else if (options.refresh) {
        const wait = startedAt + interval - now().getTime();
        if (wait <= 0) await start();
        else {
          refused = `probed less than ${Math.round(interval / 1000)} s ago: try again in ${Math.ceil(wait / 1000)} s`;
        }
      }
      const matrix = await (current as Promise<CapabilityMatrix>);
      return {
        ...matrix,
        refreshableAt: new Date(startedAt + interval).toISOString(),
        ...(refused ? { refreshRefused: refused } : {}),
      };
    },
  };
}
