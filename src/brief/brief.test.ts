import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASET, TABLE_SCHEMAS } from '../../test/golden/insights/dataset.js';
import { registerBriefCommand } from '../cli/brief-command.js';
import { loadConfig } from '../config.js';
import { isTunelakeError } from '../errors.js';
import { refreshInsights } from '../insights/refresh.js';
import { writeFixtureLake } from '../insights/test-support/fixture-lake.js';
import { silentLogger } from '../log.js';
import type { QueryEngine } from '../query/engine.js';
import { createQueryEngine, createRuntime, type Runtime } from '../runtime.js';
import { type Brief, briefSubject, buildBrief, renderBrief } from './brief.js';

const ENV = { TUNELAKE_CREDENTIALS: '/nonexistent/credentials.json', SPOTIFY_ACCESS_TIER: 'development' };
const dirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const UNAVAILABLE = [
  '- rising_artists: needs popularity and followers, which development-mode apps no longer receive (Spotify, February 2026); set SPOTIFY_ACCESS_TIER=extended with an extended-quota app',
  '- label_share: needs albums.label, which development-mode apps no longer receive (Spotify, February 2026); set SPOTIFY_ACCESS_TIER=extended with an extended-quota app',
  '- track_momentum: needs track popularity, which development-mode apps no longer receive (Spotify, February 2026); set SPOTIFY_ACCESS_TIER=extended with an extended-quota app',
];

// The golden lake (test/golden/insights/dataset.ts) in the development tier: no popularity snapshots.
// On 11-02, pl_x against 11-01 (test/golden/insights/expected.ts, playlist_movers): t5 enters at #4, t4
// leaves from #4, t3 climbs past 2 tracks (t1 and t2, only passed, did not move); pl_y was not observed. Bruno's "Second
// Wind" (10-20) is 13 days old: inside the 14-day window. One play on 11-02 (t3 at 21:05, 4 min);
// the week from Monday 11-02 has 5 plays, one each: the top artist and track are the first by id
// (Alma, "One"). Freshness: playlists last observed 12-01, plays up to 11-07, artists 12-01, releases
// first found 10-21.
const BRIEF_2026_11_02 = [
  '# tunelake brief: 2026-11-02',
  '',
  'Access tier: development.',
  '',
  '## Watched playlists',
  '',
  '- 1 entry, 1 exit and 1 real move in 1 watched playlist.',
  '',
  '### Morning Mix (since 2026-11-01)',
  '',
  '- Entries: #4 "Five" by Eve',
  '- Exits: "Four" by Cleo (was #4)',
  '- Biggest moves: "Three" by Bruno up 2 (#3 -> #1)',
  '',
  '## New releases from watched artists (14 days to 2026-11-02)',
  '',
  '- 2026-10-20: Bruno, "Second Wind" (single, North Records)',
  '',
  '## Noteworthy: artists far above their own trend',
  '',
  '- No artist is far above its trailing 28-day trend on 2026-11-02.',
  '',
  '## Listening',
  '',
  '- 1 session, 1 listen, 4 min on 2026-11-02.',
  '- Week from 2026-11-02: top artist Alma (1 play), top track "One" (1 play).',
  '',
  '## Data freshness',
  '',
  '| Data | Latest day | Against the brief |',
  '| --- | --- | --- |',
  '| watched playlists observed | 2026-12-01 | 29 days after |',
  '| listening history up to | 2026-11-07 | 5 days after |',
  '| watched artists last fetched | 2026-12-01 | 29 days after |',
  '| releases last found | 2026-10-21 | 12 days before |',
  '| popularity snapshots | none yet |  |',
  '',
  '## What the development tier and this lake cannot show',
  '',
  ...UNAVAILABLE,
  '',
].join('\n');

