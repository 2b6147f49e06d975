// `tunelake tables`, run as a user runs it: the real command in a child process.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tunelake } from '../../test/support/cli.js';

describe('tunelake tables (the command)', () => {
  it('lists the typed tables with Glue types, partitions and row counts after a run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunelake-cli-'));
    const lake = join(dir, 'lake');
    const empty = tunelake(['tables', '--lake', lake], dir);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain('No tables');
    expect(tunelake(['demo', '--days', '2', '--lake', lake], dir).code).toBe(0);
    const result = tunelake(['tables', '--json', '--lake', lake], dir);
    expect(result.code).toBe(0);
    const tables = JSON.parse(result.stdout) as Array<{
      name: string;
      location: string;
      columns: Array<{ name: string; type: string }>;
      partitionKeys: Array<{ name: string; type: string }>;
      partitions: string[][];
      rowCount: number;
    }>;
    const items = tables.find((t) => t.name === 'playlist_items')!;
    expect(items.partitionKeys).toEqual([{ name: 'snapshot_date', type: 'string' }]);
    expect(items.partitions).toHaveLength(2);
    expect(items.rowCount).toBeGreaterThan(0);
    expect(items.location).toBe(`${lake}/tables/playlist_items/`);
    expect(items.columns).toEqual(expect.arrayContaining([{ name: 'added_at', type: 'timestamp' }]));
    // `tunelake query` counts what an independent Parquet reader (pyarrow) counts in the files.
    const queried = tunelake(
      ['query', 'select count(*) as n from playlist_items', '--format', 'json', '--lake', lake],
      dir,
    );
    expect(queried.code).toBe(0);
    const n = (JSON.parse(queried.stdout) as Array<{ n: number }>)[0]!.n;
    expect(typeof n).toBe('number');
    expect(n).toBe(items.rowCount);
    const pyarrow = spawnSync(
      'python3',
      [
        '-c',
        'import sys, pyarrow.dataset as ds; print(ds.dataset(sys.argv[1], format="parquet", partitioning="hive").count_rows())',
        join(lake, 'tables', 'playlist_items'),
      ],
      { encoding: 'utf8' },
    );
    if (pyarrow.status === 0) expect(Number(pyarrow.stdout.trim())).toBe(n);
    else if (process.env.CI)
      throw new Error(`pyarrow is required in CI (.ci/run installs it): ${pyarrow.stderr}`);
    else
      console.warn(
        `independent pyarrow count not checked: pyarrow is not importable here (${pyarrow.stderr.trim()})`,
      );
    const tracks = tables.find((t) => t.name === 'tracks')!;
    expect(tracks.partitionKeys).toEqual([]);
    expect(tracks.columns).toEqual(expect.arrayContaining([{ name: 'duration_ms', type: 'bigint' }]));
  });
});
