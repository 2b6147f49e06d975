// When the local scheduler (`tunelake schedule`) runs next: every fixed interval (`--every 30m`) or
// on a five-field cron expression in UTC (`--cron "0 6 * * *"`: minute hour day-of-month month
// day-of-week). It is the local counterpart of the EventBridge schedule that invokes the extract
// Lambda in the cloud.
import { Cron } from 'croner';
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

/**
 * A five-field cron expression in UTC, or a nickname (`@daily`, `@hourly`, `@weekly`, `@monthly`),
 * parsed and stepped by croner (https://github.com/hexagon/croner). Day and month names are
 * accepted (`mon-fri`, `jan`); when both day fields are restricted either may match, as in cron.
 */
export function parseCron(expression: string): Schedule {
  const text = expression.trim();
  const fields = text.split(/\s+/).length;
  if (!text.startsWith('@') && fields !== 5) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Invalid --cron "${expression}": expected 5 fields (minute hour day-of-month month day-of-week), such as "0 6 * * *"; got ${fields}.`,
    );
  }
  let cron: Cron;
  try {
    cron = new Cron(text, { timezone: 'UTC', paused: true, mode: '5-part', domAndDow: false });
  } catch (error) {
    const why = (error as Error).message.replace(/^CronPattern:\s*/, '');
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Invalid --cron "${expression}": ${why}. Expected minute hour day-of-month month day-of-week, such as "0 6 * * *".`,
    );
  }
  return {
    next(after) {
      const next = cron.nextRun(after);
      if (!next) {
        throw new TunelakeError(
          'INVALID_ARGUMENT',
          `The cron expression "${expression}" never matches a date.`,
        );
      }
      return next;
    },
    describe: () => `cron "${text}" (UTC)`,
  };
}
