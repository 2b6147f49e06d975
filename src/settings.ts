// Every setting tunelake has, as data: its key (the dotted name in the config file and in `doctor`),
// its environment variable, its command-line flag, its type, its default, what it means and whether it
// is secret. `loadConfig` (src/config.ts) resolves and validates the configuration from this table,
// `doctor` reports each value with its origin from it, and the README's configuration table is
// generated from it (`npm run docs:settings`; src/settings.test.ts fails when the README drifts).

import { urlCredentials } from './secret.js';

/** How a setting's value is read and checked. */
export type SettingType =
  /** Any non-empty text. */
  | { kind: 'text' }
  /** Text matching `pattern` (after `normalise`); `expected` finishes "expected ..." in the error. */
  | {
      kind: 'name';
      pattern: RegExp;
      expected: string;
      /** What it is, for the README's "accepts" column. */
      label: string;
      normalise?: 'lower' | 'upper' | 'trailingSlash';
    }
  | { kind: 'enum'; values: readonly string[] }
  /** A whole number in decimal digits from `min` to `max`. */
  | { kind: 'int'; min: number; max: number }
  /** An http(s) URL without credentials; `example` is shown in the error. */
  | { kind: 'url'; example: string }
  /** A memory size such as 512MB or 1.5GiB. */
  | { kind: 'size' }
  /** A secret value (environment only): masked everywhere it is printed. */
  | { kind: 'secret' }
  /** The watchlist: an object validated by its own schema (src/config.ts). */
  | { kind: 'sources' };

export interface Setting {
  /** Dotted key: the config file's path to it and the name `doctor` reports. */
  key: string;
  /** Environment variables, first set wins. */
  env?: readonly string[];
  /** The ConfigSpec field a command-line flag (or a caller) fills. */
  spec?: string;
  /** The command-line flag that fills `spec`, for the docs. */
  flag?: string;
  /** Settable in tunelake.config.json. */
  inFile: boolean;
  type: SettingType;
  /** The default value; undefined: unset. */
  default?: string | number;
  /** The default as the README states it (when it is not simply `default`). */
  defaultText?: string;
  /** What it means, one line for the README. */
  description: string;
  /** Never printed in full: logs, errors and doctor mask it. */
  secret?: boolean;
}

const ENGINES = ['duckdb', 'athena'] as const;
const CATALOGS = ['local', 'glue'] as const;
const TIERS = ['development', 'extended'] as const;
const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
const S3_LOCATION = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/;

/** arn:<partition>:sns:<region>:<account>:<topic>; the region is where the brief is published. */
export const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

