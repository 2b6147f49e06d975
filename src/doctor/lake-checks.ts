// The lake group: the store is writable and keeps the two write preconditions every stage
// relies on (create-only and compare-and-swap), the catalog and the query engine answer, and the last
// committed run is recent. The only write is one probe object under state/, always removed.
import { RAW_DATABASE, TABLES_DATABASE, type Catalog } from '../catalog/catalog.js';
import type { Config } from '../config.js';
import { isTunelakeError, type TunelakeError, toTunelakeError } from '../errors.js';
import { committedRunIds, readManifest } from '../extract/manifest.js';
import { RUN_LOCK_KEY, STATE_PREFIX } from '../lake.js';
import type { QueryEngine } from '../query/engine.js';
import type { ObjectStore } from '../storage/store.js';
import { type FindingKind, type VerifyReport, verifyLake } from '../integrity/verify.js';
import { checksOf, type DoctorCheck, said } from './check.js';

export interface LakeCheckInput {
  config: Config;
  store: ObjectStore;
  catalog: Catalog;
  now: () => Date;
  random: () => number;
  openQueryEngine: () => Promise<QueryEngine>;
}

/** A run older than this means the schedule (daily) has missed one. */
export const STALE_RUN_HOURS = 25;

const HOUR_MS = 3_600_000;

export async function lakeChecks(input: LakeCheckInput): Promise<DoctorCheck[]> {
  const { store, config } = input;
  const out: DoctorCheck[] = [];
  const lines = checksOf('lake', out);
  const kind = config.lake.startsWith('s3://') ? `S3${config.s3Endpoint ? ` at ${config.s3Endpoint}` : ''}` : 'local disk';
  const fixWrite = config.lake.startsWith('s3://')
    ? `check that the bucket of ${config.lake} exists and that these credentials may write to it (TUNELAKE_LAKE, TUNELAKE_S3_ENDPOINT)`
    : `point TUNELAKE_LAKE (or --lake) at a folder tunelake can create and write (${config.lake} is not)`;

  // The probe: create-only, a second create that must conflict, a CAS overwrite, a stale CAS that
  // must conflict, then delete. Whatever happens, the probe object is removed.
  const key = `${STATE_PREFIX}doctor-probe-${randomSuffix(input.random)}`;
  let created = false;
  try {
    let etag: string;
    try {
      etag = (await store.put(key, 'doctor probe 1', { ifNoneMatch: '*' })).etag;
      created = true;
      lines.ok('lake.writable', { summary: `the lake is writable (${kind})`, evidence: `created ${store.uri(key)}` });
    } catch (error) {
      const err = toTunelakeError(error, 'STORAGE_FAILED');
      lines.fail('lake.writable', {
        summary: `the lake ${store.location} is not writable`,
        evidence: `put ${key}: ${said(err)}`,
        fix: fixWrite,
        code: err.code === 'STORAGE_CONFLICT' ? 'STORAGE_FAILED' : err.code,
      });
      lines.skip('lake.create-only', { summary: 'create-only writes not checked: the lake is not writable', evidence: '' });
      lines.skip('lake.compare-and-swap', { summary: 'compare-and-swap not checked: the lake is not writable', evidence: '' });
      return await finish();
    }
    const conflictCheck = async (id: string, what: string, attempt: () => Promise<unknown>): Promise<void> => {
      try {
        await attempt();
        lines.fail(id, {
          summary: `${what} is not enforced by this store: concurrent runs could overwrite each other`,
          evidence: `a write that had to fail with STORAGE_CONFLICT succeeded on ${store.location}`,
          fix: 'use local disk or an S3 endpoint that supports If-None-Match and If-Match on PutObject (AWS S3 does)',
          code: 'STORAGE_FAILED',
        });
      } catch (error) {
        if (isTunelakeError(error, 'STORAGE_CONFLICT')) {
          lines.ok(id, { summary: `${what} is supported`, evidence: 'the conflicting write was refused (STORAGE_CONFLICT)' });
          return;
        }
        const err = toTunelakeError(error, 'STORAGE_FAILED');
        lines.fail(id, { summary: `${what} could not be checked`, evidence: said(err), fix: fixWrite, code: err.code });
      }
    };
    await conflictCheck('lake.create-only', 'create-only writes (If-None-Match: *)', () =>
      store.put(key, 'doctor probe 2', { ifNoneMatch: '*' }),
    );
    // The overwrite with the current etag must succeed; then the first etag is stale and must lose.
    let swapped = false;
    try {
      await store.put(key, 'doctor probe 3', { ifMatch: etag });
      swapped = true;
    } catch (error) {
      const err = toTunelakeError(error, 'STORAGE_FAILED');
      lines.fail('lake.compare-and-swap', {
        summary: 'a compare-and-swap write with the current etag was refused',
        evidence: `put ${key} (If-Match ${etag}): ${said(err)}`,
        fix: 'use local disk or an S3 endpoint that supports If-Match on PutObject (AWS S3 does)',
        code: err.code === 'STORAGE_CONFLICT' ? 'STORAGE_FAILED' : err.code,
      });
    }
    if (swapped) {
      await conflictCheck('lake.compare-and-swap', 'compare-and-swap writes (If-Match)', () =>
        store.put(key, 'doctor probe 4', { ifMatch: etag }),
      );
    }
  } finally {
    if (created) {
      try {
        await store.delete(key);
      } catch (error) {
        lines.fail('lake.probe-cleanup', {
          summary: `could not remove the probe object ${key}`,
          evidence: said(toTunelakeError(error, 'STORAGE_FAILED')),
          fix: `delete ${store.uri(key)} by hand`,
          code: 'STORAGE_FAILED',
        });
      }
    }
  }
  return finish();

  async function finish(): Promise<DoctorCheck[]> {
    await catalogCheck(input, lines);
    await queryCheck(input, lines);
    await runChecks(input, lines);
    await integrityCheck(input, lines);
    return out;
  }
}

