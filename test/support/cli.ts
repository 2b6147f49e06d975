// The real `tunelake` command in a child process, for the command tests beside each command
// (src/cli/*-command.test.ts): a clean environment with no Spotify credentials, so the command meets
// its built-in emulator as a new user would.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PATH } from './env.js';

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'tunelake.js');

/** Runs `tunelake args` in `cwd` and waits for it (at most 60 s). */
export function tunelake(args: string[], cwd: string, env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH, HOME: cwd, TZ: 'UTC', ...env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
