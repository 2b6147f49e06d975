// The access-tier probes of `tunelake doctor` as data: which endpoints this Spotify app may call,
// which artist fields it receives, and which tables and insights that leaves empty (with the reason).
// The same requests as spotify-checks.ts' access-tier group: the batch lookup, GET /me (only with a
// user token), and search (its artist shows the fields; unless the batch was refused it first asks for
// a page of 50, the page size evidence). The tier is named only when these agree (judgeTier). The dashboard's freshness panel shows it. No probe throws: a failed one is `unknown` with
// its error, so a server without network still answers.
import type { AccessTier, Config } from '../config.js';
import { type ErrorCode, type TunelakeError, toTunelakeError } from '../errors.js';
import { INSIGHTS } from '../insights/insights.js';
import { redact } from '../secret.js';
import type { SpotifyApi } from '../spotify/client.js';
import { judgeTier, TIER_PROBE_ARTIST_ID, type TierEvidence } from '../spotify/tiers.js';
import { TABLES } from '../transform/tables.js';
import { said } from './check.js';
import type { EmulatorInfo } from './config-checks.js';
import { BatchArtistsSchema, emptyTables, fieldPresence } from './spotify-checks.js';
import { pageSizeSaid, probeSearch, searchRequest, tierFields } from './tier-probe.js';

export type EndpointStatus = 'answers' | 'forbidden' | 'unknown' | 'not probed';
export type FieldStatus = 'present' | 'empty' | 'absent' | 'unknown';

export interface EndpointCapability {
  /** Stable: `artists.batch`, `me`, `search`. */
  id: string;
  request: string;
  status: EndpointStatus;
  /** What was seen: the status code or the error. */
  detail: string;
  /** What it is used for, and what its status means for a run. */
  meaning: string;
}

export interface FieldCapability {
  /** `artist.popularity`. */
  field: string;
  status: FieldStatus;
  detail: string;
}

export interface Populated {
  name: string;
  populated: boolean;
  /** Why it stays empty; absent when it can be populated. */
  reason?: string;
}

export interface CapabilityMatrix {
  /** ISO time of the probes. */
  probedAt: string;
  /** What the probes talked to. */
  target: { kind: 'spotify' | 'emulator'; url: string; description: string };
  tier: {
    configured: AccessTier;
    /** Named only when the probes agree (judgeTier); null when they did not tell or disagree. */
    detected: AccessTier | null;
    /** What tables and insights are judged by: detected, else configured. */
    effective: AccessTier;
    /** Why `detected` is null ('' when it is named). */
    uncertain: string;
    /** The SPOTIFY_ACCESS_TIER that cannot break a run: detected, else development. */
    safe: AccessTier;
    /** What the probes saw: the batch endpoint, popularity and followers, the page size. */
    evidence: TierEvidence;
  };
  /** Every probe failed without an answer (no network, bad credentials): statuses are unknown. */
  reachable: boolean;
  endpoints: EndpointCapability[];
  fields: FieldCapability[];
  tables: Populated[];
  insights: Populated[];
  /** Requests sent: at most one per endpoint (token requests aside). */
  requests: number;
}

export interface CapabilityProbeInput {
  config: Pick<Config, 'spotify' | 'sources'>;
  spotify: SpotifyApi;
  emulator: EmulatorInfo | undefined;
  now: () => Date;
}

const TIER_FIELDS = ['popularity', 'followers'] as const;
/** Errors of the app token or the network, as doctor's credentials.app-token tells them apart. */
const TOKEN_CODES = new Set<ErrorCode>([
  'AUTH_INVALID_CLIENT',
  'AUTH_INVALID_GRANT',
  'CONFIG_INVALID',
  'NETWORK',
]);

