// The lake's run lock: one writer at a time, for every command and handler that changes the lake
// (`run`, `extract`, `transform`, `import`, each Lambda). Whoever starts the work takes it, once, with
// `withRunLock`; the stages it calls never take it themselves, so nothing needs to say "the lock is
// already held".
//
// The lock (state/lock.json) is created exclusively and carries a lease. A second writer that finds a
// live lock stops with RUN_IN_PROGRESS (exit 8). A lock whose lease expired, or whose holder was a
// process on this host that no longer exists (kill -9), is stale and taken over with compare-and-swap.
// While the work goes on, the lease is renewed (compare-and-swap again) a few times per lease, so a
// run longer than the lease is never "taken over as dead" while it is alive; a renewal that finds the
// lock taken over means another writer is in the lake, and the work fails at its end instead of
// reporting success.
//
// The lease is wall time, never the emulator's simulated clock, which another process need not share.
import { hostname } from 'node:os';
import { isTunelakeError, TunelakeError } from './errors.js';
import { RUN_LOCK_KEY } from './lake.js';
import type { Logger } from './log.js';
import type { ObjectStore } from './storage/store.js';

/**
 * How long a lock is good for without a renewal. A holder renews it every third of this, so only a
 * holder that died (or hangs for minutes) lets it expire; a Lambda killed at its timeout frees the lake
 * for the retry within this time.
 */
export const LOCK_LEASE_MS = 2 * 60 * 1000;

export interface RunLock {
  runId: string;
  host: string;
  pid: number;
  acquiredAt: string;
  expiresAt: string;
}

export interface LockDeps {
  /** Wall clock (tests pass a fixed one). */
  now?: () => Date;
  /** Whether a process with this pid exists on this host (stale-lock detection after kill -9). */
  isAlive?: (pid: number) => boolean;
  pid?: number;
  host?: string;
  leaseMs?: number;
  logger?: Logger;
}

export interface HeldLock {
  readonly lock: RunLock;
  /** The lock this one replaced because it was stale (its run crashed). */
  readonly replaced: RunLock | undefined;
  /** Extends the lease now (also done on a timer while `withRunLock` runs). */
  renew(): Promise<void>;
  /** Set when a renewal found that another writer took the lock over. */
  readonly lost: boolean;
  release(): Promise<void>;
}

/**
 * Takes the lake's run lock, runs `work`, renews the lease while it runs, and releases the lock
 * however `work` ends. RUN_IN_PROGRESS when another live writer holds it.
 */
export async function withRunLock<T>(
  store: ObjectStore,
  runId: string,
  work: (lock: HeldLock) => Promise<T>,
  deps: LockDeps = {},
): Promise<T> {
  const lock = await acquireRunLock(store, runId, deps);
  if (lock.replaced) {
    deps.logger?.warn('took over the lock of a run that died', { previous: lock.replaced });
  }
  const leaseMs = deps.leaseMs ?? LOCK_LEASE_MS;
  let renewing: Promise<void> = Promise.resolve();
  const timer = setInterval(
    () => {
      renewing = lock.renew().catch((error) => {
        deps.logger?.warn('could not renew the run lock', { error: String(error) });
      });
    },
    Math.max(1_000, Math.floor(leaseMs / 3)),
  );
  timer.unref();
  let result: T;
  try {
    result = await work(lock);
  } finally {
    clearInterval(timer);
    await renewing;
    await lock.release();
  }
  if (lock.lost) {
    throw new TunelakeError(
      'RUN_IN_PROGRESS',
      `Another writer took over the lake's run lock while run ${runId} was working (its lease was not renewed in time). ` +
        'Check that no two schedulers run against the same lake, then run `tunelake verify`.',
      { details: { runId } },
    );
  }
  return result;
}

export async function acquireRunLock(
  store: ObjectStore,
  runId: string,
  deps: LockDeps = {},
): Promise<HeldLock> {
  const clock = deps.now ?? (() => new Date());
  const leaseMs = deps.leaseMs ?? LOCK_LEASE_MS;
  const host = deps.host ?? hostname();
  const pid = deps.pid ?? process.pid;
  const acquiredAt = clock();
  const body = (expires: Date): RunLock => ({
    runId,
    host,
    pid,
    acquiredAt: acquiredAt.toISOString(),
    expiresAt: expires.toISOString(),
  });
  const first = body(new Date(acquiredAt.getTime() + leaseMs));

  const held = (initialEtag: string, replaced: RunLock | undefined): HeldLock => {
    let etag = initialEtag;
    let current = first;
    let lost = false;
    let released = false;
    return {
      get lock() {
        return current;
      },
      replaced,
      get lost() {
        return lost;
      },
      async renew() {
        if (lost || released) return;
        const next = body(new Date(clock().getTime() + leaseMs));
        try {
          const put = await store.put(RUN_LOCK_KEY, JSON.stringify(next), {
            ifMatch: etag,
            contentType: 'application/json',
          });
          etag = put.etag;
          current = next;
        } catch (error) {
          if (!isTunelakeError(error, 'STORAGE_CONFLICT')) throw error;
          lost = true;
        }
      },
      async release() {
        if (released) return;
        released = true;
        // Conditional: a lock taken over meanwhile belongs to the other writer.
        try {
          await store.delete(RUN_LOCK_KEY, { ifMatch: etag });
        } catch (error) {
          if (!isTunelakeError(error, 'STORAGE_CONFLICT')) throw error;
        }
      },
    };
  };

  // Bounded: a lock that vanishes between our create-only put and our read is retried a few times,
  // never forever.
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const { etag } = await store.put(RUN_LOCK_KEY, JSON.stringify(first), {
        ifNoneMatch: '*',
        contentType: 'application/json',
      });
      return held(etag, undefined);
    } catch (error) {
      if (!isTunelakeError(error, 'STORAGE_CONFLICT')) throw error;
    }
    const existing = await store.get(RUN_LOCK_KEY);
    if (!existing) continue;
    let other: RunLock | undefined;
    try {
      other = JSON.parse(new TextDecoder().decode(existing.body)) as RunLock;
    } catch {
      other = undefined;
    }
    const isAlive = deps.isAlive ?? processExists;
    const stale =
      other === undefined ||
      Date.parse(other.expiresAt) <= acquiredAt.getTime() ||
      (other.host === host && other.pid !== pid && !isAlive(other.pid));
    if (!stale) {
      throw new TunelakeError(
        'RUN_IN_PROGRESS',
        `Another run is in progress (run ${other?.runId}, pid ${other?.pid} on ${other?.host}, started ${other?.acquiredAt}). ` +
          `Wait for it to finish; if it died, its lock expires at ${other?.expiresAt}.`,
        { details: { lock: other } },
      );
    }
    try {
      const { etag } = await store.put(RUN_LOCK_KEY, JSON.stringify(first), {
        ifMatch: existing.etag,
        contentType: 'application/json',
      });
      return held(etag, other);
    } catch (error) {
      if (isTunelakeError(error, 'STORAGE_CONFLICT')) {
        throw new TunelakeError(
          'RUN_IN_PROGRESS',
          'Another run took over a stale lock at the same moment; run again later.',
          { cause: error },
        );
      }
      throw error;
    }
  }
  throw new TunelakeError(
    'RUN_IN_PROGRESS',
    `The run lock (${RUN_LOCK_KEY}) kept appearing and vanishing: another writer is starting and stopping. Run again later.`,
  );
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