describe('buildBrief(runtime) and renderBrief(brief) on the golden lake', () => {
  let runtime: Runtime;
  let engine: QueryEngine;

  beforeAll(async () => {
    const config = loadConfig({ lake: tempDir('tunelake-brief-') }, ENV);
    runtime = await createRuntime(config, { spotify: false, logger: silentLogger });
    await writeFixtureLake(runtime.store, runtime.catalog, TABLE_SCHEMAS, {
      ...DATASET,
      artist_snapshots: [],
      track_snapshots: [],
    });
    await refreshInsights(runtime);
    engine = await createQueryEngine(runtime.config, {
      store: runtime.store,
      catalog: runtime.catalog,
      readOnly: true,
    });
  });
  afterAll(async () => {
    await engine?.close();
    await runtime?.close();
  });

  it('renders the brief of 2026-11-02 as Markdown, exactly as computed by hand', async () => {
    const brief = await buildBrief({ ...runtime, engine }, { date: '2026-11-02' });
    expect(renderBrief(brief, 'md')).toBe(BRIEF_2026_11_02);
    expect(briefSubject(brief)).toBe('tunelake brief 2026-11-02: 1 entry, 1 exit, 1 move, 1 new release');
  });

  it('defaults to the last day a watched playlist was observed (12-01), and gives the same page twice', async () => {
    const brief = await buildBrief({ ...runtime, engine });
    expect(brief.date).toBe('2026-12-01');
    // pl_x against 11-08: t2 leaves from #3; t5 climbs past t3 and t1 (passed: no move). No entries.
    expect(brief.playlists).toEqual([
      {
        playlistId: 'pl_x',
        playlistName: 'Morning Mix',
        previousDate: '2026-11-08',
        entries: [],
        exits: [
          {
            trackId: 't2',
            trackName: 'Two',
            artistName: 'Alma',
            fromPosition: 3,
            toPosition: null,
            rankChange: null,
          },
        ],
        moves: [
          {
            trackId: 't5',
            trackName: 'Five',
            artistName: 'Eve',
            fromPosition: 4,
            toPosition: 1,
            rankChange: 2,
          },
        ],
        moveCount: 1,
      },
    ]);
    // Second Wind is 42 days old by then; nobody listened on 12-01.
    expect(brief.releases).toEqual([]);
    expect(brief.listening).toMatchObject({ sessions: 0, listens: 0, topArtist: null });
    const md = renderBrief(brief, 'md');
    expect(md).toContain('- 0 entries, 1 exit and 1 real move in 1 watched playlist.');
    expect(md).toContain('- None.');
    expect(md).toContain('- No listening on 2026-12-01.');
    expect(md).toContain('| watched playlists observed | 2026-12-01 | same day |');
    expect(renderBrief(await buildBrief({ ...runtime, engine }), 'md')).toBe(md);
  });

  it('says when no watched playlist changed: 11-08 for pl_x, but pl_y changed', async () => {
    const brief = await buildBrief({ ...runtime, engine }, { date: '2026-11-08' });
    expect(brief.playlists?.map((p) => p.playlistId)).toEqual(['pl_y']);
    expect(brief.unchangedPlaylists).toBe(1);
    expect(renderBrief(brief, 'md')).toContain(
      '- 0 entries, 0 exits and 2 real moves in 1 watched playlist; 1 unchanged.',
    );
  });

  it('rejects a date that is not a day, saying what it expects', async () => {
    for (const date of ['2026-13-01', '11/02/2026', '2026-02-30']) {
      const error = await buildBrief({ ...runtime, engine }, { date }).catch((e: unknown) => e);
      expect(isTunelakeError(error, 'INVALID_ARGUMENT'), date).toBe(true);
      expect((error as Error).message).toBe(
        `Invalid --date "${date}": expected a day as YYYY-MM-DD, e.g. 2026-11-02.`,
      );
    }
  });
});

describe('renderBrief(brief, "html")', () => {
  const brief: Brief = {
    date: '2026-11-02',
    tier: 'extended',
    playlists: [
      {
        playlistId: 'pl_q',
        playlistName: 'Rock & <Roll>',
        previousDate: '2026-11-01',
        entries: [
          {
            trackId: 't9',
            trackName: 'It\'s "Live"',
            artistName: 'A&B',
            fromPosition: null,
            toPosition: 2,
            rankChange: null,
          },
        ],
        exits: [],
        moves: [],
        moveCount: 0,
      },
    ],
    unchangedPlaylists: 0,
    releases: null,
    releaseWindowDays: 14,
    spikes: [{ signal: 'plays', artistName: 'Eve', value: 5, baselineMedian: 1, robustZ: 4 }],
    listening: null,
    freshness: [{ source: 'watched playlists observed', table: 'playlist_items', latest: '2026-11-02' }],
    unavailable: [],
  };

  it('escapes names, turns commands into <code>, and renders the same sections as Markdown', () => {
    const html = renderBrief(brief, 'html');
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html).toContain('<h3>Rock &amp; &lt;Roll&gt; (since 2026-11-01)</h3>');
    expect(html).toContain('<li>Entries: #2 &quot;It&#39;s &quot;Live&quot;&quot; by A&amp;B</li>');
    expect(html).toContain(
      '<li>Not computed yet: run <code>tunelake insights --only new_releases</code> (or <code>tunelake run</code>).</li>',
    );
    expect(html).toContain('<li>Eve: 5 plays against a usual 1 (robust z 4)</li>');
    expect(html).toContain(
      '<tr><td>watched playlists observed</td><td>2026-11-02</td><td>same day</td></tr>',
    );
    expect(html).toContain('<li>Nothing: every insight is available.</li>');
    const headings = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].map((m) => m[1]);
    expect(headings(html, /<h2>([^<]+)<\/h2>/g)).toEqual(
      headings(renderBrief(brief, 'md'), /^## (.+)$/gm).map((h) => h!.replace(/&/g, '&amp;')),
    );
  });
});

