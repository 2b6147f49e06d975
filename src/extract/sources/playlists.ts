// Watched playlists. One metadata request per playlist per run; its snapshot_id is Spotify's change
// token (ETags are rare), so the items are read again only when the snapshot changed. The metadata is
// landed once per day (followers and description can change without a new snapshot).
import { isTunelakeError } from '../../errors.js';
import { context, forEachLimit, guarded, noteTrack, type RunContext } from '../run-context.js';

/** Everything but the items: the snapshot check stays one small request. */
export const PLAYLIST_METADATA_FIELDS =
  'collaborative,description,external_urls,followers,href,id,images,name,owner,public,snapshot_id,type,uri,items.total';

export async function extractPlaylists(ctx: RunContext, ids: readonly string[]): Promise<void> {
  let done = 0;
  await forEachLimit(ids, ctx.config.http.concurrency, async (id) => {
    await guarded(ctx, `playlist:${id}`, () => extractPlaylist(ctx, id));
    done++;
    ctx.progress({ phase: 'playlists', source: id, done, total: ids.length });
  });
}

async function extractPlaylist(ctx: RunContext, id: string): Promise<void> {
  const source = `playlist:${id}`;
  const meta = await ctx.spotify.playlist(id, { fields: PLAYLIST_METADATA_FIELDS });
  const snapshotId = String(meta.snapshot_id);
  const previous = ctx.state.playlists[id];
  const changed = previous?.snapshotId !== snapshotId;

  if (changed || previous?.day !== ctx.today) {
    await ctx.writer.append('playlists', context(ctx, source, `/playlists/${id}`, { playlist_id: id }), meta);
  }
  if (!changed) {
    ctx.skipped.push(id);
    ctx.state.playlists[id] = { ...previous!, day: ctx.today };
    return;
  }

  let total = 0;
  try {
    await landItems();
  } catch (error) {
    // Not readable in this tier (development mode: only owned or collaborative playlists). Remember the
    // snapshot so that unchanged runs do not ask again; the error is reported for this run.
    if (isTunelakeError(error, 'SPOTIFY_FORBIDDEN')) {
      ctx.state.playlists[id] = { snapshotId, day: ctx.today, total: 0, itemsForbidden: true };
    }
    throw error;
  }
  ctx.state.playlists[id] = { snapshotId, day: ctx.today, total };

  async function landItems() {
    for await (const page of ctx.spotify.playlistItems(id)) {
      const items = page.items as unknown[];
      for (let i = 0; i < items.length; i++) {
        const item = items[i];
        if (item === null || item === undefined) continue;
        const position = page.offset + i;
        await ctx.writer.append(
          'playlist_items',
          context(ctx, source, page.href, { playlist_id: id, snapshot_id: snapshotId, position }),
          item,
        );
        noteTrack(ctx, (item as { item?: unknown }).item, true);
        total++;
      }
    }
  }
}