export const SETTINGS: readonly Setting[] = [
  {
    key: 'spotify.clientId',
    env: ['SPOTIFY_CLIENT_ID'],
    spec: 'clientId',
    inFile: true,
    type: { kind: 'text' },
    description: "your app's client id (Spotify developer dashboard); unset: the built-in emulator",
  },
  {
    key: 'spotify.clientSecret',
    env: ['SPOTIFY_CLIENT_SECRET'],
    inFile: false,
    type: { kind: 'secret' },
    secret: true,
    description: "your app's client secret (environment only); unset: a public (PKCE) app",
  },
  {
    key: 'spotify.refreshToken',
    env: ['SPOTIFY_REFRESH_TOKEN'],
    inFile: false,
    type: { kind: 'secret' },
    secret: true,
    defaultText: 'the credentials file, if `tunelake login --save` wrote one',
    description: "a user's authorisation, for the `me` sources (expires 6 months after login)",
  },
  {
    key: 'credentialsFile',
    env: ['TUNELAKE_CREDENTIALS'],
    spec: 'credentialsFile',
    inFile: false,
    type: { kind: 'text' },
    default: '.tunelake/credentials.json',
    description: 'where `tunelake login --save` keeps the refresh token',
  },
  {
    key: 'configFile',
    env: ['TUNELAKE_CONFIG'],
    spec: 'configFile',
    flag: '--config',
    inFile: false,
    type: { kind: 'text' },
    defaultText: '`tunelake.config.json` if the working directory has one',
    description: 'the config file',
  },
  {
    key: 'spotify.accountsUrl',
    env: ['SPOTIFY_ACCOUNTS_URL'],
    spec: 'accountsUrl',
    inFile: true,
    type: { kind: 'url', example: 'https://accounts.spotify.com' },
    default: 'https://accounts.spotify.com',
    description: "Spotify's accounts service (tokens)",
  },
  {
    key: 'spotify.apiUrl',
    env: ['SPOTIFY_API_URL'],
    spec: 'apiUrl',
    inFile: true,
    type: { kind: 'url', example: 'https://api.spotify.com/v1' },
    default: 'https://api.spotify.com/v1',
    description: 'the Web API base URL',
  },
  {
    key: 'spotify.tier',
    env: ['SPOTIFY_ACCESS_TIER'],
    spec: 'tier',
    flag: '--tier',
    inFile: true,
    type: { kind: 'enum', values: TIERS },
    default: 'development',
    description: "your app's access tier: what the extract may ask for (docs/spotify-api.md)",
  },
  {
    key: 'spotify.market',
    env: ['SPOTIFY_MARKET'],
    spec: 'market',
    inFile: true,
    type: {
      kind: 'name',
      pattern: /^[A-Z]{2}$/,
      expected: 'an ISO 3166-1 alpha-2 code such as SE',
      label: 'a country code (`SE`)',
      normalise: 'upper',
    },
    defaultText: "unset: the user's country",
    description: 'the market for track relinking',
  },
  {
    key: 'lake',
    env: ['TUNELAKE_LAKE'],
    spec: 'lake',
    flag: '--lake',
    inFile: true,
    type: {
      kind: 'name',
      // A local folder (anything not starting with s3://), or an S3 location with a valid bucket name.
      pattern: new RegExp(`^(?!s3://)[\\s\\S]*$|${S3_LOCATION.source}`),
      expected: 's3://bucket[/prefix] with a valid bucket name, or a local folder',
      label: 'a folder or `s3://` location',
    },
    default: './lake',
    description: 'a local folder or `s3://bucket/prefix`',
  },
  {
    key: 's3Endpoint',
    env: ['TUNELAKE_S3_ENDPOINT'],
    spec: 's3Endpoint',
    inFile: true,
    type: { kind: 'url', example: 'http://127.0.0.1:5000' },
    defaultText: 'AWS',
    description: 'any S3-compatible endpoint',
  },
  {
    key: 'awsRegion',
    env: ['AWS_REGION', 'AWS_DEFAULT_REGION'],
    spec: 'awsRegion',
    flag: '--region',
    inFile: true,
    type: { kind: 'text' },
    default: 'us-east-1',
    description: 'the AWS region of the bucket, Glue, Athena and the stack',
  },
  {
    key: 'engine',
    env: ['TUNELAKE_ENGINE'],
    spec: 'engine',
    flag: '--engine',
    inFile: true,
    type: { kind: 'enum', values: ENGINES },
    default: 'duckdb',
    description: 'the query engine',
  },
  {
    key: 'catalog',
    env: ['TUNELAKE_CATALOG'],
    spec: 'catalog',
    flag: '--catalog',
    inFile: true,
    type: { kind: 'enum', values: CATALOGS },
    default: 'local',
    description: 'the table catalog: a file in the lake, or AWS Glue',
  },
  {
    key: 'logLevel',
    env: ['TUNELAKE_LOG_LEVEL'],
    spec: 'logLevel',
    inFile: true,
    type: { kind: 'enum', values: LOG_LEVELS },
    default: 'info',
    defaultText: '`info` (the CLI shows warnings unless set)',
    description: 'how much the logs say',
  },
  {
    key: 'duckdb.memoryLimit',
    env: ['TUNELAKE_DUCKDB_MEMORY_LIMIT'],
    inFile: true,
    type: { kind: 'size' },
    default: '256MB',
    description:
      "DuckDB's memory limit for the transform (`1GB`, `512MB`); beyond it DuckDB spills to disk, and a full rebuild reads the raw zone in batches of a sixteenth of it (raw bytes). The deployed transform function uses `2GB`",
  },
  {
    key: 'http.rateLimit',
    env: ['TUNELAKE_RATE_LIMIT'],
    spec: 'rateLimit',
    inFile: true,
    type: { kind: 'int', min: 1, max: 100_000 },
    default: 100,
    description: 'client-side budget: requests per rolling 30 s',
  },
  {
    key: 'http.concurrency',
    env: ['TUNELAKE_CONCURRENCY'],
    spec: 'concurrency',
    inFile: true,
    type: { kind: 'int', min: 1, max: 64 },
    default: 4,
    description: 'requests in flight at most',
  },
  {
    key: 'http.maxRetries',
    env: ['TUNELAKE_MAX_RETRIES'],
    spec: 'maxRetries',
    inFile: true,
    type: { kind: 'int', min: 0, max: 20 },
    default: 5,
    description: 'retries of a 5xx, reset or truncated response',
  },
  {
    key: 'http.maxRetryAfterSeconds',
    env: ['TUNELAKE_MAX_RETRY_AFTER'],
    spec: 'maxRetryAfterSeconds',
    inFile: true,
    type: { kind: 'int', min: 0, max: 86_400 },
    default: 120,
    description: 'a 429 asking to wait longer (seconds) stops the run instead of sleeping',
  },
  {
    key: 'http.timeoutMs',
    env: ['TUNELAKE_HTTP_TIMEOUT_MS'],
    spec: 'timeoutMs',
    inFile: true,
    type: { kind: 'int', min: 100, max: 600_000 },
    default: 30_000,
    description: 'per-request timeout (milliseconds)',
  },
  {
    key: 'extract.maxRecordBytes',
    env: ['TUNELAKE_MAX_RECORD_BYTES'],
    inFile: true,
    // At most 16 MB: the transform's JSON reader (DuckDB maximum_object_size) reads lines up to 16 MiB.
    type: { kind: 'int', min: 10_000, max: 16_000_000 },
    default: 10_000_000,
    description:
      'a single API record larger than this (bytes of its raw line) is quarantined, not landed: listed in `quarantine/raw/`, counted and warned about',
  },
  {
    key: 'extract.allowClockSkew',
    env: ['TUNELAKE_ALLOW_CLOCK_SKEW'],
    spec: 'allowClockSkew',
    flag: '--allow-clock-skew',
    inFile: true,
    type: { kind: 'enum', values: ['false', 'true'] },
    default: 'false',
    description:
      "`true`: a run goes on (with a warning) when the clock is more than 5 minutes off Spotify's `Date` header, or more than 5 minutes earlier than the last committed run's start; else it stops with exit 9",
  },
  {
    key: 'athena.workGroup',
    env: ['TUNELAKE_ATHENA_WORKGROUP'],
    inFile: true,
    type: {
      kind: 'name',
      pattern: /^[A-Za-z0-9._-]{1,128}$/,
      expected: "an Athena workgroup name (1-128 letters, digits, '.', '_' or '-')",
      label: 'a workgroup name',
    },
    default: 'primary',
    description: 'the Athena workgroup',
  },
  {
    key: 'athena.outputLocation',
    env: ['TUNELAKE_ATHENA_OUTPUT'],
    inFile: true,
    type: {
      kind: 'name',
      pattern: S3_LOCATION,
      expected: "an S3 location for Athena's query results, such as s3://bucket/athena-results/",
      label: 'an `s3://` location',
      normalise: 'trailingSlash',
    },
    defaultText: "`<lake>/athena-results/` for an S3 lake; else the workgroup's own",
    description: 'where Athena writes query results (`s3://...`)',
  },
  {
    key: 'athena.database',
    env: ['TUNELAKE_ATHENA_DATABASE'],
    inFile: true,
    type: {
      kind: 'name',
      pattern: /^[a-z0-9_]{1,255}$/,
      expected: "a Glue database name (letters, digits and '_')",
      label: 'a Glue database name',
      normalise: 'lower',
    },
    default: 'tunelake',
    description: 'the database unqualified table names resolve in',
  },
  {
    key: 'cloud.spotifySecretId',
    env: ['TUNELAKE_SPOTIFY_SECRET_ID'],
    inFile: false,
    type: { kind: 'text' },
    description:
      'a Secrets Manager secret (ARN or name) with `{"client_id","client_secret","refresh_token"}`: the Lambda functions read the credentials from it',
  },
  {
    key: 'cloud.glueCrawler',
    env: ['TUNELAKE_GLUE_CRAWLER'],
    inFile: false,
    type: {
      kind: 'name',
      pattern: /^[\p{L}\p{N}._-]{1,255}$/u,
      expected: "a Glue crawler name (letters, digits, '.', '_' or '-')",
      label: 'a Glue crawler name',
    },
    defaultText: 'unset: crawl in-process',
    description: 'the Glue crawler the catalog function starts when a raw schema changed',
  },
  {
    key: 'cloud.stackName',
    env: ['TUNELAKE_STACK'],
    inFile: false,
    type: {
      kind: 'name',
      pattern: /^[A-Za-z][A-Za-z0-9-]{0,127}$/,
      expected: "a CloudFormation stack name (letters, digits, '-')",
      label: 'a stack name',
    },
    default: 'Tunelake',
    description: 'the CloudFormation stack `deploy` and `doctor` use',
  },
  {
    key: 'cloud.briefTopicArn',
    env: ['TUNELAKE_BRIEF_TOPIC_ARN'],
    inFile: false,
    type: {
      kind: 'name',
      pattern: SNS_TOPIC_ARN,
      expected:
        'an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:tunelake-alarms, or unset to publish no brief',
      label: 'an SNS topic ARN',
    },
    defaultText: 'unset: no brief is published',
    description:
      "an SNS topic the catalog function publishes the daily brief to after refreshing the insights (stack context `publishBrief=true` sets it to the stack's topic)",
  },
  {
    key: 'cloud.tempDir',
    env: ['TUNELAKE_TEMP_DIR'],
    inFile: false,
    type: { kind: 'text' },
    defaultText: 'the OS temp folder (`TMPDIR`)',
    description:
      'parent folder of temp files, for every command and the Lambda functions (`/tmp` there); it, or `TMPDIR`, must be a writable folder (else exit 2)',
  },
  {
    key: 'sources',
    inFile: true,
    type: { kind: 'sources' },
    defaultText: 'none (the emulator: its demo watchlist)',
    description:
      'the watchlist: `playlists`, `artists`, `artistIncludeGroups`, `search`, `me` (see tunelake.config.example.json)',
  },
];

