// Schema inference the way tunelake's crawler needs it: Hive types inferred from JSON text, merged across
// records and files by the widening lattice of Glue's crawler (https://docs.aws.amazon.com/glue/latest/dg/crawler-running.html) (Glue leaves
// mixed types undocumented, so these rules are ours):
//   int -> bigint -> double; any conflict with string (or boolean vs number, or struct vs array) -> string;
//   structs merge field-wise in first-seen order; arrays merge their elements; null-only -> string.
// JSON is scanned here rather than with JSON.parse, because JSON.parse forgets what the crawler must
// see: `1.0` is a double, not an int, and 9007199254740993 is a bigint, not a rounded double.
// Hive type strings (from the catalog or from Parquet) parse into the same tree, so one merge serves all.

export type HiveType =
  /** Only nulls (or empty arrays/objects) seen so far: no information yet. */
  | { kind: 'null' }
  | { kind: 'primitive'; name: string }
  | { kind: 'array'; element: HiveType }
  | { kind: 'map'; key: HiveType; value: HiveType }
  | { kind: 'struct'; fields: Map<string, HiveType> };

export const NULL_TYPE: HiveType = Object.freeze({ kind: 'null' });
const STRING: HiveType = Object.freeze({ kind: 'primitive', name: 'string' });
const BOOLEAN: HiveType = Object.freeze({ kind: 'primitive', name: 'boolean' });
const INT: HiveType = Object.freeze({ kind: 'primitive', name: 'int' });
const BIGINT: HiveType = Object.freeze({ kind: 'primitive', name: 'bigint' });
const DOUBLE: HiveType = Object.freeze({ kind: 'primitive', name: 'double' });

export function primitive(name: string): HiveType {
  switch (name) {
    case 'string':
      return STRING;
    case 'boolean':
      return BOOLEAN;
    case 'int':
      return INT;
    case 'bigint':
      return BIGINT;
    case 'double':
      return DOUBLE;
    default:
      return { kind: 'primitive', name };
  }
}

export function struct(fields: Iterable<[string, HiveType]> = []): HiveType & { kind: 'struct' } {
  return { kind: 'struct', fields: new Map(fields) };
}

// Integral types widen to the wider one; anything mixed with a floating type becomes double.
const INTEGRAL_RANK: Record<string, number> = { tinyint: 1, smallint: 2, int: 3, bigint: 4 };
const FLOATING = new Set(['float', 'double']);

function isNumeric(name: string): boolean {
  return name in INTEGRAL_RANK || FLOATING.has(name) || name.startsWith('decimal');
}

/** The narrowest type both `a` and `b` fit in (never mutates its arguments). */
export function mergeTypes(a: HiveType, b: HiveType): HiveType {
  if (a.kind === 'null') return b;
  if (b.kind === 'null') return a;
  if (a.kind === 'primitive' && b.kind === 'primitive') {
    if (a.name === b.name) return a;
    if (isNumeric(a.name) && isNumeric(b.name)) {
      const ra = INTEGRAL_RANK[a.name];
      const rb = INTEGRAL_RANK[b.name];
      if (ra !== undefined && rb !== undefined) return ra >= rb ? a : b;
      return DOUBLE;
    }
    return STRING;
  }
  if (a.kind === 'array' && b.kind === 'array') {
    const element = mergeTypes(a.element, b.element);
    return element === a.element ? a : { kind: 'array', element };
  }
  if (a.kind === 'map' && b.kind === 'map') {
    return { kind: 'map', key: mergeTypes(a.key, b.key), value: mergeTypes(a.value, b.value) };
  }
  if (a.kind === 'struct' && b.kind === 'struct') {
    const fields = new Map(a.fields);
    for (const [name, type] of b.fields) {
      const seen = fields.get(name);
      fields.set(name, seen === undefined ? type : mergeTypes(seen, type));
    }
    return { kind: 'struct', fields };
  }
  return STRING;
}

