// `tunelake lambda invoke <extract|transform|catalog>`: runs a Lambda handler in this process with a
// realistic event (or --event FILE) against the configured lake, catalog and engine, the way AWS would
// invoke it. The handler's logs and EMF metric lines go to stderr; its result goes to stdout.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { type ErrorCode, TunelakeError } from '../errors.js';
import { createLogger } from '../log.js';
import { configOption, lakeOption } from './common-options.js';
import { EXIT_CODES } from './exit-codes.js';
import { printJson, printLine } from './output.js';

interface InvokeFlags {
  event?: string;
  json?: boolean;
  config?: string;
  lake?: string;
}

const NAMES = ['extract', 'transform', 'catalog'];

export function registerLambdaCommand(program: Command): void {
  const lambda = program
    .command('lambda')
    .description('Run the AWS Lambda handlers locally (the harness for the deployed pipeline).');
  lambda
    .command('invoke')
    .description(
      'Invoke a handler in-process with the event AWS would send it: extract (a schedule event for now), ' +
        "transform (S3 ObjectCreated for the newest run manifest) or catalog (the transform's on-success " +
        'destination record). Uses TUNELAKE_LAKE, TUNELAKE_CATALOG, TUNELAKE_ENGINE, and the Spotify ' +
        'credentials from TUNELAKE_SPOTIFY_SECRET_ID, the configuration, or the built-in emulator.',
    )
    .argument('<handler>', 'extract, transform or catalog')
    .option('--event <file>', 'a JSON file with the event to send instead of the default one')
    .addOption(configOption())
    .addOption(lakeOption())
    .option('--json', "print only the handler's result, as JSON")
    .action(async (name: string, flags: InvokeFlags) => {
      if (!NAMES.includes(name)) {
        throw new TunelakeError(
          'INVALID_ARGUMENT',
          `Unknown handler "${name}": expected "extract", "transform" or "catalog".`,
        );
      }
      const handler = name as 'extract' | 'transform' | 'catalog';
      const spec = { configFile: flags.config, lake: flags.lake };
      const config = loadConfig(spec);
      // Loaded on use: the handlers bring Powertools and the AWS SDK, which other commands never need.
      const { defaultEvent, invokeHandler } = await import('../lambda/harness.js');
      const { createPipelineMetrics } = await import('../lambda/metrics.js');
      const event = flags.event ? await readEvent(flags.event) : await defaultEvent(handler, config);
      const write = (line: string) => process.stderr.write(line);
      const logger = createLogger({ level: config.logLevel, write });
      // The deployed extract reads its credentials from the secret; here, with neither a secret nor
      // credentials, the built-in emulator stands in for Spotify, as for every other command.
      const standIn =
        handler === 'extract' && !config.cloud.spotifySecretId && !config.spotify.clientId
          ? await (await import('../emulator/server.js')).Emulator.startStandIn(config.spotify.tier, logger)
          : undefined;
      let result: { ok?: boolean; error?: { code?: string; message?: string } };
      try {
        result = (await invokeHandler(handler, event, {
          spec,
          logger,
          metrics: createPipelineMetrics({ write }),
          forceFetchSecret: true,
          ...(standIn ? { emulator: standIn } : {}),
        })) as typeof result;
      } finally {
        await standIn?.close();
      }
      if (flags.json) printJson(result);
      else {
        printLine(`lambda ${handler}: ${result.ok ? 'ok' : 'failed'}`);
        printJson(result);
      }
      if (result.ok === false) {
        const code = result.error?.code as ErrorCode | undefined;
        process.exitCode = code && code in EXIT_CODES ? EXIT_CODES[code] : EXIT_CODES.PARTIAL_FAILURE;
      }
    });
}

async function readEvent(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Cannot read the event file ${path}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `The event file ${path} is not valid JSON: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}