/** The setting with this key; throws for an unknown key (a programming error). */
export function setting(key: string): Setting {
  const found = SETTINGS.find((s) => s.key === key);
  if (!found) throw new Error(`unknown setting ${key}`);
  return found;
}

/** The outcome of reading one value: the value, or what is wrong with it. */
export type Parsed = { ok: true; value: string | number } | { ok: false; problem: string };

/** Reads one raw value (text from a flag or the environment, or a JSON value from the file). */
export function parseSettingValue(type: SettingType, raw: unknown): Parsed {
  switch (type.kind) {
    case 'text':
    case 'secret':
      return { ok: true, value: String(raw) };
    case 'sources':
      return { ok: true, value: '' };
    case 'enum': {
      const value = String(raw);
      if (type.values.includes(value)) return { ok: true, value };
      return { ok: false, problem: `expected ${quoteList(type.values)}.${suggest(value, type.values)}` };
    }
    case 'int': {
      // Decimal digits only: Number() would take "0x10" as 16, "1e3" as 1000 and " " as 0 (#17).
      const text = String(raw).trim();
      const n = typeof raw === 'number' ? raw : /^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN;
      if (Number.isInteger(n) && n >= type.min && n <= type.max) return { ok: true, value: n };
      return { ok: false, problem: `expected a whole number from ${type.min} to ${type.max}.` };
    }
    case 'size': {
      const value = String(raw).trim();
      // Checked here, not by DuckDB mid-run: a typo must fail before anything is fetched.
      if (sizeInBytes(value) !== undefined) return { ok: true, value };
      return { ok: false, problem: 'expected a size such as 512MB, 2GB or 1.5GiB.' };
    }
    case 'url': {
      const value = String(raw).replace(/\/+$/, '');
      try {
        const parsed = new URL(value);
        if (parsed.protocol === 'http:' || parsed.protocol === 'https:') {
          if (urlCredentials(parsed))
            return {
              ok: false,
              problem:
                'a URL must not carry credentials (user:password@). Remove them from the URL; Spotify credentials go in SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET.',
            };
          return { ok: true, value };
        }
      } catch {}
      return { ok: false, problem: `expected an http(s) URL such as ${type.example}.` };
    }
    case 'name': {
      let value = String(raw);
      if (type.normalise === 'lower') value = value.toLowerCase();
      if (type.normalise === 'upper') value = value.toUpperCase();
      if (!type.pattern.test(value)) return { ok: false, problem: `expected ${type.expected}.` };
      if (type.normalise === 'trailingSlash' && !value.endsWith('/')) value = `${value}/`;
      return { ok: true, value };
    }
  }
}

