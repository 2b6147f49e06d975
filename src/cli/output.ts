// Shared CLI output: a one-line progress display on a TTY (stderr), and JSON on stdout for scripts.
import type { Config } from '../config.js';
import { createLogger, type Logger } from '../log.js';
import { redact } from '../secret.js';

export interface ProgressLine {
  update(text: string): void;
  done(): void;
}

/** Rewrites one status line on stderr when it is a terminal; prints nothing otherwise. */
export function createProgressLine(stream: NodeJS.WriteStream = process.stderr): ProgressLine {
  const enabled = stream.isTTY === true;
  let last = 0;
  let shown = false;
  return {
    update(text) {
      if (!enabled) return;
      const now = Date.now();
      if (now - last < 80) return;
      last = now;
      shown = true;
      const width = stream.columns ?? 100;
      stream.write(`\r\x1b[2K${text.slice(0, width - 1)}`);
    },
    done() {
      if (enabled && shown) stream.write('\r\x1b[2K');
    },
  };
}

export function printJson(value: unknown): void {
  process.stdout.write(`${redact(JSON.stringify(value, null, 2))}\n`);
}

export function printLine(text: string): void {
  process.stdout.write(`${redact(text)}\n`);
}

/**
 * The CLI's logger: human-readable lines on stderr, warnings and errors only unless
 * TUNELAKE_LOG_LEVEL (or the config file's logLevel) asks for more; with --json, warnings at most.
 */
export function cliLogger(config: Config, json = false): Logger {
  const chosen = config.origins.logLevel === 'default' ? 'warn' : config.logLevel;
  return createLogger({ level: json && chosen !== 'silent' ? 'warn' : chosen, format: 'text' });
}

/** Resolves at the first SIGINT (Ctrl-C) or SIGTERM: when a foreground server should close. */
export function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
