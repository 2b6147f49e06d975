// `tunelake insights`: refresh the insight tables (insights/<name>/, catalogued as insight_<name>) from
// the lake's tables, or list them with their availability.
import { type Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config.js';
import { INSIGHT_NAMES } from '../insights/insights.js';
import {
  type InsightListing,
  type InsightsInfo,
  listInsights,
  refreshInsights,
} from '../insights/refresh.js';
import { createRuntime } from '../runtime.js';
import { configOption, lakeOption } from './common-options.js';
import { cliLogger, printJson, printLine } from './output.js';

export interface InsightsCommandDeps {
  /** The environment for loadConfig(); default: the process's. */
  env?: Readonly<Record<string, string | undefined>>;
  stdout?: (text: string) => void;
}

interface InsightsFlags {
  list?: boolean;
  refresh?: boolean;
  only?: string[];
  config?: string;
  lake?: string;
  json?: boolean;
}

export function registerInsightsCommand(program: Command, deps: InsightsCommandDeps = {}): void {
  const out = (text: string) => (deps.stdout ? deps.stdout(`${text}\n`) : printLine(text));
  const outJson = (value: unknown) =>
    deps.stdout ? deps.stdout(`${JSON.stringify(value, null, 2)}\n`) : printJson(value);
  program
    .command('insights')
    .description(
      'Refresh the insight tables (playlist movers, artist presence, release recency, listening habits...) ' +
        'from the lake tables: each is written to insights/<name>/ and catalogued as insight_<name>. ' +
        'An insight the data cannot support (such as popularity in the development tier) is reported as unavailable.',
    )
    .option(
      '--list',
      'list the insights, their descriptions and availability (without refreshing unless --refresh)',
    )
    .option('--refresh', 'refresh the insight tables (the default without --list)')
    .option(
      '--only <names>',
      `comma-separated insights to refresh or list (${INSIGHT_NAMES.join(', ')})`,
      parseNames,
    )
    .addOption(configOption())
    .addOption(lakeOption())
    .option('--json', 'print the result as JSON on stdout')
    .action(async (flags: InsightsFlags) => {
      const spec = { configFile: flags.config, lake: flags.lake };
      const config = deps.env ? loadConfig(spec, deps.env) : loadConfig(spec);
      const logger = cliLogger(config, flags.json);
      const runtime = await createRuntime(config, { logger, spotify: false });
      try {
        const only = flags.only;
        let info: InsightsInfo | undefined;
        if (!flags.list || flags.refresh) info = await refreshInsights(runtime, { only });
        if (flags.list) {
          const listing = await listInsights(runtime, { only });
          if (flags.json)
            outJson(info ? { ok: true, refresh: info, insights: listing } : { ok: true, insights: listing });
          else out(summarizeListing(listing, config.spotify.tier));
        } else if (info) {
          if (flags.json) outJson({ ok: true, ...info });
          else out(summarizeRefresh(info, runtime.store.location));
        }
      } finally {
        await runtime.close();
      }
    });
}

function parseNames(value: string, previous: string[] | undefined): string[] {
  const names = value
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  const unknown = names.filter((n) => !INSIGHT_NAMES.includes(n));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(
      `unknown insight(s) ${unknown.join(', ')}: expected ${INSIGHT_NAMES.join(', ')}.`,
    );
  }
  return [...(previous ?? []), ...names];
}

/** One line for the refresh, then one per insight: rows written, or why it is unavailable. */
export function summarizeRefresh(info: InsightsInfo, location: string): string {
  const written = info.insights.filter((i) => i.status === 'written').length;
  const unavailable = info.insights.length - written;
  const width = Math.max(0, ...info.insights.map((i) => i.name.length));
  const lines = [
    `insights: ${written} written${unavailable > 0 ? `, ${unavailable} unavailable` : ''} in ${location} ` +
      `(${(info.durationMs / 1000).toFixed(1)} s).`,
  ];
  for (const insight of info.insights) {
    lines.push(
      insight.status === 'written'
        ? `  ${insight.name.padEnd(width)}  ${insight.rows} row${insight.rows === 1 ? '' : 's'} (${insight.table})`
        : `  ${insight.name.padEnd(width)}  unavailable: ${insight.reason}`,
    );
  }
  return lines.join('\n');
}

/**
 * A line saying what this tier can fill, then per insight: its description and availability, the
 * question it answers, and why it is unavailable when it is.
 */
export function summarizeListing(listing: readonly InsightListing[], tier?: string): string {
  const width = Math.max(0, ...listing.map((i) => i.name.length));
  const pad = ' '.repeat(width);
  const available = listing.filter((i) => i.available).length;
  const lines: string[] = [];
  if (tier !== undefined) {
    lines.push(
      `${available} of ${listing.length} insights can be filled in the ${tier} tier with this lake's data.`,
    );
  }
  for (const insight of listing) {
    const state = insight.available
      ? insight.rows === undefined
        ? 'available, not written yet'
        : `available, ${insight.rows} row${insight.rows === 1 ? '' : 's'}`
      : 'unavailable';
    const tierNote = insight.requires.tier === 'extended' ? ', extended tier' : '';
    lines.push(`${insight.name.padEnd(width)}  ${insight.description} [${state}${tierNote}]`);
    lines.push(`${pad}  answers: ${insight.question}`);
    if (!insight.available) lines.push(`${pad}  ${insight.reason}`);
  }
  return lines.join('\n');
}