/** What the README says a setting accepts. */
export function describeType(type: SettingType): string {
  switch (type.kind) {
    case 'text':
      return 'text';
    case 'secret':
      return 'secret';
    case 'sources':
      return 'object';
    case 'enum':
      return type.values.map((v) => `\`${v}\``).join(', ');
    case 'int':
      return `whole number ${type.min}-${type.max}`;
    case 'size':
      return 'size (`512MB`, `2GB`)';
    case 'url':
      return 'http(s) URL';
    case 'name':
      return type.label;
  }
}

/** `256MB`, `2GB`, `1.5GiB` (the sizes a `size` setting accepts) in bytes; undefined when not one. */
export function sizeInBytes(size: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.exec(size.trim());
  if (!m) return undefined;
  const unit = m[2]!.toLowerCase();
  const power = { k: 1, m: 2, g: 3, t: 4 }[unit[0] as 'k' | 'm' | 'g' | 't'];
  return Number(m[1]) * (unit.endsWith('ib') ? 1024 : 1000) ** power;
}

/** The README's configuration table, generated from SETTINGS. */
export function renderSettingsTable(): string {
  const rows = SETTINGS.map((s) => {
    const env = s.env?.map((e) => `\`${e}\``).join(', ') ?? '-';
    const file = s.inFile ? `\`${s.key}\`` : '-';
    const flag = s.flag ? `\`${s.flag}\`` : '-';
    const fallback = s.defaultText ?? (s.default === undefined ? 'unset' : `\`${String(s.default)}\``);
    const meaning = `${s.description}${s.secret ? ' (secret: masked wherever printed)' : ''}`;
    return `| ${env} | ${file} | ${flag} | ${describeType(s.type)} | ${meaning} | ${fallback} |`;
  });
  return [
    '| environment variable | config file key | flag | accepts | meaning | default |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** The markers around the generated table in README.md. */
export const SETTINGS_TABLE_BEGIN =
  '<!-- settings table: generated from src/settings.ts by `npm run docs:settings`; do not edit by hand -->';
export const SETTINGS_TABLE_END = '<!-- end of settings table -->';

/** `readme` with its settings table replaced by the generated one; throws when the markers are missing. */
export function withSettingsTable(readme: string): string {
  const begin = readme.indexOf(SETTINGS_TABLE_BEGIN);
  const end = readme.indexOf(SETTINGS_TABLE_END);
  if (begin < 0 || end < begin) throw new Error('README.md has no settings table markers');
  return `${readme.slice(0, begin + SETTINGS_TABLE_BEGIN.length)}\n${renderSettingsTable()}\n${readme.slice(end)}`;
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
