import { defineConfig } from 'vitest/config';

// Tests run in UTC whatever the machine says: dates in the lake are UTC, and so are the assertions.
process.env.TZ = 'UTC';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'infra/**/*.test.ts', 'bench/**/*.test.ts'],
    reporters: ['default', './test/support/count-reporter.ts'],
    // A hang catcher, not a speed check: tests that run the real command in child processes take a
    // minute when two files run at once on two cores.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two test files at a time. vitest's default is one fewer than the cores, which is one on a
    // 2-core CI machine; most files wait on child processes, moto or Chromium much of the time.
    maxWorkers: 2,
    env: { TZ: 'UTC', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
