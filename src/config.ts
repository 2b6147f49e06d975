// The one place that reads process.env. `loadConfig(spec, env)` turns unvalidated input into one
// validated, frozen Config that is passed down explicitly.
//
// Precedence, highest first: explicit arguments (CLI flags, the `spec`), environment variables, the
// config file (tunelake.config.json), defaults. Every problem is reported at once, each with the key
// and the place it came from, and every resolved value remembers its origin (for `tunelake doctor`).
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { TunelakeError } from './errors.js';
import type { LogLevel } from './log.js';
import { maskUrlCredentials, Secret, urlCredentials } from './secret.js';
import { parseSpotifyId } from './spotify/ids.js';

export type AccessTier = 'development' | 'extended';
export type EngineName = 'duckdb' | 'athena';
export type CatalogName = 'local' | 'glue';
/** `secret`: fetched at run time from the secret TUNELAKE_SPOTIFY_SECRET_ID names (withSpotifyCredentials). */
export type Origin = 'flag' | 'env' | 'file' | 'default' | 'secret' | 'emulator';

export const DEFAULT_ACCOUNTS_URL = 'https://accounts.spotify.com';
export const DEFAULT_API_URL = 'https://api.spotify.com/v1';
export const DEFAULT_CONFIG_FILE = 'tunelake.config.json';
export const DEFAULT_CREDENTIALS_FILE = '.tunelake/credentials.json';

/** Unvalidated input from flags (or a caller). Every field is optional; strings as typed by a user. */
export interface ConfigSpec {
  configFile?: string;
  credentialsFile?: string;
  lake?: string;
  s3Endpoint?: string;
  awsRegion?: string;
  engine?: string;
  catalog?: string;
  tier?: string;
  market?: string;
  accountsUrl?: string;
  apiUrl?: string;
  clientId?: string;
  rateLimit?: string | number;
  concurrency?: string | number;
  maxRetries?: string | number;
  maxRetryAfterSeconds?: string | number;
  timeoutMs?: string | number;
  logLevel?: string;
  /** false: do not read the refresh token stored by `tunelake login` (login itself replaces it). */
  readStoredCredentials?: boolean;
  /** Sources given directly (tests, the demo); replaces the file's `sources`. */
  sources?: unknown;
}

export interface SearchSource {
  q: string;
  type: 'album' | 'artist' | 'track' | 'playlist';
  /** Most results to keep per query (paged within the tier's page-size limit). */
  limit: number;
}

export interface Sources {
  playlists: string[];
  artists: string[];
  artistIncludeGroups: Array<'album' | 'single' | 'compilation' | 'appears_on'>;
  search: SearchSource[];
  me: { recentlyPlayed: boolean; topItems: boolean; savedTracks: boolean; playlists: boolean };
}

export interface SpotifyConfig {
  clientId: string | undefined;
  clientSecret: Secret | undefined;
  refreshToken: Secret | undefined;
  accountsUrl: string;
  apiUrl: string;
  tier: AccessTier;
  market: string | undefined;
}

export interface HttpConfig {
  /** Client-side budget: at most this many requests per rolling window. */
  rateLimit: number;
  rateWindowMs: number;
  concurrency: number;
  maxRetries: number;
  /** A 429 asking to wait longer than this stops the run instead of sleeping. */
  maxRetryAfterSeconds: number;
  timeoutMs: number;
}

export interface AthenaConfig {
  /** TUNELAKE_ATHENA_WORKGROUP; default `primary`. */
  workGroup: string;
  /**
   * TUNELAKE_ATHENA_OUTPUT: where Athena writes query results (`s3://bucket/prefix/`, ending in '/').
   * Default `<lake>/athena-results/` for an S3 lake; undefined otherwise (the workgroup's own location).
   */
  outputLocation: string | undefined;
  /** TUNELAKE_ATHENA_DATABASE: the database unqualified table names resolve in; default `tunelake`. */
  database: string;
}

/**
 * Settings of the deployed Lambda functions (the CDK stack sets them; nothing secret): where the Spotify
 * credentials live, which Glue crawler to start when schemas change, where temp files go.
 */
