// `tunelake serve` as a server with a lifecycle: DashboardServer.create() opens a read-only query
// engine over the lake, reads the page's assets, listens; close() stops listening and closes the
// engine. Binds 127.0.0.1 unless told otherwise; on loopback it accepts loopback Host headers only.
//
//   const server = await DashboardServer.create(runtime, { port: 0 });
//   console.log(server.url);
//   await server.close();
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Config } from '../config.js';
import type { EmulatorInfo } from '../doctor/config-checks.js';
import { TunelakeError } from '../errors.js';
import { type Logger, silentLogger } from '../log.js';
import type { QueryEngine } from '../query/engine.js';
import type { SpotifyApi } from '../spotify/client.js';
import { type Asset, createDashboardApp } from './app.js';
import { createCapabilities, type SpotifyAccess } from './capabilities.js';
import { createDashboard, type Dashboard, type DashboardRuntime } from './dashboard.js';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8080;

export interface DashboardServerOptions {
  /** 0 = any free port (default 8080). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  logger?: Logger;
  /** A read-only engine to use (closed with the server); default: one built from the runtime. */
  engine?: QueryEngine;
  now?: () => Date;
  /**
   * Opens Spotify access for the capability probes (GET /api/capabilities), closed after them. Default:
   * the server's own runtime's Spotify client (kept open); `tunelake serve`, whose runtime has none,
   * passes one that opens a runtime with Spotify.
   */
  openSpotify?: () => Promise<SpotifyAccess>;
  /**
   * Host names (without the port) the server answers besides the loopback ones: required to serve
   * beyond loopback, since the Host check is what stops DNS rebinding and is never off (#17).
   */
  allowHosts?: readonly string[];
}

/** What the server is started over: a Runtime fits. */
export interface DashboardServerRuntime extends DashboardRuntime {
  config: Config;
  spotify: SpotifyApi;
  emulator?: EmulatorInfo | undefined;
}

export class DashboardServer {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly #server: Server;
  readonly #dashboard: Dashboard;
  #closed: Promise<void> | undefined;

  private constructor(server: Server, dashboard: Dashboard, host: string, port: number) {
    this.#server = server;
    this.#dashboard = dashboard;
    this.host = host;
    this.port = port;
    this.url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  }

  static async create(
    runtime: DashboardServerRuntime,
    options: DashboardServerOptions = {},
  ): Promise<DashboardServer> {
    const host = options.host ?? DEFAULT_HOST;
    const port = options.port ?? DEFAULT_PORT;
    const logger = options.logger ?? silentLogger;
    const assets = loadAssets();
    const engine = options.engine ?? (await openDashboardEngine(runtime));
    let dashboard: Dashboard;
    try {
      dashboard = await createDashboard(runtime, { engine, now: options.now });
    } catch (error) {
      await engine.close();
      throw error;
    }
    // The allowed Host headers depend on the port, known only once listening: the set is filled then.
    const allowedHosts = new Set<string>();
    const capabilities = createCapabilities({
      config: runtime.config,
      now: options.now,
      openSpotify:
        options.openSpotify ??
        (async () => ({
          config: runtime.config,
          spotify: runtime.spotify,
          emulator: runtime.emulator,
          close: async () => {},
        })),
    });
    const app = createDashboardApp(dashboard, { assets, allowedHosts, logger, capabilities });
    const server = createAdaptorServer({ fetch: app.fetch, hostname: host }) as Server;
    let bound: number;
    try {
      bound = await listen(server, host, port);
    } catch (error) {
      await dashboard.close();
      throw error;
    }
    for (const name of ['127.0.0.1', 'localhost', '[::1]', ...(options.allowHosts ?? [])]) {
      allowedHosts.add(`${name}:${bound}`);
      // Browsers leave the port out of Host on the scheme's default port.
      if (bound === 80) allowedHosts.add(name);
    }
    return new DashboardServer(server, dashboard, host, bound);
  }

  /** Stops accepting connections, ends idle ones, then closes the query engine. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await new Promise<void>((resolve) => {
        this.#server.close(() => resolve());
        this.#server.closeIdleConnections();
      });
      await this.#dashboard.close();
    })();
    return this.#closed;
  }
}

/**
 * The engine the dashboard queries with: read-only, so that it runs one SELECT at a time and (DuckDB)
 * reads no file but the lake's table files and writes none (src/query/duckdb-engine.ts locks it).
 */
export function openDashboardEngine(runtime: DashboardRuntime): Promise<QueryEngine> {
  return runtime.openEngine({ readOnly: true });
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const message =
        error.code === 'EADDRINUSE'
          ? `Port ${port} on ${host} is already in use: pick another with --port, or --port 0 for any free one.`
          : `Could not listen on ${host}:${port}: ${error.message}`;
      reject(new TunelakeError('INVALID_ARGUMENT', message, { cause: error, details: { host, port } }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

const PUBLIC = new URL('./public/', import.meta.url);

/** The page, its script and style, and echarts from node_modules (no CDN: the dashboard works offline). */
export function loadAssets(): Map<string, Asset> {
  const read = (url: URL | string) => {
    try {
      return readFileSync(url, 'utf8');
    } catch (error) {
      throw new TunelakeError(
        'INTERNAL',
        `Cannot read the dashboard asset ${String(url)}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  };
  const echarts = createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js');
  const js = 'text/javascript; charset=utf-8';
  return new Map<string, Asset>([
    ['/', { body: read(new URL('index.html', PUBLIC)), contentType: 'text/html; charset=utf-8' }],
    ['/assets/app.js', { body: read(new URL('app.js', PUBLIC)), contentType: js }],
    [
      '/assets/style.css',
      { body: read(new URL('style.css', PUBLIC)), contentType: 'text/css; charset=utf-8' },
    ],
    ['/assets/echarts.min.js', { body: read(echarts), contentType: js }],
  ]);
}
