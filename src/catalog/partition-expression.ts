// Glue's GetPartitions `Expression`, for the local catalog: a SQL-like filter over partition keys
// (https://docs.aws.amazon.com/glue/latest/webapi/API_GetPartitions.html). Supported: `=`, `<>`, `!=`,
// `<`, `<=`, `>`, `>=`, [NOT] LIKE, [NOT] IN (...), [NOT] BETWEEN a AND b, IS [NOT] NULL, AND, OR, NOT
// and parentheses; literals are 'quoted strings' (with '' for a quote) or numbers. As in Glue, values
// of integral keys (int, bigint, ...) compare as numbers and all others as strings.
import { TunelakeError } from '../errors.js';
import type { Column } from './catalog.js';

export type PartitionPredicate = (values: string[]) => boolean;

const MAX_EXPRESSION_BYTES = 2048; // Glue's limit

type Token =
  | { t: 'ident'; v: string }
  | { t: 'string'; v: string }
  | { t: 'number'; v: string }
  | { t: 'op'; v: string }
  | { t: 'punct'; v: '(' | ')' | ',' }
  | { t: 'kw'; v: string };

const KEYWORDS = new Set(['and', 'or', 'not', 'like', 'in', 'between', 'is', 'null']);
const INTEGRAL = new Set(['tinyint', 'smallint', 'int', 'integer', 'bigint']);

export function compilePartitionExpression(expression: string, keys: Column[]): PartitionPredicate {
  const invalid = (why: string) =>
    new TunelakeError('INVALID_ARGUMENT', `Invalid partition expression "${expression}": ${why}.`, {
      details: { expression },
    });
  if (Buffer.byteLength(expression) > MAX_EXPRESSION_BYTES) {
    throw invalid(`longer than Glue's ${MAX_EXPRESSION_BYTES} bytes`);
  }
  const tokens = tokenize(expression, invalid);
  let pos = 0;
  const peek = () => tokens[pos];
  const next = () => tokens[pos++];
  const isKw = (word: string) => {
    const tok = peek();
    return tok?.t === 'kw' && tok.v === word;
  };
  const expectKw = (word: string) => {
    if (!isKw(word)) throw invalid(`expected ${word.toUpperCase()}`);
    pos++;
  };
  const expectPunct = (p: string) => {
    const tok = next();
    if (tok?.t !== 'punct' || tok.v !== p) throw invalid(`expected "${p}"`);
  };

  const keyIndex = (name: string) => {
    const i = keys.findIndex((k) => k.Name.toLowerCase() === name.toLowerCase());
    if (i < 0) {
      throw invalid(
        `"${name}" is not a partition key (keys: ${keys.map((k) => k.Name).join(', ') || 'none'})`,
      );
    }
    return i;
  };

  const literal = (): string => {
    const tok = next();
    if (tok?.t === 'string' || tok?.t === 'number') return tok.v;
    if (tok?.t === 'punct' && tok.v === '(') {
      const v = literal();
      expectPunct(')');
      return v;
    }
    throw invalid('expected a literal (a quoted string or a number)');
  };

  const comparison = (): PartitionPredicate => {
    const tok = next();
    if (tok?.t !== 'ident') throw invalid('expected a partition key');
    const i = keyIndex(tok.v);
    const numeric = INTEGRAL.has(keys[i]!.Type.toLowerCase());
    const cmp = (a: string, b: string): number => {
      if (numeric) {
        const x = Number(a);
        const y = Number(b);
        if (Number.isNaN(x) || Number.isNaN(y))
          throw invalid(`"${b}" is not a number, and ${tok.v} is integral`);
        return x === y ? 0 : x < y ? -1 : 1;
      }
      return a === b ? 0 : a < b ? -1 : 1;
    };
    const value = (vs: string[]) => vs[i]!;
    let negate = false;
    if (isKw('is')) {
      pos++;
      if (isKw('not')) {
        pos++;
        negate = true;
      }
      expectKw('null');
      // Partition values are never null: IS NULL matches nothing.
      return () => negate;
    }
    if (isKw('not')) {
      pos++;
      negate = true;
    }
    const op = peek();
    let test: PartitionPredicate;
    if (op?.t === 'op' && !negate) {
      pos++;
      const lit = literal();
      if (numeric) cmp(lit, lit); // validates the literal once
      const check: Record<string, (c: number) => boolean> = {
        '=': (c) => c === 0,
        '<>': (c) => c !== 0,
        '!=': (c) => c !== 0,
        '<': (c) => c < 0,
        '<=': (c) => c <= 0,
        '>': (c) => c > 0,
        '>=': (c) => c >= 0,
      };
      const f = check[op.v]!;
      return (vs) => f(cmp(value(vs), lit));
    }
    if (isKw('like')) {
      pos++;
      if (numeric) throw invalid(`LIKE needs a string key, and ${tok.v} is integral`);
      const pattern = literal();
      const re = new RegExp(
        `^${pattern
          .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
          .replaceAll('%', '.*')
          .replaceAll('_', '.')}$`,
        's',
      );
      test = (vs) => re.test(value(vs));
    } else if (isKw('in')) {
      pos++;
      expectPunct('(');
      const list = [literal()];
      while (peek()?.t === 'punct' && peek()?.v === ',') {
        pos++;
        list.push(literal());
      }
      expectPunct(')');
      test = (vs) => list.some((l) => cmp(value(vs), l) === 0);
    } else if (isKw('between')) {
      pos++;
      const low = literal();
      expectKw('and');
      const high = literal();
      test = (vs) => cmp(value(vs), low) >= 0 && cmp(value(vs), high) <= 0;
    } else {
      throw invalid(`expected an operator after ${tok.v}`);
    }
    return negate ? (vs) => !test(vs) : test;
  };

  const primary = (): PartitionPredicate => {
    if (isKw('not')) {
      pos++;
      const inner = primary();
      return (vs) => !inner(vs);
    }
    const tok = peek();
    if (tok?.t === 'punct' && tok.v === '(') {
      pos++;
      const inner = disjunction();
      expectPunct(')');
      return inner;
    }
    return comparison();
  };
  const conjunction = (): PartitionPredicate => {
    const parts = [primary()];
    while (isKw('and')) {
      pos++;
      parts.push(primary());
    }
    return parts.length === 1 ? parts[0]! : (vs) => parts.every((p) => p(vs));
  };
  const disjunction = (): PartitionPredicate => {
    const parts = [conjunction()];
    while (isKw('or')) {
      pos++;
      parts.push(conjunction());
    }
    return parts.length === 1 ? parts[0]! : (vs) => parts.some((p) => p(vs));
  };

  if (tokens.length === 0) return () => true;
  const predicate = disjunction();
  if (pos !== tokens.length) throw invalid(`unexpected "${describe(tokens[pos]!)}"`);
  return predicate;
}