export interface CloudConfig {
  /** TUNELAKE_SPOTIFY_SECRET_ID: a Secrets Manager secret (ARN or name) holding the Spotify credentials. */
  spotifySecretId: string | undefined;
  /** TUNELAKE_GLUE_CRAWLER: the crawler over the raw zone, started when schemas changed. */
  glueCrawler: string | undefined;
  /** TUNELAKE_TEMP_DIR: parent folder of temp files (Lambda: /tmp); undefined: the OS temp folder. */
  tempDir: string | undefined;
  /** TUNELAKE_STACK: the CloudFormation stack `tunelake deploy` creates and `doctor` checks; default `Tunelake`. */
  stackName: string;
}

export interface Config {
  configFile: string | undefined;
  credentialsFile: string;
  /** A local folder, or s3://bucket/prefix. */
  lake: string;
  s3Endpoint: string | undefined;
  awsRegion: string;
  engine: EngineName;
  catalog: CatalogName;
  logLevel: LogLevel;
  /**
   * TUNELAKE_DUCKDB_MEMORY_LIMIT: DuckDB's memory_limit for the transform (e.g. `1GB`); beyond it
   * DuckDB spills to the transform's temp folder. Default `256MB`: with Node's own memory, `run` stays
   * within 512 MiB (docs/incremental.md has the measurements and when to raise it).
   */
  duckdbMemoryLimit: string | undefined;
  spotify: SpotifyConfig;
  http: HttpConfig;
  athena: AthenaConfig;
  cloud: CloudConfig;
  sources: Sources;
  /** Where each setting came from, keyed by its dotted name. */
  origins: Readonly<Record<string, Origin>>;
}

export const EMPTY_SOURCES: Sources = {
  playlists: [],
  artists: [],
  artistIncludeGroups: ['album', 'single'],
  search: [],
  me: { recentlyPlayed: false, topItems: false, savedTracks: false, playlists: false },
};

// The config file's shape. Unknown keys are errors: a typo must not silently do nothing.
const searchSchema = z.strictObject({
  q: z.string().min(1),
  type: z.enum(['album', 'artist', 'track', 'playlist']),
  limit: z.number().int().min(1).max(1000).default(50),
});
const sourcesSchema = z.strictObject({
  playlists: z.array(z.string()).default([]),
  artists: z.array(z.string()).default([]),
  artistIncludeGroups: z
    .array(z.enum(['album', 'single', 'compilation', 'appears_on']))
    .min(1)
    .default(['album', 'single']),
  search: z.array(searchSchema).default([]),
  me: z
    .strictObject({
      recentlyPlayed: z.boolean().default(false),
      topItems: z.boolean().default(false),
      savedTracks: z.boolean().default(false),
      playlists: z.boolean().default(false),
    })
    .default({ recentlyPlayed: false, topItems: false, savedTracks: false, playlists: false }),
});
const fileSchema = z.strictObject({
  $schema: z.string().optional(),
  lake: z.string().optional(),
  s3Endpoint: z.string().optional(),
  awsRegion: z.string().optional(),
  engine: z.string().optional(),
  catalog: z.string().optional(),
  logLevel: z.string().optional(),
  duckdb: z.strictObject({ memoryLimit: z.string().optional() }).optional(),
  spotify: z
    .strictObject({
      clientId: z.string().optional(),
      tier: z.string().optional(),
      market: z.string().optional(),
      accountsUrl: z.string().optional(),
      apiUrl: z.string().optional(),
    })
    .optional(),
  http: z
    .strictObject({
      rateLimit: z.number().optional(),
      concurrency: z.number().optional(),
      maxRetries: z.number().optional(),
      maxRetryAfterSeconds: z.number().optional(),
      timeoutMs: z.number().optional(),
    })
    .optional(),
  athena: z
    .strictObject({
      workGroup: z.string().optional(),
      outputLocation: z.string().optional(),
      database: z.string().optional(),
    })
    .optional(),
  sources: z.unknown().optional(),
});
type FileSpec = z.infer<typeof fileSchema>;

type Env = Readonly<Record<string, string | undefined>>;

