// The `fields=` filter of the playlist endpoints. Grammar (Spotify's, from the OpenAPI text):
//   list := item ("," item)*
//   item := "!"? name ( "." item | "(" list ")" )?
// `a.b` selects b inside the single object a; `a(b,c)` selects b and c inside each element of a (or
// inside a, if it is an object); `!x` excludes x. A list with only exclusions keeps everything else.
// Arrays are filtered element by element at any level, and nulls stay null.
import { fail } from './responses.js';

export interface Selection {
  /** key -> `true` (the whole value) or a nested selection. */
  include: Map<string, Selection | true>;
  exclude: Set<string>;
}

export function parseFields(text: string): Selection {
  let pos = 0;
  const invalid = () => fail(400, `Invalid fields: ${JSON.stringify(text)}`);

  const name = (): string => {
    const start = pos;
    while (pos < text.length && !',.()!'.includes(text[pos]!)) pos++;
    const value = text.slice(start, pos).trim();
    if (value === '') throw invalid();
    return value;
  };

  const item = (into: Selection): void => {
    const exclude = text[pos] === '!';
    if (exclude) pos++;
    const key = name();
    if (exclude) {
      if (text[pos] === '.' || text[pos] === '(') throw invalid();
      into.exclude.add(key);
      return;
    }
    if (text[pos] === '.') {
      pos++;
      const sub = emptySelection();
      item(sub);
      merge(into, key, sub);
    } else if (text[pos] === '(') {
      pos++;
      const sub = list();
      if (text[pos] !== ')') throw invalid();
      pos++;
      merge(into, key, sub);
    } else {
      into.include.set(key, true);
    }
  };

  const list = (): Selection => {
    const selection = emptySelection();
    item(selection);
    while (text[pos] === ',') {
      pos++;
      item(selection);
    }
    return selection;
  };

  const selection = list();
  if (pos !== text.length) throw invalid();
  return selection;
}

function emptySelection(): Selection {
  return { include: new Map(), exclude: new Set() };
}

function merge(into: Selection, key: string, sub: Selection): void {
  const existing = into.include.get(key);
  if (existing === true) return;
  if (existing === undefined) {
    into.include.set(key, sub);
    return;
  }
  for (const [k, v] of sub.include) {
    if (v === true) existing.include.set(k, true);
    else merge(existing, k, v);
  }
  for (const k of sub.exclude) existing.exclude.add(k);
}

export function applyFields(value: unknown, selection: Selection): unknown {
  if (Array.isArray(value)) return value.map((element) => applyFields(element, selection));
  if (value === null || typeof value !== 'object') return value;
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const keepAll = selection.include.size === 0;
  for (const key of Object.keys(source)) {
    if (selection.exclude.has(key)) continue;
    if (keepAll) {
      out[key] = source[key];
      continue;
    }
    const sub = selection.include.get(key);
    if (sub === undefined) continue;
    out[key] = sub === true ? source[key] : applyFields(source[key], sub);
  }
  return out;
}

/** Parses and applies in one go; `fields` absent or empty returns the value unchanged. */
export function filterFields(value: unknown, fields: string | null): unknown {
  if (fields === null || fields.trim() === '') return value;
  return applyFields(value, parseFields(fields));
}
