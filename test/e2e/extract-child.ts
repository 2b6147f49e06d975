// A child process for the crash tests: runs one extract against an emulator started by the parent,
// and SIGKILLs itself at a named checkpoint when asked. Arguments: one JSON object.
import { loadConfig } from '../../src/config.js';
import { extract } from '../../src/extract/extract.js';
import { silentLogger } from '../../src/log.js';
import { createRuntime } from '../../src/runtime.js';

interface ChildArgs {
  lake: string;
  accountsUrl: string;
  apiUrl: string;
  tier: string;
  refreshToken: string;
  sources: unknown;
  nowMs: number;
  crashAt?: string;
  /** SIGKILL right after the Nth object write (lock, marker, raw part, manifest, state...). */
  crashAfterWrites?: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as ChildArgs;
const config = loadConfig(
  {
    lake: args.lake,
    accountsUrl: args.accountsUrl,
    apiUrl: args.apiUrl,
    clientId: 'tunelake-demo',
    tier: args.tier,
    sources: args.sources,
    rateLimit: 5000,
  },
  {
    SPOTIFY_CLIENT_SECRET: 'tunelake-demo-secret',
    SPOTIFY_REFRESH_TOKEN: args.refreshToken,
    TUNELAKE_CREDENTIALS: '/nonexistent/credentials.json',
  },
);
const now = () => new Date(args.nowMs);
const runtime = await createRuntime(config, { logger: silentLogger, now });
let writes = 0;
const put = runtime.store.put.bind(runtime.store);
runtime.store.put = async (...argsOfPut) => {
  const result = await put(...argsOfPut);
  writes++;
  if (writes === args.crashAfterWrites) process.kill(process.pid, 'SIGKILL');
  return result;
};
const info = await extract(runtime, {
  now,
  checkpoint: (name) => {
    if (name === args.crashAt) process.kill(process.pid, 'SIGKILL');
  },
});
await runtime.close();
process.stdout.write(
  `${JSON.stringify({ runId: info.runId, records: info.records, errors: info.errors, writes })}\n`,
);
