// The composition root: config -> the adapters every command, handler, the dashboard and doctor use.
// Nothing else builds an adapter (test/architecture.test.ts keeps it so): the ports
// (storage/store.ts, catalog/catalog.ts, query/engine.ts, spotify/client.ts) declare interfaces and
// import no adapter; this file picks local or AWS for each from the one Config.
//
// It starts no emulator. A command that wants Spotify and has no credentials starts one
// (src/cli/runtime-for.ts) and hands it in as `deps.emulator`: the config is then pointed at it.
import { fileURLToPath } from 'node:url';
import type { Catalog, RawCrawler } from './catalog/catalog.js';
import { createInProcessCrawler } from './catalog/crawler.js';
import { createGlueCatalog, createGlueCrawler, type GlueClientLike } from './catalog/glue.js';
import { createLocalCatalog } from './catalog/local.js';
import { type AccessTier, type Config, deriveConfig, type Sources } from './config.js';
import { type AwsDeployment, createAwsDeployment } from './doctor/aws-deployment.js';
import { TunelakeError } from './errors.js';
import { createLogger, type Logger } from './log.js';
import type { Notifier } from './notify/notifier.js';
import { createSnsNotifier, type SnsClientLike } from './notify/sns.js';
import type { AthenaClientLike } from './query/athena.js';
import type { QueryEngine } from './query/engine.js';
import { Secret } from './secret.js';
import { SNS_TOPIC_ARN } from './settings.js';
import type { SaveRefreshToken } from './spotify/auth.js';
import { createSpotifyClient, type SpotifyApi } from './spotify/client.js';
import { saveRotatedRefreshToken } from './spotify/login.js';
import { createLocalObjectStore } from './storage/local.js';
import { createS3ObjectStore, type S3ClientLike } from './storage/s3.js';
import { type ObjectStore, parseS3Location } from './storage/store.js';

export type { GlueClientLike } from './catalog/glue.js';
export type { SnsClientLike } from './notify/sns.js';
export type { AthenaClientLike } from './query/athena.js';
export type { S3ClientLike } from './storage/s3.js';

export interface Runtime {
  config: Config;
  store: ObjectStore;
  catalog: Catalog;
  /** Crawls the raw zone: the stack's Glue crawler (TUNELAKE_GLUE_CRAWLER with a Glue catalog) or in-process. */
  crawler: RawCrawler;
  spotify: SpotifyApi;
  logger: Logger;
  /** Set when tunelake runs against a stand-in for Spotify (the built-in emulator). */
  emulator: SpotifyStandIn | undefined;
  /** The pipeline's clock: wall time, or the emulator's simulated time. */
  now: () => Date;
  /** Where the daily brief is published (TUNELAKE_BRIEF_TOPIC_ARN); undefined: nowhere (the default). */
  notifier: Notifier | undefined;
  /** Opens the configured query engine on this lake and catalog; the caller closes it. */
  openEngine(options?: EngineOptions): Promise<QueryEngine>;
  /** The deployed stack's resources (CloudFormation, the schedule, the secret), for doctor. */
  openAwsDeployment(): AwsDeployment;
  close(): Promise<void>;
}

export interface EngineOptions {
  /** Only a single SELECT; DuckDB also loses access to every local file but the lake's tables. */
  readOnly?: boolean;
  /** DuckDB on an S3 lake: where table files are mirrored. Default: a folder per lake under the OS temp dir. */
  cacheDir?: string;
}

/**
 * What the runtime needs of a stand-in for Spotify: the built-in emulator (src/emulator/server.ts)
 * satisfies it. The runtime points the config at it; it never starts or imports one.
 */
export interface SpotifyStandIn {
  readonly url: string;
  readonly apiUrl: string;
  readonly tier: AccessTier;
  /** A refresh token for its demo user. */
  issueRefreshToken(): string;
  /** Sources to watch when none are configured. */
  demoSources(): Sources;
  /** Its clock (the emulator's simulated days). */
  clock(): () => Date;
  close(): Promise<void>;
}

