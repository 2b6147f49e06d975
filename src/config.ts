// The one place that reads process.env. `loadConfig(spec, env)` turns unvalidated input into one
// validated, frozen Config that is passed down explicitly. What the settings are (keys, environment
// variables, types, defaults) is data, in src/settings.ts; this file resolves and assembles them.
//
// Precedence, highest first: explicit arguments (CLI flags, the `spec`), environment variables, the
// config file (tunelake.config.json), defaults. Every problem is reported at once, each with the key
// and the place it came from, and every resolved value remembers its origin (for `tunelake doctor`).
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { TunelakeError } from './errors.js';
import type { LogLevel } from './log.js';
import { maskUrlCredentials, Secret } from './secret.js';
import { parseSettingValue, SETTINGS, type Setting } from './settings.js';
import { parseSpotifyId } from './spotify/ids.js';

export type AccessTier = 'development' | 'extended';
export type EngineName = 'duckdb' | 'athena';
export type CatalogName = 'local' | 'glue';
/** `secret`: fetched at run time from the secret TUNELAKE_SPOTIFY_SECRET_ID names (withSpotifyCredentials). */
export type Origin = 'flag' | 'env' | 'file' | 'default' | 'secret' | 'emulator';

/** Read when no --config or TUNELAKE_CONFIG names a file and the working directory has this one. */
const DEFAULT_CONFIG_FILE = 'tunelake.config.json';

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
  /** --allow-clock-skew: `true` lets a run go on under a skewed clock (with a warning). */
  allowClockSkew?: string | boolean;
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
  /**
   * TUNELAKE_BRIEF_TOPIC_ARN: an SNS topic the catalog function publishes the daily brief to after it
   * refreshes the insights; undefined (the default): no brief is published.
   */
  briefTopicArn: string | undefined;
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
  duckdb: { memoryLimit: string };
  extract: ExtractConfig;
  spotify: SpotifyConfig;
  http: HttpConfig;
  athena: AthenaConfig;
  cloud: CloudConfig;
  sources: Sources;
  /** Where each setting came from, keyed by its dotted name. */
  origins: Readonly<Record<string, Origin>>;
}

export interface ExtractConfig {
  /** TUNELAKE_MAX_RECORD_BYTES: a larger record is quarantined, not landed (src/extract/raw-writer.ts). */
  maxRecordBytes: number;
  /** TUNELAKE_ALLOW_CLOCK_SKEW: a skewed clock warns instead of stopping the run (src/extract/clock.ts). */
  allowClockSkew: boolean;
}

export const EMPTY_SOURCES: Sources = {
  playlists: [],
  artists: [],
  artistIncludeGroups: ['album', 'single'],
  search: [],
  me: { recentlyPlayed: false, topItems: false, savedTracks: false, playlists: false },
};

// The config file's shape, from SETTINGS. Unknown keys are errors: a typo must not silently do nothing.
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
const fileSchema = fileSchemaOf(SETTINGS);
type FileSpec = Record<string, unknown>;

type Env = Readonly<Record<string, string | undefined>>;

/** Builds the one Config from SETTINGS. Throws CONFIG_INVALID listing every problem found. */
export function loadConfig(spec: ConfigSpec = {}, env: Env = process.env): Config {
  const problems: string[] = [];
  const origins: Record<string, Origin> = {};

  const configFileExplicit = spec.configFile ?? nonEmpty(env.TUNELAKE_CONFIG);
  const configFile =
    configFileExplicit ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  origins.configFile =
    spec.configFile !== undefined ? 'flag' : configFileExplicit !== undefined ? 'env' : 'default';
  const file = configFile ? readConfigFile(configFile, problems) : {};

  const values = new Map<string, string | number | undefined>();
  for (const s of SETTINGS) {
    if (s.key === 'configFile' || s.type.kind === 'sources') continue;
    values.set(s.key, resolveSetting(s, spec, env, file, configFile, problems, origins));
  }
  const text = (key: string) => values.get(key) as string | undefined;
  const whole = (key: string) => values.get(key) as number;

  const lake = text('lake')!;
  const credentialsFile = text('credentialsFile')!;
  let refreshValue = text('spotify.refreshToken');
  if (!refreshValue && spec.readStoredCredentials !== false) {
    refreshValue = readStoredRefreshToken(credentialsFile, problems);
    if (refreshValue) origins['spotify.refreshToken'] = 'file';
  }
  const secretValue = text('spotify.clientSecret');
  // A client id without a secret is a public (PKCE) app: it can log in and refresh user tokens; the
  // client says what is missing if it ever needs an app token.
  const spotify: SpotifyConfig = {
    clientId: text('spotify.clientId'),
    clientSecret: secretValue ? new Secret(secretValue) : undefined,
    refreshToken: refreshValue ? new Secret(refreshValue) : undefined,
    accountsUrl: text('spotify.accountsUrl')!,
    apiUrl: text('spotify.apiUrl')!,
    tier: text('spotify.tier') as AccessTier,
    market: text('spotify.market'),
  };
  const http: HttpConfig = {
    rateLimit: whole('http.rateLimit'),
    rateWindowMs: 30_000,
    concurrency: whole('http.concurrency'),
    maxRetries: whole('http.maxRetries'),
    maxRetryAfterSeconds: whole('http.maxRetryAfterSeconds'),
    timeoutMs: whole('http.timeoutMs'),
  };
  const athena: AthenaConfig = {
    workGroup: text('athena.workGroup')!,
    // Athena writes every result to S3: next to the lake unless told otherwise.
    outputLocation:
      text('athena.outputLocation') ??
      (lake.startsWith('s3://') ? `${lake.replace(/\/+$/, '')}/athena-results/` : undefined),
    database: text('athena.database')!,
  };
  const cloud: CloudConfig = {
    spotifySecretId: text('cloud.spotifySecretId'),
    glueCrawler: text('cloud.glueCrawler'),
    tempDir: text('cloud.tempDir'),
    stackName: text('cloud.stackName')!,
    briefTopicArn: text('cloud.briefTopicArn'),
  };

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
    s3Endpoint: text('s3Endpoint'),
    awsRegion: text('awsRegion')!,
    engine: text('engine') as EngineName,
    catalog: text('catalog') as CatalogName,
    logLevel: text('logLevel') as LogLevel,
    duckdb: { memoryLimit: text('duckdb.memoryLimit')! },
    extract: {
      maxRecordBytes: whole('extract.maxRecordBytes'),
      allowClockSkew: text('extract.allowClockSkew') === 'true',
    },
    spotify,
    http,
    athena,
    cloud,
    sources,
    origins,
  });
}

