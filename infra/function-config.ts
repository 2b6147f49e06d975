// The tunelake config file the deployed functions read (TUNELAKE_CONFIG=/var/task/tunelake.config.json):
// the sources and HTTP settings of the chosen file, and nothing that says where things are. The lake,
// catalog, engine, region and endpoints come from the stack's environment variables, and a local
// file's `s3Endpoint` or `lake: ./lake` must never reach a Lambda function (the environment would win
// over the file anyway, but an endpoint the stack does not set would not be overridden).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';

export const FUNCTION_CONFIG_NAME = 'tunelake.config.json';

/** The function's config file content for a tunelake config file (validated like the CLI would). */
export function functionConfigJson(sourcesFile: string | undefined): string {
  if (sourcesFile === undefined) return `${JSON.stringify({ sources: {} }, null, 2)}\n`;
  // Validates every key and source id now, at synth time, rather than at 6 a.m. in the function.
  loadConfig({ configFile: sourcesFile, readStoredCredentials: false }, {});
  const file = JSON.parse(readFileSync(sourcesFile, 'utf8')) as {
    spotify?: { market?: string };
    http?: Record<string, number>;
    sources?: unknown;
  };
  const out: Record<string, unknown> = {};
  if (file.spotify?.market) out.spotify = { market: file.spotify.market };
  if (file.http) out.http = file.http;
  out.sources = file.sources ?? {};
  return `${JSON.stringify(out, null, 2)}\n`;
}

/**
 * Writes the function config under `<projectRoot>/cdk.out/function-config/<hash>/` (git-ignored, inside
 * the project so Docker bundling would see it too) and returns its path relative to the project root.
 * Named by content, so concurrent synths never overwrite each other's file.
 */
export function stageFunctionConfig(projectRoot: string, sourcesFile: string | undefined): string {
  const json = functionConfigJson(sourcesFile);
  const hash = createHash('sha256').update(json).digest('hex').slice(0, 16);
  const relative = join('cdk.out', 'function-config', hash, FUNCTION_CONFIG_NAME);
  mkdirSync(join(projectRoot, 'cdk.out', 'function-config', hash), { recursive: true });
  writeFileSync(join(projectRoot, relative), json);
  return relative;
}
