// SQL text helpers every engine and stage shares. Kept apart from query/duckdb.ts so that quoting a
// name does not load DuckDB's native module (the CLI loads it only when a command needs it).

/** Escapes a value for a single-quoted SQL string literal. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Quotes an identifier. */
export function sqlIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
