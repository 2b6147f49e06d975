// Hive type strings (what the catalog declares, as Glue and Athena DDL spell them) -> DuckDB types, so
// that the local engine reads each column as the type Athena would give it. Also the value rules both
// engines share, so that a row reads the same whichever engine produced it: timestamps as ISO 8601
// strings in UTC, decimals as numbers when no digit is lost.
import { TunelakeError } from '../errors.js';

export type HiveTypeNode =
  | { kind: 'primitive'; name: string; params: number[] }
  | { kind: 'array'; element: HiveTypeNode }
  | { kind: 'map'; key: HiveTypeNode; value: HiveTypeNode }
  | { kind: 'struct'; fields: Array<{ name: string; type: HiveTypeNode }> };

/** Parses `array<struct<id:string,name:string>>`; INVALID_ARGUMENT for anything that is not a Hive type. */
export function parseHiveType(text: string): HiveTypeNode {
  const p = { s: text, i: 0 };
  const type = parseAt(p);
  skipSpaces(p);
  if (p.i !== text.length) fail(text, `unexpected "${text.slice(p.i)}" at ${p.i}`);
  return type;
}

interface Scanner {
  s: string;
  i: number;
}

function fail(text: string, problem: string): never {
  throw new TunelakeError('INVALID_ARGUMENT', `Invalid Hive type "${text}": ${problem}.`, {
    details: { type: text },
  });
}

function skipSpaces(p: Scanner): void {
  while (p.i < p.s.length && /\s/.test(p.s[p.i]!)) p.i++;
}

function expect(p: Scanner, c: string): void {
  skipSpaces(p);
  if (p.s[p.i] !== c) fail(p.s, `expected "${c}" at ${p.i}`);
  p.i++;
}

function parseAt(p: Scanner): HiveTypeNode {
  skipSpaces(p);
  const word = /[A-Za-z_][A-Za-z0-9_]*/y;
  word.lastIndex = p.i;
  const found = word.exec(p.s)?.[0];
  if (!found) fail(p.s, `expected a type name at ${p.i}`);
  p.i += found.length;
  const name = found.toLowerCase();
  if (name === 'array') {
    expect(p, '<');
    const element = parseAt(p);
    expect(p, '>');
    return { kind: 'array', element };
  }
  if (name === 'map') {
    expect(p, '<');
    const key = parseAt(p);
    expect(p, ',');
    const value = parseAt(p);
    expect(p, '>');
    return { kind: 'map', key, value };
  }
  if (name === 'struct') {
    expect(p, '<');
    const fields: Array<{ name: string; type: HiveTypeNode }> = [];
    skipSpaces(p);
    if (p.s[p.i] === '>') fail(p.s, 'a struct needs at least one field');
    for (;;) {
      const fieldName = parseFieldName(p);
      expect(p, ':');
      fields.push({ name: fieldName, type: parseAt(p) });
      skipSpaces(p);
      if (p.s[p.i] === ',') {
        p.i++;
        continue;
      }
      expect(p, '>');
      return { kind: 'struct', fields };
    }
  }
  const params: number[] = [];
  skipSpaces(p);
  if (p.s[p.i] === '(') {
    p.i++;
    for (;;) {
      skipSpaces(p);
      const digits = /\d+/y;
      digits.lastIndex = p.i;
      const n = digits.exec(p.s)?.[0];
      if (!n) fail(p.s, `expected a number at ${p.i}`);
      p.i += n.length;
      params.push(Number(n));
      skipSpaces(p);
      if (p.s[p.i] === ',') {
        p.i++;
        continue;
      }
      expect(p, ')');
      break;
    }
  }
  return { kind: 'primitive', name, params };
}