/** Builds the one Config. Throws CONFIG_INVALID listing every problem found. */
export function loadConfig(spec: ConfigSpec = {}, env: Env = process.env): Config {
  const problems: string[] = [];
  const origins: Record<string, Origin> = {};

  const configFileExplicit = spec.configFile ?? nonEmpty(env.TUNELAKE_CONFIG);
  const configFile =
    configFileExplicit ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  const file = configFile ? readConfigFile(configFile, problems) : {};

  // pick(): the first of flag, env, file that is set, else the default; remembers the origin.
  const pick = <T>(
    key: string,
    flag: T | undefined,
    envName: string | undefined,
    fromFile: T | undefined,
  ) => {
    const envValue = envName ? nonEmpty(env[envName]) : undefined;
    // A file value hidden by a flag or the environment is still validated (#17): it takes effect
    // as soon as the override goes away.
    const shadow =
      fromFile === undefined ? undefined : { value: fromFile as unknown, where: `${configFile}: ${key}` };
    if (flag !== undefined && flag !== '') {
      origins[key] = 'flag';
      return { value: flag as T | string, where: `--${kebab(key)}`, shadow };
    }
    if (envValue !== undefined) {
      origins[key] = 'env';
      return { value: envValue as T | string, where: envName!, shadow };
    }
    if (fromFile !== undefined) {
      origins[key] = 'file';
      return { value: fromFile as T | string, where: `${configFile}: ${key}` };
    }
    origins[key] = 'default';
    return undefined;
  };

  const oneOf = <T extends string>(picked: Picked, allowed: readonly T[], fallback: T): T => {
    if (!picked) return fallback;
    if (picked.shadow) oneOf(picked.shadow, allowed, fallback);
    const value = String(picked.value);
    if ((allowed as readonly string[]).includes(value)) return value as T;
    problems.push(
      `Invalid ${picked.where} "${value}": expected ${quoteList(allowed)}.${suggest(value, allowed)}`,
    );
    return fallback;
  };
  const int = (picked: Picked, min: number, max: number, fallback: number): number => {
    if (!picked) return fallback;
    if (picked.shadow) int(picked.shadow, min, max, fallback);
    // Decimal digits only: Number() would take "0x10" as 16, "1e3" as 1000 and " " as 0 (#17).
    const text = String(picked.value).trim();
    const n =
      typeof picked.value === 'number' ? picked.value : /^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN;
    if (Number.isInteger(n) && n >= min && n <= max) return n;
    problems.push(
      `Invalid ${picked.where} "${picked.value}": expected a whole number from ${min} to ${max}.`,
    );
    return fallback;
  };
  const url = (picked: Picked, fallback: string): string => {
    if (!picked) return fallback;
    if (picked.shadow) url(picked.shadow, fallback);
    const value = String(picked.value).replace(/\/+$/, '');
    try {
      const parsed = new URL(value);
      if ((parsed.protocol === 'http:' || parsed.protocol === 'https:') && urlCredentials(parsed)) {
        problems.push(
          `Invalid ${picked.where} "${maskUrlCredentials(value)}": a URL must not carry credentials (user:password@). ` +
            'Remove them from the URL; Spotify credentials go in SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET.',
        );
        return fallback;
      }
      if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return value;
    } catch {}
    problems.push(
      `Invalid ${picked.where} "${maskUrlCredentials(String(picked.value))}": expected an http(s) URL such as ${fallback}.`,
    );
    return fallback;
  };

  const lakePicked = pick('lake', spec.lake, 'TUNELAKE_LAKE', file.lake);
  const lake = lakePicked ? String(lakePicked.value) : './lake';
  if (lake.startsWith('s3://') && !/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(lake)) {
    problems.push(
      `Invalid ${lakePicked?.where} "${lake}": expected s3://bucket[/prefix] with a valid bucket name, or a local folder.`,
    );
  }
  const s3EndpointPicked = pick('s3Endpoint', spec.s3Endpoint, 'TUNELAKE_S3_ENDPOINT', file.s3Endpoint);
  const s3Endpoint = s3EndpointPicked ? url(s3EndpointPicked, 'http://127.0.0.1:5000') : undefined;
  const regionPicked =
    pick('awsRegion', spec.awsRegion, 'AWS_REGION', file.awsRegion) ??
    (nonEmpty(env.AWS_DEFAULT_REGION)
      ? { value: env.AWS_DEFAULT_REGION!, where: 'AWS_DEFAULT_REGION' }
      : undefined);
  const engine = oneOf(pick('engine', spec.engine, 'TUNELAKE_ENGINE', file.engine), ENGINES, 'duckdb');
  const catalog = oneOf(pick('catalog', spec.catalog, 'TUNELAKE_CATALOG', file.catalog), CATALOGS, 'local');
  const logLevel = oneOf(
    pick('logLevel', spec.logLevel, 'TUNELAKE_LOG_LEVEL', file.logLevel),
    LOG_LEVELS,
    'info',
  );

  const memoryPicked = pick(
    'duckdb.memoryLimit',
    undefined,
    'TUNELAKE_DUCKDB_MEMORY_LIMIT',
    file.duckdb?.memoryLimit,
  );
  let duckdbMemoryLimit: string | undefined = '256MB';
  if (memoryPicked) {
    const value = String(memoryPicked.value).trim();
    // Validated here, not by DuckDB mid-run: a typo must fail before anything is fetched.
    if (/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(value)) duckdbMemoryLimit = value;
    else
      problems.push(
        `Invalid ${memoryPicked.where} "${memoryPicked.value}": expected a size such as 512MB, 2GB or 1.5GiB.`,
      );
  }

  const sf = file.spotify ?? {};
  const tier = oneOf(pick('spotify.tier', spec.tier, 'SPOTIFY_ACCESS_TIER', sf.tier), TIERS, 'development');
  const marketPicked = pick('spotify.market', spec.market, 'SPOTIFY_MARKET', sf.market);
  let market: string | undefined;
  if (marketPicked) {
    market = String(marketPicked.value).toUpperCase();
    if (!/^[A-Z]{2}$/.test(market)) {
      problems.push(
        `Invalid ${marketPicked.where} "${marketPicked.value}": expected an ISO 3166-1 alpha-2 code such as SE.`,
      );
      market = undefined;
    }
  }
  const clientIdPicked = pick('spotify.clientId', spec.clientId, 'SPOTIFY_CLIENT_ID', sf.clientId);
  const secretValue = nonEmpty(env.SPOTIFY_CLIENT_SECRET);
  origins['spotify.clientSecret'] = secretValue ? 'env' : 'default';

  const credentialsFile =
    spec.credentialsFile ?? nonEmpty(env.TUNELAKE_CREDENTIALS) ?? DEFAULT_CREDENTIALS_FILE;
  let refreshValue = nonEmpty(env.SPOTIFY_REFRESH_TOKEN);
  origins['spotify.refreshToken'] = refreshValue ? 'env' : 'default';
  if (!refreshValue && spec.readStoredCredentials !== false) {
    refreshValue = readStoredRefreshToken(credentialsFile, problems);
    if (refreshValue) origins['spotify.refreshToken'] = 'file';
  }

  const hf = file.http ?? {};
  const http: HttpConfig = {
    rateLimit: int(
      pick('http.rateLimit', spec.rateLimit, 'TUNELAKE_RATE_LIMIT', hf.rateLimit),
      1,
      100_000,
      100,
    ),
    rateWindowMs: 30_000,
    concurrency: int(
      pick('http.concurrency', spec.concurrency, 'TUNELAKE_CONCURRENCY', hf.concurrency),
      1,
      64,
      4,
    ),
    maxRetries: int(
      pick('http.maxRetries', spec.maxRetries, 'TUNELAKE_MAX_RETRIES', hf.maxRetries),
      0,
      20,
      5,
    ),
    maxRetryAfterSeconds: int(
      pick(
        'http.maxRetryAfterSeconds',
        spec.maxRetryAfterSeconds,
        'TUNELAKE_MAX_RETRY_AFTER',
        hf.maxRetryAfterSeconds,
      ),
      0,
      86_400,
      120,
    ),
    timeoutMs: int(
      pick('http.timeoutMs', spec.timeoutMs, 'TUNELAKE_HTTP_TIMEOUT_MS', hf.timeoutMs),
      100,
      600_000,
      30_000,
    ),
  };

  const spotify: SpotifyConfig = {
    clientId: clientIdPicked ? String(clientIdPicked.value) : undefined,
    clientSecret: secretValue ? new Secret(secretValue) : undefined,
    refreshToken: refreshValue ? new Secret(refreshValue) : undefined,
    accountsUrl: url(
      pick('spotify.accountsUrl', spec.accountsUrl, 'SPOTIFY_ACCOUNTS_URL', sf.accountsUrl),
      DEFAULT_ACCOUNTS_URL,
    ),
    apiUrl: url(pick('spotify.apiUrl', spec.apiUrl, 'SPOTIFY_API_URL', sf.apiUrl), DEFAULT_API_URL),
    tier,
    market,
  };
  const af = file.athena ?? {};
  const workGroupPicked = pick('athena.workGroup', undefined, 'TUNELAKE_ATHENA_WORKGROUP', af.workGroup);
  let workGroup = workGroupPicked ? String(workGroupPicked.value) : 'primary';
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(workGroup)) {
    problems.push(
      `Invalid ${workGroupPicked?.where} "${workGroup}": expected an Athena workgroup name (1-128 letters, digits, '.', '_' or '-').`,
    );
    workGroup = 'primary';
  }
  const outputPicked = pick('athena.outputLocation', undefined, 'TUNELAKE_ATHENA_OUTPUT', af.outputLocation);
  let outputLocation: string | undefined;
  if (outputPicked) {
    const value = String(outputPicked.value);
    if (/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(value)) {
      outputLocation = value.endsWith('/') ? value : `${value}/`;
    } else {
      problems.push(
        `Invalid ${outputPicked.where} "${value}": expected an S3 location for Athena's query results, such as s3://bucket/athena-results/.`,
      );
    }
  } else if (lake.startsWith('s3://')) {
    // Athena writes every result to S3: next to the lake unless told otherwise.
    outputLocation = `${lake.replace(/\/+$/, '')}/athena-results/`;
  }
  const databasePicked = pick('athena.database', undefined, 'TUNELAKE_ATHENA_DATABASE', af.database);
  let database = databasePicked ? String(databasePicked.value).toLowerCase() : 'tunelake';
  if (!/^[a-z0-9_]{1,255}$/.test(database)) {
    problems.push(
      `Invalid ${databasePicked?.where} "${databasePicked?.value}": expected a Glue database name (letters, digits and '_').`,
    );
    database = 'tunelake';
  }
  const athena: AthenaConfig = { workGroup, outputLocation, database };

  const secretIdPicked = pick('cloud.spotifySecretId', undefined, 'TUNELAKE_SPOTIFY_SECRET_ID', undefined);
  const crawlerPicked = pick('cloud.glueCrawler', undefined, 'TUNELAKE_GLUE_CRAWLER', undefined);
  let glueCrawler = crawlerPicked ? String(crawlerPicked.value) : undefined;
  if (glueCrawler !== undefined && !/^[\p{L}\p{N}._-]{1,255}$/u.test(glueCrawler)) {
    problems.push(
      `Invalid ${crawlerPicked?.where} "${glueCrawler}": expected a Glue crawler name (letters, digits, '.', '_' or '-').`,
    );
    glueCrawler = undefined;
  }
  const tempDirPicked = pick('cloud.tempDir', undefined, 'TUNELAKE_TEMP_DIR', undefined);
  const stackPicked = pick('cloud.stackName', undefined, 'TUNELAKE_STACK', undefined);
  let stackName = stackPicked ? String(stackPicked.value) : 'Tunelake';
  if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(stackName)) {
    problems.push(
      `Invalid ${stackPicked?.where} "${stackName}": expected a CloudFormation stack name (letters, digits, '-').`,
    );
    stackName = 'Tunelake';
  }
  const cloud: CloudConfig = {
    spotifySecretId: secretIdPicked ? String(secretIdPicked.value) : undefined,
    glueCrawler,
    tempDir: tempDirPicked ? String(tempDirPicked.value) : undefined,
    stackName,
  };

  // A client id without a secret is a public (PKCE) app: it can log in and refresh user tokens; the
  // client says what is missing if it ever needs an app token.

  const sourcesInput = spec.sources ?? file.sources;
  origins.sources = spec.sources !== undefined ? 'flag' : file.sources !== undefined ? 'file' : 'default';
  const sources =
    sourcesInput === undefined ? EMPTY_SOURCES : parseSources(sourcesInput, configFile, problems);

  if (problems.length > 0) {
    problems.splice(0, problems.length, ...problems.map(clipQuoted));
    throw new TunelakeError(
      'CONFIG_INVALID',
      problems.length === 1
        ? problems[0]!
        : `${problems.length} problems in the configuration:\n- ${problems.join('\n- ')}`,
      { details: { problems } },
    );
  }

  return deepFreeze({
    configFile,
    credentialsFile,
    lake,
    s3Endpoint,
    awsRegion: regionPicked ? String(regionPicked.value) : 'us-east-1',
    engine,
    catalog,
    logLevel,
    duckdbMemoryLimit,
    spotify,
    http,
    athena,
    cloud,
    sources,
    origins,
  });
}

