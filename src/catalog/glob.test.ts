import { describe, expect, test } from 'vitest';
import { globToRegExp } from './glob.js';

describe('globToRegExp(glob)', () => {
  const matches = (glob: string, keys: string[]) => keys.filter((k) => globToRegExp(glob).test(k));

  test('`*` stays within a folder level, `**` crosses levels', () => {
    const keys = ['a.txt', 'x/a.txt', 'x/y/a.txt', 'x/a.json'];
    expect(matches('*.txt', keys)).toEqual(['a.txt']);
    expect(matches('**.txt', keys)).toEqual(['a.txt', 'x/a.txt', 'x/y/a.txt']);
    expect(matches('**/a.txt', keys)).toEqual(['a.txt', 'x/a.txt', 'x/y/a.txt']);
    expect(matches('x/**', keys)).toEqual(['x/a.txt', 'x/y/a.txt', 'x/a.json']);
  });

  test('supports ?, classes, negated classes, alternatives and escapes', () => {
    const keys = ['dt=2024-05-01/p.gz', 'dt=2024-06-01/p.gz', 'dt=2024-05-01/p.json', 'a*b', 'axb'];
    expect(matches('dt=2024-0[5]-??/*', keys)).toEqual(['dt=2024-05-01/p.gz', 'dt=2024-05-01/p.json']);
    expect(matches('dt=2024-0[!5]-*/*', keys)).toEqual(['dt=2024-06-01/p.gz']);
    expect(matches('**.{gz,json}', keys)).toEqual([
      'dt=2024-05-01/p.gz',
      'dt=2024-06-01/p.gz',
      'dt=2024-05-01/p.json',
    ]);
    expect(matches('a\\*b', keys)).toEqual(['a*b']);
  });
});
