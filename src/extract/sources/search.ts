// Search queries (e.g. `tag:new` albums, `genre:` artists), paged within the tier's limits. A query
// whose first page is unchanged since a run earlier the same day is not landed again.
import {
  contentHash,
  context,
  guarded,
  noteAlbum,
  noteArtists,
  noteTrack,
  type RunContext,
} from '../run-context.js';
import { extractAlbums, extractOwedAlbums } from './artists.js';

export async function extractSearches(ctx: RunContext): Promise<void> {
  const queries = ctx.config.sources.search;
  for (let n = 0; n < queries.length; n++) {
    const query = queries[n]!;
    const key = `search:${query.type}:${query.q}`;
    await guarded(ctx, key, async () => {
      const newAlbums: string[] = [];
      let first = true;
      let hash: string | undefined;
      for await (const page of ctx.spotify.search(query.q, query.type, { maxResults: query.limit })) {
        if (first) {
          first = false;
          hash = contentHash(page.items.map((item) => (item as { id?: unknown } | null)?.id ?? null));
          const previous = ctx.state.feeds[key];
          if (previous?.day === ctx.today && previous.hash === hash) {
            ctx.skipped.push(key);
            hash = undefined;
            break;
          }
        }
        for (let i = 0; i < page.items.length; i++) {
          const item = page.items[i];
          if (item === null || item === undefined) continue;
          await ctx.writer.append(
            'search_results',
            context(ctx, key, page.href, { q: query.q, type: query.type, rank: page.offset + i }),
            item,
          );
          if (query.type === 'track') noteTrack(ctx, item, true);
          if (query.type === 'album') {
            noteAlbum(ctx, item, false);
            newAlbums.push((item as { id: string }).id);
          }
          if (query.type === 'artist') noteArtists(ctx, [item]);
        }
      }
      // The feed counts as landed only once every page did (#17); the albums it lists are owed in
      // the state until their tracks land (extractAlbums), so they are fetched even when it is skipped.
      if (hash !== undefined) ctx.state.feeds[key] = { hash, day: ctx.today };
      // Albums found by search are releases: land their tracks like a watched artist's new albums.
      if (query.type === 'album') await extractAlbums(ctx, newAlbums, key);
    });
    ctx.progress({ phase: 'search', source: key, done: n + 1, total: queries.length });
  }
  // What earlier runs listed but could not land (any source), whether or not a query lists it again.
  await extractOwedAlbums(ctx);
}