/**
 * `tunelake verify` in brief, without hashing (which reads every byte of the lake): sizes, etags,
 * manifests and the catalog. Damage the next run heals (table files, the catalog) is a warning;
 * damage it cannot (raw objects, manifests, states) fails with exit 7.
 */
async function integrityCheck(input: LakeCheckInput, lines: Lines): Promise<void> {
  let report: VerifyReport;
  try {
    report = await verifyLake({ store: input.store, catalog: input.catalog }, { hash: false });
  } catch (error) {
    lines.skip('lake.integrity', {
      summary: 'the lake was not verified: it cannot be read',
      evidence: said(toTunelakeError(error, 'STORAGE_FAILED')),
    });
    return;
  }
  const c = report.checked;
  const evidence =
    `${c.manifests} manifests, ${c.rawObjects} raw objects, ${c.tableFiles} table files, ` +
    `${c.catalogPartitions} catalog partitions checked by size and etag (no sha256: \`tunelake verify\` hashes)`;
  if (report.ok) {
    lines.ok('lake.integrity', { summary: 'the lake matches its records', evidence });
    return;
  }
  const shown = report.findings
    .slice(0, 3)
    .map((f) => `${f.key}: ${f.problem}`)
    .join('; ');
  const healable = report.findings.every((f) => HEALED_BY_RUN.has(f.kind));
  const summary = `${report.findings.length} damaged object(s) in the lake${healable ? ': the next run rebuilds them' : ''}`;
  const fields = {
    summary,
    evidence: `${shown}${report.findings.length > 3 ? '; ...' : ''} (${evidence})`,
    fix: 'run `tunelake verify` for every finding and the command that repairs it',
  };
  if (healable) lines.warn('lake.integrity', fields);
  else lines.fail('lake.integrity', { ...fields, code: 'STORAGE_CORRUPT' });
}

const HEALED_BY_RUN = new Set<FindingKind>(['table-file', 'carried-rows', 'catalog']);

type Lines = ReturnType<typeof checksOf>;

async function catalogCheck(input: LakeCheckInput, lines: Lines): Promise<void> {
  const { catalog } = input;
  const where = catalog.kind === 'glue' ? `AWS Glue (${input.config.awsRegion})` : 'local, in the lake';
  const counts: string[] = [];
  try {
    for (const db of [TABLES_DATABASE, RAW_DATABASE]) {
      try {
        counts.push(`${db}: ${(await catalog.listTables(db)).length} tables`);
      } catch (error) {
        if (!isTunelakeError(error, 'STORAGE_NOT_FOUND')) throw error;
        counts.push(`${db}: not created yet`);
      }
    }
    lines.ok('lake.catalog', { summary: `the catalog answers (${where})`, evidence: counts.join('; ') });
  } catch (error) {
    const err = toTunelakeError(error, 'STORAGE_FAILED');
    lines.fail('lake.catalog', {
      summary: `the catalog (${where}) is not reachable`,
      evidence: said(err),
      fix:
        catalog.kind === 'glue'
          ? 'check AWS_REGION and that these credentials may call glue:GetTables'
          : 'the local catalog lives in the lake: fix the lake first',
      code: err.code,
    });
  }
}

