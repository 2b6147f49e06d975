// `tunelake emulator`: runs the Spotify Web API emulator in the foreground until SIGINT/SIGTERM and
// prints what a client needs to use it (URLs, credentials, env lines to paste, a demo user login),
// or one JSON object with --json. Flags are checked together; every problem is reported at once.
import type { Command } from 'commander';
import type { FaultOptions } from '../emulator/faults.js';
import { Emulator, type EmulatorOptions } from '../emulator/server.js';
import { dayStartMs } from '../emulator/world.js';
import { TunelakeError } from '../errors.js';
import { untilSignal } from './output.js';

export interface EmulatorFlags {
  port: string;
  tier: string;
  seed: string;
  scale: string;
  day: string;
  clientId?: string;
  clientSecret?: string;
  rateLimit: string;
  latencyMs?: string;
  fault429?: string;
  faultRetryAfter?: string;
  fault5xx?: string;
  faultTruncated?: string;
  faultReset?: string;
  faultTokenExpiry?: string;
  quotaExceeded?: boolean;
  prolificArtists?: string;
  chapterItems?: boolean;
  strictPageSize?: boolean;
  ownerNotPremium?: boolean;
  userNotRegistered?: boolean;
  olderDevelopmentApp?: boolean;
  rotateRefreshTokens?: boolean;
  tokenTtl?: string;
  refreshTokenMaxAgeDays?: string;
  clockSkewSeconds?: string;
  playlistDescriptionBytes?: string;
  json?: boolean;
}

export function registerEmulatorCommand(program: Command): void {
  program
    .command('emulator')
    .description('Run the Spotify Web API emulator on 127.0.0.1: accounts at /, the API under /v1.')
    .option('--port <n>', 'port to listen on (0 = any free port)', '8787')
    .option('--tier <tier>', 'access tier: development | extended', 'development')
    .option('--seed <n>', 'seed of the generated catalogue', '42')
    .option('--scale <n>', 'catalogue size multiplier (1 = ~60 artists, 25 playlists)', '1')
    .option('--day <n>', 'simulated day to start at (0 = 2026-11-01)', '0')
    .option('--client-id <id>', 'the app client id to accept (default tunelake-demo)')
    .option('--client-secret <secret>', 'the app client secret to accept (default tunelake-demo-secret)')
    .option(
      '--rate-limit <n>',
      'requests per rolling 30 s window per client id on /v1 (0 = unlimited)',
      '2000',
    )
    .option('--latency-ms <n>', 'added to every response')
    .option('--fault-429 <p>', 'probability of an injected 429 on /v1')
    .option('--fault-retry-after <s>', 'Retry-After of injected 429s (default 1)')
    .option('--fault-5xx <p>', 'probability of an injected 500/502/503 on /v1')
    .option('--fault-truncated <p>', 'probability of a 200 body cut off mid-way')
    .option('--fault-reset <p>', 'probability of a connection reset without a response')
    .option('--fault-token-expiry <p>', 'probability that a valid access token is treated as expired')
    .option('--quota-exceeded', 'answer every /v1 call with 429 QUOTA_EXCEEDED')
    // Live-API behaviours that are optional or uncertain (docs/spotify-api.md). A plain 429 with an
    // hours-long Retry-After is `--fault-429 1 --fault-retry-after 7200`.
    .option(
      '--prolific-artists <n>',
      'give N artists dozens of albums, singles and appearances, with new releases every simulated day',
    )
    .option(
      '--chapter-items',
      'playlist episodes come back as audiobook chapters (a type tunelake does not store)',
    )
    .option(
      '--strict-page-size',
      'answer 400 "Invalid limit" above 10 on search and artist albums in the extended tier too',
    )
    .option(
      '--owner-not-premium',
      'answer every /v1 call 403: the app owner needs an active Premium subscription',
    )
    .option(
      '--user-not-registered',
      'answer /v1 calls with a user token 403: user not registered in the Developer Dashboard',
    )
    .option(
      '--older-development-app',
      'a development-mode app created before 2026-02-11: batch endpoints still answer 200',
    )
    .option(
      '--rotate-refresh-tokens',
      'the refresh grant returns a new refresh token and the old one stops working',
    )
    .option('--token-ttl <s>', 'access-token lifetime in seconds (default 3600)')
    .option('--refresh-token-max-age-days <d>', 'refresh-token lifetime in days (default 183)')
    .option(
      '--clock-skew-seconds <s>',
      "shift the HTTP Date header by this many seconds (negative: behind) to test tunelake's clock-skew check",
    )
    .option(
      '--playlist-description-bytes <n>',
      "give one playlist a description this long, to test tunelake's record size limit",
    )
    .option('--json', 'print one JSON object instead of text')
    .action(async (flags: EmulatorFlags) => {
      await runEmulator(flags);
    });
}

