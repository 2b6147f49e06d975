// `tunelake crawl`: catalogue the lake the way an AWS Glue crawler would: raw/ into the tunelake_raw
// database, tables/ into tunelake, in the configured catalog (the local one in the lake, or Glue).
import { type Command, InvalidArgumentError } from 'commander';
import { type CrawlResult, type CrawlTarget, crawl, RAW_TARGET, TABLES_TARGET } from '../catalog/crawler.js';
import { loadConfig } from '../config.js';
import { createRuntime } from '../runtime.js';
import { configOption, lakeOption } from './common-options.js';
import { cliLogger, printJson, printLine } from './output.js';

export interface CrawlCommandDeps {
  /** The environment for loadConfig(); default: the process's. */
  env?: Readonly<Record<string, string | undefined>>;
  stdout?: (text: string) => void;
  now?: () => Date;
}

interface CrawlFlags {
  target: 'raw' | 'tables' | 'all';
  config?: string;
  lake?: string;
  catalog?: string;
  json?: boolean;
}

const TARGETS: Record<CrawlFlags['target'], CrawlTarget[]> = {
  raw: [RAW_TARGET],
  tables: [TABLES_TARGET],
  all: [RAW_TARGET, TABLES_TARGET],
};

export function registerCrawlCommand(program: Command, deps: CrawlCommandDeps = {}): void {
  const out = (text: string) => (deps.stdout ? deps.stdout(`${text}\n`) : printLine(text));
  program
    .command('crawl')
    .description(
      'Catalogue the lake like an AWS Glue crawler: infer schemas, register tables and partitions ' +
        '(raw/ into tunelake_raw, tables/ into tunelake), in the local catalog or Glue. The transform ' +
        'registers its tables itself, so the default target is the raw zone.',
    )
    .option('--target <target>', 'what to crawl: raw, tables or all', parseTarget, 'raw')
    .addOption(configOption())
    .addOption(lakeOption())
    .option('--catalog <catalog>', 'local (in the lake) or glue')
    .option('--json', 'print the crawl results as JSON on stdout')
    .action(async (flags: CrawlFlags) => {
      const spec = { configFile: flags.config, lake: flags.lake, catalog: flags.catalog };
      const config = deps.env ? loadConfig(spec, deps.env) : loadConfig(spec);
      const logger = cliLogger(config, flags.json);
      const runtime = await createRuntime(config, {
        logger,
        spotify: false,
        ...(deps.now ? { now: deps.now } : {}),
      });
      const { store, catalog } = runtime;
      try {
        const results: CrawlResult[] = [];
        for (const target of TARGETS[flags.target]) {
          results.push(await crawl(store, catalog, target, {}, { logger, now: deps.now }));
        }
        if (flags.json) {
          if (deps.stdout) deps.stdout(`${JSON.stringify({ ok: true, crawls: results }, null, 2)}\n`);
          else printJson({ ok: true, crawls: results });
        } else {
          for (const result of results) out(summarizeCrawl(result, catalog.kind, store.location));
        }
      } finally {
        await runtime.close();
      }
    });
}

function parseTarget(value: string): CrawlFlags['target'] {
  if (value === 'raw' || value === 'tables' || value === 'all') return value;
  throw new InvalidArgumentError(`expected "raw", "tables" or "all", got "${value}".`);
}

export function summarizeCrawl(result: CrawlResult, catalogKind: string, location: string): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return (
    `crawl ${result.path || '/'} -> ${result.database} (${catalogKind} catalog): ${plural(result.tables.length, 'table')} ` +
    `(${result.tablesCreated} created, ${result.tablesUpdated} updated, ${result.tablesDeprecated} deprecated, ` +
    `${result.tablesDeleted} deleted), partitions ${result.partitionsCreated} created, ${result.partitionsUpdated} updated, ` +
    `${result.partitionsDeleted} deleted; ${plural(result.objects, 'object')} (${result.objectsSampled} sampled, ` +
    `${result.unknownObjects} unknown), ${plural(result.warnings.length, 'warning')}, in ${location}.`
  );
}
