import { describe, expect, it } from 'vitest';
import { csvField, toCsv } from './csv.js';

describe('csvField(value)', () => {
  it.each([
    [null, ''],
    [undefined, ''],
    [42, '42'],
    [-3, '-3'],
    [0.25, '0.25'],
    ['plain', 'plain'],
    ['a, b', '"a, b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['=HYPERLINK("http://x")', '"\'=HYPERLINK(""http://x"")"'],
    ['+1 place', "'+1 place"],
    ['-Hello-', "'-Hello-"],
    ['@handle', "'@handle"],
    ['2026-11-01', '2026-11-01'],
  ])('%j -> %s', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });
});

describe('toCsv(columns, rows)', () => {
  it('writes the header, then one CRLF-ended line per row in column order', () => {
    const csv = toCsv(
      [{ name: 'snapshot_date' }, { name: 'track_name' }, { name: 'delta' }],
      [
        { delta: 3, snapshot_date: '2026-11-02', track_name: 'Yes, Then' },
        { snapshot_date: '2026-11-02', track_name: null, delta: -1 },
      ],
    );
    expect(csv).toBe('snapshot_date,track_name,delta\r\n2026-11-02,"Yes, Then",3\r\n2026-11-02,,-1\r\n');
  });

  it('writes only the header for no rows', () => {
    expect(toCsv([{ name: 'a' }], [])).toBe('a\r\n');
  });
});
