// The transform's scratch folder (DuckDB's spill files, the Parquet files before upload). A transform
// removes its own when it ends, but one killed with SIGKILL cannot: its folder, up to several GB of
// spill files, would stay in the temp folder for good. So each folder records its owner, and the
// next transform removes the folders whose owner process is gone.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'tunelake-transform-';
const OWNER_FILE = 'owner.json';
/** A folder without an owner file (its creator died before writing it) is left this long. */
const ORPHAN_GRACE_MS = 60 * 60 * 1000;

export interface WorkDirDeps {
  pid?: number;
  host?: string;
  now?: () => number;
  /** Whether a process of this host is alive (default: signal 0). */
  isAlive?: (pid: number) => boolean;
}

/** Creates this transform's folder under `base`, after removing the folders of dead transforms. */
export function createWorkDir(base: string, deps: WorkDirDeps = {}): string {
  const pid = deps.pid ?? process.pid;
  const host = deps.host ?? hostname();
  removeStaleWorkDirs(base, { ...deps, host });
  const dir = mkdtempSync(join(base, PREFIX));
  writeFileSync(join(dir, OWNER_FILE), JSON.stringify({ pid, host }));
  return dir;
}

/** Removes `base`'s transform folders whose owner process (on this host) no longer runs; returns them. */
export function removeStaleWorkDirs(base: string, deps: WorkDirDeps = {}): string[] {
  const host = deps.host ?? hostname();
  const now = deps.now ?? Date.now;
  const isAlive = deps.isAlive ?? processIsAlive;
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(base).filter((name) => name.startsWith(PREFIX));
  } catch {
    return removed; // no temp folder to sweep: nothing is stale
  }
  for (const name of names) {
    const dir = join(base, name);
    try {
      let stale: boolean;
      try {
        const owner = JSON.parse(readFileSync(join(dir, OWNER_FILE), 'utf8')) as {
          pid?: unknown;
          host?: unknown;
        };
        // Another host's folder (a shared temp folder) is not ours to judge.
        stale = owner.host === host && typeof owner.pid === 'number' && !isAlive(owner.pid);
      } catch {
        stale = now() - statSync(dir).mtimeMs > ORPHAN_GRACE_MS;
      }
      if (stale) {
        rmSync(dir, { recursive: true, force: true });
        removed.push(dir);
      }
    } catch {
      // A folder that vanished meanwhile, or one we may not read: leave it.
    }
  }
  return removed;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