/**
 * A copy of a validated config with some parts replaced (the runtime points the Spotify settings at
 * the built-in emulator this way). The result is frozen like the original.
 */
export function deriveConfig(
  config: Config,
  patch: { spotify?: Partial<SpotifyConfig>; http?: Partial<HttpConfig>; sources?: Sources },
  /** The origin of every value the patch changes (doctor reports it); default: origins unchanged. */
  origin?: Origin,
): Config {
  const origins = { ...config.origins };
  if (origin) {
    const changed = (group: 'spotify' | 'http', values: object | undefined) => {
      for (const [key, value] of Object.entries(values ?? {})) {
        if (value !== (config[group] as unknown as Record<string, unknown>)[key])
          origins[`${group}.${key}`] = origin;
      }
    };
    changed('spotify', patch.spotify);
    changed('http', patch.http);
    if (patch.sources && patch.sources !== config.sources) origins.sources = origin;
  }
  return deepFreeze({
    ...config,
    spotify: { ...config.spotify, ...patch.spotify },
    http: { ...config.http, ...patch.http },
    sources: patch.sources ?? config.sources,
    origins,
  });
}

/** Spotify credentials fetched at run time (the Lambda reads them from Secrets Manager). */
export interface SpotifyCredentials {
  clientId: string;
  clientSecret: string | undefined;
  refreshToken: string | undefined;
}

