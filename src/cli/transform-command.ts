// `tunelake transform`: the committed runs of the raw zone -> the Parquet tables under tables/.
import type { Command } from 'commander';
import { type RegisterInfo, register } from '../catalog/register.js';
import { loadConfig } from '../config.js';
import { newRunId } from '../lake.js';
import { withRunLock } from '../lock.js';
import { createRuntime } from '../runtime.js';
import { type TransformInfo, transform } from '../transform/transform.js';
import { configOption, lakeOption } from './common-options.js';
import { cliLogger, createProgressLine, printJson, printLine } from './output.js';

interface TransformFlags {
  config?: string;
  lake?: string;
  full?: boolean;
  json?: boolean;
}

export function registerTransformCommand(program: Command): void {
  program
    .command('transform')
    .description(
      'Build the typed Parquet tables (tables/) from the raw zone: only runs not transformed yet trigger work, ' +
        'records that fail a data-quality check go to the quarantine table.',
    )
    .addOption(configOption())
    .addOption(lakeOption())
    .option('--full', 'rewrite every partition of every table, not only those the new runs touch')
    .option('--json', 'print the transform summary as JSON on stdout')
    .action(async (flags: TransformFlags) => {
      const config = loadConfig({ configFile: flags.config, lake: flags.lake });
      const logger = cliLogger(config, flags.json);
      const runtime = await createRuntime(config, { logger, spotify: false });
      try {
        // The catalog stage follows, under the same lock: extract then transform leaves a lake that
        // `tunelake query` can read, as `run` does.
        const { info, catalog } = await withRunLock(
          runtime.store,
          `transform-${newRunId(new Date())}`,
          async () => {
            const progress = createProgressLine();
            const info = await transform(runtime, {
              logger,
              full: flags.full === true,
              memoryLimit: runtime.config.duckdb.memoryLimit,
              // A full rebuild of a big raw zone goes in batches of days (docs/incremental.md, "Memory").
              onBatch: (batch, of, through) =>
                progress.update(`transform: full rebuild, batch ${batch} of ${of} (through ${through})`),
            });
            progress.done();
            return { info, catalog: await register(runtime) };
          },
          { logger },
        );
        if (flags.json) printJson({ ...info, catalog });
        else printLine(`${summarize(info, runtime.store.location)}\n${summarizeRegister(catalog)}`);
      } finally {
        await runtime.close();
      }
    });
}

/** One line for the catalog stage that follows a transform. */
export function summarizeRegister(info: RegisterInfo): string {
  const crawled = info.raw.crawler === 'not-needed' ? '' : `; raw zone crawled (${info.raw.crawler})`;
  return (
    `catalog: ${info.tablesCreated} table(s) created, ${info.tablesUpdated} updated, partitions ` +
    `${info.partitionsCreated} created, ${info.partitionsDeleted} dropped in ${info.database}; ` +
    `${info.raw.partitionsCreated} raw partition(s) added${crawled}.`
  );
}

/** One line for the run, then one per table: rows written, rows in the table, rows quarantined. */
export function summarize(info: TransformInfo, location: string): string {
  if (info.runs.length === 0) {
    return `transform: no new committed runs; the ${info.tables.length} tables in ${location} are up to date.`;
  }
  const width = Math.max(...info.tables.map((t) => t.name.length));
  const healed = info.healed.length > 0 ? [describeHealed(info.healed)] : [];
  const quarantinedTotal = Object.values(info.quarantined).reduce((a, b) => a + b, 0);
  const lines = [
    ...healed,
    `transform: ${info.runs.length} run(s)${info.full ? ' (full rebuild)' : ''} -> ${info.tables.length} tables in ` +
      `${location}, ${quarantinedTotal} row(s) quarantined, in ${(info.durationMs / 1000).toFixed(1)} s.`,
  ];
  for (const table of info.tables) {
    const written = info.rows[table.name] ?? 0;
    const quarantined = info.quarantined[table.name];
    const partitions =
      table.partitionKeys.length > 0 ? `, ${table.partitionsWritten.length} partition(s)` : '';
    lines.push(
      `  ${table.name.padEnd(width)}  ${written} rows written${partitions} (${table.rowCount} in table)` +
        (quarantined === undefined ? '' : `, ${quarantined} quarantined`),
    );
  }
  for (const check of info.checks) {
    if (check.quarantined > 0) {
      lines.push(
        `  ! ${check.table}.${check.rule}: ${check.quarantined} of ${check.checked} (${check.description})`,
      );
    }
  }
  return lines.join('\n');
}

/** A transform that found table files differing from its state rebuilt them (#17): said first. */
export function describeHealed(healed: ReadonlyArray<{ key: string; problem: string }>): string {
  const shown = healed.slice(0, 5).map((p) => `  ${p.key}: ${p.problem}`);
  const more = healed.length > shown.length ? [`  ... and ${healed.length - shown.length} more`] : [];
  return [
    `transform: healed ${healed.length} table file(s) that differed from state/transform.json (deleted, replaced ` +
      'or left by a transform that stopped early): every table was rebuilt from the raw zone.',
    ...shown,
    ...more,
  ].join('\n');
}
