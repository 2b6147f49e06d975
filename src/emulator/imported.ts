// Tracks named by an imported streaming history (src/import/). A real export names real Spotify
// tracks, which the generated catalogue does not have, so against the emulator the run after an
// import would fetch nothing but 404s and the demo could not show the history joining the catalogue
// (#18). With `resolveImportedTracks` on (`tunelake demo` and the stand-in a command starts without
// credentials turn it on), the track endpoints answer such an id with a stand-in: a catalogue track
// picked by a hash of the id, under the asked id, so its album and artists are the catalogue's and
// join as a real track's would. Off by default: the contract tests need unknown ids to stay unknown.
import { createHash } from 'node:crypto';
import type { Track, World } from './world.js';

const SPOTIFY_ID = /^[0-9A-Za-z]{22}$/;

/** The stand-in for a well-formed id the catalogue lacks; undefined for a malformed id. */
export function importedTrack(world: World, id: string): Track | undefined {
  if (!SPOTIFY_ID.test(id)) return undefined;
  const ids = [...world.tracks.keys()].sort();
  if (ids.length === 0) return undefined;
  const pick = createHash('sha256').update(id).digest().readUInt32BE(0) % ids.length;
  const base = world.tracks.get(ids[pick]!)!;
  return { ...base, id, artistIds: base.artistIds.slice() };
}
