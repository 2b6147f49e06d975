// `tunelake doctor`: what the Spotify app and the lake can do, and why something fails. Each check is
// one line (ok, warn, fail or skip) with its evidence and its fix; a `fail` is something the next
// `tunelake run` needs, and the report's exit code is the mapped code of the first one
// (docs/spotify-api.md lists the access rules probed here, with their public sources).
import { readFile } from 'node:fs/promises';
import type { Catalog } from '../catalog/catalog.js';
import { EXIT_CODES, EXIT_OK } from '../cli/exit-codes.js';
import type { Config } from '../config.js';
import type { QueryEngine } from '../query/engine.js';
import { redact } from '../secret.js';
import type { SpotifyApi } from '../spotify/client.js';
import type { ObjectStore } from '../storage/store.js';
import { awsChecks } from './aws-checks.js';
import type { AwsDeployment } from './aws-deployment.js';
import type { CheckGroup, DoctorCheck } from './check.js';
import { configChecks, type EmulatorInfo } from './config-checks.js';
import { lakeChecks } from './lake-checks.js';
import { spotifyChecks, type TierProbeReport } from './spotify-checks.js';

export type { CheckGroup, CheckStatus, DoctorCheck } from './check.js';

/** What doctor examines: a Runtime fits. */
export interface DoctorTarget {
  config: Config;
  store: ObjectStore;
  catalog: Catalog;
  spotify: SpotifyApi;
  /** Set when the runtime talks to the built-in emulator. */
  emulator: EmulatorInfo | undefined;
  now: () => Date;
  /** The configured query engine (the composition root's). */
  openEngine(options: { readOnly: true }): Promise<QueryEngine>;
  /** The deployed stack's resources (the composition root's AWS adapter). */
  openAwsDeployment(): AwsDeployment;
}

export interface DoctorDeps {
  random?: () => number;
  /** Opens the configured query engine; default the target's, read-only. */
  openQueryEngine?: () => Promise<QueryEngine>;
  /** Reads the credentials file; undefined when it does not exist. */
  readFile?: (path: string) => Promise<string | undefined>;
  /** The deployed stack's resources (default: the target's). */
  openAwsDeployment?: () => AwsDeployment;
}

export interface DoctorReport {
  /** No check failed: the next run has what it needs. */
  ok: boolean;
  checks: DoctorCheck[];
  /** The access-tier probes and the verdict; absent when the configuration was invalid. */
  tier?: TierProbeReport;
}

export const GROUP_ORDER: readonly CheckGroup[] = [
  'configuration',
  'credentials',
  'access tier',
  'sources',
  'lake',
  'aws',
];

export async function runDoctor(target: DoctorTarget, deps: DoctorDeps = {}): Promise<DoctorReport> {
  const spotify = await spotifyChecks({
    config: target.config,
    spotify: target.spotify,
    emulator: target.emulator,
    now: target.now,
    readFile: deps.readFile ?? readIfExists,
  });
  const checks: DoctorCheck[] = [
    ...configChecks(target.config, target.emulator),
    ...spotify.checks,
    ...(await lakeChecks({
      config: target.config,
      store: target.store,
      catalog: target.catalog,
      now: target.now,
      random: deps.random ?? Math.random,
      openQueryEngine: deps.openQueryEngine ?? (() => target.openEngine({ readOnly: true })),
    })),
    ...(await awsChecks({
      config: target.config,
      store: target.store,
      now: target.now,
      openDeployment: deps.openAwsDeployment ?? (() => target.openAwsDeployment()),
    })),
  ];
  // Stable: within a group, checks keep the order they ran in.
  checks.sort((a, b) => GROUP_ORDER.indexOf(a.group) - GROUP_ORDER.indexOf(b.group));
  return { ok: !checks.some((c) => c.status === 'fail'), checks, tier: spotify.tier };
}

/** 0 when nothing failed, else the exit code mapped from the first failure's error code. */
export function doctorExitCode(report: DoctorReport): number {
  const failed = report.checks.find((c) => c.status === 'fail');
  if (!failed) return EXIT_OK;
  return EXIT_CODES[failed.code ?? 'INTERNAL'];
}

/** The `--json` shape, for monitoring. */
export function reportJson(report: DoctorReport): {
  ok: boolean;
  checks: Array<Pick<DoctorCheck, 'id' | 'group' | 'status' | 'summary' | 'evidence' | 'fix'>>;
  tier?: TierProbeReport;
} {
  return {
    ok: report.ok,
    ...(report.tier ? { tier: report.tier } : {}),
    checks: report.checks.map(({ id, group, status, summary, evidence, fix }) => ({
      id,
      group,
      status,
      summary: redact(summary),
      evidence: redact(evidence),
      fix: redact(fix),
    })),
  };
}

const MARKS = { ok: '✓', warn: '!', fail: '✗', skip: '-' } as const;

/** One line per check under its group's heading; ✓/!/✗ on a terminal, the status words otherwise. */
export function formatReport(report: DoctorReport, options: { tty: boolean }): string {
  const lines: string[] = [];
  for (const group of GROUP_ORDER) {
    const checks = report.checks.filter((c) => c.group === group);
    if (checks.length === 0) continue;
    lines.push(`${group}`);
    for (const c of checks) {
      const mark = options.tty ? MARKS[c.status] : c.status.padEnd(4);
      const detail = [c.evidence && `(${c.evidence})`, c.fix && `fix: ${c.fix}`].filter(Boolean).join(' ');
      lines.push(`  ${mark} ${c.summary}${detail ? ` ${detail}` : ''}`);
    }
  }
  const failed = report.checks.filter((c) => c.status === 'fail').length;
  const warned = report.checks.filter((c) => c.status === 'warn').length;
  lines.push(
    failed > 0
      ? `${failed} problem${failed === 1 ? '' : 's'} to fix before the next run${warned ? `, ${warned} warning${warned === 1 ? '' : 's'}` : ''}.`
      : `Ready for the next run${warned ? ` (${warned} warning${warned === 1 ? '' : 's'})` : ''}.`,
  );
  return `${redact(lines.join('\n'))}\n`;
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
