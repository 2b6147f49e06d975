// How each Lambda function is bundled: esbuild to one ESM file, plus the files the code reads at run
// time next to it. The handlers' modules read their SQL relative to `import.meta.url`, which in the
// bundle is /var/task/index.mjs, so `./tables/x.sql` (src/transform/tables.ts) becomes
// /var/task/tables/x.sql and `./sql/x.sql` (src/insights/insights.ts) becomes /var/task/sql/x.sql.
import { join } from 'node:path';
import { type BundlingOptions as NodeBundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';

/** DuckDB is a native addon: installed as a real node module in the asset (the host's arch: x86_64). */
export const NATIVE_MODULES = ['@duckdb/node-api'] as const;

export interface FunctionBundlingInput {
  /** The staged tunelake.config.json the function reads, relative to the project root (function-config.ts). */
  configFile: string;
  /** Install DuckDB into the asset's node_modules. */
  duckdb: boolean;
}

/**
 * Shell commands that copy the SQL files and the config file into the bundle. Paths are relative to
 * the bundling input folder (the project root locally, /asset-input in Docker), so both work.
 */
export function copyRuntimeFiles(inputDir: string, configFile: string, outputDir: string): string[] {
  const q = (path: string) => `'${path.replace(/'/g, `'\\''`)}'`;
  const src = (...parts: string[]) => q(join(inputDir, 'src', ...parts));
  return [
    `mkdir -p ${q(join(outputDir, 'tables'))} ${q(join(outputDir, 'sql'))}`,
    `cp ${src('transform', 'tables')}/*.sql ${q(join(outputDir, 'tables'))}/`,
    `cp ${src('transform', 'macros.sql')} ${src('transform', 'objects.sql')} ${q(outputDir)}/`,
    `cp ${src('insights', 'sql')}/*.sql ${q(join(outputDir, 'sql'))}/`,
    `cp ${q(join(inputDir, configFile))} ${q(join(outputDir, 'tunelake.config.json'))}`,
  ];
}

export function functionBundling(input: FunctionBundlingInput): NodeBundlingOptions {
  return {
    format: OutputFormat.ESM,
    target: 'node22',
    minify: true,
    sourceMap: false,
    mainFields: ['module', 'main'],
    // Bundled CommonJS dependencies call require() for Node built-ins; ESM has none.
    banner:
      "import { createRequire as __tunelakeCreateRequire } from 'node:module';" +
      'const require = __tunelakeCreateRequire(import.meta.url);',
    // The SDK version the tests ran against, not whichever one the runtime ships that month
    // (conditional writes, If-Match on PutObject, need a 2024+ SDK).
    bundleAwsSDK: true,
    // A function without DuckDB still names it (the composition root can open the DuckDB engine on
    // demand, a dynamic import that function never reaches): left out of the bundle, not bundled.
    ...(input.duckdb ? { nodeModules: [...NATIVE_MODULES] } : { externalModules: [...NATIVE_MODULES] }),
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (inputDir: string, outputDir: string) =>
        copyRuntimeFiles(inputDir, input.configFile, outputDir),
    },
  };
}
