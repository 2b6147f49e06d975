// Walking Spotify's paged answers. Offset pages and cursor pages both carry an absolute `next` URL
// (or null), which is followed verbatim (https://developer.spotify.com/documentation/web-api/concepts/api-calls): the API builds it with the right offset,
// cursor and echoed parameters, and rebuilding it would drift from what Spotify expects.
// Items inside pages may be null (unavailable tracks, Spotify-owned playlists in /me/playlists,
// search results): they are skipped and counted, never fatal.
import { TunelakeError } from '../errors.js';

export interface Pageable<T> {
  items: T[];
  next: string | null;
}

/**
 * Yields `first`, then each page `fetchNext(next)` returns, until `next` is null. A `next` that
 * repeats one already followed means the server is looping: that stops with SPOTIFY_BAD_RESPONSE
 * instead of paging forever.
 */
export async function* paginate<P extends Pageable<unknown>>(
  first: P | Promise<P>,
  fetchNext: (url: string) => Promise<P>,
): AsyncGenerator<P, void, undefined> {
  let page = await first;
  const followed = new Set<string>();
  for (;;) {
    yield page;
    const next = page.next;
    if (!next) return;
    if (followed.has(next)) {
      throw new TunelakeError(
        'SPOTIFY_BAD_RESPONSE',
        `Spotify's paging links loop: ${next} was already followed. Stopping instead of paging forever.`,
        { retryable: false, details: { next } },
      );
    }
    followed.add(next);
    page = await fetchNext(next);
  }
}

/** Every non-null item of every page, in order; `onNull` is told about each null skipped. */
export async function* iterateItems<T>(
  pages: AsyncIterable<Pageable<T | null>>,
  onNull: (count: number) => void = () => {},
): AsyncGenerator<T, void, undefined> {
  for await (const page of pages) {
    let nulls = 0;
    for (const item of page.items) {
      if (item === null || item === undefined) nulls++;
      else yield item;
    }
    if (nulls > 0) onNull(nulls);
  }
}

/** Collects `iterateItems` into an array (for small result sets). */
export async function collectItems<T>(
  pages: AsyncIterable<Pageable<T | null>>,
  onNull?: (count: number) => void,
): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterateItems(pages, onNull)) out.push(item);
  return out;
}

/** A copy of `page` without null items, counting what was dropped. */
export function withoutNulls<P extends Pageable<unknown>>(
  page: P,
  onNull: (count: number) => void,
): P & { items: Array<NonNullable<P['items'][number]>> } {
  const items = page.items.filter((item) => item !== null && item !== undefined);
  if (items.length !== page.items.length) onNull(page.items.length - items.length);
  return { ...page, items } as P & { items: Array<NonNullable<P['items'][number]>> };
}
