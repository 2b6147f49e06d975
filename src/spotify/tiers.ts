// What an app may call, and how much per request, in each Spotify access tier. Development mode
// follows the February 2026 rules (https://developer.spotify.com/documentation/web-api/references/changes/february-2026: batch endpoints, top tracks and new releases gone;
// search and artist-albums pages capped at 10; playlist items only for playlists the user owns or
// collaborates on; popularity, followers and label stripped). Extended quota mode keeps the legacy
// limits. The emulator implements the same two profiles.
import type { AccessTier } from '../config.js';

export type { AccessTier };

export interface TierLimits {
  /** Most ids per batch lookup; 0 when batch endpoints are unavailable (look up one by one). */
  batchTracks: number;
  batchAlbums: number;
  batchArtists: number;
  /** Largest `limit` accepted by each paged endpoint. */
  searchPage: number;
  artistAlbumsPage: number;
  playlistItemsPage: number;
  /** The legacy `/playlists/{id}/tracks` accepted up to 100; unused by the client (it reads /items). */
  legacyPlaylistTracksPage: number;
  albumTracksPage: number;
  mePage: number;
  newReleasesPage: number;
  /** `offset + limit` may not pass this on search. */
  searchMaxOffset: number;
}

export interface TierCapabilities {
  batchLookups: boolean;
  artistTopTracks: boolean;
  newReleases: boolean;
  /** Items of any public playlist (true), or only of playlists the user owns or collaborates on. */
  anyPlaylistItems: boolean;
  /** popularity, followers, label, available_markets, album_group... are present. */
  fullFields: boolean;
}

export interface TierProfile {
  tier: AccessTier;
  limits: TierLimits;
  capabilities: TierCapabilities;
}

export const TIERS: Readonly<Record<AccessTier, TierProfile>> = Object.freeze({
  development: {
    tier: 'development',
    limits: {
      batchTracks: 0,
      batchAlbums: 0,
      batchArtists: 0,
      searchPage: 10,
      artistAlbumsPage: 10,
      playlistItemsPage: 50,
      legacyPlaylistTracksPage: 0,
      albumTracksPage: 50,
      mePage: 50,
      newReleasesPage: 0,
      searchMaxOffset: 1000,
    },
    capabilities: {
      batchLookups: false,
      artistTopTracks: false,
      newReleases: false,
      anyPlaylistItems: false,
      fullFields: false,
    },
  },
  extended: {
    tier: 'extended',
    limits: {
      batchTracks: 50,
      batchAlbums: 20,
      batchArtists: 50,
      searchPage: 50,
      artistAlbumsPage: 50,
      playlistItemsPage: 50,
      legacyPlaylistTracksPage: 100,
      albumTracksPage: 50,
      mePage: 50,
      newReleasesPage: 50,
      searchMaxOffset: 1000,
    },
    capabilities: {
      batchLookups: true,
      artistTopTracks: true,
      newReleases: true,
      anyPlaylistItems: true,
      fullFields: true,
    },
  },
});

export function tierProfile(tier: AccessTier): TierProfile {
  return TIERS[tier];
}

/**
 * An artist id used only to probe whether batch endpoints answer (Katatonia, from Spotify's own SDK
 * fixtures). Whether it exists does not matter: an unknown id in a batch is a `null` slot, still 200.
 */
export const TIER_PROBE_ARTIST_ID = '2CWWgbxApjbyByxBBCvGTm';

/** Reads the tier from the answer to `GET /artists?ids=<one id>`: 403 means development mode. */
export function tierFromProbeStatus(status: number): AccessTier | undefined {
  if (status === 403) return 'development';
  if (status >= 200 && status < 300) return 'extended';
  return undefined;
}

/** What the tier probes saw (doctor and `serve`'s capability matrix send the same requests). */
export interface TierEvidence {
  /** `GET /artists?ids=`: 200 (allowed), 403 (forbidden), or no answer. */
  batch: 'allowed' | 'forbidden' | 'unknown';
  /** popularity and followers on an artist object: both present, either absent, or no artist seen. */
  fields: 'present' | 'absent' | 'unknown';
  /** The largest `limit` asked of search and whether it was accepted; null when not probed. */
  pageSize: { asked: number; accepted: boolean } | null;
}

export interface TierVerdict {
  /** Named only when the evidence is unambiguous; null otherwise. */
  tier: AccessTier | null;
  /** Why the tier is not named ('' when it is). */
  uncertain: string;
  /** The SPOTIFY_ACCESS_TIER that cannot break a run: the named tier, else development. */
  safe: AccessTier;
}

/**
 * The tier from every probe together. The batch probe alone misleads: apps created before
 * 2026-02-11 keep the batch endpoints while getting development-mode fields and quotas (removals
 * postponed on 2026-03-09, developer.spotify.com/documentation/web-api/references/changes/february-2026).
 * A refused page size above 10 is no tier signal on its own: Spotify's OpenAPI caps it at 10 for every
 * tier and nobody has published what extended-quota apps get.
 */
export function judgeTier(evidence: TierEvidence): TierVerdict {
  const named = (tier: AccessTier): TierVerdict => ({ tier, uncertain: '', safe: tier });
  const unsure = (why: string): TierVerdict => ({ tier: null, uncertain: why, safe: 'development' });
  const page = evidence.pageSize;
  if (evidence.batch === 'unknown') return unsure('the batch probe got no answer');
  if (evidence.batch === 'forbidden') {
    if (evidence.fields === 'present')
      return unsure(
        'batch endpoints are refused (development mode) yet artists carry popularity and followers',
      );
    if (page?.accepted && page.asked > 10)
      return unsure(
        `batch endpoints are refused (development mode) yet a page of ${page.asked} was accepted`,
      );
    return named('development');
  }
  if (evidence.fields === 'present') return named('extended');
  if (evidence.fields === 'absent') {
    return unsure(
      'batch endpoints answer, but artists lack popularity and followers: an app created before ' +
        '2026-02-11 in development mode keeps the batch endpoints, so this is not proof of extended quota mode' +
        (page && !page.accepted ? `; a page of ${page.asked} was refused, as in development mode` : ''),
    );
  }
  return unsure(
    'batch endpoints answer, but no artist object showed whether popularity and followers are sent',
  );
}
