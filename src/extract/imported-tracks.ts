// Enrichment of the tracks an imported streaming history refers to (src/import/): an export names
// each track by URI, with its name, album and album artist as text only. The run after an import
// fetches the full track objects of those the lake has not landed yet, so that they join the
// tracks, albums and artists tables by id (their albums and artists are noted for enrich.ts, which
// runs next). A history holds thousands of tracks, so each run takes a slice and leaves the rest of the
// rate budget to the configured sources: batches of 50 in the extended tier, single lookups in
// development mode (no batch endpoints there). Slices go in id order: deterministic, and the
// import's index does not know which tracks were played most.
// A track the lake only saw inside a polled play in development mode is not in the enriched state,
// so it may be fetched once more here: one request per such track, once.
import { importedTrackIds } from '../import/import-state.js';
import type { ObjectStore } from '../storage/store.js';
import { committedRunIds, type ImportedTracksBacklog } from './manifest.js';
import { context, guarded, markFull, noteTrack, type RunContext } from './run-context.js';
import { OWED_ATTEMPTS, owedWork } from './state.js';

/** Tracks fetched per run at most: 10 batch requests (extended) or 50 single lookups (development). */
export const IMPORTED_TRACKS_PER_RUN = { extended: 500, development: 50 } as const;

/** The backlog, or undefined when the lake has no imported history. */
export async function enrichImportedTracks(
  ctx: RunContext,
  store: ObjectStore,
  limits: { extended: number; development: number } = IMPORTED_TRACKS_PER_RUN,
): Promise<ImportedTracksBacklog | undefined> {
  const ids = await importedTrackIds(store, new Set(await committedRunIds(store)));
  if (ids.length === 0) return undefined;
  const due = ids.filter((id) => !ctx.full.tracks.has(id) && ctx.state.enriched.tracks[id] === undefined);
  const cap = ctx.spotify.tier === 'extended' ? limits.extended : limits.development;
  const backlog = (left: number): ImportedTracksBacklog => ({
    tracks: ids.length,
    fetched: ids.length - left,
    perRun: cap,
    runsToGo: Math.ceil(left / cap),
  });
  if (due.length === 0) return backlog(0);
  const slice = due.slice(0, cap);
  const owed = owedWork(ctx.state).imported;
  await guarded(ctx, 'enrich:imported_tracks', async () => {
    const objects = await ctx.spotify.tracks(slice);
    for (let i = 0; i < slice.length; i++) {
      const id = slice[i]!;
      const object = objects[i];
      if (object) {
        await ctx.writer.append(
          'tracks',
          context(ctx, 'enrich:imported_tracks', `/tracks/${id}`, { id }),
          object,
        );
        noteTrack(ctx, object, true);
        markFull(ctx, 'tracks', id);
        delete owed[id];
        continue;
      }
      // A 404 may be a passing fault (#17): asked again by the next runs, given up (never asked
      // again) after OWED_ATTEMPTS of them.
      owed[id] = (owed[id] ?? 0) + 1;
      if (owed[id] >= OWED_ATTEMPTS) {
        delete owed[id];
        markFull(ctx, 'tracks', id);
      }
    }
  });
  ctx.progress({ phase: 'enrich', source: 'imported_tracks', done: slice.length, total: due.length });
  // A slice that failed (guarded recorded the error) is still due: count what was marked.
  const left = due.filter((id) => !ctx.full.tracks.has(id)).length;
  if (left > 0) {
    ctx.logger.info('imported tracks: more to fetch in the next runs', {
      fetched: slice.length,
      left,
    });
  }
  return backlog(left);
}
