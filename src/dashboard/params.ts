// The query string of `GET /api/insights/<name>`, checked before any SQL is built: every problem is
// reported at once, each naming what it got and what it expected. Unknown parameters are refused
// rather than ignored, so a typo (`?playlst=`) does not silently show the unfiltered table.
import { z } from 'zod';
import { TunelakeError } from '../errors.js';
import { isSpotifyId } from '../spotify/ids.js';
import type { InsightFilters } from './queries.js';

export const DEFAULT_LIMIT = 1000;
export const MAX_LIMIT = 10_000;

export interface InsightParams extends InsightFilters {
  view: string;
  limit: number;
}

const clip = (value: string) => (value.length > 60 ? `${value.slice(0, 60)}...` : value);

const date = (name: string) =>
  z.string().refine(isCalendarDate, {
    error: (issue) =>
      `${name} "${clip(String(issue.input))}" is not a date: expected YYYY-MM-DD, such as 2026-11-01`,
  });

const spotifyId = (name: string) =>
  z.string().refine(isSpotifyId, {
    error: (issue) =>
      `${name} "${clip(String(issue.input))}" is not a Spotify ${name} id: expected 22 letters and digits`,
  });

const paramsSchema = z
  .object({
    from: date('from').optional(),
    to: date('to').optional(),
    playlist: spotifyId('playlist').optional(),
    artist: spotifyId('artist').optional(),
    view: z
      .string()
      .regex(/^[a-z_]{1,40}$/, { error: 'view: expected a view name such as rows, latest or timeline' })
      .optional(),
    limit: z
      .string()
      .regex(/^\d{1,6}$/, { error: `limit: expected a whole number from 1 to ${MAX_LIMIT}` })
      .transform(Number)
      .refine((n) => n >= 1 && n <= MAX_LIMIT, {
        error: `limit: expected a whole number from 1 to ${MAX_LIMIT}`,
      })
      .optional(),
  })
  .strict()
  .refine((p) => p.from === undefined || p.to === undefined || p.from <= p.to, {
    error: 'from is after to: expected from <= to',
  });

/** The parameters, or INVALID_ARGUMENT listing every problem. `query` holds every value of each key. */
export function parseInsightParams(query: Record<string, string[]>): InsightParams {
  const repeated = Object.entries(query)
    .filter(([, values]) => values.length > 1)
    .map(([key]) => key);
  if (repeated.length > 0) {
    throw invalid([`${repeated.join(', ')} given more than once: expected each parameter at most once`]);
  }
  const single = Object.fromEntries(Object.entries(query).map(([key, values]) => [key, values[0] ?? '']));
  const parsed = paramsSchema.safeParse(single);
  if (!parsed.success) {
    throw invalid(
      parsed.error.issues.map((issue) =>
        issue.code === 'unrecognized_keys'
          ? `unknown parameter${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${clip(k)}"`).join(', ')}: ` +
            'expected from, to, playlist, artist, view, limit'
          : issue.message,
      ),
    );
  }
  const p = parsed.data;
  const out: InsightParams = { view: p.view ?? 'rows', limit: p.limit ?? DEFAULT_LIMIT };
  if (p.from !== undefined) out.from = p.from;
  if (p.to !== undefined) out.to = p.to;
  if (p.playlist !== undefined) out.playlist = p.playlist;
  if (p.artist !== undefined) out.artist = p.artist;
  return out;
}

function invalid(problems: string[]): TunelakeError {
  return new TunelakeError('INVALID_ARGUMENT', `Invalid parameters: ${problems.join('; ')}.`, {
    details: { problems },
  });
}

function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const time = Date.parse(`${value}T00:00:00Z`);
  return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 10) === value;
}