export interface RuntimeDeps {
  logger?: Logger;
  /** Talk to this stand-in instead of Spotify (the demo and tests advance its days). */
  emulator?: SpotifyStandIn;
  /** Close the stand-in with the runtime (the command that started it hands it over). */
  ownsEmulator?: boolean;
  now?: () => Date;
  /** An S3 client for an s3:// lake (tests pass one configured for moto). */
  s3Client?: S3ClientLike;
  /** A Glue client for TUNELAKE_CATALOG=glue and the Glue crawler (tests pass one configured for moto). */
  glueClient?: GlueClientLike;
  /** An Athena client for TUNELAKE_ENGINE=athena (tests pass one configured for moto). */
  athenaClient?: AthenaClientLike;
  /** An SNS client for TUNELAKE_BRIEF_TOPIC_ARN (tests pass one configured for moto). */
  snsClient?: SnsClientLike;
  /**
   * false for commands that never call Spotify (transform, crawl, query): `runtime.spotify` throws if
   * used. Default true.
   */
  spotify?: boolean;
  /**
   * Where a refresh token Spotify rotates is persisted (the Lambda passes its secret's writer).
   * Default: the credentials file when the token came from it; none for SPOTIFY_REFRESH_TOKEN.
   */
  saveRefreshToken?: SaveRefreshToken;
}

/** The emulator's demo app credentials (public: they only open the local emulator). */
export const EMULATOR_CLIENT_ID = 'tunelake-demo';
export const EMULATOR_CLIENT_SECRET = 'tunelake-demo-secret';

export async function createRuntime(config: Config, deps: RuntimeDeps = {}): Promise<Runtime> {
  const logger = deps.logger ?? createLogger({ level: config.logLevel });
  const emulator = deps.emulator;
  const wantsSpotify = deps.spotify !== false;
  const effective = emulator ? pointAtStandIn(config, emulator) : config;

  const now = deps.now ?? (emulator ? emulator.clock() : () => new Date());
  const store = createObjectStore(effective, { logger, s3Client: deps.s3Client });
  const catalog = createCatalog(effective, {
    store,
    logger,
    glueClient: deps.glueClient,
    ...(deps.now ? { now: deps.now } : {}),
  });
  const crawler = createRawCrawler(effective, { store, catalog, logger, glueClient: deps.glueClient });
  const saveRefreshToken =
    deps.saveRefreshToken ??
    (!emulator && config.origins['spotify.refreshToken'] === 'file'
      ? (token: Secret) => saveRotatedRefreshToken(config.credentialsFile, token)
      : undefined);
  const spotify = wantsSpotify
    ? createSpotifyClient(effective, {
        logger,
        now: () => Date.now(),
        ...(saveRefreshToken ? { saveRefreshToken } : {}),
      })
    : noSpotify();
  const notifier = createNotifier(effective, { logger, snsClient: deps.snsClient });
  return {
    config: effective,
    store,
    catalog,
    crawler,
    spotify,
    logger,
    emulator,
    now,
    notifier,
    openEngine: (options = {}) =>
      createQueryEngine(effective, {
        store,
        catalog,
        logger,
        athenaClient: deps.athenaClient,
        readOnly: options.readOnly,
        cacheDir: options.cacheDir,
      }),
    openAwsDeployment: () => createAwsDeployment({ region: effective.awsRegion }),
    async close() {
      await notifier?.close();
      await catalog.close();
      await store.close();
      if (deps.ownsEmulator) await emulator?.close();
    },
  };
}

/** The config of a run against a stand-in: its URLs and demo credentials, a budget to match. */
function pointAtStandIn(config: Config, emulator: SpotifyStandIn): Config {
  return deriveConfig(
    config,
    {
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
      sources: isEmpty(config.sources) ? emulator.demoSources() : config.sources,
    },
    'emulator',
  );
}

// --- the adapters --------------------------------------------------------------------------------

/** The lake: a local folder (`./lake`, `file:///abs/lake`) or `s3://bucket/prefix`. */
export function createObjectStore(
  config: Pick<Config, 'lake' | 's3Endpoint' | 'awsRegion'>,
  deps: { s3Client?: S3ClientLike | undefined; logger?: Logger | undefined } = {},
): ObjectStore {
  const lake = config.lake.trim();
  if (lake.startsWith('s3://')) {
    const { bucket, prefix } = parseS3Location(lake);
    return createS3ObjectStore(
      { bucket, prefix, endpoint: config.s3Endpoint, region: config.awsRegion },
      { s3Client: deps.s3Client, logger: deps.logger },
    );
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(lake) && !lake.startsWith('file://')) {
    throw new TunelakeError(
      'CONFIG_INVALID',
      `Invalid lake "${lake}": expected a local folder, file:///abs/path or s3://bucket/prefix.`,
    );
  }
  const root = lake.startsWith('file://') ? fileURLToPath(lake) : lake;
  return createLocalObjectStore({ root }, { logger: deps.logger });
}

