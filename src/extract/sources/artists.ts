// The artist watchlist: the artist itself (once per day), its discography (artist albums), and the
// tracks of every album not seen before.
//
// Spotify lists a discography by group first (album, single, compilation, appears_on) and newest
// first only within a group (spotify/web-api#1002, #1431), so with several groups in one listing an
// artist's new single sits after all of its albums, pages away. So each followed group is listed on
// its own, newest first, and read until every album in it is accounted for: past the first known
// album, and at least until `total - total last time` new albums were found (a back-catalogue album
// added today has an old date and sorts deep inside its group). An unchanged discography costs one
// request per followed group (its first page); see docs/spotify-api.md.
import { TunelakeError } from '../../errors.js';
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
import { OWED_ATTEMPTS, owedWork } from '../state.js';

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
        ctx.state.artists[id] = {
          ...ctx.state.artists[id],
          day: ctx.today,
          albums: ctx.state.artists[id]?.albums ?? [],
        };
      }
    });
  }

  let done = 0;
  await forEachLimit(ids, ctx.config.http.concurrency, async (artistId) => {
    await guarded(ctx, `artist:${artistId}`, async () => {
      const known = new Set(ctx.state.artists[artistId]?.albums ?? []);
      const totals = { ...(ctx.state.artists[artistId]?.groupTotals ?? {}) };
      const seenNow: string[] = [];
      for (const group of ctx.config.sources.artistIncludeGroups) {
        const before = totals[group];
        let unseen = 0;
        let total = 0;
        for await (const page of ctx.spotify.artistAlbums(artistId, [group])) {
          total = page.total;
          let metKnown = false;
          for (let i = 0; i < page.items.length; i++) {
            const album = page.items[i];
            if (!album) continue;
            if (known.has(album.id)) {
              metKnown = true;
              continue;
            }
            unseen++;
            known.add(album.id);
            seenNow.push(album.id);
            await ctx.writer.append(
              'artist_albums',
              context(ctx, `artist:${artistId}`, page.href, {
                artist_id: artistId,
                album_group: group,
                position: page.offset + i,
              }),
              album,
            );
            noteAlbum(ctx, album, false);
          }
          // Newest first within the group: past a known album only older ones follow, and the
          // count says whether one of them is new (added to the back catalogue).
          if (metKnown && before !== undefined && unseen >= page.total - before) break;
        }
        totals[group] = total;
      }
      const previous = ctx.state.artists[artistId];
      ctx.state.artists[artistId] = {
        day: previous?.day ?? '',
        albums: [...(previous?.albums ?? []), ...seenNow],
        groupTotals: totals,
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
  // Owed until their tracks land: the source that listed them may not list them again (#17).
  const owed = owedWork(ctx.state).albums;
  for (const id of ids)
    owed[id] = { source: owed[id]?.source ?? source, attempts: (owed[id]?.attempts ?? 0) + 1 };
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
      const followed = new Set<string>();
      while (next) {
        // A `next` already followed: the server loops; stop instead of paging forever (#17).
        if (followed.has(next)) {
          throw new TunelakeError(
            'SPOTIFY_BAD_RESPONSE',
            `Spotify's paging links for album ${id} loop: ${next} was already followed. The album is fetched again by the next run.`,
          );
        }
        followed.add(next);
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
      delete owed[id];
    }
  });
  for (const id of ids) {
    if ((owed[id]?.attempts ?? 0) < OWED_ATTEMPTS) continue;
    ctx.logger.warn(`gave up on an album that failed in ${OWED_ATTEMPTS} runs`, { source, album: id });
    delete owed[id];
  }
}

/** Albums an earlier run listed (by any source) whose tracks have not landed yet: fetched again. */
export async function extractOwedAlbums(ctx: RunContext): Promise<void> {
  const bySource = new Map<string, string[]>();
  for (const [id, { source }] of Object.entries(owedWork(ctx.state).albums)) {
    bySource.set(source, [...(bySource.get(source) ?? []), id]);
  }
  for (const [source, ids] of bySource) await extractAlbums(ctx, ids, source);
}