/**
 * The config with Spotify credentials fetched at run time (never from the environment) in place of
 * the configured ones; their origin is `secret`. The values become Secrets, so logs redact them.
 */
export function withSpotifyCredentials(config: Config, credentials: SpotifyCredentials): Config {
  const derived = deriveConfig(config, {
    spotify: {
      clientId: credentials.clientId,
      clientSecret: credentials.clientSecret ? new Secret(credentials.clientSecret) : undefined,
      refreshToken: credentials.refreshToken ? new Secret(credentials.refreshToken) : undefined,
    },
  });
  return deepFreeze({
    ...derived,
    origins: {
      ...config.origins,
      'spotify.clientId': 'secret',
      'spotify.clientSecret': credentials.clientSecret ? 'secret' : 'default',
      'spotify.refreshToken': credentials.refreshToken ? 'secret' : 'default',
    },
  });
}

type Picked = { value: unknown; where: string; shadow?: Picked } | undefined;

const ENGINES = ['duckdb', 'athena'] as const;
const CATALOGS = ['local', 'glue'] as const;
const TIERS = ['development', 'extended'] as const;
const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

function readConfigFile(path: string, problems: string[]): FileSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : String(error);
    problems.push(`Cannot read config file ${resolve(path)}: ${reason}.`);
    return {};
  }
  // A UTF-8 byte order mark (Windows editors write one) is not JSON, but not a mistake either (#17).
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    problems.push(`Config file ${path} is not valid JSON: ${(error as Error).message}.`);
    return {};
  }
  // JSON.parse keeps the last of two equal keys: a second "sources" silently dropped the first.
  for (const { key, at } of duplicateKeys(text)) {
    problems.push(
      `Config file ${path} has the key "${key}" twice at ${at}; only the last would count. Merge them into one.`,
    );
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${path}: ${describeIssue(issue)}`);
    // Still validate the sources, so one run of the command lists every problem in the file.
    const sources = json && typeof json === 'object' ? (json as { sources?: unknown }).sources : undefined;
    return sources === undefined ? {} : { sources };
  }
  return parsed.data;
}

function parseSources(input: unknown, configFile: string | undefined, problems: string[]): Sources {
  const where = configFile ?? 'sources';
  const ids = (list: unknown, type: 'playlist' | 'artist', key: string): string[] => {
    const out: string[] = [];
    if (!Array.isArray(list)) return out;
    list.forEach((value, i) => {
      if (typeof value !== 'string') return; // reported by the schema
      try {
        const id = parseSpotifyId(value, type);
        if (!out.includes(id)) out.push(id);
      } catch (error) {
        problems.push(`${where}: sources.${key}[${i}]: ${(error as Error).message}`);
      }
    });
    return out;
  };
  // Ids are checked even when another part of the sources is malformed: one run lists every problem.
  const raw = (input && typeof input === 'object' ? input : {}) as { playlists?: unknown; artists?: unknown };
  const playlists = ids(raw.playlists, 'playlist', 'playlists');
  const artists = ids(raw.artists, 'artist', 'artists');
  const parsed = sourcesSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(`${where}: ${describeIssue({ ...issue, path: ['sources', ...issue.path] })}`);
    }
    return EMPTY_SOURCES;
  }
  return { ...parsed.data, playlists, artists };
}

function readStoredRefreshToken(path: string, problems: string[]): string | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const stored = JSON.parse(readFileSync(path, 'utf8')) as { refresh_token?: unknown };
    if (typeof stored.refresh_token === 'string' && stored.refresh_token.length > 0)
      return stored.refresh_token;
    problems.push(`Credentials file ${path} has no "refresh_token": run \`tunelake login\` again.`);
  } catch (error) {
    problems.push(`Cannot read credentials file ${path}: ${(error as Error).message}.`);
  }
  return undefined;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
  if (issue.code === 'unrecognized_keys') {
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} at ${path}.`;
  }
  return `${path}: ${issue.message}.`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function kebab(key: string): string {
  const last = key.split('.').pop() ?? key;
  return last.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function quoteList(values: readonly string[]): string {
  const quoted = values.map((v) => `"${v}"`);
  return quoted.length <= 2 ? quoted.join(' or ') : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
}

/** " Did you mean "duckdb"?" when the value is one or two edits away from an allowed one. */
function suggest(value: string, allowed: readonly string[]): string {
  const best = allowed
    .map((a) => ({ a, d: editDistance(value.toLowerCase(), a) }))
    .sort((x, y) => x.d - y.d)[0];
  return best && best.d <= 2 ? ` Did you mean "${best.a}"?` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !(value instanceof Secret) && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** A quoted value longer than 200 characters in a message, shortened (#17: a 20 kB bad id was echoed whole). */
function clipQuoted(message: string): string {
  return message.replace(
    /"([^"]{200,})"/g,
    (_all, value: string) => `"${value.slice(0, 80)}..." (${value.length} characters)`,
  );
}

/** Keys that appear twice in one object of a JSON text (already known to be valid JSON), with their path. */
export function duplicateKeys(text: string): Array<{ key: string; at: string }> {
  const found: Array<{ key: string; at: string }> = [];
  // One frame per open object or array: the keys seen so far (objects) and the path to it.
  const stack: Array<{ keys: Set<string> | undefined; path: string; key?: string }> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const frame = stack.at(-1);
      if (expectKey && frame?.keys) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (frame.keys.has(key)) found.push({ key, at: frame.path || '(root)' });
        frame.keys.add(key);
        frame.key = key;
        expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      const parent = stack.at(-1);
      const name = parent?.keys ? (parent.key ?? '') : '[]';
      const path = parent ? (parent.path ? `${parent.path}.${name}` : name) : '';
      stack.push({ keys: c === '{' ? new Set() : undefined, path });
      expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      expectKey = stack.at(-1)?.keys !== undefined;
    }
  }
  return found;
}
