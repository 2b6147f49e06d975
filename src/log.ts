// The logger every module receives through its `deps`. Lines are JSON (one object per line) on
// stderr so that stdout stays free for command output and `--json`; Lambda's CloudWatch logs read
// the same lines. Every line is passed through the secret redactor before it is written.
import { redact } from './secret.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface LoggerOptions {
  level?: LogLevel;
  /** `json` (default): one object per line, for CloudWatch and scripts; `text`: `tunelake: message (k=v)` for people. */
  format?: 'json' | 'text';
  write?: (line: string) => void;
  now?: () => Date;
  base?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const now = options.now ?? (() => new Date());
  const base = options.base ?? {};
  const format = options.format ?? 'json';
  const emit = (lvl: Exclude<LogLevel, 'silent'>, message: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < ORDER[level]) return;
    if (format === 'text') {
      const extra = Object.entries({ ...base, ...fields })
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v, errorReplacer)}`)
        .join(' ');
      const prefix = lvl === 'info' ? 'tunelake' : `tunelake ${lvl}`;
      write(`${redact(`${prefix}: ${message}${extra ? ` (${extra})` : ''}`)}\n`);
      return;
    }
    const record = { time: now().toISOString(), level: lvl, msg: message, ...base, ...fields };
    write(`${redact(JSON.stringify(record, errorReplacer))}\n`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ level, format, write, now, base: { ...base, ...fields } }),
  };
}

/** A logger that drops everything: the default in library code and tests. */
export const silentLogger: Logger = createLogger({ level: 'silent' });

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: value.message };
    if ('code' in value) out.code = (value as { code: unknown }).code;
    return out;
  }
  return value;
}
