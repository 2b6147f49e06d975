// zod schemas of the Spotify Web API objects tunelake reads, derived from Spotify's OpenAPI definition
// (https://github.com/sonallux/spotify-web-api, vendored as test/contract/spotify-web-api.openapi.yml) and the contract notes beside it.
//
// Every object is loose: fields we do not name are kept, because the raw zone stores what Spotify
// sent. Fields removed for development-mode apps in February 2026 (popularity, followers, label,
// available_markets, linked_from, album_group, /me country/email/product...) are optional. Fields that
// the API documents or is observed to send as null are nullable. Local files inside playlists carry
// `id: null` and an album full of nulls, which is why the track-level shapes are laxer than the
// album and artist objects returned by their own endpoints.
import { z } from 'zod';

export const ImageSchema = z.looseObject({
  url: z.string(),
  // Required-but-nullable in the OpenAPI; playlist images often have no size.
  height: z.number().nullish(),
  width: z.number().nullish(),
});
export type Image = z.infer<typeof ImageSchema>;

export const ExternalUrlsSchema = z.looseObject({ spotify: z.string().optional() });
export type ExternalUrls = z.infer<typeof ExternalUrlsSchema>;

export const ExternalIdsSchema = z.looseObject({
  isrc: z.string().optional(),
  ean: z.string().optional(),
  upc: z.string().optional(),
});
export type ExternalIds = z.infer<typeof ExternalIdsSchema>;

const FollowersSchema = z.looseObject({ href: z.string().nullish(), total: z.number() });
const RestrictionsSchema = z.looseObject({ reason: z.string().optional() });
const ReleaseDatePrecisionSchema = z.enum(['year', 'month', 'day']);

export const SimplifiedArtistSchema = z.looseObject({
  external_urls: ExternalUrlsSchema.optional(),
  href: z.string().nullish(),
  // null for the artists of local files.
  id: z.string().nullable(),
  name: z.string(),
  type: z.string(),
  uri: z.string().nullish(),
});
export type SimplifiedArtist = z.infer<typeof SimplifiedArtistSchema>;

export const ArtistSchema = z.looseObject({
  external_urls: ExternalUrlsSchema.optional(),
  followers: FollowersSchema.optional(),
  // Deprecated since 2026-02 and possibly absent or empty.
  genres: z.array(z.string()).optional(),
  href: z.string().optional(),
  id: z.string(),
  images: z.array(ImageSchema).nullish(),
  name: z.string(),
  popularity: z.number().optional(),
  type: z.string(),
  uri: z.string(),
});
export type Artist = z.infer<typeof ArtistSchema>;

export const SimplifiedAlbumSchema = z.looseObject({
  album_type: z.string(),
  total_tracks: z.number(),
  available_markets: z.array(z.string()).optional(),
  external_urls: ExternalUrlsSchema.optional(),
  href: z.string().optional(),
  id: z.string(),
  images: z.array(ImageSchema).nullish(),
  name: z.string(),
  release_date: z.string(),
  release_date_precision: ReleaseDatePrecisionSchema,
  restrictions: RestrictionsSchema.optional(),
  type: z.string(),
  uri: z.string(),
  artists: z.array(SimplifiedArtistSchema),
});
export type SimplifiedAlbum = z.infer<typeof SimplifiedAlbumSchema>;

export const ArtistDiscographyAlbumSchema = SimplifiedAlbumSchema.extend({
  // Required in the OpenAPI but removed from development-mode responses in 2026-02.
  album_group: z.string().optional(),
});
export type ArtistDiscographyAlbum = z.infer<typeof ArtistDiscographyAlbumSchema>;

/**
 * The album embedded in a track: as SimplifiedAlbum, but a local file's album is mostly nulls and,
 * as documented (developer.spotify.com, Web API concepts, playlists, "Local Files"), has no
 * `artists`, `release_date` or `release_date_precision` keys at all; some captures carry
 * `artists: []` instead (tekore#200). Every one of these shapes is valid.
 */
export const TrackAlbumSchema = SimplifiedAlbumSchema.extend({
  album_type: z.string().nullable(),
  total_tracks: z.number().nullish(),
  href: z.string().nullish(),
  id: z.string().nullable(),
  name: z.string().nullish(),
  release_date: z.string().nullish(),
  release_date_precision: ReleaseDatePrecisionSchema.nullish(),
  uri: z.string().nullish(),
  artists: z.array(SimplifiedArtistSchema).optional(),
});
export type TrackAlbum = z.infer<typeof TrackAlbumSchema>;

const LinkedTrackSchema = z.looseObject({
  external_urls: ExternalUrlsSchema.optional(),
  href: z.string().optional(),
  id: z.string(),
  type: z.string().optional(),
  uri: z.string().optional(),
});

