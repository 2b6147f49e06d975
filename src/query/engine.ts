// The QueryEngine port: SQL over the lake's catalog, answered by DuckDB on this machine (the default;
// `duckdb-engine.ts`) or by Amazon Athena (`athena.ts`); the composition root (src/runtime.ts) opens
// one, and callers (the CLI, the insights, the dashboard, doctor) import this file only. Both implementations return rows the same way:
//
// - one object per row, keyed by column name (a repeated name gets a suffix: `a`, `a_2`);
// - numbers as numbers; 64-bit integers and decimals as numbers when no digit is lost, else strings;
// - dates as `YYYY-MM-DD`, timestamps as ISO 8601 in UTC (`2026-11-01T08:00:00.123Z`);
// - arrays as arrays, structs (Athena: rows) as objects, maps as objects; NULL as null.
//
// Column types are each engine's own names (DuckDB: `BIGINT`, `STRUCT(...)[]`; Athena: `bigint`,
// `array`). `readOnly` engines run a single SELECT only and (DuckDB) cannot touch local files.
import { TunelakeError } from '../errors.js';

export type Row = Record<string, unknown>;

export interface QueryColumn {
  name: string;
  type: string;
}

export interface QueryResult {
  columns: QueryColumn[];
  rows: Row[];
  engine: 'duckdb' | 'athena';
  stats?: { durationMs: number; bytesScanned?: number };
}

export interface QueryOptions {
  /** The database unqualified names resolve in: `tunelake` (the default) or `tunelake_raw`. */
  database?: string;
  /** Reserved: parameters are not supported yet. */
  params?: never;
}

export interface QueryEngine {
  readonly name: 'duckdb' | 'athena';
  query(sql: string, options?: QueryOptions): Promise<QueryResult>;
  /** Re-read the catalog (new tables/partitions). */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

/** Column names made unique the way both engines key their rows: `a`, `a_2`, `a_3`. */
export function uniqueColumnNames(names: readonly string[]): string[] {
  const taken = new Set(names);
  const seen = new Set<string>();
  return names.map((name) => {
    if (!seen.has(name)) {
      seen.add(name);
      return name;
    }
    let n = 2;
    while (taken.has(`${name}_${n}`) || seen.has(`${name}_${n}`)) n++;
    const unique = `${name}_${n}`;
    seen.add(unique);
    return unique;
  });
}

/** INVALID_ARGUMENT for an empty query, so that neither engine is asked to run nothing. */
export function assertQueryText(sql: unknown): asserts sql is string {
  if (
    typeof sql !== 'string' ||
    stripComments(sql)
      .trim()
      .replace(/;+\s*$/, '') === ''
  ) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      'Empty query: expected one SQL statement, such as "SELECT 1".',
    );
  }
}

/** The SQL without its comments (the text inside string literals is kept as is). */
export function stripComments(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === c && sql[j + 1] === c) j += 2;
        else if (sql[j] === c) break;
        else j++;
      }
      out += sql.slice(i, j + 1);
      i = j + 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end;
      out += ' ';
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
      out += ' ';
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
