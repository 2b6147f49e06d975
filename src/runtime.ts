// The composition root: config -> the adapters every command and handler uses. Nothing else builds
// adapters. Without Spotify credentials the runtime starts the built-in emulator in-process (over
// real HTTP on loopback, so the client is exactly the one that talks to api.spotify.com) and says so.
import { type Catalog, type CatalogDeps, createCatalog } from './catalog/catalog.js';
import { type Config, deriveConfig, type Sources } from './config.js';
import { catalogNowMs, catalogSummary, DAY_MS, EPOCH_MS } from './emulator/catalog.js';
import type { Emulator } from './emulator/server.js';
import { TunelakeError } from './errors.js';
import { createLogger, type Logger } from './log.js';
import { Secret } from './secret.js';
import { createSpotifyClient, type SpotifyApi } from './spotify/client.js';
import { createObjectStore, type ObjectStore, type ObjectStoreDeps } from './storage/store.js';

export interface Runtime {
  config: Config;
  store: ObjectStore;
  catalog: Catalog;
  spotify: SpotifyApi;
  logger: Logger;
  /** Set when tunelake runs against its built-in emulator (no Spotify credentials configured). */
  emulator: Emulator | undefined;
  /** The pipeline's clock: wall time, or the emulator's simulated time. */
  now: () => Date;
  close(): Promise<void>;
}

export interface RuntimeDeps {
  logger?: Logger;
  /** Use this emulator instead of starting one (the demo and tests advance its days). */
  emulator?: Emulator;
  now?: () => Date;
  /** An S3 client for an s3:// lake (tests pass one configured for moto). */
  s3Client?: ObjectStoreDeps['s3Client'];
  /**
   * false for commands that never call Spotify (transform, crawl, query): no emulator is started and
   * `runtime.spotify` throws if used. Default true.
   */
  spotify?: boolean;
  /** A Glue client for TUNELAKE_CATALOG=glue (tests pass one configured for moto). */
  glueClient?: CatalogDeps['glueClient'];
}

/** The emulator's demo app credentials (public: they only open the local emulator). */
export const EMULATOR_CLIENT_ID = 'tunelake-demo';
export const EMULATOR_CLIENT_SECRET = 'tunelake-demo-secret';

export async function createRuntime(config: Config, deps: RuntimeDeps = {}): Promise<Runtime> {
  const logger = deps.logger ?? createLogger({ level: config.logLevel });
  let emulator = deps.emulator;
  let ownsEmulator = false;
  let effective = config;

  const wantsSpotify = deps.spotify !== false;
  if (wantsSpotify && (emulator || !config.spotify.clientId)) {
    if (!emulator) {
      const { Emulator } = await import('./emulator/server.js');
      // The emulated world moves on one simulated day per real day, so runs on later days see history.
      const day = Math.max(0, Math.floor((Date.now() - EPOCH_MS) / DAY_MS));
      emulator = await Emulator.create({ tier: config.spotify.tier, day });
      ownsEmulator = true;
      logger.warn(
        'No SPOTIFY_CLIENT_ID is set: using the built-in Spotify emulator and its generated catalogue ' +
          '(set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET to use the real API).',
        { emulator: emulator.url, tier: emulator.tier },
      );
    }
    effective = deriveConfig(config, {
      spotify: {
        accountsUrl: emulator.url,
        apiUrl: emulator.apiUrl,
        clientId: EMULATOR_CLIENT_ID,
        clientSecret: new Secret(EMULATOR_CLIENT_SECRET),
        refreshToken: new Secret(emulator.issueRefreshToken()),
        tier: emulator.tier,
      },
      // The emulator's own limit is far above the real API's conservative default budget.
      http: {
        rateLimit: Math.max(config.http.rateLimit, 1500),
        concurrency: Math.max(config.http.concurrency, 8),
      },
      sources: isEmpty(config.sources) ? demoSources(emulator) : config.sources,
    });
  }

  const now = deps.now ?? (emulator ? simulatedClock(emulator) : () => new Date());
  const store = createObjectStore(effective, { logger, s3Client: deps.s3Client });
  const catalog = createCatalog(effective, { store, logger, glueClient: deps.glueClient });
  const spotify = wantsSpotify
    ? createSpotifyClient(effective, { logger, now: () => Date.now() })
    : noSpotify();
  return {
    config: effective,
    store,
    catalog,
    spotify,
    logger,
    emulator,
    now,
    async close() {
      await catalog.close();
      await store.close();
      if (ownsEmulator) await emulator?.close();
    },
  };
}

/** The runtime of a command that does not talk to Spotify: using the client is a bug. */
function noSpotify(): SpotifyApi {
  return new Proxy({} as SpotifyApi, {
    get(_target, property) {
      throw new TunelakeError(
        'INTERNAL',
        `This runtime was built without a Spotify client (spotify: false), but spotify.${String(property)} was used.`,
      );
    },
  });
}

function isEmpty(sources: Sources): boolean {
  return (
    sources.playlists.length === 0 &&
    sources.artists.length === 0 &&
    sources.search.length === 0 &&
    !Object.values(sources.me).some(Boolean)
  );
}

/** What the demo watches when no sources are configured: a realistic mix from the emulator's world. */
/**
 * The emulator's simulated time: in the last quarter hour of its current day, moving with the wall
 * clock from the moment the day began, so that the lake's ingestion dates follow the simulated days.
 */
function simulatedClock(emulator: Emulator): () => Date {
  let day = emulator.catalog.day;
  let since = Date.now();
  return () => {
    if (emulator.catalog.day !== day) {
      day = emulator.catalog.day;
      since = Date.now();
    }
    const end = catalogNowMs(emulator.catalog);
    return new Date(Math.min(end, end - 15 * 60_000 + (Date.now() - since)));
  };
}

export function demoSources(emulator: Emulator): Sources {
  const summary = catalogSummary(emulator.catalog);
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