/** The catalog: JSON in the lake (`local`) or AWS Glue (`glue`). */
export function createCatalog(
  config: Pick<Config, 'catalog' | 'lake' | 's3Endpoint' | 'awsRegion'>,
  deps: { store: ObjectStore; glueClient?: GlueClientLike | undefined; logger?: Logger; now?: () => Date },
): Catalog {
  if (config.catalog === 'glue') {
    // The Glue endpoint is AWS's own: TUNELAKE_S3_ENDPOINT names an S3-compatible store, which says
    // nothing about where a Glue-compatible API lives. Tests hand in a client for moto instead.
    return createGlueCatalog(
      { region: config.awsRegion },
      { glueClient: deps.glueClient, logger: deps.logger },
    );
  }
  return createLocalCatalog({}, { store: deps.store, logger: deps.logger, now: deps.now });
}

/** The raw zone's crawler: the stack's Glue crawler when one is named and the catalog is Glue. */
export function createRawCrawler(
  config: Pick<Config, 'cloud' | 'awsRegion'>,
  deps: { store: ObjectStore; catalog: Catalog; logger?: Logger; glueClient?: GlueClientLike | undefined },
): RawCrawler {
  if (config.cloud.glueCrawler && deps.catalog.kind === 'glue') {
    return createGlueCrawler(
      config.cloud.glueCrawler,
      { region: config.awsRegion },
      { glueClient: deps.glueClient },
    );
  }
  return createInProcessCrawler(deps.store, deps.catalog, { logger: deps.logger });
}

/**
 * The query engine: DuckDB on this machine or Amazon Athena. Each is loaded on demand: an Athena user
 * never loads DuckDB's 70 MB binary, and a local user never loads the AWS SDK.
 */
export async function createQueryEngine(
  config: Pick<Config, 'engine' | 'athena' | 'awsRegion'>,
  deps: {
    store: ObjectStore;
    catalog: Catalog;
    logger?: Logger | undefined;
    athenaClient?: AthenaClientLike | undefined;
    readOnly?: boolean | undefined;
    cacheDir?: string | undefined;
  },
): Promise<QueryEngine> {
  if (config.engine === 'athena') {
    if (deps.catalog.kind !== 'glue') {
      deps.logger?.warn(
        'Athena reads the AWS Glue catalog, not the local one: crawl with TUNELAKE_CATALOG=glue so that it sees the tables.',
      );
    }
    const { createAthenaEngine } = await import('./query/athena.js');
    return createAthenaEngine(
      { region: config.awsRegion, ...config.athena },
      { athenaClient: deps.athenaClient, logger: deps.logger, readOnly: deps.readOnly },
    );
  }
  const { createDuckDbEngine } = await import('./query/duckdb-engine.js');
  return createDuckDbEngine(
    { cacheDir: deps.cacheDir },
    { store: deps.store, catalog: deps.catalog, logger: deps.logger, readOnly: deps.readOnly },
  );
}

/** Where the brief goes: the SNS topic TUNELAKE_BRIEF_TOPIC_ARN names (in the topic's own region), or nowhere. */
export function createNotifier(
  config: Pick<Config, 'cloud'>,
  deps: { snsClient?: SnsClientLike | undefined; logger?: Logger | undefined } = {},
): Notifier | undefined {
  const topicArn = config.cloud.briefTopicArn;
  if (topicArn === undefined) return undefined;
  const region = SNS_TOPIC_ARN.exec(topicArn)?.[1];
  if (region === undefined) {
    throw new TunelakeError(
      'CONFIG_INVALID',
      `Invalid TUNELAKE_BRIEF_TOPIC_ARN "${topicArn}": expected an SNS topic ARN.`,
    );
  }
  return createSnsNotifier({ topicArn, region }, { snsClient: deps.snsClient, logger: deps.logger });
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
