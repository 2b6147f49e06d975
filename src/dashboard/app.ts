// The dashboard's HTTP edge (hono): the page and its assets from memory, and the JSON API over a
// Dashboard. No URL path ever reaches the file system: the assets are a fixed table read at startup.
// Errors leave as `{error: {code, message}}` with the status their code maps to, in one place.
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { type ErrorCode, TunelakeError } from '../errors.js';
import { type Logger, silentLogger } from '../log.js';
import { redact } from '../secret.js';
import type { Capabilities } from './capabilities.js';
import type { Dashboard } from './dashboard.js';

export interface Asset {
  body: string;
  contentType: string;
}

export interface DashboardAppOptions {
  /** Path (such as `/assets/app.js`) -> content; `/` is the page. */
  assets: ReadonlyMap<string, Asset>;
  /**
   * Host headers accepted (such as `127.0.0.1:8080`); undefined accepts any. A loopback server checks
   * them so that a web page elsewhere cannot reach it through DNS rebinding.
   */
  allowedHosts?: ReadonlySet<string>;
  logger?: Logger;
  /** The capability matrix behind GET /api/capabilities; without it the route answers 404. */
  capabilities?: Capabilities;
}

const STATUS_OF: Partial<Record<ErrorCode, ContentfulStatusCode>> = {
  INVALID_ARGUMENT: 400,
  STORAGE_NOT_FOUND: 404,
  SPOTIFY_UNAVAILABLE: 503,
  STORAGE_FAILED: 503,
};

// echarts draws with inline styles; everything else comes from this origin only.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

export function createDashboardApp(dashboard: Dashboard, options: DashboardAppOptions): Hono {
  const logger = options.logger ?? silentLogger;
  const app = new Hono();

  app.use('*', async (c, next) => {
    if (options.allowedHosts && !options.allowedHosts.has(c.req.header('host') ?? '')) {
      return c.json(
        {
          error: {
            code: 'INVALID_ARGUMENT',
            message: `Unexpected Host header: expected one of ${[...options.allowedHosts].join(', ')}.`,
          },
        },
        421,
      );
    }
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Content-Security-Policy', CSP);
  });

  app.get('/api/status', async (c) => c.json(await dashboard.status(), 200, noStore));
  app.get('/api/filters', async (c) => c.json(await dashboard.filters(), 200, noStore));
  app.get('/api/insights/:name', async (c) =>
    c.json(await dashboard.insight(c.req.param('name'), c.req.queries()), 200, noStore),
  );
  app.get('/api/capabilities', async (c) => {
    if (!options.capabilities) {
      throw new TunelakeError(
        'STORAGE_NOT_FOUND',
        'This server probes no Spotify app: no capability matrix.',
      );
    }
    const refresh = ['1', 'true'].includes(c.req.query('refresh') ?? '');
    return c.json(await options.capabilities.get({ refresh }), 200, noStore);
  });
  app.all('/api/*', (c) =>
    c.json(
      {
        error: {
          code: 'INVALID_ARGUMENT',
          message:
            c.req.method === 'GET'
              ? `No API route ${clip(c.req.path)}: expected /api/status, /api/filters, /api/capabilities or /api/insights/<name>.`
              : `Method ${c.req.method} is not allowed: the dashboard API is read-only (GET).`,
        },
      },
      c.req.method === 'GET' ? 404 : 405,
    ),
  );

  app.get('*', (c) => {
    const asset = options.assets.get(c.req.path);
    if (!asset) return c.text('Not found', 404);
    return c.body(asset.body, 200, { 'Content-Type': asset.contentType, 'Cache-Control': 'no-cache' });
  });

  app.onError((error, c) => {
    const err =
      error instanceof TunelakeError
        ? error
        : new TunelakeError(
            'INTERNAL',
            'The dashboard failed unexpectedly; the server log has the details.',
            {
              cause: error,
            },
          );
    const status = STATUS_OF[err.code] ?? 500;
    if (status >= 500)
      logger.error(`dashboard: ${c.req.method} ${c.req.path} failed`, { error: error.message });
    // Damage names the server's files: the log has them, the page gets the repair only (#17).
    const message =
      err.code === 'STORAGE_CORRUPT'
        ? 'A file of the lake is damaged (the server log names it). Rebuild the tables with `tunelake transform --full`.'
        : err.message;
    return c.json({ error: { code: err.code, message: redact(message) } }, status);
  });

  return app;
}

const noStore = { 'Cache-Control': 'no-store' };

function clip(value: string): string {
  return value.length > 80 ? `${value.slice(0, 80)}...` : value;
}
