// A child process for the crash trials: one pipeline run (extract -> transform -> catalog ->
// insights) against an emulator started by the parent, that SIGKILLs itself right after its Nth
// mutation of the lake (put, putStream, delete, deleteMany) when asked. Argument: one JSON object.
// It prints one JSON line: the run's outcome and how many mutations it made.
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { run } from '../../src/pipeline.js';
import { createRuntime } from '../../src/runtime.js';
import type { ObjectStore } from '../../src/storage/store.js';

export interface PipelineChildArgs {
  lake: string;
  accountsUrl: string;
  apiUrl: string;
  tier: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  sources: unknown;
  /** The pipeline clock: `baseMs + (Date.now() - originMs)`, so runs on one lake follow each other in time. */
  baseMs: number;
  originMs: number;
  /** SIGKILL right after the Nth lake mutation of this process. */
  killAfterMutations?: number;
  /**
   * Pause for `holdMs` after the first lake mutation once the run reaches this phase, after printing
   * `HOLD <phase>` on stderr: the concurrency trials start a second run in that window.
   */
  holdInPhase?: 'extract' | 'transform' | 'catalog' | 'insights';
  holdMs?: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as PipelineChildArgs;
const config = loadConfig(
  {
    lake: args.lake,
    accountsUrl: args.accountsUrl,
    apiUrl: args.apiUrl,
    clientId: args.clientId,
    tier: args.tier,
    sources: args.sources,
    rateLimit: 5000,
    concurrency: 4,
  },
  {
    SPOTIFY_CLIENT_SECRET: args.clientSecret,
    SPOTIFY_REFRESH_TOKEN: args.refreshToken,
    TUNELAKE_CREDENTIALS: '/nonexistent/credentials.json',
  },
);
const now = () => new Date(args.baseMs + (Date.now() - args.originMs));
const runtime = await createRuntime(config, { logger: silentLogger, now });
let mutations = 0;
let phase = 'extract';
let held = false;
const counted = <K extends 'put' | 'putStream' | 'delete' | 'deleteMany'>(store: ObjectStore, name: K) => {
  const original = store[name].bind(store) as (...a: unknown[]) => Promise<unknown>;
  (store as unknown as Record<string, unknown>)[name] = async (...a: unknown[]) => {
    const result = await original(...a);
    if (!held && phase === args.holdInPhase) {
      held = true;
      process.stderr.write(`HOLD ${phase}\n`);
      await new Promise((resolve) => setTimeout(resolve, args.holdMs ?? 3000));
    }
    mutations++;
    if (mutations === args.killAfterMutations) process.kill(process.pid, 'SIGKILL');
    return result;
  };
};
for (const name of ['put', 'putStream', 'delete', 'deleteMany'] as const) counted(runtime.store, name);
const info = await run(runtime, {
  crawlRaw: true,
  onProgress: (event) => {
    if (['transform', 'catalog', 'insights'].includes(event.phase)) phase = event.phase;
  },
});
await runtime.close();
process.stdout.write(
  `${JSON.stringify({
    ok: info.ok,
    runId: info.extract.runId,
    records: info.extract.records,
    errors: info.extract.errors,
    mutations,
  })}\n`,
);
