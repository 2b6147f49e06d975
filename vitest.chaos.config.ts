// `npm run chaos`: the reliability suite (test/reliability/) at a larger scale than inside `npm test`
// (CHAOS=1, read through test/support/env.ts): more crash sequences, a bigger emulated world, more
// fault storms with a real Retry-After.
import { defineConfig } from 'vitest/config';

process.env.TZ = 'UTC';

export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    reporters: ['default', './test/support/count-reporter.ts'],
    testTimeout: 900_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // One file at a time: the crash and storm trials already run child processes in parallel.
    fileParallelism: false,
    env: { TZ: 'UTC', CHAOS: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
