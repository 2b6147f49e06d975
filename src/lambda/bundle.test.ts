// The handlers as Lambda runs them: bundled by esbuild into single ESM files (the settings the CDK
// stack's NodejsFunction uses: node22, ESM with a `require` shim, DuckDB left as an installed native
// module), with the SQL files copied next to the bundle where `import.meta.url` finds them. The
// bundles are loaded and run the pipeline on a local lake: extract from the emulator, transform (DuckDB
// and every table's SQL), catalog and the insights (every insight's SQL).
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Emulator } from '../emulator/server.js';
import { worldSummary } from '../emulator/world.js';
import { silentLogger } from '../log.js';
import type { PipelineMetrics } from './metrics.js';
import type { HandlerDeps } from './runtime.js';

const ROOT = join(import.meta.dirname, '..', '..');
type Handler = (event: unknown) => Promise<Record<string, unknown>>;
type Module = Record<string, (deps: HandlerDeps) => Handler>;

describe('the bundled handlers (esbuild, SQL copied next to the bundle)', () => {
  // Inside the project, so that the external DuckDB module resolves from its node_modules, as from
  // the asset's own node_modules in Lambda.
  const out = join(ROOT, 'node_modules', '.cache', `tunelake-bundle-${process.pid}`);
  let emu: Emulator;
  let env: Record<string, string>;

  beforeAll(async () => {
    await build({
      entryPoints: ['extract', 'transform', 'catalog'].map((h) => join(ROOT, 'src', 'lambda', `${h}.ts`)),
      outdir: out,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      external: ['@duckdb/node-api'],
      banner: {
        js: "import { createRequire as __tunelakeCreateRequire } from 'node:module';const require = __tunelakeCreateRequire(import.meta.url);",
      },
      logLevel: 'silent',
    });
    mkdirSync(join(out, 'tables'), { recursive: true });
    cpSync(join(ROOT, 'src', 'transform', 'tables'), join(out, 'tables'), { recursive: true });
    cpSync(join(ROOT, 'src', 'insights', 'sql'), join(out, 'sql'), { recursive: true });
    for (const f of ['macros.sql', 'objects.sql']) cpSync(join(ROOT, 'src', 'transform', f), join(out, f));

    emu = await Emulator.create({ port: 0, tier: 'development', seed: 5 });
    const dir = mkdtempSync(join(tmpdir(), 'tunelake-bundle-'));
    const summary = worldSummary(emu.world);
    writeFileSync(
      join(dir, 'tunelake.config.json'),
      JSON.stringify({
        sources: {
          playlists: summary.playlists.owned.slice(0, 2).map((p) => p.id),
          me: { recentlyPlayed: true },
        },
      }),
    );
    env = {
      TUNELAKE_CONFIG: join(dir, 'tunelake.config.json'),
      TUNELAKE_CREDENTIALS: join(dir, 'none.json'),
      TUNELAKE_LAKE: join(dir, 'lake'),
      TUNELAKE_TEMP_DIR: dir,
      SPOTIFY_CLIENT_ID: 'tunelake-demo',
      SPOTIFY_CLIENT_SECRET: 'tunelake-demo-secret',
      SPOTIFY_REFRESH_TOKEN: emu.issueRefreshToken(),
      SPOTIFY_ACCOUNTS_URL: emu.url,
      SPOTIFY_API_URL: emu.apiUrl,
      TUNELAKE_RATE_LIMIT: '1500',
    };
  });

  afterAll(async () => {
    await emu?.close();
    rmSync(out, { recursive: true, force: true });
  });

  test('each bundle exports `handler`, and the three run the pipeline with the SQL read from next to them', async () => {
    const load = async (name: string) =>
      (await import(pathToFileURL(join(out, `${name}.mjs`)).href)) as Module;
    const [extract, transform, catalog] = await Promise.all(['extract', 'transform', 'catalog'].map(load));
    for (const m of [extract, transform, catalog]) expect(typeof m?.handler).toBe('function');
    expect(readdirSync(join(out, 'sql')).length).toBeGreaterThan(9);

    const metrics: PipelineMetrics = { count() {}, tableRows() {}, duration() {}, publish() {} };
    const deps: HandlerDeps = { env, logger: silentLogger, metrics };
    const extracted = await extract!.createExtractHandler!(deps)({ scheduledTime: '2026-11-25T06:00:00Z' });
    expect(extracted).toMatchObject({ ok: true, status: 'committed' });
    const transformed = await transform!.createTransformHandler!(deps)({ source: 'manual' });
    expect(transformed).toMatchObject({ ok: true, status: 'transformed' });
    const registered = await catalog!.createCatalogHandler!(deps)({ responsePayload: transformed });
    expect(registered).toMatchObject({ ok: true, status: 'registered' });
    const insights = registered.insights as Array<{ name: string; status: string }>;
    expect(insights.find((i) => i.name === 'playlist_movers')?.status).toBe('written');
    expect(insights.find((i) => i.name === 'listening_hours')?.status).toBe('written');
  });
});
