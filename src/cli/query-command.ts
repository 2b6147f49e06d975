// `tunelake query "SQL"`: one statement against the lake's catalog, on DuckDB (local, the default) or
// Athena, printed as an aligned table, CSV (RFC 4180) or a JSON array of row objects. A bad query is a
// TunelakeError (INVALID_ARGUMENT): main() prints its one line and exits 2.
import { type Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import type { QueryResult } from '../query/engine.js';
import { type AthenaClientLike, createRuntime, type S3ClientLike } from '../runtime.js';
import { configOption, lakeOption } from './common-options.js';

export type OutputFormat = 'table' | 'csv' | 'json';

export interface QueryCommandDeps {
  /** The environment for loadConfig(); default: the process's. */
  env?: Readonly<Record<string, string | undefined>>;
  stdout?: (text: string) => void;
  /** Clients to use instead of ones from the standard AWS chain (tests pass moto's). */
  s3Client?: S3ClientLike;
  athenaClient?: AthenaClientLike;
  /** DuckDB on an S3 lake: the local mirror of the table files. */
  cacheDir?: string;
}

interface QueryFlags {
  format: OutputFormat;
  engine?: string;
  database?: string;
  config?: string;
  lake?: string;
  catalog?: string;
}

export function registerQueryCommand(program: Command, deps: QueryCommandDeps = {}): void {
  const write = deps.stdout ?? ((text: string) => process.stdout.write(text));
  program
    .command('query')
    .description(
      'Run one SQL statement on the lake: the tunelake tables by name (e.g. playlist_items), the raw zone ' +
        'as tunelake_raw.<dataset>; on DuckDB locally (default) or Athena.',
    )
    .argument('<sql>', 'the SQL statement, e.g. "SELECT count(*) FROM tracks"')
    .option('--format <format>', 'table, csv or json', parseFormat, 'table')
    .option('--engine <engine>', 'duckdb or athena (default: TUNELAKE_ENGINE, else duckdb)')
    .option('--database <name>', 'where unqualified table names resolve: tunelake (default) or tunelake_raw')
    .addOption(configOption())
    .addOption(lakeOption())
    .option('--catalog <catalog>', 'local (in the lake) or glue')
    .action(async (sql: string, flags: QueryFlags) => {
      const spec = {
        configFile: flags.config,
        lake: flags.lake,
        catalog: flags.catalog,
        engine: flags.engine,
      };
      const config = deps.env ? loadConfig(spec, deps.env) : loadConfig(spec);
      const logger = createLogger({ level: config.logLevel, format: 'text' });
      const runtime = await createRuntime(config, {
        logger,
        spotify: false,
        ...(deps.s3Client ? { s3Client: deps.s3Client } : {}),
        ...(deps.athenaClient ? { athenaClient: deps.athenaClient } : {}),
      });
      try {
        const engine = await runtime.openEngine(deps.cacheDir ? { cacheDir: deps.cacheDir } : {});
        try {
          const result = await engine.query(sql, flags.database ? { database: flags.database } : {});
          write(formatResult(readableColumnNames(result), flags.format));
        } finally {
          await engine.close();
        }
      } finally {
        await runtime.close();
      }
    });
}

function parseFormat(value: string): OutputFormat {
  if (value === 'table' || value === 'csv' || value === 'json') return value;
  throw new InvalidArgumentError(`expected "table", "csv" or "json", got "${value}".`);
}

/**
 * DuckDB names an unaliased count(*) `count_star()`, its internal function, which reads as a bug in a
 * header: show `count` instead, or `count(*)` inside a longer expression (`(count_star() + 1)` reads
 * `(count(*) + 1)`). A name the query already uses is never taken twice: then the column keeps its own.
 */
export function readableColumnNames(result: QueryResult): QueryResult {
  const taken = new Set(result.columns.map((c) => c.name));
  const renames = new Map<string, string>();
  for (const { name } of result.columns) {
    if (!name.includes('count_star()')) continue;
    const wanted = name === 'count_star()' ? 'count' : name.replaceAll('count_star()', 'count(*)');
    const readable = [wanted, name.replaceAll('count_star()', 'count(*)')].find((n) => !taken.has(n));
    if (readable === undefined) continue;
    taken.add(readable);
    renames.set(name, readable);
  }
  if (renames.size === 0) return result;
  const rename = (name: string) => renames.get(name) ?? name;
  return {
    ...result,
    columns: result.columns.map((c) => ({ ...c, name: rename(c.name) })),
    rows: result.rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [rename(k), v]))),
  };
}

/** The whole output, ending in a newline. */
export function formatResult(result: QueryResult, format: OutputFormat): string {
  if (format === 'json') return `${JSON.stringify(result.rows, null, 2)}\n`;
  if (format === 'csv') return formatCsv(result);
  return formatTable(result);
}

/** RFC 4180: CRLF line ends, a field with a comma, quote, CR or LF quoted, quotes doubled; NULL is empty. */
export function formatCsv(result: QueryResult): string {
  const field = (value: unknown): string => {
    const text = cellText(value, '');
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const names = result.columns.map((c) => c.name);
  const lines = [names.map(field).join(',')];
  for (const row of result.rows) lines.push(names.map((n) => field(row[n])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

// Both engines' numeric type names (DuckDB's upper case, Athena's lower case).
const NUMERIC_TYPE = /^(u?(tiny|small|big|huge)?int(eger)?|float|double|real|decimal(\(.*\))?)$/i;

/** Columns padded to their widest cell, numbers right-aligned, then the row count. */
export function formatTable(result: QueryResult): string {
  const count = result.rows.length;
  const footer = `(${count} ${count === 1 ? 'row' : 'rows'})`;
  if (result.columns.length === 0) return `${footer}\n`;
  const names = result.columns.map((c) => c.name);
  const cells = result.rows.map((row) => names.map((n) => escapeControls(cellText(row[n], 'NULL'))));
  const numeric = result.columns.map((c) =>
    c.type === 'UNKNOWN'
      ? result.rows.length > 0 &&
        result.rows.every((r) => r[c.name] === null || typeof r[c.name] === 'number')
      : NUMERIC_TYPE.test(c.type),
  );
  const widths = names.map((n, i) => Math.max(n.length, ...cells.map((row) => row[i]!.length)));
  const pad = (text: string, i: number) => (numeric[i] ? text.padStart(widths[i]!) : text.padEnd(widths[i]!));
  const lines = [
    names.map((n, i) => n.padEnd(widths[i]!)).join(' | '),
    widths.map((w) => '-'.repeat(w)).join('-+-'),
    ...cells.map((row) => row.map(pad).join(' | ')),
  ];
  lines.push(footer);
  return `${lines.map((l) => l.trimEnd()).join('\n')}\n`;
}

function cellText(value: unknown, nullText: string): string {
  if (value === null || value === undefined) return nullText;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value);
}

function escapeControls(text: string): string {
  return text.replaceAll('\n', '\\n').replaceAll('\r', '\\r').replaceAll('\t', '\\t');
}