const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The Hive type string: `array<struct<id:string,name:string>>`. Null-only and empty structs are `string`. */
export function renderType(type: HiveType): string {
  switch (type.kind) {
    case 'null':
      return 'string';
    case 'primitive':
      return type.name;
    case 'array':
      return `array<${renderType(type.element)}>`;
    case 'map':
      return `map<${renderType(type.key)},${renderType(type.value)}>`;
    case 'struct': {
      if (type.fields.size === 0) return 'string';
      const fields = [...type.fields].map(
        ([name, t]) =>
          `${PLAIN_NAME.test(name) ? name : `\`${name.replaceAll('`', '``')}\``}:${renderType(t)}`,
      );
      return `struct<${fields.join(',')}>`;
    }
  }
}

// --- JSON ----------------------------------------------------------------------------------------

class JsonSyntaxError extends Error {}

const INT32_MAX = 2147483647n;
const INT64_MAX = 9223372036854775807n;

/**
 * The type of one JSON text, or undefined when it is not valid JSON. Only the structure is checked
 * strictly enough to tell records from garbage; string escapes are not validated.
 */
export function inferJsonType(text: string): HiveType | undefined {
  return scanText(text, undefined);
}

/**
 * The merge of `prev` and the type of `text` (undefined when `text` is not JSON). The scan merges as it
 * goes and copies on write: a value that fits `prev` allocates nothing and returns `prev` itself, which
 * is what makes inference over thousands of same-shaped records cheap. `prev` is never modified.
 */
function scanText(text: string, prev: HiveType | undefined): HiveType | undefined {
  const scanner = { s: text, i: 0 };
  try {
    const type = scanValue(scanner, prev);
    skipWhitespace(scanner);
    return scanner.i === text.length ? type : undefined;
  } catch (error) {
    if (error instanceof JsonSyntaxError || error instanceof SyntaxError) return undefined;
    throw error;
  }
}

interface Scanner {
  s: string;
  i: number;
}

function skipWhitespace(sc: Scanner): void {
  const s = sc.s;
  let i = sc.i;
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9) i++;
    else break;
  }
  sc.i = i;
}

function mergeInto(prev: HiveType | undefined, type: HiveType): HiveType {
  if (prev === undefined || prev === type) return type;
  return mergeTypes(prev, type);
}

function scanValue(sc: Scanner, prev: HiveType | undefined): HiveType {
  skipWhitespace(sc);
  switch (sc.s.charCodeAt(sc.i)) {
    case 123: // {
      if (prev === undefined || prev.kind === 'struct' || prev.kind === 'null') {
        return scanObject(sc, prev?.kind === 'struct' ? prev : undefined) ?? prev ?? NULL_TYPE;
      }
      return mergeTypes(prev, scanObject(sc, undefined) ?? NULL_TYPE);
    case 91: // [
      if (prev === undefined || prev.kind === 'array' || prev.kind === 'null') {
        return scanArray(sc, prev?.kind === 'array' ? prev : undefined);
      }
      return mergeTypes(prev, scanArray(sc, undefined));
    case 34: // "
      skipString(sc);
      return mergeInto(prev, STRING);
    case 116: // t
      return mergeInto(prev, scanLiteral(sc, 'true', BOOLEAN));
    case 102: // f
      return mergeInto(prev, scanLiteral(sc, 'false', BOOLEAN));
    case 110: // n
      scanLiteral(sc, 'null', NULL_TYPE);
      return prev ?? NULL_TYPE;
    default:
      return mergeInto(prev, scanNumber(sc));
  }
}

function scanLiteral(sc: Scanner, word: string, type: HiveType): HiveType {
  if (!sc.s.startsWith(word, sc.i)) throw new JsonSyntaxError();
  sc.i += word.length;
  return type;
}

const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

function scanNumber(sc: Scanner): HiveType {
  NUMBER.lastIndex = sc.i;
  const m = NUMBER.exec(sc.s);
  if (!m) throw new JsonSyntaxError();
  sc.i += m[0].length;
  if (m[2] !== undefined || m[3] !== undefined) return DOUBLE;
  const digits = m[0];
  if (digits.length < 10) return INT;
  const n = BigInt(digits);
  const abs = n < 0n ? -n - 1n : n;
  if (abs <= INT32_MAX) return INT;
  if (abs <= INT64_MAX) return BIGINT;
  // Beyond int64 no integral Hive type holds it; Rec: double.
  return DOUBLE;
}

