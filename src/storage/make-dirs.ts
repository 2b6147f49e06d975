// A folder and its missing parents, made one level at a time. Node's own `mkdir(dir, { recursive:
// true })` never returns when a parent refuses new folders with ENOENT (a pseudo file system such as
// /proc: TUNELAKE_LAKE=/proc/x spun at full CPU forever, #17); here every level is tried once, so the
// loop is bounded by the path's depth and ends with that level's error.
import { mkdirSync, statSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

function exists(path: string): Error | undefined {
  const error = new Error(`EEXIST: file already exists, mkdir '${path}'`) as NodeJS.ErrnoException;
  error.code = 'EEXIST';
  error.path = path;
  return error;
}

/** The levels of `dir` that do not exist yet, outermost first; throws EEXIST when `dir` is a file. */
function missingLevels(dir: string, isDir: (path: string) => boolean | undefined): string[] {
  const missing: string[] = [];
  for (let current = resolve(dir); ; current = dirname(current)) {
    const found = isDir(current);
    if (found === true) break;
    if (found === false) {
      // A file where a folder is needed: the same error as a recursive mkdir (EEXIST for the folder
      // itself; a level below a file fails with ENOTDIR when it is made).
      if (missing.length === 0) throw exists(current);
      break;
    }
    missing.push(current);
    if (dirname(current) === current) break;
  }
  return missing.reverse();
}

/** `mode` (default: the process's, less its umask) applies to every folder made, as mkdir's own. */
export async function makeDirs(dir: string, mode?: number): Promise<void> {
  const kinds = new Map<string, boolean | undefined>();
  // Stat the ancestors first (asynchronously), then decide synchronously from what was found.
  for (let current = resolve(dir); ; current = dirname(current)) {
    try {
      const st = await stat(current);
      kinds.set(current, st.isDirectory());
      break;
    } catch (error) {
      if (errno(error) !== 'ENOENT') throw error;
      kinds.set(current, undefined);
    }
    if (dirname(current) === current) break;
  }
  for (const level of missingLevels(dir, (p) => kinds.get(p))) {
    try {
      await mkdir(level, mode === undefined ? undefined : { mode });
    } catch (error) {
      if (errno(error) !== 'EEXIST') throw error;
    }
  }
}

export function makeDirsSync(dir: string): void {
  const isDir = (path: string) => {
    try {
      return statSync(path).isDirectory();
    } catch (error) {
      if (errno(error) !== 'ENOENT') throw error;
      return undefined;
    }
  };
  for (const level of missingLevels(dir, isDir)) {
    try {
      mkdirSync(level);
    } catch (error) {
      if (errno(error) !== 'EEXIST') throw error;
    }
  }
}
