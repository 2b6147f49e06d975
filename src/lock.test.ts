import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTunelakeError } from './errors.js';
import { RUN_LOCK_KEY } from './lake.js';
import { acquireRunLock, LOCK_LEASE_MS, type RunLock, withRunLock } from './lock.js';
import { createLocalObjectStore } from './storage/local.js';

function lake() {
  return createLocalObjectStore({ root: mkdtempSync(join(tmpdir(), 'tunelake-lock-')) });
}

async function held(store: ReturnType<typeof lake>): Promise<RunLock | undefined> {
  const text = await store.getText(RUN_LOCK_KEY);
  return text === undefined ? undefined : (JSON.parse(text) as RunLock);
}

describe('withRunLock(store, runId, work)', () => {
  it('holds the lock while the work runs and releases it after, whatever the work does', async () => {
    const store = lake();
    const seen = await withRunLock(store, 'run-a', async () => held(store));
    expect(seen?.runId).toBe('run-a');
    expect(await held(store)).toBeUndefined();
    await expect(
      withRunLock(store, 'run-b', async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await held(store)).toBeUndefined();
  });

  it('stops a second writer with RUN_IN_PROGRESS while the first works', async () => {
    const store = lake();
    let release!: () => void;
    const first = withRunLock(store, 'first', () => new Promise<void>((resolve) => (release = resolve)));
    await new Promise((r) => setTimeout(r, 20));
    const second = await withRunLock(store, 'second', async () => 'ran').catch((e: unknown) => e);
    expect(isTunelakeError(second, 'RUN_IN_PROGRESS')).toBe(true);
    expect((second as Error).message).toContain('run first');
    release();
    await first;
  });

  it('renews the lease while the work runs longer than a lease', async () => {
    const store = lake();
    const leaseMs = 3_000; // renewed every second
    const expiries = await withRunLock(
      store,
      'long',
      async () => {
        const out: string[] = [];
        for (let i = 0; i < 3; i++) {
          out.push((await held(store))!.expiresAt);
          await new Promise((r) => setTimeout(r, 1_200));
        }
        return out;
      },
      { leaseMs },
    );
    // Each look saw a later expiry: the lease moved with the work, so no one could take it over.
    expect(new Set(expiries).size).toBe(3);
    expect(Date.parse(expiries[2]!)).toBeGreaterThan(Date.parse(expiries[0]!));
  });

  it('fails the work at its end when another writer took the lock over meanwhile', async () => {
    const store = lake();
    const result = await withRunLock(
      store,
      'victim',
      async (lock) => {
        // Another writer replaces the lock (as one that judged it stale would).
        await store.put(RUN_LOCK_KEY, JSON.stringify({ ...lock.lock, runId: 'intruder' }));
        await lock.renew();
        return lock.lost;
      },
      { leaseMs: 60_000 },
    ).catch((e: unknown) => e);
    expect(isTunelakeError(result, 'RUN_IN_PROGRESS')).toBe(true);
    expect((result as Error).message).toContain('took over');
    // The intruder's lock is not removed by the victim's release.
    expect((await held(store))?.runId).toBe('intruder');
  });
});

describe('acquireRunLock(store, runId)', () => {
  it('takes over a lock whose lease expired, and one whose process is gone', async () => {
    const store = lake();
    const past = new Date(Date.now() - 2 * LOCK_LEASE_MS);
    const old = await acquireRunLock(store, 'expired', { now: () => past });
    expect(old.lock.runId).toBe('expired');
    const fresh = await acquireRunLock(store, 'fresh');
    expect(fresh.replaced?.runId).toBe('expired');
    await fresh.release();

    await acquireRunLock(store, 'dead', { pid: 999_999_999, isAlive: () => false });
    const next = await acquireRunLock(store, 'next', { isAlive: () => false });
    expect(next.replaced?.runId).toBe('dead');
    await next.release();
    expect(await held(store)).toBeUndefined();
  });
});