async function queryCheck(input: LakeCheckInput, lines: Lines): Promise<void> {
  const engineName = input.config.engine;
  let engine: QueryEngine | undefined;
  try {
    engine = await input.openQueryEngine();
    const result = await engine.query('select 1 as ok');
    const value = result.rows[0] ? Object.values(result.rows[0])[0] : undefined;
    if (Number(value) !== 1) throw new Error(`select 1 returned ${JSON.stringify(result.rows)}`);
    lines.ok('lake.query', {
      summary: `the query engine answers (${engineName}${engineName === 'athena' ? `, workgroup ${input.config.athena.workGroup}` : ''})`,
      evidence: 'select 1: 1',
    });
  } catch (error) {
    const err: TunelakeError = toTunelakeError(error);
    lines.fail('lake.query', {
      summary: `the query engine (${engineName}) does not answer select 1`,
      evidence: said(err),
      fix:
        engineName === 'athena'
          ? `check the Athena workgroup ${input.config.athena.workGroup} and TUNELAKE_ATHENA_OUTPUT`
          : 'see the evidence; TUNELAKE_ENGINE=duckdb needs the @duckdb/node-api package',
      code: err.code,
    });
  } finally {
    await engine?.close().catch(() => {});
  }
}

async function runChecks(input: LakeCheckInput, lines: Lines): Promise<void> {
  const { store } = input;
  const now = input.now().getTime();
  try {
    const ids = await committedRunIds(store);
    const last = ids.at(-1);
    if (!last) {
      lines.warn('lake.last-run', {
        summary: 'no successful run yet',
        evidence: `no manifest under ${store.location.replace(/\/+$/, '')}/runs/`,
        fix: 'run `tunelake run`',
      });
    } else {
      const manifest = await readManifest(store, last);
      const finished = Date.parse(manifest.finishedAt);
      // Emulated runs carry simulated times, which can lie ahead of the wall clock.
      const hours = Math.max(0, (now - finished) / HOUR_MS);
      const age = hours < 48 ? `${hours.toFixed(1)} h` : `${Math.floor(hours / 24)} days`;
      const errors = manifest.errors.length;
      const evidence = `runs/${last}.json: finished ${manifest.finishedAt}, ${ids.length} runs committed${
        errors ? `, ${errors} source errors: ${manifest.errors.map((e) => `${e.source} (${e.code})`).join(', ')}` : ''
      }`;
      if (hours > STALE_RUN_HOURS) {
        lines.warn('lake.last-run', {
          summary: `the last successful run is ${age} old (more than ${STALE_RUN_HOURS} h)`,
          evidence,
          fix: 'run `tunelake run`, and check the schedule (`tunelake schedule`)',
        });
      } else if (errors > 0) {
        lines.warn('lake.last-run', {
          summary: `the last run (${age} ago) had ${errors} failed source${errors === 1 ? '' : 's'}`,
          evidence,
          fix: 'see the sources group',
        });
      } else {
        lines.ok('lake.last-run', { summary: `the last successful run finished ${age} ago`, evidence });
      }
    }
  } catch (error) {
    const err = toTunelakeError(error, 'STORAGE_FAILED');
    lines.fail('lake.last-run', {
      summary: 'the run history cannot be read',
      evidence: said(err),
      fix: 'fix the lake first',
      code: err.code,
    });
  }
  try {
    const text = await store.getText(RUN_LOCK_KEY);
    if (text === undefined) {
      lines.ok('lake.lock', { summary: 'no run holds the lock', evidence: `${RUN_LOCK_KEY} absent` });
      return;
    }
    let lock: { runId?: string; pid?: number; host?: string; expiresAt?: string } = {};
    try {
      lock = JSON.parse(text) as typeof lock;
    } catch {}
    const expires = lock.expiresAt ? Date.parse(lock.expiresAt) : Number.NaN;
    const evidence = `${RUN_LOCK_KEY}: run ${lock.runId ?? '?'}, pid ${lock.pid ?? '?'} on ${lock.host ?? '?'}, expires ${lock.expiresAt ?? '?'}`;
    if (!Number.isNaN(expires) && expires > now) {
      lines.warn('lake.lock', {
        summary: `a run holds the lock (run ${lock.runId ?? '?'}): another run now would stop with RUN_IN_PROGRESS`,
        evidence,
        fix: `wait for it to finish; if it died, the lock expires at ${lock.expiresAt}`,
      });
    } else {
      lines.ok('lake.lock', { summary: 'a stale lock is left; the next run takes it over', evidence });
    }
  } catch (error) {
    lines.fail('lake.lock', {
      summary: 'the run lock cannot be read',
      evidence: said(toTunelakeError(error, 'STORAGE_FAILED')),
      fix: 'fix the lake first',
      code: 'STORAGE_FAILED',
    });
  }
}

function randomSuffix(random: () => number): string {
  let s = '';
  for (let i = 0; i < 12; i++) s += '0123456789abcdefghijklmnopqrstuvwxyz'[Math.floor(random() * 36)];
  return s;
}