export async function probeCapabilities(input: CapabilityProbeInput): Promise<CapabilityMatrix> {
  const { config, spotify } = input;
  const configured = config.spotify.tier;
  let requests = 0;

  // 1. The batch endpoint: removed for development-mode apps, but older ones still get 200 (judgeTier).
  const batchRequest = `GET /artists?ids=${TIER_PROBE_ARTIST_ID}`;
  let batchAnswer: TierEvidence['batch'] = 'unknown';
  let batch: EndpointCapability;
  let sample: FieldSample | undefined;
  // Set when the batch probe could not get an app token or reach Spotify: the next probes would only
  // repeat the failure (and its retries), so they say unknown with the same error, as doctor skips them.
  let blocked: { error: TunelakeError; user: boolean } | undefined;
  requests++;
  try {
    const body = await spotify.get('/artists', BatchArtistsSchema, { query: { ids: TIER_PROBE_ARTIST_ID } });
    batchAnswer = 'allowed';
    sample = sampleOf(body.artists, batchRequest);
    batch = endpoint(
      'artists.batch',
      batchRequest,
      'answers',
      '200',
      'batch lookups: extended quota mode, or a development-mode app created before 2026-02-11',
    );
  } catch (error) {
    const err = toTunelakeError(error);
    if (err.code === 'SPOTIFY_FORBIDDEN' && !/premium/i.test(err.message)) {
      batchAnswer = 'forbidden';
      batch = endpoint(
        'artists.batch',
        batchRequest,
        'forbidden',
        '403: batch endpoints are removed for development-mode apps since February 2026',
        'development mode: runs fetch one artist, album or track per request',
      );
    } else {
      if (err.code === 'NETWORK') blocked = { error: err, user: true };
      else if (TOKEN_CODES.has(err.code) || err.details.grant !== undefined)
        blocked = { error: err, user: false };
      batch = endpoint(
        'artists.batch',
        batchRequest,
        err.code === 'SPOTIFY_FORBIDDEN' ? 'forbidden' : 'unknown',
        evidence(err),
        'tells the access tier; no answer, so the configured tier is assumed',
      );
    }
  }

  // 2. GET /me, only when there is a user token to ask with.
  let me: EndpointCapability;
  let hasUser = false;
  if (!spotify.hasUserToken) {
    me = endpoint(
      'me',
      'GET /me',
      'not probed',
      'no user refresh token (run `tunelake login`)',
      '/me sources (recently played, top items, your playlists) need a user token',
    );
  } else if (blocked?.user) {
    me = endpoint('me', 'GET /me', 'unknown', `not sent: ${evidence(blocked.error)}`, '/me sources');
  } else {
    requests++;
    try {
      const user = await spotify.me();
      hasUser = true;
      me = endpoint('me', 'GET /me', 'answers', `200: user ${user.id}`, '/me sources can be collected');
    } catch (error) {
      const err = toTunelakeError(error);
      me = endpoint(
        'me',
        'GET /me',
        err.code === 'SPOTIFY_FORBIDDEN' ? 'forbidden' : 'unknown',
        evidence(err),
        '/me sources cannot be collected',
      );
    }
  }

  // 3. Search with limit 1: it answers in both tiers, and its artist shows the fields of the tier.
  // 3. Search: it answers in both tiers, and its artist shows the fields of the tier. Unless the batch
  //    was refused, it asks for a page of 50 first: the page size evidence (src/doctor/tier-probe.ts).
  let search: EndpointCapability;
  let pageSize: TierEvidence['pageSize'] = null;
  if (blocked) {
    search = endpoint(
      'search',
      searchRequest(1),
      'unknown',
      `not sent: ${evidence(blocked.error)}`,
      'search sources need an app token',
    );
  } else {
    const probe = await probeSearch(spotify, batchAnswer !== 'forbidden');
    requests += probe.requests;
    pageSize = probe.pageSize;
    const request = searchRequest(probe.pageSize?.accepted ? probe.pageSize.asked : 1);
    if (probe.items) {
      sample ??= sampleOf(probe.items, request);
      search = endpoint(
        'search',
        request,
        'answers',
        redact(probe.said.join('; ')),
        `search sources; page size ${pageSizeSaid(pageSize, batchAnswer === 'forbidden')}`,
      );
    } else {
      const err = probe.error!;
      search = endpoint(
        'search',
        request,
        err.code === 'SPOTIFY_FORBIDDEN' ? 'forbidden' : 'unknown',
        evidence(err),
        'search sources will fail',
      );
    }
  }

  // 4. Fields, then the tables and insights they leave empty (the rules of doctor's tier.tables).
  const present = sample ? fieldPresence(sample.artist) : undefined;
  const tierEvidence: TierEvidence = { batch: batchAnswer, fields: tierFields(present), pageSize };
  const verdict = judgeTier(tierEvidence);
  const detected = verdict.tier;
  const effective = detected ?? configured;
  const fields: FieldCapability[] = [
    ...TIER_FIELDS.map((f) => ({
      field: `artist.${f}`,
      status:
        present === undefined
          ? ('unknown' as const)
          : present[f]
            ? ('present' as const)
            : ('absent' as const),
      detail: sample
        ? `artist ${sample.artist.id} from ${sample.from}`
        : `no artist object to inspect: assumed ${effective === 'extended' ? 'present' : 'absent'} (${effective} tier)`,
    })),
    {
      field: 'artist.genres',
      status: present?.genres ?? 'unknown',
      detail: sample ? `artist ${sample.artist.id} from ${sample.from}` : 'no artist object to inspect',
    },
  ];
  const hasPopularity = present ? present.popularity && present.followers : effective === 'extended';
  const empty = emptyTables(config, hasPopularity, spotify.hasUserToken && hasUser, effective);
  const tables = TABLES.map((t) => populated(t.name, empty.get(t.name)));
  const insights = INSIGHTS.map((insight) => {
    const blocker = insight.needs && empty.has(insight.needs.table) ? insight.needs : undefined;
    const table = insight.tables.find((t) => empty.has(t));
    if (blocker) return populated(insight.name, blocker.reason[effective]);
    if (table)
      return populated(insight.name, `it reads ${table}, which will stay empty (${empty.get(table)})`);
    return populated(insight.name, undefined);
  });

  const endpoints = [batch, me, search];
  const url = input.emulator?.url ?? config.spotify.apiUrl;
  return {
    probedAt: input.now().toISOString(),
    target: input.emulator
      ? {
          kind: 'emulator',
          url,
          description: `the built-in Spotify emulator in ${input.emulator.tier} tier (no SPOTIFY_CLIENT_ID is set)`,
        }
      : {
          kind: 'spotify',
          url,
          description: `the Spotify app ${config.spotify.clientId ?? '(no client id)'} at ${url}`,
        },
    tier: {
      configured,
      detected,
      effective,
      uncertain: verdict.uncertain,
      safe: verdict.safe,
      evidence: tierEvidence,
    },
    reachable: endpoints.some((e) => e.status === 'answers' || e.status === 'forbidden'),
    endpoints,
    fields,
    tables,
    insights,
    requests,
  };
}

