// What each access tier may see. `development` is a development-mode app under Spotify's
// February 2026 rules (plus the November 2024 ones); `extended` is an extended-quota-mode app, which
// keeps the full legacy contract. See docs/spotify-api.md and https://developer.spotify.com/documentation/web-api/references/changes/february-2026.
//   https://developer.spotify.com/documentation/web-api/references/changes/february-2026
//   https://developer.spotify.com/blog/2024-11-27-changes-to-the-web-api

export type Tier = 'development' | 'extended';

export interface LimitRule {
  max: number;
  default: number;
}

export interface TierRules {
  tier: Tier;
  searchLimit: LimitRule;
  artistAlbumsLimit: LimitRule;
  /** Batch lookups, top tracks, new releases, /users, the legacy /playlists/{id}/tracks. */
  legacyEndpoints: boolean;
  /** Spotify-owned editorial/algorithmic playlists (ids 37i9dQZ...) answer 404 when hidden. */
  editorialVisible: boolean;
  /** Playlist items only for playlists the token's user owns or collaborates on. */
  itemsForOwnersOnly: boolean;
  /** Fields removed in February 2026, by object (absent, not null). `external_ids` was restored. */
  removed: {
    track: readonly string[];
    album: readonly string[];
    artist: readonly string[];
    user: readonly string[];
    show: readonly string[];
  };
}

const DEVELOPMENT: TierRules = {
  tier: 'development',
  searchLimit: { max: 10, default: 5 },
  artistAlbumsLimit: { max: 10, default: 5 },
  legacyEndpoints: false,
  editorialVisible: false,
  itemsForOwnersOnly: true,
  removed: {
    track: ['available_markets', 'linked_from', 'popularity'],
    album: ['album_group', 'available_markets', 'label', 'popularity'],
    artist: ['followers', 'popularity'],
    user: ['country', 'email', 'explicit_content', 'followers', 'product'],
    show: ['available_markets', 'publisher'],
  },
};

const EXTENDED: TierRules = {
  tier: 'extended',
  searchLimit: { max: 50, default: 20 },
  artistAlbumsLimit: { max: 50, default: 20 },
  legacyEndpoints: true,
  editorialVisible: true,
  itemsForOwnersOnly: false,
  removed: { track: [], album: [], artist: [], user: [], show: [] },
};

export function tierRules(tier: Tier): TierRules {
  return tier === 'extended' ? EXTENDED : DEVELOPMENT;
}

/** Deletes the tier's removed keys from a rendered object (in place) and returns it. */
export function strip<T extends Record<string, unknown>>(object: T, removed: readonly string[]): T {
  for (const key of removed) delete object[key];
  return object;
}