function describe(tok: Token): string {
  return tok.t === 'string' ? `'${tok.v}'` : tok.v;
}

function tokenize(s: string, invalid: (why: string) => TunelakeError): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let v = '';
      i++;
      for (;;) {
        if (i >= s.length) throw invalid('unterminated string');
        if (s[i] === "'" && s[i + 1] === "'") {
          v += "'";
          i += 2;
        } else if (s[i] === "'") {
          i++;
          break;
        } else {
          v += s[i++];
        }
      }
      out.push({ t: 'string', v });
    } else if (c === '(' || c === ')' || c === ',') {
      out.push({ t: 'punct', v: c });
      i++;
    } else if ('<>=!'.includes(c)) {
      const two = s.slice(i, i + 2);
      const op = ['<>', '<=', '>=', '!='].includes(two) ? two : c;
      if (op === '!') throw invalid('"!" must be followed by "="');
      out.push({ t: 'op', v: op });
      i += op.length;
    } else {
      const m = /-?\d+(\.\d+)?|[A-Za-z_][A-Za-z0-9_.]*|`[^`]+`|"[^"]+"/y;
      m.lastIndex = i;
      const word = m.exec(s)?.[0];
      if (!word) throw invalid(`unexpected "${c}" at ${i}`);
      i += word.length;
      if (/^-?\d/.test(word)) out.push({ t: 'number', v: word });
      else if (word.startsWith('`') || word.startsWith('"')) out.push({ t: 'ident', v: word.slice(1, -1) });
      else if (KEYWORDS.has(word.toLowerCase())) out.push({ t: 'kw', v: word.toLowerCase() });
      else out.push({ t: 'ident', v: word });
    }
  }
  return out;
}
