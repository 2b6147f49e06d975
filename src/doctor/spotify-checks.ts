// The credentials, access-tier and sources groups. Every probe is the cheapest request that answers
// its question, and each endpoint is probed at most once (docs/spotify-api.md; https://developer.spotify.com/documentation/web-api/references/changes/february-2026: the development-mode rules
// of February 2026, editorial playlists hidden since 2024-11-27, refresh tokens that expire six months
// after authorisation). Sources are checked one request per configured playlist or artist: in
// extended mode the artists ride on the tier probe's batch request.
import { z } from 'zod';
import type { AccessTier, Config } from '../config.js';
import { type ErrorCode, type TunelakeError, toTunelakeError } from '../errors.js';
import { INSIGHTS } from '../insights/insights.js';
import type { SpotifyApi } from '../spotify/client.js';
import { ArtistSchema, type PrivateUser } from '../spotify/schemas.js';
import { judgeTier, TIER_PROBE_ARTIST_ID, type TierEvidence, type TierVerdict } from '../spotify/tiers.js';
import {
  obtainedAtOf,
  REFRESH_TOKEN_LIFETIME_MONTHS,
  REFRESH_TOKEN_WARN_DAYS,
} from '../spotify/token-age.js';
import { TABLES } from '../transform/tables.js';
import { checksOf, type DoctorCheck, said } from './check.js';
import type { EmulatorInfo } from './config-checks.js';
import { pageSizeSaid, probeSearch, tierFields } from './tier-probe.js';

export interface SpotifyCheckInput {
  config: Config;
  spotify: SpotifyApi;
  emulator: EmulatorInfo | undefined;
  now: () => Date;
  /** The credentials file's text, undefined when it does not exist. */
  readFile: (path: string) => Promise<string | undefined>;
}

/** Spotify-owned editorial and algorithmic playlist ids start with this (https://developer.spotify.com/blog/2024-11-27-changes-to-the-web-api). */
export const EDITORIAL_PREFIX = '37i9dQZ';
export { REFRESH_TOKEN_LIFETIME_MONTHS, REFRESH_TOKEN_WARN_DAYS } from '../spotify/token-age.js';

const DAY_MS = 86_400_000;
const LOGIN_FIX = 'run `tunelake login` (it stores a new refresh token in the credentials file)';
const TOKEN_CODES = new Set<ErrorCode>([
  'AUTH_INVALID_CLIENT',
  'AUTH_INVALID_GRANT',
  'CONFIG_INVALID',
  'NETWORK',
]);

type ArtistObject = z.infer<typeof ArtistSchema>;
export const BatchArtistsSchema = z.looseObject({ artists: z.array(ArtistSchema.nullable()) });
const PlaylistProbeSchema = z.looseObject({
  id: z.string().optional(),
  name: z.string().optional(),
  owner: z.looseObject({ id: z.string().optional() }).nullish(),
  collaborative: z.boolean().optional(),
  items: z.unknown().optional(),
  tracks: z.unknown().optional(),
});

/** What the access-tier probes saw and what doctor concluded (`doctor --json` carries it). */
export interface TierProbeReport {
  configured: AccessTier;
  evidence: TierEvidence;
  verdict: TierVerdict;
}

