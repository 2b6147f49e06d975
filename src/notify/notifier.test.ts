import { describe, expect, it } from 'vitest';
import { fitBody } from './notifier.js';

describe('fitBody(body, maxBytes, note)', () => {
  it('returns a body within the limit unchanged', () => {
    expect(fitBody('# brief\n\n- one line\n', 100, 'cut')).toEqual({
      body: '# brief\n\n- one line\n',
      truncated: false,
    });
  });

  it('cuts a longer body at a line near the limit and ends with the note, within maxBytes', () => {
    const lines = Array.from({ length: 200 }, (_, i) => `- line ${String(i).padStart(3, '0')} of the brief`);
    const body = lines.join('\n');
    const fitted = fitBody(body, 1000, '[cut: run tunelake brief]');
    expect(fitted.truncated).toBe(true);
    expect(Buffer.byteLength(fitted.body, 'utf8')).toBeLessThanOrEqual(1000);
    expect(fitted.body.endsWith('\n\n[cut: run tunelake brief]\n')).toBe(true);
    // Whole lines only: the last kept line is one of the originals.
    const kept = fitted.body.split('\n\n[cut')[0]!.split('\n');
    expect(kept.every((line) => lines.includes(line))).toBe(true);
    expect(kept.length).toBeGreaterThan(25);
  });

  it('never splits a multi-byte character', () => {
    const body = 'é'.repeat(600); // 1200 bytes, no line break
    const fitted = fitBody(body, 501, 'n');
    expect(Buffer.byteLength(fitted.body, 'utf8')).toBeLessThanOrEqual(501);
    expect(fitted.body).toMatch(/^é+\n\nn\n$/);
    expect(fitted.body).not.toContain('\uFFFD');
  });
});
