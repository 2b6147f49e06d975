// A child process for the crash tests: runs one transform on a local lake and SIGKILLs itself at a
// named checkpoint when asked. Argument: one JSON object {lake, crashAt?}.
import { silentLogger } from '../../log.js';
import { createLocalObjectStore } from '../../storage/local.js';
import { transform } from '../transform.js';

interface ChildArgs {
  lake: string;
  crashAt?: string;
  rebuildBatchBytes?: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as ChildArgs;
const store = createLocalObjectStore({ root: args.lake });
const info = await transform(
  { store, logger: silentLogger },
  {
    threads: 1,
    ...(args.rebuildBatchBytes === undefined
      ? {}
      : { full: true, rebuildBatchBytes: args.rebuildBatchBytes }),
    checkpoint: (name) => {
      if (name === args.crashAt) process.kill(process.pid, 'SIGKILL');
    },
  },
);
process.stdout.write(`${JSON.stringify({ runs: info.runs, rows: info.rows })}\n`);