/** Moves past a string value (its content is not needed, only where it ends). */
function skipString(sc: Scanner): void {
  const s = sc.s;
  const start = sc.i; // the opening quote
  let from = start + 1;
  for (;;) {
    const q = s.indexOf('"', from);
    if (q < 0) throw new JsonSyntaxError();
    let backslashes = 0;
    for (let j = q - 1; j > start && s.charCodeAt(j) === 92; j--) backslashes++;
    if (backslashes % 2 === 0) {
      sc.i = q + 1;
      return;
    }
    from = q + 1;
  }
}

/** Scans an object key and returns it decoded. Keys are short: one pass finds the end and any escape. */
function scanKey(sc: Scanner): string {
  const s = sc.s;
  const start = sc.i;
  let i = start + 1;
  let escaped = false;
  for (;;) {
    const c = s.charCodeAt(i);
    if (Number.isNaN(c)) throw new JsonSyntaxError();
    if (c === 34) break;
    if (c === 92) {
      escaped = true;
      i += 2;
    } else {
      i++;
    }
  }
  sc.i = i + 1;
  return escaped ? (JSON.parse(s.slice(start, i + 1)) as string) : s.slice(start + 1, i);
}

function expect(sc: Scanner, char: number): void {
  skipWhitespace(sc);
  if (sc.s.charCodeAt(sc.i) !== char) throw new JsonSyntaxError();
  sc.i++;
}

/** An object merged into the struct `prev`; returns `prev` itself when nothing changed. */
function scanObject(
  sc: Scanner,
  prev: (HiveType & { kind: 'struct' }) | undefined,
): HiveType & { kind: 'struct' } {
  sc.i++; // {
  let fields = prev?.fields;
  let copied = prev === undefined;
  if (!fields) fields = new Map();
  skipWhitespace(sc);
  if (sc.s.charCodeAt(sc.i) === 125) {
    sc.i++;
    return prev ?? { kind: 'struct', fields };
  }
  for (;;) {
    skipWhitespace(sc);
    if (sc.s.charCodeAt(sc.i) !== 34) throw new JsonSyntaxError();
    const name = scanKey(sc);
    expect(sc, 58); // :
    const before = fields.get(name);
    const type = scanValue(sc, before);
    if (type !== before) {
      if (!copied) {
        fields = new Map(fields);
        copied = true;
      }
      fields.set(name, type);
    }
    skipWhitespace(sc);
    const c = sc.s.charCodeAt(sc.i++);
    if (c === 125) return copied ? { kind: 'struct', fields } : prev!;
    if (c !== 44) throw new JsonSyntaxError();
  }
}

/** An array merged into the array type `prev`; returns `prev` itself when nothing changed. */
function scanArray(sc: Scanner, prev: (HiveType & { kind: 'array' }) | undefined): HiveType {
  sc.i++; // [
  let element: HiveType | undefined = prev?.element;
  skipWhitespace(sc);
  if (sc.s.charCodeAt(sc.i) === 93) {
    sc.i++;
    return prev ?? { kind: 'array', element: NULL_TYPE };
  }
  for (;;) {
    element = scanValue(sc, element);
    skipWhitespace(sc);
    const c = sc.s.charCodeAt(sc.i++);
    if (c === 93) break;
    if (c !== 44) throw new JsonSyntaxError();
  }
  return prev && element === prev.element ? prev : { kind: 'array', element };
}

/** Accumulates the schema of NDJSON records (one object per line). */
export interface RecordSchemaAccumulator {
  /** Adds one line; returns whether it was a JSON object (a record). Blank lines are ignored. */
  add(line: string): boolean;
  readonly records: number;
  readonly invalid: number;
  /** The merged record type (a struct; empty when no record was seen). */
  schema(): HiveType & { kind: 'struct' };
}

