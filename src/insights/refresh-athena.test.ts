// The CTAS each insight becomes on Athena. No Trino parser runs here, so the test checks the statement's
// shape (what Athena's CTAS requires) and that the SELECT uses none of the DuckDB-only spellings of
// docs/architecture.md, "SQL that runs on both engines"; the API flow itself runs on moto in src/lambda/handlers.test.ts.
import { describe, expect, test } from 'vitest';
import { INSIGHTS, insightSql } from './insights.js';
import { athenaCtasSql, insightVersionPrefix } from './refresh.js';

/** DuckDB-only spellings (outside comments and string literals) and what Athena says instead. */
const DUCKDB_ONLY: Array<[RegExp, string]> = [
  [/::/, 'CAST(x AS type)'],
  [/\bQUALIFY\b/i, 'a filtered subquery'],
  [/\bGROUP\s+BY\s+ALL\b/i, 'the grouped columns'],
  [/\bINTERVAL\s+\d/i, "INTERVAL '1' DAY or date_add('day', 1, d)"],
  [/\b(strftime|strptime)\s*\(/i, 'date_format / date_parse'],
  [/\b(isodow|dayofweek)\s*\(/i, 'day_of_week'],
  [/\blen\s*\(/i, 'cardinality / length'],
  [/\blist_[a-z_]+\s*\(/i, 'transform / filter / reduce'],
  [/\barray_to_string\s*\(/i, 'array_join'],
  [/\bgenerate_series\s*\(/i, 'sequence'],
  [/\b(approx_quantile|approx_count_distinct)\s*\(/i, 'approx_percentile / approx_distinct'],
  [/\bregexp_matches\s*\(/i, 'regexp_like'],
  [/\bjson_extract_string\s*\(/i, 'json_extract_scalar'],
  [/\bepoch\s*\(/i, 'to_unixtime'],
  [/\blast_day\s*\(/i, 'last_day_of_month'],
  [/\s\/\/\s/, 'integer division with CAST'],
];

function code(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, '')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/'(?:[^']|'')*'/g, "''");
}

describe('athenaCtasSql(insight)', () => {
  const location = 's3://tunelake-lake/lake/insights/x/v=20261125t060000z-abc123/';

  for (const spec of INSIGHTS) {
    test(`${spec.name}: CREATE TABLE ... WITH (format='PARQUET', external_location=...) AS its Athena SELECT`, () => {
      const select = insightSql(spec.name, 'athena');
      const sql = athenaCtasSql({
        database: 'tunelake',
        table: `insight_${spec.name}_tmp`,
        location,
        select,
      });
      expect(sql).toMatch(
        new RegExp(
          `^CREATE TABLE "tunelake"\\."insight_${spec.name}_tmp"\\n` +
            "WITH \\(format = 'PARQUET', write_compression = 'ZSTD', external_location = 's3://[^']+/'\\)\\nAS\\n",
        ),
      );
      expect(sql).toContain(`external_location = '${location}'`);
      // One statement: no ';' before the end, and the SELECT (which may end in a comment) ends on its own line.
      expect(code(sql).trimEnd()).not.toMatch(/;/);
      expect(sql.endsWith('\n')).toBe(true);
      const body = code(select);
      expect(body).toMatch(/^\s*(WITH|SELECT)\b/i);
      for (const [pattern, instead] of DUCKDB_ONLY) {
        expect(pattern.test(body), `${spec.name} uses ${pattern} (Athena: ${instead})`).toBe(false);
      }
      // The balance of parentheses outside strings and comments.
      let depth = 0;
      for (const c of body) {
        if (c === '(') depth++;
        if (c === ')') depth--;
        expect(depth).toBeGreaterThanOrEqual(0);
      }
      expect(depth).toBe(0);
    });
  }

  test('the dialect check catches a DuckDB-only SELECT (listening_hours.sql uses isodow)', () => {
    const duckdb = code(insightSql('listening_hours', 'duckdb'));
    expect(DUCKDB_ONLY.some(([pattern]) => pattern.test(duckdb))).toBe(true);
  });

  test("quotes a location with a quote in it, and adds the trailing '/' CTAS locations need", () => {
    const sql = athenaCtasSql({ database: 'd', table: 't', location: "s3://b/it's", select: 'SELECT 1' });
    expect(sql).toContain("external_location = 's3://b/it''s/'");
  });

  test('insightVersionPrefix(name, id): one folder per refresh under the insight', () => {
    expect(insightVersionPrefix('playlist_movers', 'abc')).toBe('insights/playlist_movers/v=abc/');
  });
});