export async function spotifyChecks(
  input: SpotifyCheckInput,
): Promise<{ checks: DoctorCheck[]; tier: TierProbeReport }> {
  const { config, spotify } = input;
  const out: DoctorCheck[] = [];
  const cred = checksOf('credentials', out);
  const tier = checksOf('access tier', out);
  const sourceLines = checksOf('sources', out);
  const sources = config.sources;
  const accountsUrl = config.spotify.accountsUrl;

  // 1. The batch endpoint: its status tells the tier, and asking for the configured artists makes it
  //    their source check too in extended mode. It is also the first call that needs the app token.
  const probeIds = sources.artists.length > 0 ? sources.artists.slice(0, 50) : [TIER_PROBE_ARTIST_ID];
  const batchLabel = `GET /artists?ids=${probeIds.length === 1 ? probeIds[0] : `<${probeIds.length} ids>`}`;
  let appError: TunelakeError | undefined;
  let batchAnswer: 'allowed' | 'forbidden' | undefined;
  let batch: Array<ArtistObject | null> | undefined;
  let premiumMissing: TunelakeError | undefined;
  let batchError: TunelakeError | undefined;
  try {
    batch = (await spotify.get('/artists', BatchArtistsSchema, { query: { ids: probeIds.join(',') } }))
      .artists;
    batchAnswer = 'allowed';
  } catch (error) {
    const err = toTunelakeError(error);
    if (err.code === 'SPOTIFY_FORBIDDEN') {
      if (/premium/i.test(err.message)) premiumMissing = err;
      else batchAnswer = 'forbidden';
    } else if (TOKEN_CODES.has(err.code) || err.details.grant !== undefined) {
      appError = err;
    } else {
      batchError = err;
    }
  }

  if (appError) {
    cred.fail('credentials.app-token', {
      summary: 'no client-credentials (app) token: Spotify rejected the app credentials',
      evidence: `POST ${accountsUrl}/api/token (grant_type=client_credentials): ${said(appError)}`,
      fix: appFix(appError),
      code: appError.code,
    });
  } else {
    cred.ok('credentials.app-token', {
      summary: 'client-credentials (app) token obtained',
      evidence: `POST ${accountsUrl}/api/token (grant_type=client_credentials) answered with a token for client ${config.spotify.clientId}`,
    });
  }

  // 2. The user token: one refresh, through GET /me (which also gives the user id for ownership).
  const refreshOrigin = config.origins['spotify.refreshToken'];
  const needsUser = Object.entries(sources.me)
    .filter(([, on]) => on)
    .map(([k]) => `sources.me.${k}`);
  let me: PrivateUser | undefined;
  let userError: TunelakeError | undefined;
  if (!spotify.hasUserToken) {
    const evidence = `no SPOTIFY_REFRESH_TOKEN and no refresh token in ${config.credentialsFile}`;
    if (needsUser.length > 0) {
      cred.fail('credentials.refresh-token', {
        summary: `no user refresh token, but ${needsUser.join(', ')} need one`,
        evidence,
        fix: LOGIN_FIX,
        code: 'AUTH_USER_TOKEN_REQUIRED',
      });
    } else {
      cred.warn('credentials.refresh-token', {
        summary:
          'no user refresh token: /me sources and (in development mode) every playlist’s items are unavailable',
        evidence,
        fix: LOGIN_FIX,
      });
    }
    tier.skip('tier.me', { summary: 'GET /me not probed: no user token', evidence });
  } else {
    try {
      me = await spotify.me();
    } catch (error) {
      userError = toTunelakeError(error);
    }
    const where = input.emulator
      ? 'issued by the emulator'
      : refreshOrigin === 'env'
        ? 'from SPOTIFY_REFRESH_TOKEN'
        : `from ${config.credentialsFile}`;
    if (me) {
      cred.ok('credentials.refresh-token', {
        summary: `user refresh token valid (${where}): renewed an access token for user ${me.id}`,
        evidence: `POST ${accountsUrl}/api/token (grant_type=refresh_token) answered with a token`,
      });
      tier.ok('tier.me', {
        summary: `GET /me answers: user ${me.id}${me.display_name ? ` (${me.display_name})` : ''}`,
        evidence: `GET /me: 200, fields ${Object.keys(me).sort().join(', ')}`,
      });
    } else if (userError && (userError.code.startsWith('AUTH_') || userError.details.grant !== undefined)) {
      cred.fail('credentials.refresh-token', {
        summary: `the user refresh token (${where}) was rejected`,
        evidence: said(userError),
        fix:
          userError.code === 'AUTH_INVALID_CLIENT'
            ? appFix(userError)
            : `${LOGIN_FIX}; refresh tokens expire ${REFRESH_TOKEN_LIFETIME_MONTHS} months after you authorised tunelake`,
        code: userError.code,
      });
      tier.skip('tier.me', { summary: 'GET /me not probed: the user token was rejected', evidence: '' });
    } else if (userError) {
      cred.ok('credentials.refresh-token', {
        summary: `user refresh token valid (${where})`,
        evidence: 'the token endpoint answered; GET /me then failed',
      });
      tier.fail('tier.me', {
        summary: 'GET /me fails',
        evidence: said(userError),
        fix: 'run `tunelake login` again (it asks for every scope tunelake uses)',
        code: userError.code,
      });
    }
    await tokenAge(input, refreshOrigin, cred);
  }

  // 3. The batch probe itself: allowed or refused. What it means is judged below, with the fields and
  //    the page size: older development-mode apps still get 200 here (judgeTier).
  const configured = config.spotify.tier;
  if (premiumMissing) {
    tier.fail('tier.batch', {
      summary: 'every request is refused: the Spotify app owner needs an active Premium subscription',
      evidence: `${batchLabel}: ${said(premiumMissing)}`,
      fix: 'renew Premium on the account that owns the app in the developer dashboard (it can take a few hours to apply)',
      code: 'SPOTIFY_FORBIDDEN',
    });
  } else if (batchError) {
    tier.fail('tier.batch', {
      summary: 'the tier probe failed',
      evidence: `${batchLabel}: ${said(batchError)}`,
      fix: 'check SPOTIFY_API_URL and the network, then run `tunelake doctor` again',
      code: batchError.code,
    });
  } else if (appError) {
    tier.skip('tier.batch', { summary: 'access tier not probed: no app token', evidence: '' });
  } else if (batchAnswer === 'forbidden') {
    tier.ok('tier.batch', {
      summary: 'batch endpoints are refused, as for development-mode apps',
      evidence: `${batchLabel}: 403 (batch endpoints are removed for development-mode apps since February 2026)`,
    });
  } else if (batchAnswer === 'allowed') {
    tier.ok('tier.batch', {
      summary: 'batch endpoints answer',
      evidence: `${batchLabel}: 200 (extended quota mode, or a development-mode app created before 2026-02-11)`,
    });
  }

  // 4. Search: it answers in both tiers, and its artist shows which fields the tier gets. Unless the
  //    batch was refused (development mode: 10 at most), it asks for a page of 50 to see the page size.
  let sample: ArtistObject | undefined = batch?.find((a): a is ArtistObject => a !== null);
  let pageSize: TierEvidence['pageSize'] = null;
  if (appError) {
    tier.skip('tier.search', { summary: 'GET /search not probed: no app token', evidence: '' });
  } else {
    const probe = await probeSearch(spotify, batchAnswer !== 'forbidden');
    pageSize = probe.pageSize;
    sample ??= probe.items?.find((a): a is ArtistObject => a !== null);
    if (probe.items) {
      tier.ok('tier.search', { summary: 'GET /search answers', evidence: probe.said.join('; ') });
    } else {
      const err = probe.error!;
      tier.fail('tier.search', {
        summary: 'GET /search fails',
        evidence: probe.said.join('; '),
        fix: 'search sources will fail: see the evidence',
        code: err.code,
      });
    }
    const pageLine = pageSizeSaid(pageSize, batchAnswer === 'forbidden');
    if (pageSize === null) tier.skip('tier.page-size', { summary: `page size ${pageLine}`, evidence: '' });
    else
      tier.ok('tier.page-size', {
        summary: `page size: ${pageLine}`,
        evidence: probe.said.slice(0, 1).join(''),
      });
  }

  // 5. Fields, then the tier from every probe together.
  const fields = sample ? fieldPresence(sample) : undefined;
  if (fields) {
    const missing = (['popularity', 'followers'] as const).filter((f) => !fields[f]);
    const genres = fields.genres === 'absent' ? 'genres absent' : `genres ${fields.genres}`;
    const evidence = `artist ${sample!.id} from ${batch?.some((a) => a?.id === sample!.id) ? 'GET /artists?ids=' : 'GET /search'}: ${[
      'popularity',
      'followers',
    ]
      .map((f) => `${f} ${fields[f as 'popularity'] ? 'present' : 'absent'}`)
      .join(', ')}, ${genres}`;
    if (missing.length === 0) {
      tier.ok('tier.fields', { summary: 'artist popularity and followers are present', evidence });
    } else {
      tier.warn('tier.fields', {
        summary: `artist objects lack ${missing.join(' and ')} (removed for development-mode apps in February 2026)`,
        evidence,
        fix: 'only extended quota mode receives them',
      });
    }
  } else if (!appError) {
    tier.skip('tier.fields', { summary: 'no artist object to inspect', evidence: '' });
  }
  const tierEvidence: TierEvidence = {
    batch: batchAnswer ?? 'unknown',
    fields: tierFields(fields),
    pageSize,
  };
  const verdict = judgeTier(tierEvidence);
  if (!appError && !premiumMissing) verdictLine(verdict, tierEvidence, configured, tier);
  const effectiveTier = verdict.tier ?? configured;
  const hasPopularity = fields ? fields.popularity && fields.followers : effectiveTier === 'extended';
  const empty = emptyTables(config, hasPopularity, spotify.hasUserToken && !userError, effectiveTier);
  const filled = TABLES.map((t) => t.name).filter((n) => !empty.has(n));
  if (empty.size === 0) {
    tier.ok('tier.tables', { summary: 'every table can be populated', evidence: filled.join(', ') });
  } else {
    tier.warn('tier.tables', {
      summary: `will stay empty: ${[...empty].map(([n, why]) => `${n} (${why})`).join('; ')}`,
      evidence: `populated: ${filled.join(', ') || 'none'}`,
      fix: 'see each reason',
    });
  }
  const available: string[] = [];
  for (const insight of INSIGHTS) {
    // A tier-only need (albums.label): the table fills in every tier, the field only in its own.
    const blocker =
      insight.needs &&
      (empty.has(insight.needs.table) || (insight.needs.tierOnly && effectiveTier !== insight.needs.tier))
        ? insight.needs
        : undefined;
    const table = insight.tables.find((t) => empty.has(t));
    if (!blocker && !table) {
      available.push(insight.name);
      continue;
    }
    tier.warn(`tier.insight.${insight.name}`, {
      summary: `insight ${insight.name} will be empty: ${
        blocker
          ? blocker.reason[effectiveTier]
          : `it reads ${table}, which will stay empty (${empty.get(table!)})`
      }`,
      evidence: `reads ${insight.tables.join(', ')}`,
      fix: blocker?.tier === 'extended' && effectiveTier !== 'extended' ? 'needs extended quota mode' : '',
    });
  }
  tier.ok('tier.insights', {
    summary: `${available.length} of ${INSIGHTS.length} insights can be populated`,
    evidence: available.join(', ') || 'none',
  });

  // 6. Sources.
  if (
    sources.playlists.length === 0 &&
    sources.artists.length === 0 &&
    sources.search.length === 0 &&
    needsUser.length === 0
  ) {
    sourceLines.skip('sources', {
      summary: 'no sources configured',
      evidence: config.configFile ? `${config.configFile} has no sources` : 'no config file',
      fix: 'add sources (playlists, artists, search, me) to tunelake.config.json',
    });
  }
  const canUseApi = !appError || me !== undefined;
  for (const id of sources.playlists) {
    if (!canUseApi) {
      sourceLines.skip(`sources.playlist.${id}`, {
        summary: `playlist ${id} not checked: no working token`,
        evidence: '',
      });
      continue;
    }
    await checkPlaylist(id, { spotify, me, tier: effectiveTier, lines: sourceLines });
  }
  if (!appError && sources.artists.length > 0) {
    await checkArtists(sources.artists, {
      spotify,
      batch,
      probeIds,
      tier: effectiveTier,
      lines: sourceLines,
    });
  } else {
    for (const id of sources.artists) {
      sourceLines.skip(`sources.artist.${id}`, {
        summary: `artist ${id} not checked: no app token`,
        evidence: '',
      });
    }
  }
  if (sources.search.length > 0) {
    const capped =
      effectiveTier === 'development' ? ' (pages of at most 10 results in development mode)' : '';
    sourceLines.ok('sources.search', {
      summary: `${sources.search.length} search${sources.search.length === 1 ? '' : 'es'}: ${sources.search
        .map((s) => `${s.type} "${s.q}"`)
        .join(', ')}${capped}`,
      evidence: 'GET /search is checked under access tier',
    });
  }
  return { checks: out, tier: { configured, evidence: tierEvidence, verdict } };
}

