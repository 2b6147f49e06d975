// `tunelake run` (the whole pipeline once) and `tunelake schedule` (run on a timetable, the local
// counterpart of the Lambda schedule; never two runs at once).
import type { Command } from 'commander';
import { type Config, loadConfig } from '../config.js';
import { toTunelakeError } from '../errors.js';
import type { Logger } from '../log.js';
import { type RunInfo, run } from '../pipeline.js';
import type { Runtime } from '../runtime.js';
import { parseCron, parseEvery, type Schedule } from '../schedule.js';
import { configOption, lakeOption } from './common-options.js';
import { EXIT_CODES } from './exit-codes.js';
import { summarize } from './extract-command.js';
import { cliLogger, createProgressLine, printJson, printLine } from './output.js';
import { runtimeFor } from './runtime-for.js';
import { describeHealed } from './transform-command.js';

interface RunFlags {
  config?: string;
  lake?: string;
  tier?: string;
  json?: boolean;
  allowClockSkew?: boolean;
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description(
      'Run the pipeline once: finish what a crashed run left, extract, transform, update the catalog and ' +
        'refresh the insights. ' +
        'Exit code 0 only when everything landed.',
    )
    .addOption(configOption())
    .addOption(lakeOption())
    .option('--tier <tier>', 'Spotify access tier: development or extended')
    .option('--json', 'print the run summary as JSON on stdout')
    .option(
      '--allow-clock-skew',
      "go on (with a warning) when the clock is more than 5 minutes off Spotify's or behind the last run",
    )
    .action(async (flags: RunFlags) => {
      const config = loadConfig({
        configFile: flags.config,
        lake: flags.lake,
        tier: flags.tier,
        allowClockSkew: flags.allowClockSkew ? 'true' : undefined,
      });
      const logger = cliLogger(config, flags.json);
      warnIfNoSources(config, logger);
      const runtime = await runtimeFor(config, { logger });
      try {
        const info = await runWithProgress(runtime);
        if (flags.json) printJson(info);
        else printLine(describeRun(info, runtime));
        if (!info.ok) process.exitCode = EXIT_CODES.PARTIAL_FAILURE;
      } finally {
        await runtime.close();
      }
    });

  program
    .command('schedule')
    .description('Run the pipeline on a timetable until stopped (Ctrl-C); a run in progress always finishes.')
    .option('--every <interval>', 'a fixed interval: 30m, 1h, 1d')
    .option('--cron <expression>', 'a five-field cron expression in UTC, such as "0 6 * * *"')
    .addOption(configOption())
    .addOption(lakeOption())
    .option('--now', 'also run once straight away')
    .action(async (flags: RunFlags & { every?: string; cron?: string; now?: boolean }) => {
      const schedule = pickSchedule(flags);
      const config = loadConfig({ configFile: flags.config, lake: flags.lake });
      const logger = cliLogger(config);
      let stopping = false;
      let wake: (() => void) | undefined;
      const stop = () => {
        stopping = true;
        wake?.();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      printLine(`tunelake schedule: ${schedule.describe()}; Ctrl-C to stop.`);
      let first = flags.now === true;
      while (!stopping) {
        if (!first) {
          const next = schedule.next(new Date());
          printLine(`next run at ${next.toISOString()}`);
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, Math.max(0, next.getTime() - Date.now()));
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          if (stopping) break;
        }
        first = false;
        // One runtime per run: a run that fails (network down, lake unreachable) is reported and the
        // schedule goes on; the run lock makes sure no other process runs at the same time.
        try {
          const runtime = await runtimeFor(config, { logger });
          try {
            printLine(describeRun(await runWithProgress(runtime), runtime));
          } finally {
            await runtime.close();
          }
        } catch (error) {
          const err = toTunelakeError(error);
          logger.error(`run failed: ${err.message}`, { code: err.code, retryable: err.retryable });
          if (err.code === 'CONFIG_INVALID') throw err;
        }
      }
      printLine('tunelake schedule: stopped.');
    });
}

function pickSchedule(flags: { every?: string; cron?: string }): Schedule {
  if (flags.every && flags.cron) {
    throw toTunelakeError(new Error('Give --every or --cron, not both.'), 'INVALID_ARGUMENT');
  }
  if (flags.every) return parseEvery(flags.every);
  if (flags.cron) return parseCron(flags.cron);
  throw toTunelakeError(
    new Error('Say when to run: --every 1h (or 30m, 1d) or --cron "0 6 * * *" (UTC).'),
    'INVALID_ARGUMENT',
  );
}

export async function runWithProgress(
  runtime: Runtime,
  options: { insights?: boolean } = {},
): Promise<RunInfo> {
  const line = createProgressLine();
  try {
    return await run(runtime, {
      insights: options.insights,
      onProgress: (event) => {
        const s = runtime.spotify.stats;
        const where = 'total' in event && event.total ? ` ${event.done}/${event.total}` : '';
        line.update(`run: ${event.phase}${where} · ${s.requests} requests`);
      },
    });
  } finally {
    line.done();
  }
}

export function describeRun(info: RunInfo, runtime: Runtime): string {
  const t = info.transform;
  const rows = Object.entries(t.rows)
    .filter(([, n]) => n > 0)
    .map(([table, n]) => `${table} ${n}`)
    .join(', ');
  const quarantined = Object.values(t.quarantined).reduce((a, b) => a + b, 0);
  const c = info.catalog;
  return [
    summarize(info.extract, runtime.store.location),
    ...(t.healed.length > 0 ? [describeHealed(t.healed)] : []),
    `transform: ${t.runs.length} new runs -> ${rows || 'nothing to do'}; ${quarantined} rows quarantined.`,
    `catalog: ${c.tablesCreated} tables created, ${c.tablesUpdated} updated, ${c.partitionsCreated} partitions added` +
      `; raw zone: ${c.raw.partitionsCreated} partitions added` +
      (c.raw.crawler === 'not-needed' ? '' : `, crawled (${c.raw.schemaChanges.length} new datasets)`) +
      '.',
    ...(info.insights
      ? [
          `insights: ${info.insights.insights.filter((i) => i.status === 'written').length} refreshed` +
            (info.insights.insights.some((i) => i.status === 'unavailable')
              ? ` (unavailable: ${info.insights.insights
                  .filter((i) => i.status === 'unavailable')
                  .map((i) => i.name)
                  .join(', ')})`
              : '') +
            '.',
        ]
      : []),
    `run ${info.ok ? 'complete' : 'finished with errors'} in ${(info.durationMs / 1000).toFixed(1)} s.`,
  ].join('\n');
}

/**
 * A config without any source runs, but extracts nothing new: said out loud rather than exiting 0
 * without a word (#17). Not an error: a lake fed by `tunelake import` alone still has its imported
 * tracks enriched and its tables, catalog and insights refreshed.
 */
export function warnIfNoSources(config: Config, logger: Logger): void {
  const { playlists, artists, search, me } = config.sources;
  if (playlists.length + artists.length + search.length > 0 || Object.values(me).some(Boolean)) return;
  logger.warn(
    `No sources configured${config.configFile ? ` in ${config.configFile}` : ' (no tunelake.config.json found)'}: ` +
      'this run extracts nothing from Spotify, only imported tracks are enriched and the tables refreshed. ' +
      'Add sources.playlists, sources.artists, sources.search or sources.me to the config file (README: "Sources").',
  );
}