const trackFields = {
  artists: z.array(SimplifiedArtistSchema),
  available_markets: z.array(z.string()).optional(),
  disc_number: z.number(),
  duration_ms: z.number(),
  explicit: z.boolean(),
  external_urls: ExternalUrlsSchema.optional(),
  href: z.string().nullish(),
  // null for local files.
  id: z.string().nullable(),
  is_local: z.boolean().optional(),
  is_playable: z.boolean().optional(),
  linked_from: LinkedTrackSchema.optional(),
  restrictions: RestrictionsSchema.optional(),
  name: z.string(),
  // Deprecated, null for apps created after 2024-11-27.
  preview_url: z.string().nullish(),
  track_number: z.number(),
  uri: z.string(),
};

export const SimplifiedTrackSchema = z.looseObject({ ...trackFields, type: z.string() });
export type SimplifiedTrack = z.infer<typeof SimplifiedTrackSchema>;

export const TrackSchema = z.looseObject({
  ...trackFields,
  album: TrackAlbumSchema,
  external_ids: ExternalIdsSchema.optional(),
  popularity: z.number().optional(),
  type: z.literal('track'),
});
export type Track = z.infer<typeof TrackSchema>;

/** Only what tunelake reads of a podcast episode found in a playlist. */
export const EpisodeSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  type: z.literal('episode'),
  uri: z.string(),
  duration_ms: z.number(),
  explicit: z.boolean().optional(),
  release_date: z.string().optional(),
  release_date_precision: ReleaseDatePrecisionSchema.optional(),
  external_urls: ExternalUrlsSchema.optional(),
  href: z.string().optional(),
  images: z.array(ImageSchema).nullish(),
  show: z.looseObject({ id: z.string(), name: z.string() }).optional(),
});
export type Episode = z.infer<typeof EpisodeSchema>;

export const AlbumSchema = SimplifiedAlbumSchema.extend({
  tracks: pagingSchema(SimplifiedTrackSchema),
  copyrights: z.array(z.looseObject({ text: z.string(), type: z.string() })).optional(),
  external_ids: ExternalIdsSchema.optional(),
  genres: z.array(z.string()).optional(),
  label: z.string().optional(),
  popularity: z.number().optional(),
});
export type Album = z.infer<typeof AlbumSchema>;

/** A playlist's `added_by`: a user reference without a display name. */
export const PlaylistUserSchema = z.looseObject({
  external_urls: ExternalUrlsSchema.optional(),
  href: z.string().optional(),
  id: z.string(),
  type: z.string().optional(),
  uri: z.string().optional(),
});
export type PlaylistUser = z.infer<typeof PlaylistUserSchema>;

export const PlaylistOwnerSchema = PlaylistUserSchema.extend({ display_name: z.string().nullish() });
export type PlaylistOwner = z.infer<typeof PlaylistOwnerSchema>;

export const PublicUserSchema = PlaylistOwnerSchema.extend({
  followers: FollowersSchema.optional(),
  images: z.array(ImageSchema).nullish(),
});
export type PublicUser = z.infer<typeof PublicUserSchema>;

export const PrivateUserSchema = z.looseObject({
  account_id: z.string().optional(),
  country: z.string().optional(),
  display_name: z.string().nullish(),
  email: z.string().optional(),
  explicit_content: z.looseObject({}).optional(),
  external_urls: ExternalUrlsSchema.optional(),
  followers: FollowersSchema.optional(),
  href: z.string().optional(),
  id: z.string(),
  images: z.array(ImageSchema).nullish(),
  product: z.string().optional(),
  type: z.string(),
  uri: z.string(),
});
export type PrivateUser = z.infer<typeof PrivateUserSchema>;

const PlayableSchema = z.discriminatedUnion('type', [TrackSchema, EpisodeSchema]);
export type Playable = Track | Episode;

/** Types a playlist item may be that tunelake stores; anything else is counted and skipped. */
export const STORED_ITEM_TYPES: readonly string[] = ['track', 'episode'];

/**
 * A playlist entry's `item`: a track or an episode, or an object of another type (an audiobook
 * `chapter` where `additional_types` did not ask for it) that the client replaces by null in place.
 */
const PlaylistEntryItemSchema = z.union([
  PlayableSchema,
  z.looseObject({ type: z.string().refine((t) => !STORED_ITEM_TYPES.includes(t)) }),
]);

/**
 * One entry of a playlist. Spotify renamed `track` to `item` in 2026-02 but some responses still
 * carry only `track`, so `item` is normalised to `item ?? track` (null when the track is gone).
 */
export const PlaylistItemSchema = z
  .looseObject({
    // Null on some very old playlists, and `added_by` may be absent there rather than null.
    added_at: z.string().nullish(),
    added_by: PlaylistUserSchema.nullish(),
    is_local: z.boolean().optional(),
    item: PlaylistEntryItemSchema.nullish(),
    track: PlaylistEntryItemSchema.nullish(),
  })
  .transform((entry) => ({ ...entry, item: entry.item ?? entry.track ?? null }));
export type PlaylistItem = z.output<typeof PlaylistItemSchema>;

const PlaylistTracksRefSchema = z.looseObject({ href: z.string().optional(), total: z.number() });

