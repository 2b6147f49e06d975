// Every benchmark, one after the other, each in its own process (so one's memory and garbage do not
// weigh on the next): `npm run bench` runs the full sizes, `npm run bench -- --quick` the quick ones.
//
//   npx tsx bench/all.ts [--quick] [--only transform,memory]
//
// The streaming-history import benchmark (bench/import.ts) runs when it is there. A failing benchmark
// does not stop the others; the exit code is 1 if any failed.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const BENCHMARKS = ['extract', 'transform', 'incremental', 'memory', 'queries', 'import'] as const;

/** The full runs' arguments, one process per entry (default: one run without arguments). */
const FULL_RUNS: Partial<Record<string, string[][]>> = {
  // The transform at both sizes: 100k (3 repetitions, its own results file), then 1M.
  transform: [
    ['--records', '100000', '--repetitions', '3', '--out', 'bench/results/transform-100k.json'],
    [],
  ],
};

const { values } = parseArgs({
  args: process.argv.slice(2),
  strict: true,
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(`Usage: npx tsx bench/all.ts [--quick] [--only ${BENCHMARKS.join(',')}]`);
  process.exit(0);
}
const only = values.only?.split(',').map((s) => s.trim());
const unknown = only?.filter((name) => !(BENCHMARKS as readonly string[]).includes(name)) ?? [];
if (unknown.length > 0) {
  console.error(
    `--only: unknown benchmark(s) ${unknown.join(', ')}; expected some of ${BENCHMARKS.join(', ')}`,
  );
  process.exit(2);
}

const failed: string[] = [];
for (const name of BENCHMARKS) {
  if (only && !only.includes(name)) continue;
  const script = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  if (!existsSync(script)) {
    console.log(`== ${name}: bench/${name}.ts is not there, skipped`);
    continue;
  }
  console.log(`\n== ${name}${values.quick ? ' (--quick)' : ''}`);
  const started = performance.now();
  let code: number | null = 0;
  for (const args of values.quick ? [['--quick']] : (FULL_RUNS[name] ?? [[]])) {
    if (args.length > 0) console.log(`   ${name}.ts ${args.join(' ')}`);
    const exit = await new Promise<number | null>((done) => {
      const child = spawn(process.execPath, [...process.execArgv, script, ...args], { stdio: 'inherit' });
      child.on('error', () => done(-1));
      child.on('close', done);
    });
    if (exit !== 0) code = exit;
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  if (code === 0) console.log(`== ${name}: done in ${seconds} s`);
  else {
    console.log(`== ${name}: FAILED (exit code ${code}) after ${seconds} s`);
    failed.push(name);
  }
}
if (failed.length > 0) {
  console.error(`\nfailed: ${failed.join(', ')}`);
  process.exit(1);
}
