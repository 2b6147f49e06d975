// `tunelake import streaming-history <zip | folder | file...>`: a Spotify data export -> the raw zone
// (dataset streaming_history). The next `transform` (or `run`) builds the streams and listens tables.
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { type ImportInfo, importStreamingHistory } from '../import/streaming-history.js';
import { newRunId } from '../lake.js';
import { withRunLock } from '../lock.js';
import { createRuntime } from '../runtime.js';
import { configOption, lakeOption } from './common-options.js';
import { cliLogger, createProgressLine, printJson, printLine } from './output.js';

interface ImportFlags {
  config?: string;
  lake?: string;
  json?: boolean;
  keepPseudonymous?: boolean;
}

/** Without a terminal, a plain progress line on stderr this often (records). */
const PLAIN_PROGRESS_EVERY = 100_000;

export function registerImportCommand(program: Command): void {
  const command = program
    .command('import')
    .description('Import data Spotify exports for you (see the subcommands).');
  command
    .command('streaming-history')
    .description(
      "Import Spotify's streaming-history export (the zip from spotify.com/account/privacy, the folder it unpacks " +
        'to, or its JSON files; extended and account-data formats) into the raw zone. Idempotent: streams already ' +
        'imported are skipped. Personal fields (username, IP address, user agent) are dropped.',
    )
    .argument(
      '<paths...>',
      'my_spotify_data.zip, its folder, or Streaming_History_*.json / StreamingHistory_*.json files',
    )
    .addOption(configOption())
    .addOption(lakeOption())
    .option(
      '--keep-pseudonymous',
      'keep username, IP address and user agent as keyed hashes (HMAC-SHA256 with a per-lake salt) instead of dropping them',
    )
    .option('--json', 'print the import summary as JSON on stdout')
    .action(async (paths: string[], flags: ImportFlags) => {
      const config = loadConfig({ configFile: flags.config, lake: flags.lake });
      const logger = cliLogger(config, flags.json);
      const runtime = await createRuntime(config, { logger, spotify: false });
      const line = createProgressLine();
      const plain = process.stderr.isTTY !== true && flags.json !== true;
      let nextPlain = PLAIN_PROGRESS_EVERY;
      try {
        const info = await withRunLock(
          runtime.store,
          `import-${newRunId(new Date())}`,
          () =>
            importStreamingHistory(
              runtime,
              paths,
              { keepPseudonymous: flags.keepPseudonymous === true },
              {
                logger,
                onProgress: (event) => {
                  line.update(`import: ${event.total} records · ${event.file}`);
                  if (plain && event.total >= nextPlain) {
                    process.stderr.write(`import: ${event.total} records read (${event.file})\n`);
                    nextPlain = event.total + PLAIN_PROGRESS_EVERY;
                  }
                },
              },
            ),
          { logger },
        );
        line.done();
        if (flags.json) printJson(info);
        else printLine(summarize(info, runtime.store.location));
      } finally {
        line.done();
        await runtime.close();
      }
    });
}

export function summarize(info: ImportInfo, location: string): string {
  const head =
    `import streaming-history: ${info.files.length} file(s), ${info.records} records: ${info.new} new, ` +
    `${info.duplicates} already imported, ${info.quarantined} for the quarantine`;
  const lines = [
    info.runId
      ? `${head}; run ${info.runId} into ${location}. Run \`tunelake transform\` (or \`run\`) to build streams and listens.`
      : `${head}; nothing new, nothing written.`,
  ];
  const width = Math.max(0, ...info.files.map((f) => f.name.length));
  for (const f of info.files) {
    lines.push(
      `  ${f.name.padEnd(width)}  ${f.format}  ${f.records} records, ${f.new} new, ${f.duplicates} duplicates, ${f.quarantined} quarantined`,
    );
  }
  for (const p of info.problems) lines.push(`  ! ${p.file} [${p.index}]: ${p.problem}`);
  if (info.quarantined > info.problems.length)
    lines.push(`  ! ... and ${info.quarantined - info.problems.length} more`);
  if (info.ignored.length > 0) lines.push(`  (${info.ignored.length} other file(s) of the export not read)`);
  if (info.trackIds > 0 && info.runId) {
    lines.push(
      `  ${info.trackIds} track(s) referenced: the next \`tunelake run\` fetches those the lake lacks.`,
    );
  }
  if (info.pseudonymous) lines.push('  personal fields kept as keyed hashes (--keep-pseudonymous)');
  return lines.join('\n');
}
