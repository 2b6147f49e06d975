// Integrity trials (#17): a lake made by `tunelake demo --days 3`, copied, damaged on purpose, then
// `tunelake verify` and `tunelake run` on the copy. verify finds every kind of damage with its
// repair; run rebuilds damaged table partitions from the raw zone (tables equal an undamaged copy's,
// row for row) and refuses a damaged raw object with exit 7, changing nothing.
import {
  appendFileSync,
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLES_DATABASE } from '../../src/catalog/catalog.js';
import { createLocalCatalog } from '../../src/catalog/local.js';
import type { Finding, VerifyReport } from '../../src/integrity/verify.js';
import { createLocalObjectStore } from '../../src/storage/local.js';
import { diffTables, lakeFingerprint, tableRows, tunelake } from './support.js';

let cwd: string;
let base: string;

function copyOf(name: string): string {
  const lake = join(cwd, name);
  cpSync(base, lake, { recursive: true });
  return lake;
}

async function verify(lake: string): Promise<{ code: number | null; report: VerifyReport; stderr: string }> {
  const r = await tunelake(['verify', '--lake', lake, '--json'], cwd);
  return { code: r.code, report: JSON.parse(r.stdout) as VerifyReport, stderr: r.stderr };
}

const partitions = (lake: string) =>
  readdirSync(join(lake, 'tables', 'playlist_items'))
    .filter((d) => d.startsWith('snapshot_date='))
    .sort();
