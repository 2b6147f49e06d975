// The rules of docs/architecture.md, checked on the import graph of src/ (test code excluded): no
// import cycles; ports import no adapter; only the composition root builds adapters; the AWS SDK only
// in adapter files; the Spotify client knows no storage and no emulator; the core imports nothing
// above it. Imports are read as text (static, `export ... from`, and dynamic `import('...')`), type-only
// ones included: a cycle of types is still two files that cannot be understood one without the other.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');

function isTestCode(path: string): boolean {
  return path.endsWith('.test.ts') || path.includes('/test-support/');
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts') && !isTestCode(path)) out.push(path);
  }
  return out.sort();
}

function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? entry.name === 'node_modules' || entry.name === 'results'
        ? []
        : allFiles(join(dir, entry.name))
      : [join(dir, entry.name)],
  );
}

interface Graph {
  /** src-relative file -> src-relative files it imports. */
  local: Map<string, Set<string>>;
  /** src-relative file -> package specifiers it imports. */
  packages: Map<string, Set<string>>;
  /**
   * src-relative file -> what loading it loads at once: static imports of values (not `import type`,
   * not a dynamic `import()`), local files and packages alike.
   */
  eager: Map<string, Set<string>>;
}

/** Strips comments so that an import named in a comment does not count. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

function buildGraph(): Graph {
  const local = new Map<string, Set<string>>();
  const packages = new Map<string, Set<string>>();
  const eager = new Map<string, Set<string>>();
  const staticValue =
    /(?:^|\n)\s*(?:import|export)\s+(?!type\s)[^;]*?from\s+'([^']+)'|(?:^|\n)\s*import\s+'([^']+)'/g;
  const specifier = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g;
  for (const file of sourceFiles(SRC)) {
    const rel = relative(SRC, file);
    const locals = new Set<string>();
    const pkgs = new Set<string>();
    for (const m of code(readFileSync(file, 'utf8')).matchAll(specifier)) {
      const spec = m[1] ?? m[2]!;
      if (spec.startsWith('.')) {
        const target = relative(SRC, resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
        if (!target.startsWith('..')) locals.add(target);
      } else pkgs.add(spec);
    }
    local.set(rel, locals);
    packages.set(rel, pkgs);
    const loads = new Set<string>();
    for (const m of code(readFileSync(file, 'utf8')).matchAll(staticValue)) {
      const spec = m[1] ?? m[2]!;
      loads.add(
        spec.startsWith('.') ? relative(SRC, resolve(dirname(file), spec.replace(/\.js$/, '.ts'))) : spec,
      );
    }
    eager.set(rel, loads);
  }
  return { local, packages, eager };
}

/** Every elementary cycle's smallest representative, found by DFS over strongly connected parts. */
function cycles(graph: Map<string, Set<string>>): string[][] {
  const found: string[][] = [];
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  let next = 0;
  const components: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      components.push(component);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  for (const component of components) {
    if (component.length > 1) found.push(component.sort());
    else if (graph.get(component[0]!)?.has(component[0]!)) found.push(component);
  }
  return found;
}

const graph = buildGraph();
const importsOf = (file: string) => [...(graph.local.get(file) ?? [])];

/** Every file and package loading `file` loads at once (static value imports, transitively). */
function loadedWith(file: string): Set<string> {
  const seen = new Set<string>();
  const visit = (f: string) => {
    for (const t of graph.eager.get(f) ?? []) {
      if (seen.has(t)) continue;
      seen.add(t);
      visit(t);
    }
  };
  visit(file);
  return seen;
}

/** The adapters: one per port and implementation. Only the composition root builds them. */
const ADAPTERS = [
  'storage/local.ts',
  'storage/s3.ts',
  'catalog/local.ts',
  'catalog/glue.ts',
  'query/duckdb-engine.ts',
  'query/athena.ts',
  'notify/sns.ts',
];
const PORTS = [
  'storage/store.ts',
  'catalog/catalog.ts',
  'query/engine.ts',
  'spotify/client.ts',
  'notify/notifier.ts',
];
/** Files that may talk to AWS through its SDK or Powertools. */
const AWS_ADAPTERS = [
  'storage/s3.ts',
  'catalog/glue.ts',
  'query/athena.ts',
  'notify/sns.ts',
  'doctor/aws-deployment.ts',
  'lambda/secrets.ts',
  'lambda/logger.ts',
  'lambda/metrics.ts',
];
/**
 * The core every layer stands on: it imports nothing above it. The Spotify id parser belongs to it:
 * the config validates the sources' ids with it, and it imports nothing but the error model.
 */
