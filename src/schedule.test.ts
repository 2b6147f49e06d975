import { describe, expect, it } from 'vitest';
import { isTunelakeError } from './errors.js';
import { parseCron, parseEvery } from './schedule.js';

const at = (iso: string) => new Date(iso);

describe('parseEvery(text)', () => {
  it('runs on the next multiple of the interval', () => {
    expect(parseEvery('1h').next(at('2026-11-25T12:34:56Z')).toISOString()).toBe('2026-11-25T13:00:00.000Z');
    expect(parseEvery('30m').next(at('2026-11-25T13:00:00Z')).toISOString()).toBe('2026-11-25T13:30:00.000Z');
    expect(parseEvery('1d').next(at('2026-11-25T23:59:59Z')).toISOString()).toBe('2026-11-26T00:00:00.000Z');
  });

  it.each(['', 'hourly', '10s', '0m', '1w'])('rejects %j', (text) => {
    expect(() => parseEvery(text)).toThrow(/Invalid --every/);
  });
});

describe('parseCron(expression)', () => {
  it.each([
    ['0 6 * * *', '2026-11-25T12:00:00Z', '2026-11-26T06:00:00.000Z'],
    ['0 6 * * *', '2026-11-25T05:59:00Z', '2026-11-25T06:00:00.000Z'],
    ['*/15 * * * *', '2026-11-25T12:07:00Z', '2026-11-25T12:15:00.000Z'],
    ['30 9 * * 1-5', '2026-11-27T10:00:00Z', '2026-11-30T09:30:00.000Z'], // Friday after 09:30 -> Monday
    ['0 0 1 * *', '2026-11-25T00:00:00Z', '2026-12-01T00:00:00.000Z'],
    ['0 12 29 2 *', '2026-11-25T00:00:00Z', '2028-02-29T12:00:00.000Z'],
    ['0 8 * * 7', '2026-11-25T00:00:00Z', '2026-11-29T08:00:00.000Z'], // 7 is Sunday too
    ['0 8 1 * 1', '2026-11-25T00:00:00Z', '2026-11-30T08:00:00.000Z'], // day-of-month OR day-of-week
    ['0 6 * * mon', '2026-11-25T00:00:00Z', '2026-11-30T06:00:00.000Z'], // day names
    ['@daily', '2026-11-25T12:00:00Z', '2026-11-26T00:00:00.000Z'], // nicknames
    ['0 9 1 jun-aug *', '2026-11-25T00:00:00Z', '2027-06-01T09:00:00.000Z'], // month names
  ])('%s after %s is %s', (expression, after, expected) => {
    expect(parseCron(expression).next(at(after)).toISOString()).toBe(expected);
  });

  it.each([
    ['0 6 * *', /expected 5 fields/],
    ['0 0 6 * * *', /expected 5 fields .* got 6/],
    ['60 * * * *', /Invalid --cron "60 \* \* \* \*": Invalid value for minute: 60/],
    ['0 24 * * *', /Invalid value for hour: 24/],
    ['*/0 * * * *', /illegal stepping/],
    ['5-1 * * * *', /larger than/],
    ['0 6 * * moon', /illegal characters/],
    ['0 6 31 2 *', /never matches/],
  ])('rejects %j with a clear message', (expression, message) => {
    try {
      parseCron(expression).next(at('2026-11-25T00:00:00Z'));
      expect.unreachable();
    } catch (error) {
      expect(isTunelakeError(error, 'INVALID_ARGUMENT')).toBe(true);
      expect((error as Error).message).toMatch(message);
    }
  });
});
