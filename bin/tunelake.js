#!/usr/bin/env node
// The `tunelake` command. The source is TypeScript, loaded through tsx so that `npx tunelake` works
// straight after `npm install`, with no build step to forget.
import { accessSync, constants, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { register } from 'tsx/esm/api';

// `tunelake tables | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

// The AWS SDK warns on every Node 20 start that its 2027 releases will need Node 22; the lockfile pins
// releases that support Node 20, so the warning is noise for a CLI user.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// Temp files (tsx's compile cache, the transform's work folder, DuckDB's spill) go under TMPDIR, or
// under TUNELAKE_TEMP_DIR when it is set. A TMPDIR that is not a folder used to crash Node inside
// tsx with a stack trace (#17): it is checked here, before anything is written.
if (process.env.TUNELAKE_TEMP_DIR) process.env.TMPDIR = process.env.TUNELAKE_TEMP_DIR;
{
  const temp = tmpdir();
  const name = process.env.TUNELAKE_TEMP_DIR ? 'TUNELAKE_TEMP_DIR' : 'TMPDIR';
  let problem;
  try {
    if (!statSync(temp).isDirectory()) problem = 'is a file, not a folder';
    else accessSync(temp, constants.W_OK | constants.X_OK);
  } catch (error) {
    problem = error.code === 'ENOENT' ? 'does not exist' : `is not usable (${error.code ?? error.message})`;
  }
  if (problem) {
    process.stderr.write(
      `tunelake: The temp folder ${name}="${temp}" ${problem}. Point ${name} at a writable folder, or unset it.\n`,
    );
    process.exit(2);
  }
}

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
