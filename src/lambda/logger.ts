// tunelake's Logger port on Powertools Logger: structured JSON lines in CloudWatch with the Lambda
// context (request id, cold start, function name) that Powertools adds. Every message and field goes
// through the secret redactor first (src/secret.ts), as with the CLI's logger: a client secret, refresh
// token or access token never reaches a log line, even inside an error message.
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import type { Logger, LogLevel } from '../log.js';
import { redact } from '../secret.js';
import { METRICS_SERVICE } from './metrics.js';

const LEVELS: Record<Exclude<LogLevel, 'silent'>, 'DEBUG' | 'INFO' | 'WARN' | 'ERROR'> = {
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
};

export interface LambdaLogger extends Logger {
  /** Adds the invocation's context (request id, function name, cold start) to every line. */
  addContext(context: Context): void;
}

export function createLambdaLogger(options: { level?: LogLevel } = {}): LambdaLogger {
  // Without a level, Powertools reads POWERTOOLS_LOG_LEVEL (the stack sets INFO), else INFO.
  const level =
    options.level === undefined
      ? {}
      : { logLevel: options.level === 'silent' ? 'SILENT' : LEVELS[options.level] };
  const root = new PowertoolsLogger({ serviceName: METRICS_SERVICE, ...level } as ConstructorParameters<
    typeof PowertoolsLogger
  >[0]);
  return wrap(root);
}

function wrap(pt: PowertoolsLogger): LambdaLogger {
  const emit =
    (method: 'debug' | 'info' | 'warn' | 'error') => (message: string, fields?: Record<string, unknown>) => {
      if (fields === undefined) pt[method](redact(message));
      else pt[method](redact(message), redactFields(fields));
    };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (fields) => {
      const child = pt.createChild();
      child.appendPersistentKeys(redactFields(fields));
      return wrap(child);
    },
    addContext: (context) => pt.addContext(context),
  };
}

/** The fields as JSON values with every known secret masked (errors become {name, message, code}). */
function redactFields(fields: Record<string, unknown>): Record<string, unknown> {
  const json = JSON.stringify(fields, (_key, value: unknown) => {
    if (value instanceof Error) {
      const out: Record<string, unknown> = { name: value.name, message: value.message };
      if ('code' in value) out.code = (value as { code: unknown }).code;
      return out;
    }
    return typeof value === 'bigint' ? value.toString() : value;
  });
  return JSON.parse(redact(json)) as Record<string, unknown>;
}
