import { describe, expect, it } from 'vitest';
import { runOnPool } from './pool.js';

/** A task body that records when it ran on which connection, and yields a few times meanwhile. */
function recorder() {
  const events: string[] = [];
  let active = 0;
  let maxActive = 0;
  const task =
    (name: string, fail = false) =>
    async (connection: string) => {
      active++;
      maxActive = Math.max(maxActive, active);
      events.push(`start ${name} on ${connection}`);
      for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 1));
      events.push(`end ${name}`);
      active--;
      if (fail) throw new Error(`${name} failed`);
    };
  return { events, task, maxActive: () => maxActive };
}

describe('runOnPool', () => {
  it('starts a task only after every task it waits for has ended', async () => {
    const r = recorder();
    await runOnPool(
      ['a', 'b'],
      [
        { name: 'listens', after: ['streams', 'tracks'], run: r.task('listens') },
        { name: 'tracks', run: r.task('tracks') },
        { name: 'streams', run: r.task('streams') },
        { name: 'track_artists', after: ['tracks'], run: r.task('track_artists') },
      ],
    );
    const at = (event: string) => r.events.findIndex((e) => e.startsWith(event));
    expect(r.events).toHaveLength(8);
    expect(at('start listens')).toBeGreaterThan(at('end tracks'));
    expect(at('start listens')).toBeGreaterThan(at('end streams'));
    expect(at('start track_artists')).toBeGreaterThan(at('end tracks'));
  });

  it('runs at most one task per connection at a time, and uses every connection', async () => {
    const r = recorder();
    const tasks = ['t1', 't2', 't3', 't4', 't5'].map((name) => ({ name, run: r.task(name) }));
    await runOnPool(['a', 'b'], tasks);
    expect(r.maxActive()).toBe(2);
    expect(r.events.filter((e) => e.endsWith('on a')).length).toBeGreaterThan(0);
    expect(r.events.filter((e) => e.endsWith('on b')).length).toBeGreaterThan(0);
  });

  it('ignores a name it does not run, as if it had ended', async () => {
    const r = recorder();
    await runOnPool(['a'], [{ name: 'playlist_items', after: ['playlists'], run: r.task('playlist_items') }]);
    expect(r.events).toEqual(['start playlist_items on a', 'end playlist_items']);
  });

  it('starts nothing after a failure, lets running tasks end, then throws the failure', async () => {
    const r = recorder();
    const run = runOnPool(
      ['a', 'b'],
      [
        { name: 'bad', run: r.task('bad', true) },
        { name: 'slow', run: r.task('slow') },
        { name: 'later', after: ['bad'], run: r.task('later') },
        { name: 'never', after: ['slow'], run: r.task('never') },
      ],
    );
    await expect(run).rejects.toThrow('bad failed');
    expect(r.events).toContain('end slow');
    expect(r.events.some((e) => e.startsWith('start later'))).toBe(false);
    expect(r.events.some((e) => e.startsWith('start never'))).toBe(false);
  });

  it('refuses tasks that wait for each other instead of hanging', async () => {
    const r = recorder();
    await expect(
      runOnPool(
        ['a'],
        [
          { name: 'x', after: ['y'], run: r.task('x') },
          { name: 'y', after: ['x'], run: r.task('y') },
        ],
      ),
    ).rejects.toThrow(/wait for each other: x, y/);
    expect(r.events).toEqual([]);
  });

  it('treats a task that throws before its first await as failed', async () => {
    await expect(
      runOnPool(
        ['a'],
        [
          {
            name: 'sync',
            run: () => {
              throw new Error('thrown at once');
            },
          },
        ],
      ),
    ).rejects.toThrow('thrown at once');
  });
});
