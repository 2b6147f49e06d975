// An insight answer as CSV (RFC 4180: comma-separated, CRLF line ends, fields with a comma, quote or
// line break quoted, quotes doubled), the header row being the column names. Text that a spreadsheet
// would run as a formula (a track named `=HYPERLINK(...)`: names come from Spotify, anyone can name a
// playlist) is prefixed with an apostrophe, as OWASP's "CSV injection" advice says; numbers are
// written as they are, so a negative change stays a number.
import type { Row } from '../query/engine.js';

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return String(value);
  }
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(columns: readonly { name: string }[], rows: readonly Row[]): string {
  const lines = [columns.map((c) => csvField(c.name)).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvField(row[c.name])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