const CORE = ['errors.ts', 'secret.ts', 'log.ts', 'settings.ts', 'config.ts', 'lake.ts', 'spotify/ids.ts'];

describe('the import graph of src/ (docs/architecture.md)', () => {
  it('reads every source file and finds their imports', () => {
    expect(graph.local.size).toBeGreaterThan(100);
    expect(importsOf('pipeline.ts')).toContain('catalog/register.ts');
  });

  it('has no import cycle', () => {
    expect(cycles(graph.local)).toEqual([]);
  });

  it('the cycle finder finds a cycle when there is one', () => {
    const g = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
      ['d', new Set(['a'])],
    ]);
    expect(cycles(g)).toEqual([['a', 'b', 'c']]);
  });

  it('ports import no adapter', () => {
    const offending = PORTS.flatMap((port) =>
      importsOf(port)
        .filter((target) => ADAPTERS.includes(target))
        .map((target) => `${port} -> ${target}`),
    );
    expect(offending).toEqual([]);
  });

  it('only the composition root (runtime.ts) imports an adapter', () => {
    const offending = [...graph.local.keys()]
      .filter((file) => file !== 'runtime.ts' && !ADAPTERS.includes(file))
      .flatMap((file) =>
        importsOf(file)
          .filter((target) => ADAPTERS.includes(target))
          .map((target) => `${file} -> ${target}`),
      );
    expect(offending).toEqual([]);
  });

  it('the AWS SDK and Powertools appear only in the AWS adapter files', () => {
    const offending = [...graph.packages.entries()]
      .filter(([file]) => !AWS_ADAPTERS.includes(file))
      .flatMap(([file, pkgs]) =>
        [...pkgs]
          .filter((p) => p.startsWith('@aws-sdk/') || p.startsWith('@aws-lambda-powertools/'))
          .map((p) => `${file} -> ${p}`),
      );
    expect(offending).toEqual([]);
  });

  it('the Spotify client knows no storage, no catalog and no emulator', () => {
    const offending = [...graph.local.keys()]
      .filter((file) => file.startsWith('spotify/'))
      .flatMap((file) =>
        importsOf(file)
          .filter(
            (t) => /^(storage|catalog|emulator|extract|transform|query)\//.test(t) || t === 'runtime.ts',
          )
          .map((t) => `${file} -> ${t}`),
      );
    expect(offending).toEqual([]);
  });

  it('the core imports nothing above it', () => {
    const offending = CORE.flatMap((file) =>
      importsOf(file)
        .filter((t) => !CORE.includes(t))
        .map((t) => `${file} -> ${t}`),
    );
    expect(offending).toEqual([]);
  });

  it('no code comment cites a reference that is not in this repository', () => {
    const dirs = ['src', 'infra', 'bench', 'bin'].map((d) => join(ROOT, d));
    const files = dirs.flatMap((d) => allFiles(d)).filter((f) => /\.(ts|js|sql)$/.test(f));
    const offending = files.filter((f) =>
      /shared\/reference|\.\.\/shared\/|reference §/.test(readFileSync(f, 'utf8')),
    );
    expect(offending.map((f) => relative(ROOT, f))).toEqual([]);
  });

  it('the composition root starts no emulator', () => {
    expect(importsOf('runtime.ts').filter((t) => t.startsWith('emulator/'))).toEqual([]);
  });

  it('starting the CLI loads neither DuckDB nor the AWS SDK: commands load them when they run', () => {
    const loaded = [...loadedWith('cli/main.ts')];
    expect(loaded).toContain('cli/query-command.ts');
    expect(loaded.filter((t) => /^@duckdb\/|^@aws-sdk\/|^@aws-lambda-powertools\//.test(t))).toEqual([]);
    // The check sees an eager import when there is one: the query engine's module loads DuckDB.
    expect([...loadedWith('query/duckdb-engine.ts')]).toContain('@duckdb/node-api');
  });
});
