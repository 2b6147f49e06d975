import { describe, expect, it } from 'vitest';
import { isTunelakeError } from '../errors.js';
import { collectItems, iterateItems, type Pageable, paginate, withoutNulls } from './paging.js';

interface TestPage extends Pageable<number | null> {
  offset: number;
}

// Pages as a server would link them: `next` is an absolute URL with parameters the client must not
// rebuild (note the `query=` echo, as Spotify's search does).
const pagesByUrl = new Map<string, TestPage>([
  [
    'https://api.test/v1/x?offset=2&limit=2&query=a%20b',
    { offset: 2, items: [3, null], next: 'https://api.test/v1/x?offset=4&limit=2&query=a%20b' },
  ],
  ['https://api.test/v1/x?offset=4&limit=2&query=a%20b', { offset: 4, items: [5], next: null }],
]);
const firstPage: TestPage = {
  offset: 0,
  items: [1, 2],
  next: 'https://api.test/v1/x?offset=2&limit=2&query=a%20b',
};

describe('paginate(first, fetchNext)', () => {
  it('yields every page, following next verbatim until it is null', async () => {
    const asked: string[] = [];
    const fetchNext = async (url: string) => {
      asked.push(url);
      const page = pagesByUrl.get(url);
      if (!page) throw new Error(`unexpected url ${url}`);
      return page;
    };
    const offsets: number[] = [];
    for await (const page of paginate(Promise.resolve(firstPage), fetchNext)) offsets.push(page.offset);
    expect(offsets).toEqual([0, 2, 4]);
    expect(asked).toEqual([...pagesByUrl.keys()]);
  });

  it('fetches nothing more when the consumer stops early', async () => {
    let fetched = 0;
    const fetchNext = async (url: string) => {
      fetched++;
      return pagesByUrl.get(url)!;
    };
    for await (const page of paginate(firstPage, fetchNext)) {
      expect(page.offset).toBe(0);
      break;
    }
    expect(fetched).toBe(0);
  });

  it('stops with SPOTIFY_BAD_RESPONSE when next links loop', async () => {
    const looping: TestPage = { offset: 0, items: [1], next: 'https://api.test/v1/loop' };
    const pages = paginate(looping, async () => looping);
    const error = await (async () => {
      for await (const _ of pages) {
      }
    })().catch((e: unknown) => e);
    expect(isTunelakeError(error, 'SPOTIFY_BAD_RESPONSE')).toBe(true);
  });
});

describe('iterateItems(pages, onNull)', () => {
  it('yields the non-null items in order and reports the nulls skipped', async () => {
    let nulls = 0;
    const items = await collectItems(
      paginate(firstPage, async (url) => pagesByUrl.get(url)!),
      (n) => {
        nulls += n;
      },
    );
    expect(items).toEqual([1, 2, 3, 5]);
    expect(nulls).toBe(1);
  });

  it('treats a page of nulls as no items, not an error', async () => {
    const out: number[] = [];
    for await (const item of iterateItems<number>(
      paginate({ items: [null, null], next: null }, async () => {
        throw new Error('no next');
      }),
    )) {
      out.push(item);
    }
    expect(out).toEqual([]);
  });
});

describe('withoutNulls(page, onNull)', () => {
  it('drops null items, keeps the other fields and counts the drops', () => {
    let dropped = 0;
    const page = withoutNulls({ items: [null, 1, null, 2], next: null, total: 4 }, (n) => {
      dropped += n;
    });
    expect(page).toEqual({ items: [1, 2], next: null, total: 4 });
    expect(dropped).toBe(2);
  });
});
