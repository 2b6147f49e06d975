#!/usr/bin/env node
// The `tunelake` command. The source is TypeScript, loaded through tsx so that `npx tunelake` works
// straight after `npm install`, with no build step to forget.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
