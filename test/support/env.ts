// The few environment switches tests read, in one place (src/ reads the environment only in config.ts).

/** Set by CI (`.ci/run` runs with CI=true): checks that would skip on a developer's machine must run. */
export const IN_CI = Boolean(process.env.CI);

/** `UPDATE_GOLDEN=1 npx vitest run ...` rewrites golden fixtures on purpose. */
export const UPDATE_GOLDEN = process.env.UPDATE_GOLDEN === '1';