/** A matrix for when the probes could not even start (the Spotify client could not be built). */
export function unknownCapabilities(
  config: Pick<Config, 'spotify' | 'sources'>,
  error: unknown,
  now: () => Date,
): CapabilityMatrix {
  const detail = evidence(toTunelakeError(error));
  const tier = config.spotify.tier;
  const hasPopularity = tier === 'extended';
  const empty = emptyTables(config, hasPopularity, false, tier);
  const assumed = (reason: string | undefined) => (reason === undefined ? undefined : `${reason} (assumed)`);
  return {
    probedAt: now().toISOString(),
    target: {
      kind: 'spotify',
      url: config.spotify.apiUrl,
      description: `the Spotify app ${config.spotify.clientId ?? '(no client id)'} at ${config.spotify.apiUrl}`,
    },
    tier: {
      configured: tier,
      detected: null,
      effective: tier,
      uncertain: 'no probe could be sent',
      safe: 'development',
      evidence: { batch: 'unknown', fields: 'unknown', pageSize: null },
    },
    reachable: false,
    endpoints: [
      endpoint(
        'artists.batch',
        `GET /artists?ids=${TIER_PROBE_ARTIST_ID}`,
        'unknown',
        detail,
        'tells the tier',
      ),
      endpoint('me', 'GET /me', 'unknown', detail, '/me sources'),
      endpoint('search', 'GET /search?q=a&type=artist&limit=1', 'unknown', detail, 'search sources'),
    ],
    fields: [...TIER_FIELDS, 'genres'].map((f) => ({ field: `artist.${f}`, status: 'unknown', detail })),
    tables: TABLES.map((t) => populated(t.name, assumed(empty.get(t.name)))),
    insights: INSIGHTS.map((insight) => {
      const table = insight.tables.find((t) => empty.has(t));
      if (insight.needs && empty.has(insight.needs.table)) {
        return populated(insight.name, assumed(insight.needs.reason[tier]));
      }
      return populated(
        insight.name,
        table ? `it reads ${table}, which will stay empty (assumed)` : undefined,
      );
    }),
    requests: 0,
  };
}

interface FieldSample {
  artist: NonNullable<ReturnType<typeof BatchArtistsSchema.parse>['artists'][number]>;
  from: string;
}

function sampleOf(
  artists: ReadonlyArray<FieldSample['artist'] | null>,
  from: string,
): FieldSample | undefined {
  const artist = artists.find((a): a is FieldSample['artist'] => a !== null);
  return artist ? { artist, from } : undefined;
}

function endpoint(
  id: string,
  request: string,
  status: EndpointStatus,
  detail: string,
  meaning: string,
): EndpointCapability {
  return { id, request, status, detail, meaning };
}

function populated(name: string, reason: string | undefined): Populated {
  return reason === undefined ? { name, populated: true } : { name, populated: false, reason };
}

function evidence(error: TunelakeError): string {
  return redact(said(error));
}