const runIds = (lake: string) =>
  readdirSync(join(lake, 'runs'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
const rawPart = (lake: string, runId: string) => {
  const { objects } = JSON.parse(readFileSync(join(lake, 'runs', `${runId}.json`), 'utf8')) as {
    objects: Array<{ key: string; bytes: number }>;
  };
  return objects.find((o) => o.key.startsWith('raw/playlist_items/')) ?? objects[0]!;
};
const tableFiles = (lake: string) =>
  new Map(
    [...lakeFingerprint(lake)].filter(
      ([key]) => key.startsWith('tables/') || key.startsWith('state/transform'),
    ),
  );

describe('tunelake verify / tunelake run over a damaged copy of a demo lake', () => {
  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'tunelake-integrity-'));
    base = join(cwd, 'base');
    const demo = await tunelake(['demo', '--days', '3', '--lake', base], cwd);
    expect(demo.code, demo.stderr).toBe(0);
    expect(partitions(base).length).toBe(3);
  }, 180_000);

  it('verify: a healthy lake has 0 findings and exits 0', async () => {
    const { code, report } = await verify(base);
    expect(report.findings).toEqual([]);
    expect(report).toMatchObject({ ok: true, hashed: true });
    expect(report.checked.rawObjects).toBeGreaterThan(10);
    expect(report.checked.tableFiles).toBeGreaterThan(10);
    expect(code).toBe(0);
  }, 60_000);

  it("run: a deleted partition and one replaced by another day's file are found, rebuilt, and the tables equal an undamaged lake's", async () => {
    const intact = copyOf('intact');
    const damaged = copyOf('damaged');
    const [first, second, third] = partitions(damaged);
    rmSync(join(damaged, 'tables', 'playlist_items', second!), { recursive: true });
    cpSync(
      join(damaged, 'tables', 'playlist_items', third!, 'part-00000.parquet'),
      join(damaged, 'tables', 'playlist_items', first!, 'part-00000.parquet'),
    );
    const before = await verify(damaged);
    expect(before.code).toBe(7);
    expect(before.report.findings.filter((f) => f.kind === 'table-file').map((f) => f.key)).toEqual([
      `tables/playlist_items/${first}/part-00000.parquet`,
      `tables/playlist_items/${second}/part-00000.parquet`,
    ]);

    const a = await tunelake(['run', '--lake', intact], cwd);
    expect(a.code, a.stderr).toBe(0);
    const b = await tunelake(['run', '--lake', damaged, '--json'], cwd);
    expect(b.code, b.stderr).toBe(0);
    const info = JSON.parse(b.stdout) as { transform: { healed: Array<{ key: string }>; full: boolean } };
    expect(info.transform.healed.map((p) => p.key)).toEqual(
      before.report.findings.filter((f) => f.kind === 'table-file').map((f) => f.key),
    );
    expect(info.transform.full).toBe(true);
    expect(b.stderr).toContain('rebuilding the tables from the raw zone');

    const expected = await tableRows(intact);
    expect(expected.get('tables/playlist_items')?.length).toBeGreaterThan(100);
    // playlist_movers compares consecutive days: a replaced day's partition invented movers (#17).
    expect(expected.get('insights/playlist_movers')).toBeDefined();
    expect(diffTables(expected, await tableRows(damaged))).toEqual([]);
    expect((await verify(damaged)).report.findings).toEqual([]);
  }, 180_000);

  it('run: a damaged raw object is refused with exit 7 naming it, and no table file changes', async () => {
    const damaged = copyOf('raw-damaged');
    const [oldest] = runIds(damaged);
    const part = rawPart(damaged, oldest!);
    appendFileSync(join(damaged, part.key), 'x');
    // A deleted partition sends the run to a full rebuild, which reads every raw object.
    rmSync(join(damaged, 'tables', 'playlist_items', partitions(damaged)[1]!), { recursive: true });
    const before = tableFiles(damaged);
    const r = await tunelake(['run', '--lake', damaged], cwd);
    expect(r.code).toBe(7);
    expect(r.stderr).toContain(part.key);
    expect(r.stderr).toContain('transform --full');
    expect(tableFiles(damaged)).toEqual(before);
  }, 120_000);

  it('verify: finds every kind of injected damage, each with a repair, and exits 7', async () => {
    const lake = copyOf('every-damage');
    const [run1, run2, run3] = runIds(lake);
    // Raw objects: one with a flipped byte (same size: only sha256 tells), one deleted.
    const flipped = rawPart(lake, run1!);
    const bytes = readFileSync(join(lake, flipped.key));
    const at = bytes.length - 10;
    bytes[at] = bytes[at]! ^ 0xff;
    writeFileSync(join(lake, flipped.key), bytes);
    const deleted = rawPart(lake, run2!);
    rmSync(join(lake, deleted.key));
    // A manifest cut short, and (in a second copy, below) one that vanished.
    truncateSync(join(lake, 'runs', `${run3}.json`), 40);
    // Table files: one deleted, one replaced by another day's, one stray; carried rows gone.
    const [p1, p2, p3] = partitions(lake);
    rmSync(join(lake, 'tables', 'playlist_items', p1!), { recursive: true });
    cpSync(
      join(lake, 'tables', 'playlist_items', p3!, 'part-00000.parquet'),
      join(lake, 'tables', 'playlist_items', p2!, 'part-00000.parquet'),
    );
    writeFileSync(join(lake, 'tables', 'playlist_items', p3!, 'part-00001.parquet'), 'stray');
    const carried = readdirSync(join(lake, 'state', 'transform')).find((f) => f.startsWith('playlists-'))!;
    rmSync(join(lake, 'state', 'transform', carried));
    // The catalog: a partition dropped.
    const store = createLocalObjectStore({ root: lake });
    await createLocalCatalog({}, { store }).deletePartitions(TABLES_DATABASE, 'playlist_items', [
      [p3!.slice('snapshot_date='.length)],
    ]);
    await store.close();

    const { code, report } = await verify(lake);
    expect(code).toBe(7);
    const found = (kind: Finding['kind'], key: string) =>
      report.findings.find((f) => f.kind === kind && f.key === key);
    expect(found('raw-object', flipped.key)?.problem).toMatch(/^sha256 /);
    expect(found('raw-object', deleted.key)?.problem).toMatch(/missing/);
    expect(found('manifest', `runs/${run3}.json`)?.problem).toMatch(/damaged/);
    expect(found('table-file', `tables/playlist_items/${p1}/part-00000.parquet`)?.problem).toMatch(/missing/);
    expect(found('table-file', `tables/playlist_items/${p2}/part-00000.parquet`)?.problem).toMatch(
      /bytes|etag/,
    );
    expect(found('table-file', `tables/playlist_items/${p3}/part-00001.parquet`)?.problem).toMatch(
      /did not write/,
    );
    expect(found('carried-rows', `state/transform/${carried}`)).toBeDefined();
    expect(
      found('catalog', `tunelake.playlist_items[${p3!.slice('snapshot_date='.length)}]`)?.problem,
    ).toMatch(/catalog does not/);
    for (const f of report.findings) expect(f.repair).toMatch(/tunelake|restore|delete/);

    const vanished = copyOf('vanished-manifest');
    rmSync(join(vanished, 'runs', `${run1}.json`));
    const second = await verify(vanished);
    expect(second.code).toBe(7);
    expect(second.report.findings).toEqual([
      expect.objectContaining({
        kind: 'manifest',
        key: `runs/${run1}.json`,
        problem: expect.stringMatching(/vanished/),
      }),
    ]);
  }, 120_000);
});
