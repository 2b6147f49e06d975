// The authorised user's own listening: profile, recently played (cursor `after` = the newest
// played_at landed, so no play is fetched twice and none is missed between runs fewer than 50 plays
// apart), the top 50 artists and tracks for each time range, saved tracks (paging stops at the
// first added_at already landed) and own playlists. Feeds whose content is unchanged since a run earlier
// the same day are not landed again.
import { TunelakeError } from '../../errors.js';
import type { RawDataset } from '../../lake.js';
import { contentHash, context, guarded, noteArtists, noteTrack, type RunContext } from '../run-context.js';

const TIME_RANGES = ['short_term', 'medium_term', 'long_term'] as const;
const KINDS = ['artists', 'tracks'] as const;

export async function extractMe(ctx: RunContext): Promise<void> {
  const me = ctx.config.sources.me;
  const wanted = Object.entries(me)
    .filter(([, on]) => on)
    .map(([name]) => name);
  if (wanted.length === 0) return;
  if (!ctx.spotify.hasUserToken) {
    ctx.errors.push({
      source: 'me',
      code: 'AUTH_USER_TOKEN_REQUIRED',
      message:
        `The sources.me feeds (${wanted.join(', ')}) need a user's authorisation: run \`tunelake login\` ` +
        '(or set SPOTIFY_REFRESH_TOKEN). The other sources were extracted.',
    });
    return;
  }

  await guarded(ctx, 'me:profile', async () => {
    const profile = await ctx.spotify.me();
    await landFeed(ctx, 'me', 'me:profile', [{ data: profile, request: '/me' }]);
  });

  if (me.recentlyPlayed) {
    await guarded(ctx, 'me:recently_played', async () => {
      const after = ctx.state.recentlyPlayedAfter ?? undefined;
      let newest = ctx.state.recentlyPlayedAfter ?? 0;
      for await (const page of ctx.spotify.recentlyPlayed(after === undefined ? {} : { after })) {
        for (const play of page.items) {
          if (!play) continue;
          const playedAt = Date.parse(play.played_at);
          if (!Number.isFinite(playedAt)) {
            throw new TunelakeError(
              'SPOTIFY_BAD_RESPONSE',
              `A recently played item has an invalid played_at "${play.played_at}".`,
            );
          }
          // `after` is exclusive on Spotify's side; this guard keeps a boundary play from landing twice.
          if (after !== undefined && playedAt <= after) continue;
          await ctx.writer.append('recently_played', context(ctx, 'me:recently_played', page.href), play);
          noteTrack(ctx, play.track, true);
          newest = Math.max(newest, playedAt);
        }
      }
      ctx.state.recentlyPlayedAfter = newest > 0 ? newest : ctx.state.recentlyPlayedAfter;
    });
    ctx.progress({ phase: 'me', source: 'recently_played' });
  }

  if (me.topItems) {
    for (const kind of KINDS) {
      for (const range of TIME_RANGES) {
        const source = `me:top_${kind}:${range}`;
        await guarded(ctx, source, async () => {
          const entries: FeedEntry[] = [];
          // One page (the top 50) per time range: deeper ranks carry little signal and cost a request each.
          for await (const page of ctx.spotify.topItems(kind, range)) {
            page.items.forEach((item, i) => {
              if (!item) return;
              entries.push({
                data: item,
                request: page.href,
                extra: { kind, time_range: range, rank: page.offset + i + 1 },
              });
              if (kind === 'tracks') noteTrack(ctx, item, true);
              else noteArtists(ctx, [item]);
            });
            break;
          }
          await landFeed(ctx, 'top_items', source, entries);
        });
      }
    }
    ctx.progress({ phase: 'me', source: 'top_items' });
  }

  if (me.savedTracks) {
    await guarded(ctx, 'me:saved_tracks', async () => {
      const newestKnown = ctx.state.savedTracksNewest;
      let newest = newestKnown;
      pages: for await (const page of ctx.spotify.savedTracks()) {
        for (const saved of page.items) {
          if (!saved) continue;
          // Newest first: the first one already landed means everything after it is known too.
          if (newestKnown !== null && saved.added_at <= newestKnown) break pages;
          await ctx.writer.append('saved_tracks', context(ctx, 'me:saved_tracks', page.href), saved);
          noteTrack(ctx, saved.track, true);
          if (newest === null || saved.added_at > newest) newest = saved.added_at;
        }
      }
      ctx.state.savedTracksNewest = newest;
    });
    ctx.progress({ phase: 'me', source: 'saved_tracks' });
  }

  if (me.playlists) {
    await guarded(ctx, 'me:playlists', async () => {
      const entries: FeedEntry[] = [];
      for await (const page of ctx.spotify.myPlaylists()) {
        page.items.forEach((item, i) => {
          if (item) entries.push({ data: item, request: page.href, extra: { position: page.offset + i } });
        });
      }
      await landFeed(ctx, 'my_playlists', 'me:playlists', entries);
    });
    ctx.progress({ phase: 'me', source: 'playlists' });
  }
}

interface FeedEntry {
  data: unknown;
  request: string;
  extra?: Record<string, unknown>;
}

/** Lands a whole feed unless its content equals what a run earlier the same day landed. */
async function landFeed(
  ctx: RunContext,
  dataset: RawDataset,
  source: string,
  entries: FeedEntry[],
): Promise<void> {
  const hash = contentHash(entries.map((e) => e.data));
  const previous = ctx.state.feeds[source];
  if (previous?.day === ctx.today && previous.hash === hash) {
    ctx.skipped.push(source);
    return;
  }
  for (const entry of entries) {
    await ctx.writer.append(dataset, context(ctx, source, entry.request, entry.extra), entry.data);
  }
  ctx.state.feeds[source] = { hash, day: ctx.today };
}
