// Enrichment of the ids a run saw only as simplified objects (a playlist track's album and artists,
// an album's tracks, a search hit). Extended tier: the batch endpoints (50 tracks, 20 albums, 50
// artists per request) bring popularity, followers, label and genres, once per day per entity for
// the snapshots. Development tier: batch endpoints, popularity and followers are gone, so only
// artists never landed before are fetched one by one (for their genres and images). Ids are
// deduplicated across sources first: no entity is fetched twice in one run.
import type { RawDataset } from '../../lake.js';
import { context, guarded, markFull, type RunContext } from '../run-context.js';
import { OWED_ATTEMPTS, owedWork } from '../state.js';

type Kind = 'tracks' | 'albums' | 'artists';

export async function enrich(ctx: RunContext): Promise<void> {
  const extended = ctx.spotify.tier === 'extended';
  const kinds: Kind[] = extended ? ['tracks', 'albums', 'artists'] : ['artists'];
  for (const kind of kinds) {
    // Ids seen this run, and ids an earlier run saw but failed to enrich: a feed or playlist that is
    // unchanged is not read again, so its ids are seen only once (#17).
    const owed = owedWork(ctx.state).enrich[kind];
    const due = [...new Set([...ctx.seen[kind], ...Object.keys(owed)])].filter((id) => {
      if (ctx.full[kind].has(id)) return false;
      const last = ctx.state.enriched[kind][id];
      return extended ? last !== ctx.today : last === undefined;
    });
    if (due.length === 0) continue;
    for (const id of due) owed[id] = (owed[id] ?? 0) + 1;
    await guarded(ctx, `enrich:${kind}`, async () => {
      const objects = await fetchMany(ctx, kind, due);
      for (let i = 0; i < due.length; i++) {
        const id = due[i]!;
        const object = objects[i];
        if (!object) continue;
        await ctx.writer.append(
          kind as RawDataset,
          context(ctx, `enrich:${kind}`, `/${kind}/${id}`, { id }),
          stripTracks(object),
        );
        markFull(ctx, kind, id);
        delete owed[id];
      }
    });
    giveUpOwed(ctx, owed, `enrich:${kind}`);
    ctx.progress({ phase: 'enrich', source: kind, done: due.length, total: due.length });
  }
}

/** Drops owed ids tried OWED_ATTEMPTS times: an id Spotify no longer knows is not asked for forever. */
export function giveUpOwed(ctx: RunContext, owed: Record<string, number>, source: string): void {
  const dropped = Object.keys(owed).filter((id) => owed[id]! >= OWED_ATTEMPTS);
  for (const id of dropped) delete owed[id];
  if (dropped.length > 0) {
    ctx.logger.warn(`gave up on ids that failed in ${OWED_ATTEMPTS} runs`, {
      source,
      ids: dropped.slice(0, 20),
    });
  }
}

function fetchMany(ctx: RunContext, kind: Kind, ids: string[]): Promise<Array<unknown | null>> {
  if (kind === 'tracks') return ctx.spotify.tracks(ids);
  if (kind === 'albums') return ctx.spotify.albums(ids);
  return ctx.spotify.artists(ids);
}

/** Albums carry a page of their tracks; enrichment keeps the album only. */
function stripTracks(object: unknown): unknown {
  const o = object as { tracks?: { items?: unknown } };
  if (!o.tracks || typeof o.tracks !== 'object' || !('items' in o.tracks)) return object;
  const { items: _items, ...paging } = o.tracks as Record<string, unknown>;
  return { ...(object as object), tracks: paging };
}
