// `tunelake serve`: the insights dashboard over the configured lake and engine, in the foreground
// until Ctrl-C (SIGINT) or SIGTERM, which close the server, its read-only engine and the runtime.
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { DashboardServer, DEFAULT_HOST, DEFAULT_PORT, isLoopback } from '../dashboard/dashboard-server.js';
import { TunelakeError } from '../errors.js';
import { createRuntime } from '../runtime.js';
import { configOption, lakeOption } from './common-options.js';
import { cliLogger, printJson, printLine, untilSignal } from './output.js';
import { runtimeFor } from './runtime-for.js';

interface ServeFlags {
  port: string;
  host: string;
  allowHost?: string[];
  config?: string;
  lake?: string;
  json?: boolean;
}

export interface ServeDeps {
  env?: Readonly<Record<string, string | undefined>>;
  write?: (text: string) => void;
  warn?: (text: string) => void;
  /** Resolves when the server should stop (default: SIGINT or SIGTERM). */
  stopped?: () => Promise<void>;
  /** Called once listening, with the URL (tests read the port from it). */
  onListening?: (url: string) => void;
}

export function registerServeCommand(program: Command, deps: ServeDeps = {}): void {
  program
    .command('serve')
    .description(
      'Serve the insights dashboard (playlist movers, artist presence, releases, listening, taste drift, ' +
        'content mix) over the lake, on 127.0.0.1 by default. Read-only: it never writes to the lake.',
    )
    .option('--port <n>', 'port to listen on (0 = any free port)', String(DEFAULT_PORT))
    .option(
      '--host <host>',
      'address to bind; anything but loopback exposes the lake to the network',
      DEFAULT_HOST,
    )
    .option(
      '--allow-host <name...>',
      'host names the dashboard answers besides loopback (required with a --host other than loopback)',
    )
    .addOption(configOption())
    .addOption(lakeOption())
    .option('--json', 'print {url, host, port} as JSON on stdout once listening')
    .action(async (flags: ServeFlags) => {
      await serve(flags, deps);
    });
}

export async function serve(flags: ServeFlags, deps: ServeDeps = {}): Promise<void> {
  const write = deps.write ?? ((text: string) => printLine(text));
  const warn = deps.warn ?? ((text: string) => process.stderr.write(`tunelake: ${text}\n`));
  const port = Number(flags.port);
  if (!/^\d+$/.test(flags.port) || port > 65535) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Invalid --port "${flags.port}": expected a whole number from 0 to 65535.`,
    );
  }
  const host = flags.host.trim();
  if (host === '' || /[\s/]/.test(host)) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Invalid --host "${flags.host}": expected an address such as 127.0.0.1.`,
    );
  }
  const allowHosts = (flags.allowHost ?? []).flatMap((h) => h.split(',')).map((h) => h.trim().toLowerCase());
  const badName = allowHosts.find((h) => !/^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.-]*[a-z0-9])?)$/.test(h));
  if (badName !== undefined) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Invalid --allow-host "${badName.slice(0, 100)}": expected a host name or address without a port, such as nas.local or 192.168.1.20.`,
    );
  }
  if (!isLoopback(host) && allowHosts.length === 0) {
    // Without a Host check any web page could read the dashboard through DNS rebinding.
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `--host ${host} is not a loopback address, and no --allow-host was given: name the host names the ` +
        'dashboard may be reached by (e.g. --allow-host nas.local --allow-host 192.168.1.20). Requests with any ' +
        'other Host header are refused, so that no web page can read the lake through DNS rebinding.',
    );
  }
  if (!isLoopback(host)) {
    warn(
      `--host ${host} is not a loopback address: anyone who can reach it can read this lake's insights ` +
        '(the dashboard has no login). Use it only on a network you trust.',
    );
  }
  const spec = { configFile: flags.config, lake: flags.lake };
  const config = deps.env ? loadConfig(spec, deps.env) : loadConfig(spec);
  const logger = cliLogger(config, flags.json);
  const runtime = await createRuntime(config, { logger, spotify: false });
  try {
    // The capability probes talk to Spotify: a runtime of their own, started for them (with the
    // built-in emulator when no SPOTIFY_CLIENT_ID is set) and closed after them.
    const openSpotify = () => runtimeFor(config, { logger });
    const server = await DashboardServer.create(runtime, { host, port, logger, openSpotify, allowHosts });
    try {
      if (flags.json) printJson({ ok: true, url: server.url, host: server.host, port: server.port });
      else write(`tunelake dashboard: ${server.url} (lake ${runtime.store.location}; Ctrl-C to stop)`);
      deps.onListening?.(server.url);
      await (deps.stopped ?? untilSignal)();
    } finally {
      await server.close();
    }
  } finally {
    await runtime.close();
  }
  if (!flags.json) write('dashboard stopped');
}