/** Runs `tunelake brief <args>` in-process; returns what it printed on stdout. */
async function brief(args: string[]): Promise<string> {
  let out = '';
  const program = new Command('tunelake')
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: (t) => (out += t) });
  registerBriefCommand(program, { env: ENV, stdout: (text) => (out += text) });
  await program.parseAsync(['brief', ...args], { from: 'user' });
  return out;
}

describe('registerBriefCommand(program): tunelake brief', () => {
  let lake: string;

  beforeAll(async () => {
    lake = tempDir('tunelake-brief-cli-');
    const runtime = await createRuntime(loadConfig({ lake }, ENV), { spotify: false, logger: silentLogger });
    try {
      await writeFixtureLake(runtime.store, runtime.catalog, TABLE_SCHEMAS, {
        ...DATASET,
        artist_snapshots: [],
        track_snapshots: [],
      });
      await refreshInsights(runtime);
    } finally {
      await runtime.close();
    }
  });

  it('--help names every option and an example', async () => {
    let text = '';
    const program = new Command('tunelake')
      .exitOverride()
      .configureOutput({ writeOut: (t) => (text += t), writeErr: () => {} });
    registerBriefCommand(program, { env: ENV });
    await expect(program.parseAsync(['brief', '--help'], { from: 'user' })).rejects.toMatchObject({
      code: 'commander.helpDisplayed',
    });
    for (const option of [
      '--date <YYYY-MM-DD>',
      '--format <format>',
      '--out <file>',
      '--json',
      '--lake <path>',
    ]) {
      expect(text).toContain(option);
    }
    expect(text).toContain('tunelake brief --date 2026-11-02 --out brief.html');
  });

  it('prints the Markdown page of a day', async () => {
    expect(await brief(['--date', '2026-11-02', '--lake', lake])).toBe(BRIEF_2026_11_02);
  });

  it('--out FILE.html writes an HTML page and says where', async () => {
    const file = join(tempDir('tunelake-brief-out-'), 'brief.html');
    const text = await brief(['--date', '2026-11-02', '--out', file, '--lake', lake]);
    expect(text).toBe(`brief for 2026-11-02 written to ${file} (html).\n`);
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toContain('<h1>tunelake brief: 2026-11-02</h1>');
  });

  it('--json prints the brief as data', async () => {
    const out = JSON.parse(await brief(['--json', '--date', '2026-11-02', '--lake', lake])) as {
      ok: boolean;
      brief: Brief;
    };
    expect(out.ok).toBe(true);
    expect(out.brief.date).toBe('2026-11-02');
    expect(out.brief.playlists?.[0]?.entries.map((m) => m.trackId)).toEqual(['t5']);
    expect(out.brief.releases?.map((r) => r.albumName)).toEqual(['Second Wind']);
  });

  it('rejects --format pdf with the formats it takes', async () => {
    await expect(brief(['--format', 'pdf', '--lake', lake])).rejects.toThrow(
      /expected md or html, got "pdf"/,
    );
  });

  it('fails with STORAGE_NOT_FOUND and the command to run on a lake with no data', async () => {
    const error = await brief(['--lake', tempDir('tunelake-brief-empty-')]).catch((e: unknown) => e);
    expect(isTunelakeError(error, 'STORAGE_NOT_FOUND')).toBe(true);
    expect((error as Error).message).toMatch(/no observed playlists and no plays yet\. Run `tunelake run`/);
  });
});