/** Turns flags into EmulatorOptions, or throws INVALID_ARGUMENT listing every bad flag. */
export function emulatorOptionsFromFlags(flags: EmulatorFlags): EmulatorOptions {
  const problems: string[] = [];
  const number = (flag: string, raw: string | undefined, check: (n: number) => boolean, expected: string) => {
    if (raw === undefined) return undefined;
    const value = raw.trim() === '' ? Number.NaN : Number(raw);
    if (!Number.isFinite(value) || !check(value)) {
      problems.push(`--${flag} "${raw}": expected ${expected}`);
      return undefined;
    }
    return value;
  };
  const int = (flag: string, raw: string | undefined, min: number, max: number) =>
    number(flag, raw, (n) => Number.isInteger(n) && n >= min && n <= max, `an integer from ${min} to ${max}`);
  const probability = (flag: string, raw: string | undefined) =>
    number(flag, raw, (n) => n >= 0 && n <= 1, 'a probability from 0 to 1');

  if (flags.tier !== 'development' && flags.tier !== 'extended') {
    problems.push(`--tier "${flags.tier}": expected "development" or "extended"`);
  }
  const faults: Partial<FaultOptions> = {};
  const set = <K extends keyof FaultOptions>(key: K, value: FaultOptions[K] | undefined) => {
    if (value !== undefined) faults[key] = value;
  };
  set('latencyMs', int('latency-ms', flags.latencyMs, 0, 600_000));
  set('rate429', probability('fault-429', flags.fault429));
  set('retryAfterSeconds', int('fault-retry-after', flags.faultRetryAfter, 0, 1_000_000));
  set('rate5xx', probability('fault-5xx', flags.fault5xx));
  set('rateTruncated', probability('fault-truncated', flags.faultTruncated));
  set('rateReset', probability('fault-reset', flags.faultReset));
  set('rateTokenExpiry', probability('fault-token-expiry', flags.faultTokenExpiry));
  if (flags.quotaExceeded) faults.quotaExceeded = true;
  set(
    'clockSkewSeconds',
    int('clock-skew-seconds', flags.clockSkewSeconds, -10 * 365 * 86_400, 10 * 365 * 86_400),
  );
  set(
    'playlistDescriptionBytes',
    int('playlist-description-bytes', flags.playlistDescriptionBytes, 0, 100 * 1024 * 1024),
  );
  for (const knob of [
    'chapterItems',
    'strictPageSize',
    'ownerNotPremium',
    'userNotRegistered',
    'olderDevelopmentApp',
    'rotateRefreshTokens',
  ] as const) {
    if (flags[knob]) faults[knob] = true;
  }
  const credential = (flag: string, value: string | undefined) => {
    if (value !== undefined && (value.trim() === '' || /[:\s]/.test(value))) {
      problems.push(`--${flag} "${value}": expected a non-empty value without spaces or colons`);
      return undefined;
    }
    return value;
  };

  const options: EmulatorOptions = {
    port: int('port', flags.port, 0, 65535),
    tier: flags.tier === 'extended' ? 'extended' : 'development',
    seed: int('seed', flags.seed, -(2 ** 31), 2 ** 32 - 1),
    scale: number('scale', flags.scale, (n) => n > 0 && n <= 1000, 'a number above 0 and at most 1000'),
    day: int('day', flags.day, 0, 100_000),
    prolificArtists: int('prolific-artists', flags.prolificArtists, 0, 1000),
    clientId: credential('client-id', flags.clientId),
    clientSecret: credential('client-secret', flags.clientSecret),
    rateLimit: int('rate-limit', flags.rateLimit, 0, 1_000_000_000),
    tokenTtlSeconds: int('token-ttl', flags.tokenTtl, 1, 10 * 365 * 86_400),
    refreshTokenMaxAgeDays: number(
      'refresh-token-max-age-days',
      flags.refreshTokenMaxAgeDays,
      (n) => n > 0 && n <= 100_000,
      'a number of days above 0',
    ),
    faults,
  };
  if (problems.length > 0) {
    throw new TunelakeError('INVALID_ARGUMENT', `Invalid emulator flags: ${problems.join('; ')}.`, {
      details: { problems },
    });
  }
  for (const key of Object.keys(options) as Array<keyof EmulatorOptions>) {
    if (options[key] === undefined) delete options[key];
  }
  return options;
}

