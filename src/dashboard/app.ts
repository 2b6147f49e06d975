// The dashboard's HTTP edge (hono): the page and its assets from memory, and the JSON API over a
// Dashboard. No URL path ever reaches the file system: the assets are a fixed table read at startup.
// Errors leave as `{error: {code, message}}` with the status their code maps to, in one place.
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { type ErrorCode, TunelakeError } from '../errors.js';
import { type Logger, silentLogger } from '../log.js';
import { redact } from '../secret.js';
import type { Capabilities } from './capabilities.js';
import { toCsv } from './csv.js';
import type { Dashboard, InsightAnswer } from './dashboard.js';

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
  // The same answer as the JSON route (same parameters, same checks), as a CSV download.
  app.get('/api/insights/:file{[a-z_]{1,60}\\.csv}', async (c) => {
    const name = c.req.param('file').slice(0, -'.csv'.length);
    const answer = await dashboard.insight(name, c.req.queries());
    return c.body(toCsv(answer.columns, answer.rows), 200, {
      ...noStore,
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${csvFileName(answer)}"`,
      // A CSV has no room for "cut at limit": the header says it, and the page's links ask for the maximum.
      'X-Tunelake-Truncated': String(answer.truncated),
    });
  });
  app.get('/api/tracks/:id', async (c) =>
    c.json(await dashboard.track(c.req.param('id'), c.req.queries()), 200, noStore),
  );
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
              ? `No API route ${clip(c.req.path)}: expected /api/status, /api/filters, /api/capabilities, /api/insights/<name>, /api/insights/<name>.csv or /api/tracks/<id>.`
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

/** `tunelake-<insight>-<view>[-<filter values>].csv`: every part is a checked name, date or id. */
function csvFileName(answer: InsightAnswer): string {
  const { from, to, playlist, artist } = answer.applied;
  const parts = [answer.insight, answer.view, from, to, playlist, artist].filter((p) => p !== undefined);
  return `tunelake-${parts.join('-')}.csv`;
}

function clip(value: string): string {
  return value.length > 80 ? `${value.slice(0, 80)}...` : value;
}
