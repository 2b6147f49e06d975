// `tunelake demo`: the built-in emulator in-process, the pipeline once per simulated day, then what
// to look at. What `npm start` runs when no Spotify credentials are set.
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { Emulator } from '../emulator/server.js';
import { DAY_MS, EPOCH_MS, worldNowMs } from '../emulator/world.js';
import { TunelakeError } from '../errors.js';
import { committedRunIds, readManifest } from '../extract/manifest.js';
import { headlineInsights } from '../insights/headlines.js';
import { createLogger } from '../log.js';
import type { RunInfo } from '../pipeline.js';
import { createRuntime } from '../runtime.js';
import { lakeOption } from './common-options.js';
import { EXIT_CODES } from './exit-codes.js';
import { describeBacklog } from './extract-command.js';
import { printJson, printLine } from './output.js';
import { runWithProgress } from './run-command.js';

interface DemoFlags {
  days: string;
  tier?: string;
  lake?: string;
  json?: boolean;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      "Run the pipeline against the built-in emulator once per simulated day (the emulator's generated " +
        'catalogue evolves: playlists change, artists release, plays accumulate), ending today.',
    )
    .option('--days <n>', 'how many simulated days', '14')
    .option('--tier <tier>', 'emulated access tier: development or extended')
    .addOption(lakeOption())
    .option('--json', 'print the per-day summaries as JSON on stdout')
    .action(async (flags: DemoFlags) => {
      const days = Number(flags.days);
      if (!Number.isInteger(days) || days < 1 || days > 365) {
        throw new TunelakeError(
          'INVALID_ARGUMENT',
          `Invalid --days "${flags.days}": expected a whole number from 1 to 365.`,
        );
      }
      const infos = await demo({ days, tier: flags.tier, lake: flags.lake, json: flags.json === true });
      if (flags.json) printJson(infos);
      if (infos.some((i) => !i.ok)) process.exitCode = EXIT_CODES.PARTIAL_FAILURE;
    });
}

export async function demo(options: {
  days: number;
  tier?: string;
  lake?: string;
  json: boolean;
}): Promise<RunInfo[]> {
  const config = loadConfig({ tier: options.tier, lake: options.lake });
  const say = options.json ? () => {} : printLine;
  // The last simulated day is today; days the lake already holds are not run again.
  const today = Math.max(options.days - 1, Math.floor((Date.now() - EPOCH_MS) / DAY_MS));
  let first = today - options.days + 1;
  // An imported streaming history names real Spotify tracks: the emulator stands in for them.
  const emulator = await Emulator.create({
    tier: config.spotify.tier,
    day: first,
    resolveImportedTracks: true,
  });
  const logger = createLogger({ level: 'error', format: 'text' });
  const runtime = await createRuntime(config, { emulator, logger });
  const infos: RunInfo[] = [];
  try {
    const last = await lastRunDate(runtime.store);
    if (last !== undefined) {
      const lastDay = Math.floor((Date.parse(`${last}T00:00:00Z`) - EPOCH_MS) / DAY_MS);
      if (lastDay >= first) {
        first = Math.min(today, lastDay);
        emulator.setDay(first);
      }
    }
    say(
      `tunelake demo: using the built-in Spotify emulator (${emulator.tier} tier, generated catalogue), ` +
        `${today - first + 1} simulated day(s) into ${runtime.store.location}.`,
    );
    for (let day = first; day <= today; day++) {
      if (day > first) emulator.advanceDay(1);
      // The insight tables are rebuilt from the whole history: once, after the last day, is enough.
      const info = await runWithProgress(runtime, { insights: day === today });
      infos.push(info);
      const date = new Date(worldNowMs(emulator.world)).toISOString().slice(0, 10);
      const rows = Object.values(info.transform.rows).reduce((a, b) => a + b, 0);
      say(
        `${date}: ${info.extract.requests} requests, ${Object.values(info.extract.records).reduce((a, b) => a + b, 0)} records landed, ` +
          `${rows} table rows written, ${info.extract.skipped.length} unchanged sources skipped` +
          (info.extract.errors.length > 0 ? `, ${info.extract.errors.length} errors` : '') +
          ` (${(info.durationMs / 1000).toFixed(1)} s)`,
      );
      if (info.extract.importedTracks) {
        say(`  ${describeBacklog(info.extract.importedTracks, info.extract.tier)}`);
      }
    }
    say('');
    if (!options.json) {
      const headlines = await headlineInsights(runtime);
      if (headlines.length > 0) {
        say('Headlines:');
        for (const line of headlines) say(`  ${line}`);
        say('');
      }
    }
    say(`Tables: ${(await runtime.catalog.listTables('tunelake')).map((t) => t.Name).join(', ')}`);
    say(
      'Next: npx tunelake serve (the dashboard), npx tunelake insights --list, npx tunelake tables, ' +
        'npx tunelake query "select * from insight_playlist_movers limit 20".',
    );
    return infos;
  } finally {
    await runtime.close();
    await emulator.close();
  }
}

async function lastRunDate(store: Parameters<typeof committedRunIds>[0]): Promise<string | undefined> {
  const ids = await committedRunIds(store);
  const last = ids.at(-1);
  return last ? (await readManifest(store, last)).dt : undefined;
}
