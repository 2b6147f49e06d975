import { describe, expect, it } from 'vitest';
import { judgeTier } from './tiers.js';

const page = (asked: number, accepted: boolean) => ({ asked, accepted });

describe('judgeTier(evidence)', () => {
  it('names development mode when the batch is refused and the fields are absent', () => {
    expect(judgeTier({ batch: 'forbidden', fields: 'absent', pageSize: null })).toEqual({
      tier: 'development',
      uncertain: '',
      safe: 'development',
    });
  });

  it('names extended quota mode when the batch answers and popularity is sent, whatever the page size', () => {
    for (const pageSize of [null, page(50, true), page(50, false)])
      expect(judgeTier({ batch: 'allowed', fields: 'present', pageSize }).tier).toBe('extended');
  });

  it('names no tier for an older development-mode app: batch allowed, fields absent', () => {
    const verdict = judgeTier({ batch: 'allowed', fields: 'absent', pageSize: page(50, false) });
    expect(verdict.tier).toBeNull();
    expect(verdict.safe).toBe('development');
    expect(verdict.uncertain).toContain('created before 2026-02-11');
    expect(verdict.uncertain).toContain('a page of 50 was refused');
  });

  it('names no tier when the probes disagree or did not answer', () => {
    expect(judgeTier({ batch: 'forbidden', fields: 'present', pageSize: null }).tier).toBeNull();
    expect(judgeTier({ batch: 'forbidden', fields: 'absent', pageSize: page(50, true) }).tier).toBeNull();
    expect(judgeTier({ batch: 'allowed', fields: 'unknown', pageSize: null }).tier).toBeNull();
    expect(judgeTier({ batch: 'unknown', fields: 'present', pageSize: page(50, true) })).toMatchObject({
      tier: null,
      safe: 'development',
    });
  });
});