/** A struct field: a plain name, or a backtick-quoted one (`` ` `` doubled inside), as crawlers write. */
function parseFieldName(p: Scanner): string {
  skipSpaces(p);
  if (p.s[p.i] === '`') {
    let out = '';
    let i = p.i + 1;
    for (;;) {
      const c = p.s[i];
      if (c === undefined) fail(p.s, 'unterminated `');
      if (c === '`' && p.s[i + 1] === '`') {
        out += '`';
        i += 2;
      } else if (c === '`') {
        p.i = i + 1;
        return out;
      } else {
        out += c;
        i++;
      }
    }
  }
  const name = /[^:,<>`\s]+/y;
  name.lastIndex = p.i;
  const found = name.exec(p.s)?.[0];
  if (!found) fail(p.s, `expected a field name at ${p.i}`);
  p.i += found.length;
  return found;
}

// Hive's primitive types and the DuckDB type that holds the same values. char/varchar lengths are not
// enforced by Athena on read, so both are plain VARCHAR.
const PRIMITIVES: Record<string, string> = {
  string: 'VARCHAR',
  varchar: 'VARCHAR',
  char: 'VARCHAR',
  boolean: 'BOOLEAN',
  tinyint: 'TINYINT',
  smallint: 'SMALLINT',
  int: 'INTEGER',
  integer: 'INTEGER',
  bigint: 'BIGINT',
  float: 'FLOAT',
  double: 'DOUBLE',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
  binary: 'BLOB',
};

/**
 * `array<struct<id:string,name:string>>` -> `STRUCT("id" VARCHAR, "name" VARCHAR)[]`. Struct fields are
 * always double-quoted, so that names that are DuckDB keywords (`name`, `type`, `order`) need no list.
 * INVALID_ARGUMENT for a type DuckDB cannot hold (uniontype, interval).
 */
/**
 * The other way: the Hive type the catalog declares for a Parquet column DuckDB writes from a column of
 * this DuckDB type (the transform's tables and the insights). Undefined for a type tunelake does not
 * write: cast it in the SQL to one of these.
 */
export const HIVE_TYPE_OF_DUCKDB: Readonly<Record<string, string>> = Object.freeze({
  VARCHAR: 'string',
  BIGINT: 'bigint',
  INTEGER: 'int',
  DOUBLE: 'double',
  BOOLEAN: 'boolean',
  DATE: 'date',
  TIMESTAMP: 'timestamp',
  'VARCHAR[]': 'array<string>',
});

export function hiveToDuckDbType(hive: string): string {
  return render(parseHiveType(hive), hive);
}

function render(type: HiveTypeNode, whole: string): string {
  switch (type.kind) {
    case 'array':
      return `${render(type.element, whole)}[]`;
    case 'map':
      return `MAP(${render(type.key, whole)}, ${render(type.value, whole)})`;
    case 'struct':
      return `STRUCT(${type.fields.map((f) => `${quoteIdentifier(f.name)} ${render(f.type, whole)}`).join(', ')})`;
    case 'primitive': {
      if (type.name === 'decimal' || type.name === 'numeric') {
        // Hive's bare `decimal` is decimal(10,0).
        const [precision = 10, scale = 0] = type.params;
        if (precision < 1 || precision > 38 || scale > precision) {
          fail(whole, `decimal(${precision},${scale}) is out of range (precision 1-38, scale <= precision)`);
        }
        return `DECIMAL(${precision},${scale})`;
      }
      const duck = PRIMITIVES[type.name];
      if (!duck) {
        fail(
          whole,
          `"${type.name}" has no DuckDB equivalent (supported: ${[...Object.keys(PRIMITIVES), 'decimal(p,s)', 'array<>', 'map<>', 'struct<>'].join(', ')})`,
        );
      }
      return duck;
    }
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

// --- values both engines return ------------------------------------------------------------------

const TIMESTAMP_TEXT =
  /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?))?$/;

/**
 * A timestamp as an engine prints it (`2026-11-01 08:00:00.12`, `... +00`, `... UTC`) -> ISO 8601 the
 * way `Date.prototype.toISOString` writes it (`2026-11-01T08:00:00.120Z`): at least milliseconds, more
 * digits kept when the engine has them, so the same instant reads the same from DuckDB (which trims
 * zeros) and Athena (which prints milliseconds). Hive timestamps carry no zone and tunelake writes them
 * in UTC, so a value without an offset is UTC. Anything else (infinity, BC dates, named zones) is
 * returned as is.
 */
export function isoTimestamp(text: string): string {
  const m = TIMESTAMP_TEXT.exec(text);
  if (!m) return text;
  const [, date, hoursMinutes, seconds = '00', fraction = '', zone] = m;
  const time = `${hoursMinutes}:${seconds}.${fraction.padEnd(3, '0')}`;
  let offset = 'Z';
  if (zone && zone !== 'Z' && zone !== 'UTC') {
    const digits = zone.replace(':', ''); // +hh or +hhmm
    if (!/^[+-]0+$/.test(digits)) offset = `${digits.slice(0, 3)}:${digits.slice(3, 5) || '00'}`;
  }
  return `${date}T${time}${offset}`;
}

/**
 * A decimal's text -> a number when the number prints back with every significant digit (at most 15),
 * else the text itself, so that money-like values are never silently rounded.
 */
export function decimalValue(text: string): number | string {
  const trimmed = text.trim();
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(trimmed)) return text;
  const significant = trimmed.replace(/^[+-]/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return significant.length <= 15 ? Number(trimmed) : text;
}

/** A 64-bit (or wider) integer's text -> a number when it is a safe integer, else the text. */
export function bigIntegerValue(text: string): number | string {
  const n = Number(text);
  return /^[+-]?\d+$/.test(text.trim()) && Number.isSafeInteger(n) ? n : text;
}
