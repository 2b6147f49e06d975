// `tunelake tables`: what the catalog knows: each table's columns with their Glue types, partition
// keys, partitions, location and row count, for the typed tables and (with --raw) the raw zone.
import type { Command } from 'commander';
import { type Catalog, RAW_DATABASE, TABLES_DATABASE } from '../catalog/catalog.js';
import { loadConfig } from '../config.js';
import { isTunelakeError } from '../errors.js';
import { createRuntime } from '../runtime.js';
import { configOption, lakeOption } from './common-options.js';
import { cliLogger, printJson, printLine } from './output.js';

export interface TableListing {
  database: string;
  name: string;
  location: string;
  columns: Array<{ name: string; type: string }>;
  partitionKeys: Array<{ name: string; type: string }>;
  partitions: string[][];
  rowCount: number | null;
  classification: string | null;
}

export function registerTablesCommand(program: Command): void {
  program
    .command('tables')
    .description(
      "List the catalog's tables: columns with Glue types, partition keys, partitions, location, row count.",
    )
    .option('--raw', `also list the raw zone's tables (database ${RAW_DATABASE})`)
    .addOption(configOption())
    .addOption(lakeOption())
    .option('--json', 'print an array of {name, location, columns, partitionKeys, partitions, rowCount}')
    .action(async (flags: { raw?: boolean; config?: string; lake?: string; json?: boolean }) => {
      const config = loadConfig({ configFile: flags.config, lake: flags.lake });
      const runtime = await createRuntime(config, { logger: cliLogger(config, flags.json), spotify: false });
      try {
        const databases = flags.raw ? [TABLES_DATABASE, RAW_DATABASE] : [TABLES_DATABASE];
        const tables: TableListing[] = [];
        for (const db of databases) tables.push(...(await listTables(runtime.catalog, db)));
        if (flags.json) {
          printJson(tables);
          return;
        }
        if (tables.length === 0) {
          printLine(
            `No tables in ${runtime.store.location} yet: run \`npx tunelake run\` (or \`npx tunelake demo\`).`,
          );
          return;
        }
        for (const t of tables) {
          const parts = t.partitionKeys.length
            ? `, partitioned by ${t.partitionKeys.map((k) => k.name).join(', ')} (${t.partitions.length} partitions` +
              `${t.partitions.length ? `: ${t.partitions[0]!.join('/')} .. ${t.partitions.at(-1)!.join('/')}` : ''})`
            : '';
          printLine(`${t.database}.${t.name}: ${t.rowCount ?? '?'} rows${parts}, ${t.location}`);
          printLine(`  ${t.columns.map((c) => `${c.name} ${c.type}`).join(', ')}`);
        }
      } finally {
        await runtime.close();
      }
    });
}

export async function listTables(catalog: Catalog, database: string): Promise<TableListing[]> {
  const out: TableListing[] = [];
  // A database not created yet is an empty listing; anything else (a corrupt catalog file) is an
  // error, never "No tables yet" with exit 0 (#17).
  const tables = await catalog.listTables(database).catch((error: unknown) => {
    if (isTunelakeError(error, 'STORAGE_NOT_FOUND')) return [];
    throw error;
  });
  for (const table of tables) {
    const partitions =
      table.PartitionKeys.length > 0 ? await catalog.getPartitions(database, table.Name) : [];
    const recordCount = table.Parameters?.recordCount;
    out.push({
      database,
      name: table.Name,
      location: table.StorageDescriptor.Location,
      columns: table.StorageDescriptor.Columns.map((c) => ({ name: c.Name, type: c.Type })),
      partitionKeys: table.PartitionKeys.map((c) => ({ name: c.Name, type: c.Type })),
      partitions: partitions.map((p) => p.Values),
      rowCount: recordCount === undefined ? null : Number(recordCount),
      classification: table.Parameters?.classification ?? null,
    });
  }
  return out;
}
