// The artist watchlist: the artist itself (once per day), its discography (artist albums), and the
// tracks of every album not seen before. A run on an unchanged discography makes one request per
// artist: the first page of its albums, whose ids are all known.
import { pagingSchema, SimplifiedTrackSchema } from '../../spotify/schemas.js';
import {
  context,
  forEachLimit,
  guarded,
  markFull,
  noteAlbum,
  noteTrack,
  type RunContext,
} from '../run-context.js';

const ALBUM_TRACKS_PAGE = pagingSchema(SimplifiedTrackSchema.nullable());

export async function extractArtists(ctx: RunContext, ids: readonly string[]): Promise<void> {
  // Artist objects: batched in the extended tier, one by one in development (the client decides).
  const due = ids.filter((id) => ctx.state.artists[id]?.day !== ctx.today);
  if (due.length > 0) {
    await guarded(ctx, 'artists', async () => {
      const artists = await ctx.spotify.artists(due);
      for (let i = 0; i < due.length; i++) {
        const artist = artists[i];
        const id = due[i]!;
        if (!artist) {
          ctx.errors.push({
            source: `artist:${id}`,
            code: 'SPOTIFY_NOT_FOUND',
            message: `Artist ${id} was not found.`,
          });
          continue;
        }
        await ctx.writer.append(
          'artists',
          context(ctx, `artist:${id}`, `/artists/${id}`, { artist_id: id }),
          artist,
        );
        markFull(ctx, 'artists', id);
        ctx.state.artists[id] = { day: ctx.today, albums: ctx.state.artists[id]?.albums ?? [] };
      }
    });
  }

  let done = 0;
  await forEachLimit(ids, ctx.config.http.concurrency, async (artistId) => {
    await guarded(ctx, `artist:${artistId}`, async () => {
      const known = new Set(ctx.state.artists[artistId]?.albums ?? []);
      const seenNow: string[] = [];
      for await (const page of ctx.spotify.artistAlbums(artistId, ctx.config.sources.artistIncludeGroups)) {
        let unseen = 0;
        for (let i = 0; i < page.items.length; i++) {
          const album = page.items[i];
          if (!album || known.has(album.id)) continue;
          unseen++;
          known.add(album.id);
          seenNow.push(album.id);
          await ctx.writer.append(
            'artist_albums',
            context(ctx, `artist:${artistId}`, page.href, { artist_id: artistId, position: page.offset + i }),
            album,
          );
          noteAlbum(ctx, album, false);
        }
        // Discographies only grow: a page with nothing new means the rest is known too.
        if (unseen === 0) break;
      }
      const previous = ctx.state.artists[artistId];
      ctx.state.artists[artistId] = {
        day: previous?.day ?? '',
        albums: [...(previous?.albums ?? []), ...seenNow],
      };
    });
    done++;
    ctx.progress({ phase: 'artists', source: artistId, done, total: ids.length });
  });

  // Every known album of a watched artist whose tracks have not landed yet: new ones, and any that a
  // failed earlier run left behind.
  const pending = new Set<string>();
  for (const id of ids) {
    for (const albumId of ctx.state.artists[id]?.albums ?? []) {
      if (ctx.state.albums[albumId] === undefined) pending.add(albumId);
    }
  }
  await extractAlbums(ctx, [...pending], 'artist-albums');
}

/** Full album objects and all their tracks, for albums whose tracks have not been landed yet. */
export async function extractAlbums(
  ctx: RunContext,
  albumIds: readonly string[],
  source: string,
): Promise<void> {
  const ids = albumIds.filter((id) => ctx.state.albums[id] === undefined && !ctx.full.albums.has(id));
  if (ids.length === 0) return;
  await guarded(ctx, `albums:${source}`, async () => {
    const albums = await ctx.spotify.albums(ids);
    for (let i = 0; i < ids.length; i++) {
      const album = albums[i];
      const id = ids[i]!;
      if (!album) continue;
      const { tracks, ...rest } = album as typeof album & {
        tracks?: { items?: unknown[]; next?: string | null };
      };
      // The album lands without its embedded track page; the tracks land one per line in album_tracks.
      const embedded = tracks?.items ?? [];
      const { items: _items, ...trackPaging } = tracks ?? {};
      await ctx.writer.append('albums', context(ctx, source, `/albums/${id}`, { album_id: id }), {
        ...rest,
        tracks: trackPaging,
      });
      markFull(ctx, 'albums', id);
      for (let p = 0; p < embedded.length; p++) {
        const track = embedded[p];
        if (!track) continue;
        await ctx.writer.append(
          'album_tracks',
          context(ctx, source, `/albums/${id}`, { album_id: id, position: p }),
          track,
        );
        noteTrack(ctx, track, false);
      }
      // Longer albums: follow the embedded page's `next` verbatim.
      let next = tracks?.next ?? null;
      while (next) {
        const page = await ctx.spotify.get(next, ALBUM_TRACKS_PAGE);
        for (let p = 0; p < page.items.length; p++) {
          const track = page.items[p];
          if (!track) continue;
          await ctx.writer.append(
            'album_tracks',
            context(ctx, source, page.href, { album_id: id, position: page.offset + p }),
            track,
          );
          noteTrack(ctx, track, false);
        }
        next = page.next;
      }
      ctx.state.albums[id] = ctx.today;
    }
  });
}
