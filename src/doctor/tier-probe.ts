// The search probe shared by doctor's access-tier group and `serve`'s capability matrix, and the
// evidence both judge the tier from (judgeTier in src/spotify/tiers.ts). When the batch endpoint did
// not refuse, search is asked for a page of 50 (what the extended tier plans): its answer is the page
// size evidence. A `400 Invalid limit` then costs one more request, with limit 1, for the sample artist.
import { z } from 'zod';
import { type TunelakeError, toTunelakeError } from '../errors.js';
import { isInvalidLimit, type SpotifyApi } from '../spotify/client.js';
import { ArtistSchema } from '../spotify/schemas.js';
import { TIERS, type TierEvidence } from '../spotify/tiers.js';

type ArtistObject = z.infer<typeof ArtistSchema>;
export const SearchArtistsSchema = z.looseObject({
  artists: z.looseObject({ items: z.array(ArtistSchema.nullable()) }),
});

export interface SearchProbe {
  /** Each request sent and what it answered, for evidence: `GET /search?...: 200, 1 item`. */
  said: string[];
  items: Array<ArtistObject | null> | undefined;
  /** Set when search gave no items (the last request's error). */
  error: TunelakeError | undefined;
  pageSize: TierEvidence['pageSize'];
  requests: number;
}

export const searchRequest = (limit: number) => `GET /search?q=a&type=artist&limit=${limit}`;

/** Search for artists; with `askPageSize`, first with the extended tier's page size. */
export async function probeSearch(spotify: SpotifyApi, askPageSize: boolean): Promise<SearchProbe> {
  const out: SearchProbe = { said: [], items: undefined, error: undefined, pageSize: null, requests: 0 };
  const ask = async (limit: number) => {
    out.requests++;
    try {
      const body = await spotify.get('/search', SearchArtistsSchema, {
        query: { q: 'a', type: 'artist', limit },
      });
      out.items = body.artists.items;
      out.error = undefined;
      out.said.push(
        `${searchRequest(limit)}: 200, ${body.artists.items.length} item${body.artists.items.length === 1 ? '' : 's'}`,
      );
      return true;
    } catch (error) {
      out.error = toTunelakeError(error);
      out.said.push(`${searchRequest(limit)}: ${out.error.code}: ${out.error.message}`);
      return isInvalidLimit(error) ? false : undefined;
    }
  };
  if (!askPageSize) {
    await ask(1);
    return out;
  }
  const asked = TIERS.extended.limits.searchPage;
  const answer = await ask(asked);
  if (answer === undefined) return out;
  out.pageSize = { asked, accepted: answer };
  if (!answer) await ask(1);
  return out;
}

/** popularity and followers of a sample artist, as judgeTier reads them. */
export function tierFields(
  present: { popularity: boolean; followers: boolean } | undefined,
): TierEvidence['fields'] {
  if (!present) return 'unknown';
  return present.popularity && present.followers ? 'present' : 'absent';
}

/** One line about the page size, for doctor and the capability matrix. */
export function pageSizeSaid(pageSize: TierEvidence['pageSize'], batchForbidden: boolean): string {
  if (pageSize === null)
    return batchForbidden
      ? 'not probed: development mode accepts at most 10 per search or artist-albums page'
      : 'not probed (search did not answer)';
  return pageSize.accepted
    ? `a search page of ${pageSize.asked} was accepted`
    : `a search page of ${pageSize.asked} was refused (400 Invalid limit): pages of 10 (the client falls back on its own)`;
}
