// When the local scheduler (`tunelake schedule`) runs next: every fixed interval (`--every 30m`) or
// on a five-field cron expression in UTC (`--cron "0 6 * * *"`: minute hour day-of-month month
// day-of-week, with `*`, lists `a,b`, ranges `a-b` and steps `*/n` or `a-b/n`). It is the local
// counterpart of the EventBridge schedule that invokes the extract Lambda in the cloud.
import { TunelakeError } from './errors.js';

export interface Schedule {
  /** The first run time strictly after `after`. */
  next(after: Date): Date;
  describe(): string;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseEvery(text: string): Schedule {
  const m = /^(\d+)\s*(s|m|h|d)$/.exec(text.trim());
  const ms = m ? Number(m[1]) * UNIT_MS[m[2]!]! : Number.NaN;
  if (!m || !(ms >= 60_000)) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Invalid --every "${text}": expected a number and a unit (m, h or d) of at least one minute, such as 30m, 1h or 1d.`,
    );
  }
  return {
    next: (after) => new Date(Math.floor(after.getTime() / ms) * ms + ms),
    describe: () => `every ${text.trim()}`,
  };
}

interface Field {
  name: string;
  min: number;
  max: number;
}

const FIELDS: Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 6 },
];

export function parseCron(expression: string): Schedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Invalid --cron "${expression}": expected 5 fields (minute hour day-of-month month day-of-week), such as "0 6 * * *"; got ${parts.length}.`,
    );
  }
  const sets = parts.map((part, i) => parseField(part, FIELDS[i]!, expression));
  const [minutes, hours, days, months, weekdays] = sets as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  // As in cron: when both day fields are restricted, either may match.
  const dayRestricted = parts[2] !== '*';
  const weekdayRestricted = parts[4] !== '*';
  const dayMatches = (d: Date) => {
    const dom = days.has(d.getUTCDate());
    const dow = weekdays.has(d.getUTCDay());
    if (dayRestricted && weekdayRestricted) return dom || dow;
    return dom && dow;
  };
  return {
    next(after) {
      const t = new Date(Math.floor(after.getTime() / 60_000) * 60_000 + 60_000);
      // At most four years of minutes: enough for any valid expression (Feb 29 included).
      for (let i = 0; i < 4 * 366 * 24 * 60; ) {
        if (!months.has(t.getUTCMonth() + 1) || !dayMatches(t)) {
          t.setUTCDate(t.getUTCDate() + 1);
          t.setUTCHours(0, 0, 0, 0);
          i += 24 * 60;
          continue;
        }
        if (!hours.has(t.getUTCHours())) {
          t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
          i += 60;
          continue;
        }
        if (minutes.has(t.getUTCMinutes())) return t;
        t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
        i++;
      }
      throw new TunelakeError(
        'INVALID_ARGUMENT',
        `The cron expression "${expression}" never matches a date.`,
      );
    },
    describe: () => `cron "${expression.trim()}" (UTC)`,
  };
}

function parseField(part: string, field: Field, expression: string): Set<number> {
  const out = new Set<number>();
  const fail = (why: string) =>
    new TunelakeError(
      'INVALID_ARGUMENT',
      `Invalid --cron "${expression}": the ${field.name} field "${part}" ${why}.`,
    );
  for (const item of part.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
    if (!m) throw fail(`is not a number, range, list or step`);
    const from = m[1] === '*' ? field.min : Number(m[2]);
    const to =
      m[1] === '*' ? field.max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? field.max : from;
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    // Sunday may be written 7, as cron allows.
    const max = field.name === 'day of week' ? 7 : field.max;
    if (from < field.min || to > max || from > to) throw fail(`is outside ${field.min}-${field.max}`);
    if (step < 1) throw fail('has a step below 1');
    for (let v = from; v <= to; v += step) out.add(field.name === 'day of week' && v === 7 ? 0 : v);
  }
  return out;
}