type Lines = ReturnType<typeof checksOf>;

const MODE: Record<AccessTier, string> = {
  development: 'development mode',
  extended: 'extended quota mode',
};

/** `tier.verdict`: the tier named only on unambiguous evidence, else what is uncertain and the safe setting. */
function verdictLine(
  verdict: TierVerdict,
  evidence: TierEvidence,
  configured: AccessTier,
  tier: Lines,
): void {
  const seen =
    `batch endpoints ${evidence.batch}, popularity and followers ${evidence.fields}, ` +
    `page size ${pageSizeSaid(evidence.pageSize, evidence.batch === 'forbidden')}`;
  const detected = verdict.tier;
  if (detected === null) {
    const summary = `access tier uncertain: ${verdict.uncertain}`;
    if (configured === verdict.safe) {
      tier.ok('tier.verdict', {
        summary: `${summary}; SPOTIFY_ACCESS_TIER=${verdict.safe} (as configured) is the safe setting`,
        evidence: seen,
      });
    } else {
      tier.warn('tier.verdict', {
        summary: `${summary}; SPOTIFY_ACCESS_TIER=${configured} may be wrong`,
        evidence: seen,
        fix: `set SPOTIFY_ACCESS_TIER=${verdict.safe} (the safe setting) unless Spotify granted this app extended quota mode`,
      });
    }
    return;
  }
  const mode = MODE[detected];
  if (detected === configured) {
    tier.ok('tier.verdict', { summary: `access tier: ${mode} (as configured)`, evidence: seen });
  } else if (configured === 'extended') {
    tier.fail('tier.verdict', {
      summary: `access tier: ${mode}, but SPOTIFY_ACCESS_TIER=extended: batch lookups and larger pages will be refused`,
      evidence: seen,
      fix: 'set SPOTIFY_ACCESS_TIER=development (or spotify.tier in tunelake.config.json), or get extended quota mode for the app',
      code: 'SPOTIFY_FORBIDDEN',
    });
  } else {
    tier.warn('tier.verdict', {
      summary: `access tier: ${mode}, but SPOTIFY_ACCESS_TIER=development: runs use more, smaller requests than needed`,
      evidence: seen,
      fix: 'set SPOTIFY_ACCESS_TIER=extended',
    });
  }
}

