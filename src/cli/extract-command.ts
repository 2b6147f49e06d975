// `tunelake extract`: configured sources -> the raw zone.
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { type ExtractInfo, extract } from '../extract/extract.js';
import type { ImportedTracksBacklog } from '../extract/manifest.js';
import { newRunId } from '../lake.js';
import { withRunLock } from '../lock.js';
import { configOption, lakeOption } from './common-options.js';
import { EXIT_CODES } from './exit-codes.js';
import { cliLogger, createProgressLine, printJson, printLine } from './output.js';
import { runtimeFor } from './runtime-for.js';

interface ExtractFlags {
  config?: string;
  lake?: string;
  tier?: string;
  json?: boolean;
  allowClockSkew?: boolean;
}

export function registerExtractCommand(program: Command): void {
  program
    .command('extract')
    .description(
      'Extract the configured sources (playlists, artists, search, your listening) into the raw zone, ' +
        'incrementally. Without SPOTIFY_CLIENT_ID it uses the built-in emulator.',
    )
    .addOption(configOption())
    .addOption(lakeOption())
    .option('--tier <tier>', 'Spotify access tier: development or extended')
    .option('--json', 'print the run summary as JSON on stdout')
    .option(
      '--allow-clock-skew',
      "go on (with a warning) when the clock is more than 5 minutes off Spotify's or behind the last run",
    )
    .action(async (flags: ExtractFlags) => {
      const config = loadConfig({
        configFile: flags.config,
        lake: flags.lake,
        tier: flags.tier,
        allowClockSkew: flags.allowClockSkew ? 'true' : undefined,
      });
      const logger = cliLogger(config, flags.json);
      const runtime = await runtimeFor(config, { logger });
      const line = createProgressLine();
      try {
        const info = await withRunLock(
          runtime.store,
          `extract-${newRunId(new Date())}`,
          () =>
            extract(runtime, {
              logger,
              now: runtime.now,
              onProgress: (event) => {
                const s = runtime.spotify.stats;
                const where = event.total ? ` ${event.done}/${event.total}` : '';
                const retries = Object.values(s.retries).reduce((a, b) => a + b, 0);
                line.update(`extract: ${event.phase}${where} · ${s.requests} requests · ${retries} retries`);
              },
            }),
          { logger },
        );
        line.done();
        if (flags.json) printJson(info);
        else printLine(summarize(info, runtime.store.location));
        if (info.errors.length > 0) process.exitCode = EXIT_CODES.PARTIAL_FAILURE;
      } finally {
        line.done();
        await runtime.close();
      }
    });
}

export function summarize(info: ExtractInfo, location: string): string {
  const records = Object.entries(info.records)
    .map(([dataset, n]) => `${dataset} ${n}`)
    .join(', ');
  const lines = [
    `extract ${info.runId}: ${Object.values(info.records).reduce((a, b) => a + b, 0)} records (${records || 'none'}) ` +
      `in ${info.objects} objects, ${info.requests} requests, ${info.retries} retries, ` +
      `${info.skipped.length} unchanged sources skipped, ${info.errors.length} errors, into ${location} (${info.tier} tier).`,
  ];
  if (info.importedTracks) lines.push(describeBacklog(info.importedTracks, info.tier));
  for (const error of info.errors) lines.push(`  ! ${error.source}: ${error.message}`);
  return lines.join('\n');
}

/** "imported history: 50 of 300 tracks fetched, 5 runs to go (50 a run in the development tier)." */
export function describeBacklog(backlog: ImportedTracksBacklog, tier: string): string {
  const head = `imported history: ${backlog.fetched} of ${backlog.tracks} tracks fetched`;
  if (backlog.runsToGo === 0) return `${head}, all in the catalogue tables.`;
  return (
    `${head}, ${backlog.runsToGo} run${backlog.runsToGo === 1 ? '' : 's'} to go ` +
    `(${backlog.perRun} a run in the ${tier} tier; each \`tunelake run\` fetches the next ones).`
  );
}