/**
 * One setting's value: the first of its flag, its environment variables and the config file that is
 * set, else its default; records the origin, and every problem with where it came from.
 */
function resolveSetting(
  s: Setting,
  spec: ConfigSpec,
  env: Env,
  file: FileSpec,
  configFile: string | undefined,
  problems: string[],
  origins: Record<string, Origin>,
): string | number | undefined {
  const candidates: Array<{ value: unknown; where: string; origin: Origin }> = [];
  const flag = s.spec ? (spec as Record<string, unknown>)[s.spec] : undefined;
  if (flag !== undefined && flag !== '') {
    candidates.push({ value: flag, where: s.flag ?? `--${kebab(s.key)}`, origin: 'flag' });
  }
  const envName = s.env?.find((name) => nonEmpty(env[name]) !== undefined);
  if (envName) candidates.push({ value: nonEmpty(env[envName]), where: envName, origin: 'env' });
  const fromFile = s.inFile ? valueIn(file, s.key) : undefined;
  if (fromFile !== undefined) {
    candidates.push({ value: fromFile, where: `${configFile}: ${s.key}`, origin: 'file' });
  }
  origins[s.key] = candidates[0]?.origin ?? 'default';
  let result = s.default;
  candidates.forEach((candidate, i) => {
    // The value that counts is the first; a file value hidden by a flag or the environment is still
    // checked (#17): it takes effect as soon as the override goes away.
    if (i > 0 && candidate.origin !== 'file') return;
    // A true/false setting may be a JSON boolean in the file.
    const value = typeof candidate.value === 'boolean' ? String(candidate.value) : candidate.value;
    const parsed = parseSettingValue(s.type, value);
    if (parsed.ok) {
      if (i === 0) result = parsed.value;
      return;
    }
    const shown = maskUrlCredentials(String(candidate.value));
    problems.push(`Invalid ${candidate.where} "${shown}": ${parsed.problem}`);
  });
  return result;
}

/** The config file's schema: every setting settable in the file, at its dotted path, and nothing else. */
function fileSchemaOf(settings: readonly Setting[]): z.ZodType<FileSpec> {
  interface Shape {
    [key: string]: z.ZodType | Shape;
  }
  const shape: Shape = { $schema: z.string().optional() };
  for (const s of settings) {
    if (!s.inFile) continue;
    const path = s.key.split('.');
    let group = shape;
    for (const part of path.slice(0, -1)) {
      group[part] ??= {};
      group = group[part] as Shape;
    }
    group[path.at(-1)!] =
      s.type.kind === 'sources'
        ? z.unknown().optional()
        : s.type.kind === 'int'
          ? z.number().optional()
          : s.type.kind === 'enum' && s.type.values.includes('true')
            ? z.union([z.boolean(), z.string()]).optional()
            : z.string().optional();
  }
  const build = (group: Shape): z.ZodType =>
    z.strictObject(
      Object.fromEntries(
        Object.entries(group).map(([key, value]) => [
          key,
          value instanceof z.ZodType ? value : build(value as Shape).optional(),
        ]),
      ),
    );
  return build(shape) as z.ZodType<FileSpec>;
}

function valueIn(file: FileSpec, key: string): unknown {
  let value: unknown = file;
  for (const part of key.split('.')) {
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  }
  return value;
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