function appFix(error: TunelakeError): string {
  if (error.code === 'AUTH_INVALID_CLIENT') {
    return (
      "copy the Client ID and Client secret from the app's page in the Spotify developer dashboard into " +
      'SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET (the secret is read from the environment only)'
    );
  }
  if (error.code === 'CONFIG_INVALID') {
    return 'set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET (environment only) from the Spotify developer dashboard';
  }
  return 'check SPOTIFY_ACCOUNTS_URL and the network (the token endpoint did not answer)';
}

async function tokenAge(input: SpotifyCheckInput, origin: string | undefined, cred: Lines): Promise<void> {
  const { config } = input;
  if (input.emulator) {
    cred.skip('credentials.refresh-token-age', {
      summary: 'refresh token age not tracked: the emulator issued it for this run',
      evidence: '',
    });
    return;
  }
  if (origin !== 'file') {
    cred.skip('credentials.refresh-token-age', {
      summary: `refresh token age unknown: it comes from SPOTIFY_REFRESH_TOKEN, not ${config.credentialsFile}`,
      evidence: `tokens expire ${REFRESH_TOKEN_LIFETIME_MONTHS} months after authorisation; \`tunelake login\` records when`,
      fix: 'use `tunelake login` so that doctor can tell when the token must be renewed',
    });
    return;
  }
  let obtainedAt: Date | undefined;
  try {
    obtainedAt = obtainedAtOf(await input.readFile(config.credentialsFile));
  } catch {}
  if (!obtainedAt) {
    cred.warn('credentials.refresh-token-age', {
      summary: `refresh token age unknown: ${config.credentialsFile} has no valid obtained_at`,
      evidence: `read ${config.credentialsFile}`,
      fix: LOGIN_FIX,
    });
    return;
  }
  const expires = new Date(obtainedAt);
  expires.setUTCMonth(expires.getUTCMonth() + REFRESH_TOKEN_LIFETIME_MONTHS);
  const now = input.now().getTime();
  const ageDays = Math.floor((now - obtainedAt.getTime()) / DAY_MS);
  const leftDays = Math.floor((expires.getTime() - now) / DAY_MS);
  const evidence = `${config.credentialsFile}: obtained_at ${obtainedAt.toISOString()} (${ageDays} days ago); expires ${expires.toISOString()}`;
  if (expires.getTime() <= now) {
    cred.fail('credentials.refresh-token-age', {
      summary: `the refresh token expired on ${expires.toISOString().slice(0, 10)} (${REFRESH_TOKEN_LIFETIME_MONTHS} months after authorisation)`,
      evidence,
      fix: LOGIN_FIX,
      code: 'AUTH_INVALID_GRANT',
    });
  } else if (leftDays < REFRESH_TOKEN_WARN_DAYS) {
    cred.warn('credentials.refresh-token-age', {
      summary: `the refresh token is ${ageDays} days old and expires in ${leftDays} days (${expires.toISOString().slice(0, 10)})`,
      evidence,
      fix: `${LOGIN_FIX} before then`,
    });
  } else {
    cred.ok('credentials.refresh-token-age', {
      summary: `refresh token is ${ageDays} days old; ${leftDays} days until it must be renewed`,
      evidence,
    });
  }
}

