// The pandas baseline (bench/baselines/pandas_transform.py) run as a child process: the seed project's
// flatten-into-data-frames transform over the same raw parts the tunelake transform reads.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export const PANDAS_SCRIPT = fileURLToPath(new URL('./baselines/pandas_transform.py', import.meta.url));
export const PANDAS_INSTALL = 'pip install pandas==2.3.3 pyarrow==25.0.1';

export interface PandasResult {
  rows: { songs: number; albums: number; artists: number };
  flattened: { songs: number; albums: number; artists: number };
  /** Wall and CPU time of the work alone: reading, flattening, frames, dedup, dates, CSV (imports excluded). */
  wallMs: number;
  userCpuMs: number;
  systemCpuMs: number;
  importMs: number;
  /** The kernel's peak RSS of the Python process (`getrusage` ru_maxrss: its VmHWM). */
  maxRssBytes: number;
  pandas: string;
  /** Wall time of the whole child process as the parent saw it (interpreter start and imports included). */
  processWallMs: number;
}

/** pandas' version, or undefined with the reason when `python -c 'import pandas'` fails. */
export async function pandasVersion(
  python: string,
): Promise<{ version: string } | { version: undefined; reason: string }> {
  const { code, stdout, stderr } = await exec(python, ['-c', 'import pandas; print(pandas.__version__)']);
  if (code === 0) return { version: stdout.trim() };
  const last = stderr.trim().split('\n').at(-1) ?? `exit code ${code}`;
  return { version: undefined, reason: last };
}

/** Runs the baseline on `paths`, writing its CSV files into `outDir` (which the caller removes). */
export async function runPandasBaseline(
  python: string,
  paths: string[],
  outDir: string,
): Promise<PandasResult> {
  // The part list goes through a file: a long list would not fit in the command line.
  const listing = join(outDir, 'parts.txt');
  writeFileSync(listing, `${paths.join('\n')}\n`);
  const started = performance.now();
  const { code, stdout, stderr } = await exec(python, [PANDAS_SCRIPT, outDir, `@${listing}`], true);
  const processWallMs = Math.round(performance.now() - started);
  if (code !== 0)
    throw new Error(`the pandas baseline exited with code ${code}: ${stderr.trim().slice(-500)}`);
  const last = stdout.trim().split('\n').at(-1) ?? '';
  return { ...(JSON.parse(last) as Omit<PandasResult, 'processWallMs'>), processWallMs };
}

function exec(
  command: string,
  args: string[],
  inheritStderr = false,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', inheritStderr ? 'inherit' : 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', (error) => done({ code: -1, stdout, stderr: String(error) }));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}