export interface EmulatorInfo {
  ok: true;
  url: string;
  accountsUrl: string;
  apiUrl: string;
  port: number;
  tier: string;
  seed: number;
  scale: number;
  day: number;
  clientId: string;
  clientSecret: string;
  demoUserId: string;
  /** A demo-user login, valid while this emulator runs. */
  refreshToken: string;
  env: Record<string, string>;
}

export interface RunEmulatorDeps {
  write?: (text: string) => void;
  /** Resolves when the emulator should stop (default: SIGINT or SIGTERM). */
  stopped?: () => Promise<void>;
}

export async function runEmulator(flags: EmulatorFlags, deps: RunEmulatorDeps = {}): Promise<void> {
  const write = deps.write ?? ((text: string) => process.stdout.write(text));
  const options = emulatorOptionsFromFlags(flags);
  const emulator = await Emulator.create(options);
  const stopped = (deps.stopped ?? untilSignal)();
  try {
    const info = describe(emulator, options);
    write(flags.json ? `${JSON.stringify(info)}\n` : textOf(info));
    await stopped;
  } finally {
    await emulator.close();
  }
  if (!flags.json) write('emulator stopped\n');
}

function describe(emulator: Emulator, options: EmulatorOptions): EmulatorInfo {
  const clientId = options.clientId ?? 'tunelake-demo';
  const clientSecret = options.clientSecret ?? 'tunelake-demo-secret';
  return {
    ok: true,
    url: emulator.url,
    accountsUrl: emulator.url,
    apiUrl: emulator.apiUrl,
    port: emulator.port,
    tier: emulator.tier,
    seed: options.seed ?? 42,
    scale: options.scale ?? 1,
    day: emulator.day,
    clientId,
    clientSecret,
    demoUserId: emulator.world.demoUserId,
    refreshToken: emulator.issueRefreshToken(),
    env: {
      SPOTIFY_ACCOUNTS_URL: emulator.url,
      SPOTIFY_API_URL: emulator.apiUrl,
      SPOTIFY_CLIENT_ID: clientId,
      SPOTIFY_CLIENT_SECRET: clientSecret,
      SPOTIFY_ACCESS_TIER: emulator.tier,
    },
  };
}

function textOf(info: EmulatorInfo): string {
  const date = new Date(dayStartMs(info.day)).toISOString().slice(0, 10);
  const env = Object.entries(info.env)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return [
    `Spotify Web API emulator: ${info.tier} tier, seed ${info.seed}, scale ${info.scale}, day ${info.day} (${date})`,
    `  accounts URL   ${info.accountsUrl}`,
    `  API URL        ${info.apiUrl}`,
    `  client id      ${info.clientId}`,
    `  client secret  ${info.clientSecret}`,
    `  demo user      ${info.demoUserId}`,
    '',
    'Point tunelake (or any client) at it:',
    `export ${env}`,
    '# and, for /me data, a demo-user login (valid while this emulator runs):',
    `export SPOTIFY_REFRESH_TOKEN=${info.refreshToken}`,
    '',
    `Try:  curl -s -u ${info.clientId}:${info.clientSecret} -d grant_type=client_credentials ${info.accountsUrl}/api/token`,
    `Steer it:  curl -s ${info.url}/_emulator/catalog/summary   curl -s -X POST -d '{"advance":1}' ${info.url}/_emulator/day`,
    'Stop with Ctrl-C.',
    '',
  ].join('\n');
}