export function fieldPresence(artist: ArtistObject): {
  popularity: boolean;
  followers: boolean;
  genres: 'present' | 'empty' | 'absent';
} {
  return {
    popularity: typeof artist.popularity === 'number',
    followers: artist.followers !== undefined && artist.followers !== null,
    genres: artist.genres === undefined ? 'absent' : artist.genres.length > 0 ? 'present' : 'empty',
  };
}

/** Tables that a run with this configuration and tier cannot fill, each with the reason. */
export function emptyTables(
  config: Pick<Config, 'sources'>,
  hasPopularity: boolean,
  hasUser: boolean,
  tier: AccessTier,
): Map<string, string> {
  const s = config.sources;
  const empty = new Map<string, string>();
  const noPopularity =
    tier === 'development'
      ? 'popularity and followers are not sent to development-mode apps'
      : 'popularity and followers are absent';
  if (!hasPopularity) {
    empty.set('artist_snapshots', noPopularity);
    empty.set('track_snapshots', noPopularity);
  }
  const meSource = (on: boolean, name: string, table: string) => {
    if (!on) empty.set(table, `sources.me.${name} is off`);
    else if (!hasUser) empty.set(table, `sources.me.${name} needs a user token`);
  };
  meSource(s.me.recentlyPlayed, 'recentlyPlayed', 'plays');
  meSource(s.me.topItems, 'topItems', 'top_items');
  if (s.playlists.length === 0 && !(s.me.playlists && hasUser)) {
    empty.set('playlists', 'no playlists in sources');
    empty.set('playlist_items', 'no playlists in sources');
  }
  if (s.artists.length === 0 && !s.search.some((q) => q.type === 'album')) {
    empty.set('releases', 'no artists and no album searches in sources');
  }
  return empty;
}

