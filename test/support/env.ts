// The few environment switches tests read, in one place (src/ reads the environment only in config.ts).

/** `UPDATE_GOLDEN=1 npx vitest run ...` rewrites golden fixtures on purpose. */
export const UPDATE_GOLDEN = process.env.UPDATE_GOLDEN === '1';

/**
 * `CHAOS=1` (what `npm run chaos` sets) runs the reliability suite (test/reliability/) at a larger
 * scale: more crash points, a bigger emulated world, longer fault storms.
 */
export const CHAOS = process.env.CHAOS === '1';

/** `TUNELAKE_CRASH_SEED=<n>` replays the crash trials of a logged seed (test/reliability/crash.test.ts). */
export const CRASH_SEED = process.env.TUNELAKE_CRASH_SEED
  ? Number(process.env.TUNELAKE_CRASH_SEED)
  : undefined;

/** The PATH a child `tunelake` process gets: tests give children a clean environment but this. */
export const PATH = process.env.PATH ?? '';
