#!/usr/bin/env node
// The `tunelake` command. The source is TypeScript, loaded through tsx so that `npx tunelake` works
// straight after `npm install`, with no build step to forget.
import { register } from 'tsx/esm/api';

// `tunelake tables | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