async function checkPlaylist(
  id: string,
  ctx: { spotify: SpotifyApi; me: PrivateUser | undefined; tier: AccessTier; lines: Lines },
): Promise<void> {
  const { lines } = ctx;
  const key = `sources.playlist.${id}`;
  let body: z.infer<typeof PlaylistProbeSchema>;
  try {
    // The metadata with only what tells readability: `items` comes back only when the items are readable.
    body = await ctx.spotify.get(`/playlists/${id}`, PlaylistProbeSchema, {
      user: ctx.spotify.hasUserToken,
      query: { fields: 'id,name,owner(id),collaborative,items(total),tracks(total)' },
    });
  } catch (error) {
    const err = toTunelakeError(error);
    if (err.code === 'SPOTIFY_NOT_FOUND' && id.startsWith(EDITORIAL_PREFIX)) {
      lines.fail(key, {
        summary: `playlist ${id} is a Spotify-owned editorial playlist: Spotify-owned editorial playlists are not readable by apps created after 2024-11-27`,
        evidence: `GET /playlists/${id}: 404`,
        fix: 'remove it from sources.playlists (Spotify answers 404 for it to apps created after 2024-11-27)',
        code: err.code,
      });
    } else if (err.code === 'SPOTIFY_NOT_FOUND') {
      lines.fail(key, {
        summary: `playlist ${id} not found`,
        evidence: `GET /playlists/${id}: 404`,
        fix: 'check the id (or URL) in sources.playlists; a deleted or private playlist of another user is not found either',
        code: err.code,
      });
    } else {
      lines.fail(key, {
        summary: `playlist ${id} is not readable`,
        evidence: `GET /playlists/${id}: ${said(err)}`,
        fix: 'see the evidence',
        code: err.code,
      });
    }
    return;
  }
  const name = body.name ? `"${body.name}"` : id;
  const owner = body.owner?.id;
  const mine = ctx.me !== undefined && owner === ctx.me.id;
  const relation = mine
    ? 'owned by you'
    : body.collaborative
      ? `collaborative, owned by ${owner}`
      : `owned by ${owner ?? 'someone else'}`;
  const readable = body.items !== undefined || body.tracks !== undefined;
  const evidence = `GET /playlists/${id}?fields=...: 200, owner ${owner ?? '?'}${ctx.me ? `, you are ${ctx.me.id}` : ''}, ${
    readable ? 'items included' : 'metadata only (no items)'
  }`;
  if (readable) {
    lines.ok(key, { summary: `playlist ${name} readable (${relation})`, evidence });
  } else if (ctx.tier === 'development') {
    lines.fail(key, {
      summary: `playlist ${name} (${relation}): its items are not readable in development mode, which shows items only of playlists the logged-in user owns or collaborates on`,
      evidence,
      fix: ctx.spotify.hasUserToken
        ? 'remove it from sources.playlists, copy its tracks into a playlist you own, or log in (`tunelake login`) as its owner'
        : 'run `tunelake login` as its owner or a collaborator, or remove it from sources.playlists',
      code: 'SPOTIFY_FORBIDDEN',
    });
  } else {
    lines.fail(key, {
      summary: `playlist ${name} (${relation}): Spotify sent no items`,
      evidence,
      fix: 'log in (`tunelake login`) with a user who can see it, or remove it from sources.playlists',
      code: 'SPOTIFY_FORBIDDEN',
    });
  }
}

