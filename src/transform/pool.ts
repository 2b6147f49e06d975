// Work spread over a few DuckDB connections (issue #15: a small day's transform is a few hundred
// short statements, each mostly planning on one core; two connections keep both cores busy). A task
// starts once every task it waits for has finished, on the first free connection; tasks that wait
// for nothing start in the order given. Results never depend on the timing: each task writes its own
// tables and files, and the caller assembles what they return in a fixed order.
import { TunelakeError } from '../errors.js';

export interface PoolTask<C> {
  name: string;
  /** Names of tasks that must finish first (names that are not tasks of this call are ignored). */
  after?: readonly string[];
  run: (connection: C) => Promise<void>;
}

/**
 * Runs every task on one of `connections` (one task per connection at a time). On the first failure
 * no further task starts; the running ones finish, then that failure is thrown.
 */
export function runOnPool<C>(connections: readonly C[], tasks: readonly PoolTask<C>[]): Promise<void> {
  if (connections.length === 0)
    throw new TunelakeError('INTERNAL', 'runOnPool needs at least one connection.');
  const names = new Set(tasks.map((t) => t.name));
  if (names.size !== tasks.length) throw new TunelakeError('INTERNAL', 'runOnPool: two tasks share a name.');
  const done = new Set<string>();
  const started = new Set<string>();
  const free = [...connections];
  let running = 0;
  let failure: { error: unknown } | undefined;
  return new Promise((resolve, reject) => {
    const pump = () => {
      if (failure === undefined) {
        for (const task of tasks) {
          if (free.length === 0) break;
          if (started.has(task.name)) continue;
          if (!(task.after ?? []).every((name) => !names.has(name) || done.has(name))) continue;
          started.add(task.name);
          const connection = free.shift()!;
          running++;
          // A task that throws synchronously is a failed task like any other.
          Promise.resolve()
            .then(() => task.run(connection))
            .then(
              () => {
                done.add(task.name);
              },
              (error: unknown) => {
                failure ??= { error };
              },
            )
            .finally(() => {
              free.push(connection);
              running--;
              pump();
            });
        }
      }
      if (running > 0) return;
      if (failure !== undefined) reject(failure.error);
      else if (started.size < tasks.length) {
        const waiting = tasks.filter((t) => !started.has(t.name)).map((t) => t.name);
        reject(new TunelakeError('INTERNAL', `runOnPool: tasks wait for each other: ${waiting.join(', ')}.`));
      } else resolve();
    };
    pump();
  });
}