const playlistFields = {
  collaborative: z.boolean(),
  description: z.string().nullable(),
  external_urls: ExternalUrlsSchema.optional(),
  href: z.string().optional(),
  id: z.string(),
  // Observed as null for playlists without a cover.
  images: z.array(ImageSchema).nullish(),
  name: z.string(),
  owner: PlaylistOwnerSchema,
  public: z.boolean().nullable(),
  snapshot_id: z.string(),
  type: z.string(),
  uri: z.string(),
};

export const SimplifiedPlaylistSchema = z.looseObject({
  ...playlistFields,
  description: z.string().nullish(),
  items: PlaylistTracksRefSchema.optional(),
  tracks: PlaylistTracksRefSchema.optional(),
});
export type SimplifiedPlaylist = z.infer<typeof SimplifiedPlaylistSchema>;

export const PlaylistSchema = z.looseObject({
  ...playlistFields,
  followers: FollowersSchema.optional(),
  // Returned only for playlists the user owns or collaborates on in development mode.
  items: pagingSchema(PlaylistItemSchema.nullable()).optional(),
  tracks: z.unknown().optional(),
});
export type Playlist = z.infer<typeof PlaylistSchema>;

/** `GET /playlists/{id}?fields=...` returns only the fields asked for; deeper shapes are unchecked. */
export const PlaylistFieldsSchema = z.looseObject({
  collaborative: z.boolean().optional(),
  description: z.string().nullish(),
  id: z.string().optional(),
  name: z.string().optional(),
  public: z.boolean().nullish(),
  snapshot_id: z.string().optional(),
  type: z.string().optional(),
  uri: z.string().optional(),
});
export type PlaylistFields = z.infer<typeof PlaylistFieldsSchema>;

export const SavedTrackSchema = z.looseObject({ added_at: z.string(), track: TrackSchema });
export type SavedTrack = z.infer<typeof SavedTrackSchema>;

export const ContextSchema = z.looseObject({
  type: z.string(),
  href: z.string().nullish(),
  external_urls: ExternalUrlsSchema.optional(),
  uri: z.string(),
});
export type Context = z.infer<typeof ContextSchema>;

export const PlayHistorySchema = z.looseObject({
  track: TrackSchema,
  played_at: z.string(),
  context: ContextSchema.nullish(),
});
export type PlayHistory = z.infer<typeof PlayHistorySchema>;

/** Offset paging. `items` may hold nulls on some endpoints; the client decides what to keep. */
export function pagingSchema<T extends z.ZodType>(item: T) {
  return z.looseObject({
    href: z.string(),
    items: z.array(item),
    limit: z.number(),
    next: z.string().nullable(),
    offset: z.number(),
    previous: z.string().nullish(),
    total: z.number(),
  });
}

export interface Page<T> {
  href: string;
  items: T[];
  limit: number;
  next: string | null;
  offset: number;
  previous?: string | null | undefined;
  total: number;
  [key: string]: unknown;
}

/** Cursor paging (recently played): Unix-ms cursors instead of offsets. */
export function cursorPagingSchema<T extends z.ZodType>(item: T) {
  return z.looseObject({
    href: z.string(),
    items: z.array(item),
    limit: z.number(),
    next: z.string().nullable(),
    cursors: z.looseObject({ after: z.string().nullish(), before: z.string().nullish() }).nullish(),
    total: z.number().optional(),
  });
}

export interface CursorPage<T> {
  href: string;
  items: T[];
  limit: number;
  next: string | null;
  cursors?: { after?: string | null | undefined; before?: string | null | undefined } | null | undefined;
  total?: number | undefined;
  [key: string]: unknown;
}

export const SearchResultsSchema = z.looseObject({
  tracks: pagingSchema(TrackSchema.nullable()).optional(),
  artists: pagingSchema(ArtistSchema.nullable()).optional(),
  albums: pagingSchema(SimplifiedAlbumSchema.nullable()).optional(),
  playlists: pagingSchema(SimplifiedPlaylistSchema.nullable()).optional(),
});
export type SearchResults = z.infer<typeof SearchResultsSchema>;

export type SearchType = 'album' | 'artist' | 'track' | 'playlist';
export interface SearchItemTypes {
  album: SimplifiedAlbum;
  artist: Artist;
  track: Track;
  playlist: SimplifiedPlaylist;
}

export const TokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string(),
  expires_in: z.number().positive(),
  scope: z.string().optional(),
  refresh_token: z.string().optional(),
});
export type TokenResponse = z.infer<typeof TokenResponseSchema>;

/** `{"error":{"status":403,"message":"..."}}`, sometimes with `reason` (QUOTA_EXCEEDED). */
export const ApiErrorBodySchema = z.looseObject({
  error: z.looseObject({
    status: z.number().optional(),
    message: z.string().optional(),
    reason: z.string().optional(),
  }),
});

/** The accounts service's OAuth error shape: `{"error":"invalid_grant","error_description":"..."}`. */
export const AuthErrorBodySchema = z.looseObject({
  error: z.string(),
  error_description: z.string().optional(),
});