async function checkArtists(
  ids: readonly string[],
  ctx: {
    spotify: SpotifyApi;
    batch: Array<ArtistObject | null> | undefined;
    probeIds: readonly string[];
    tier: AccessTier;
    lines: Lines;
  },
): Promise<void> {
  const found = new Map<string, ArtistObject | null>();
  const failed = new Set<string>();
  const how = new Map<string, string>();
  if (ctx.batch) {
    for (const [i, id] of ctx.probeIds.entries()) {
      found.set(id, ctx.batch[i] ?? null);
      how.set(id, 'GET /artists?ids=');
    }
  }
  for (const id of ids) {
    if (found.has(id) || failed.has(id)) continue;
    try {
      if (ctx.tier === 'extended') {
        const rest = ids.filter((x) => !found.has(x)).slice(0, 50);
        const body = await ctx.spotify.get('/artists', BatchArtistsSchema, {
          query: { ids: rest.join(',') },
        });
        for (const [i, x] of rest.entries()) {
          found.set(x, body.artists[i] ?? null);
          how.set(x, 'GET /artists?ids=');
        }
        continue;
      }
      how.set(id, `GET /artists/${id}`);
      found.set(id, await ctx.spotify.get(`/artists/${id}`, ArtistSchema));
    } catch (error) {
      const err = toTunelakeError(error);
      if (err.code === 'SPOTIFY_NOT_FOUND') {
        found.set(id, null);
        continue;
      }
      ctx.lines.fail(`sources.artist.${id}`, {
        summary: `artist ${id} could not be checked`,
        evidence: said(err),
        fix: 'see the evidence',
        code: err.code,
      });
      failed.add(id);
    }
  }
  for (const id of ids) {
    if (failed.has(id)) continue;
    const artist = found.get(id);
    if (artist === undefined) continue;
    if (artist === null) {
      ctx.lines.fail(`sources.artist.${id}`, {
        summary: `artist ${id} not found`,
        evidence: `${how.get(id) ?? 'GET /artists'}: no such artist`,
        fix: 'check the id (or URL) in sources.artists',
        code: 'SPOTIFY_NOT_FOUND',
      });
    } else {
      ctx.lines.ok(`sources.artist.${id}`, {
        summary: `artist "${artist.name}" found`,
        evidence: `${how.get(id)}: 200`,
      });
    }
  }
}
