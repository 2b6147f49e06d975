#!/usr/bin/env node
// The `tunelake` command. The source is TypeScript, loaded through tsx so that `npx tunelake` works
// straight after `npm install`, with no build step to forget.
import { register } from 'tsx/esm/api';

// `tunelake tables | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

// The AWS SDK warns on every Node 20 start that its 2027 releases will need Node 22; the lockfile pins
// releases that support Node 20, so the warning is noise for a CLI user.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