export function createRecordSchemaAccumulator(): RecordSchemaAccumulator {
  let schema: HiveType & { kind: 'struct' } = struct();
  let records = 0;
  let invalid = 0;
  return {
    add(line) {
      let i = 0;
      while (
        i < line.length &&
        (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9 || line.charCodeAt(i) === 13)
      )
        i++;
      if (i === line.length) return false;
      // Only objects are records; anything else (arrays, scalars, garbage) is an invalid line.
      const type = line.charCodeAt(i) === 123 ? scanText(line, schema) : undefined;
      if (type?.kind !== 'struct') {
        invalid++;
        return false;
      }
      records++;
      schema = type;
      return true;
    },
    get records() {
      return records;
    },
    get invalid() {
      return invalid;
    },
    schema: () => schema,
  };
}

// --- Hive type strings ---------------------------------------------------------------------------

/**
 * Parses a Hive type string (`array<struct<id:string,name:string>>`, `decimal(10,2)`, `map<string,int>`).
 * Unknown primitive names are kept as they are: the catalog does not validate types, nor does this.
 */
export function parseHiveType(text: string): HiveType {
  const p = { s: text, i: 0 };
  const type = parseTypeAt(p);
  skipSpaces(p);
  if (p.i !== text.length) throw new Error(`Invalid Hive type "${text}": unexpected "${text.slice(p.i)}".`);
  return type;
}

function skipSpaces(p: Scanner): void {
  while (p.s[p.i] === ' ') p.i++;
}

function parseTypeAt(p: Scanner): HiveType {
  skipSpaces(p);
  const m = /[A-Za-z_][A-Za-z0-9_]*/y;
  m.lastIndex = p.i;
  const word = m.exec(p.s)?.[0];
  if (!word) throw new Error(`Invalid Hive type "${p.s}": expected a type name at ${p.i}.`);
  p.i += word.length;
  const name = word.toLowerCase();
  skipSpaces(p);
  const open = (c: string) => {
    skipSpaces(p);
    if (p.s[p.i] !== c) throw new Error(`Invalid Hive type "${p.s}": expected "${c}" at ${p.i}.`);
    p.i++;
  };
  if (name === 'array') {
    open('<');
    const element = parseTypeAt(p);
    open('>');
    return { kind: 'array', element };
  }
  if (name === 'map') {
    open('<');
    const key = parseTypeAt(p);
    open(',');
    const value = parseTypeAt(p);
    open('>');
    return { kind: 'map', key, value };
  }
  if (name === 'struct') {
    open('<');
    const fields = new Map<string, HiveType>();
    skipSpaces(p);
    if (p.s[p.i] === '>') {
      p.i++;
      return { kind: 'struct', fields };
    }
    for (;;) {
      skipSpaces(p);
      let field: string;
      if (p.s[p.i] === '`') {
        let end = p.i + 1;
        let out = '';
        for (;;) {
          const c = p.s[end];
          if (c === undefined) throw new Error(`Invalid Hive type "${p.s}": unterminated \`.`);
          if (c === '`' && p.s[end + 1] === '`') {
            out += '`';
            end += 2;
          } else if (c === '`') break;
          else {
            out += c;
            end++;
          }
        }
        field = out;
        p.i = end + 1;
      } else {
        const f = /[^:<>,`\s]+/y;
        f.lastIndex = p.i;
        const got = f.exec(p.s)?.[0];
        if (!got) throw new Error(`Invalid Hive type "${p.s}": expected a field name at ${p.i}.`);
        field = got;
        p.i += got.length;
      }
      open(':');
      fields.set(field, parseTypeAt(p));
      skipSpaces(p);
      const c = p.s[p.i++];
      if (c === '>') return { kind: 'struct', fields };
      if (c !== ',') throw new Error(`Invalid Hive type "${p.s}": expected "," or ">" at ${p.i - 1}.`);
    }
  }
  if (p.s[p.i] === '(') {
    const end = p.s.indexOf(')', p.i);
    if (end < 0) throw new Error(`Invalid Hive type "${p.s}": unterminated "(".`);
    const args = p.s
      .slice(p.i + 1, end)
      .split(',')
      .map((a) => a.trim());
    p.i = end + 1;
    return primitive(`${name}(${args.join(',')})`);
  }
  return primitive(name);
}
