// verifyLake(): the lake checked against its own records (#17), what `tunelake verify` prints and
// `tunelake doctor` summarizes. Read-only. Four kinds of record, each checked against what it names:
//
// - run manifests (runs/<runId>.json): each readable; every run the transform state or the extract
//   state counts as landed still has one (a vanished manifest would shrink the tables);
// - raw objects: each one a manifest lists exists with the size and sha256 the manifest recorded;
// - table files (tables/...): exactly the files the transform state recorded, same size, etag and
//   sha256; the carried rows (state/transform/...) the state names exist;
// - the catalog: every table the transform state holds is registered, with exactly its partitions,
//   and every registered partition has a file.
//
// Each finding names the object and the command that repairs it. Hashing (sha256 of every raw object
// and table file) reads every byte of the lake; `hash: false` keeps to listings and sizes (doctor).
import { type Catalog, TABLES_DATABASE } from '../catalog/catalog.js';
import { toTunelakeError } from '../errors.js';
import { committedRunIds, type RunManifest, readManifest } from '../extract/manifest.js';
import { loadState } from '../extract/state.js';
import { EXTRACT_STATE_KEY, manifestKey, TABLES_PREFIX, tablePrefix } from '../lake.js';
import type { ObjectStore } from '../storage/store.js';
import { loadTransformState, TRANSFORM_STATE_KEY, type TransformState } from '../transform/state.js';
import { checkTableFiles, sha256OfObject } from './table-files.js';

export type FindingKind = 'manifest' | 'raw-object' | 'table-file' | 'carried-rows' | 'catalog' | 'state';

export interface Finding {
  kind: FindingKind;
  /** The object (a lake key) or catalog entry (`tunelake.<table>[<values>]`) that is damaged. */
  key: string;
  problem: string;
  /** The command or step that repairs it. */
  repair: string;
}

export interface VerifyReport {
  /** True when nothing was found. */
  ok: boolean;
  /** Whether every object's bytes were hashed (false: sizes and etags only). */
  hashed: boolean;
  checked: { manifests: number; rawObjects: number; tableFiles: number; catalogPartitions: number };
  findings: Finding[];
  /** What could not be checked, and why (not damage). */
  notes: string[];
  durationMs: number;
}

export interface VerifyOptions {
  /** Hash every raw object and table file (default true). */
  hash?: boolean;
  /** Long work reports here: the step and how far it is. */
  onProgress?: (step: string, done: number, total: number) => void;
}

export interface VerifyRuntime {
  store: ObjectStore;
  catalog: Catalog;
}

const REPAIR_TABLES =
  'run `tunelake run` (or `tunelake transform`): it rebuilds the tables from the raw zone';
const REPAIR_CATALOG =
  'run `tunelake transform`: its catalog stage registers the tables as the transform state holds them';

export async function verifyLake(runtime: VerifyRuntime, options: VerifyOptions = {}): Promise<VerifyReport> {
  const { store } = runtime;
  const hash = options.hash !== false;
  const progress = options.onProgress ?? (() => {});
  const started = performance.now();
  const findings: Finding[] = [];
  const notes: string[] = [];
  const checked = { manifests: 0, rawObjects: 0, tableFiles: 0, catalogPartitions: 0 };

  // Manifests, and the states that count runs as landed.
  const committed = await committedRunIds(store);
  const manifests: RunManifest[] = [];
  for (const [i, runId] of committed.entries()) {
    progress('manifests', i, committed.length);
    try {
      manifests.push(await readManifest(store, runId));
    } catch (error) {
      const err = toTunelakeError(error);
      findings.push({
        kind: 'manifest',
        key: manifestKey(runId),
        problem: err.message,
        repair: `restore ${manifestKey(runId)} from a backup; or remove it and run \`tunelake transform --full\` to leave run ${runId} out`,
      });
    }
    checked.manifests++;
  }
  const committedSet = new Set(committed);
  const transformState = await loadOr(findings, TRANSFORM_STATE_KEY, () => loadTransformState(store));
  for (const runId of transformState?.runs ?? []) {
    if (committedSet.has(runId)) continue;
    findings.push({
      kind: 'manifest',
      key: manifestKey(runId),
      problem: `it vanished: the tables were built from run ${runId}, which no longer has a manifest`,
      repair: `restore ${manifestKey(runId)} from a backup; if the run was removed on purpose, run \`tunelake transform --full\``,
    });
  }
  const extractState = await loadOr(findings, EXTRACT_STATE_KEY, () => loadState(store));
  const lastRunId = extractState?.lastRunId;
  if (lastRunId && !committedSet.has(lastRunId) && !transformState?.runs.includes(lastRunId)) {
    findings.push({
      kind: 'manifest',
      key: manifestKey(lastRunId),
      problem: `it vanished: ${EXTRACT_STATE_KEY} says run ${lastRunId} landed last, and it has no manifest`,
      repair:
        `restore ${manifestKey(lastRunId)} from a backup; if it was removed on purpose, delete ${EXTRACT_STATE_KEY} ` +
        '(the next run rebuilds it from the remaining manifests and fetches again what the run had landed)',
    });
  }

  // Raw objects against their manifests.
  const objects = manifests.flatMap((m) => m.objects.map((o) => ({ ...o, runId: m.runId })));
  for (const [i, object] of objects.entries()) {
    progress(hash ? 'raw objects (sha256)' : 'raw objects', i, objects.length);
    checked.rawObjects++;
    const repair =
      `restore ${object.key} from a backup or the original lake; or, to give up that run's data, remove ` +
      `${manifestKey(object.runId)} and run \`tunelake transform --full\``;
    const head = await store.head(object.key);
    if (!head) {
      findings.push({
        kind: 'raw-object',
        key: object.key,
        problem: `it is missing (run ${object.runId} landed it)`,
        repair,
      });
      continue;
    }
    if (head.size !== object.bytes) {
      findings.push({
        kind: 'raw-object',
        key: object.key,
        problem: `${head.size} bytes, the manifest recorded ${object.bytes}`,
        repair,
      });
      continue;
    }
    if (!hash) continue;
    if (object.sha256 === undefined) continue;
    const sha256 = await sha256OfObject(store, object.key);
    if (sha256 !== object.sha256) {
      findings.push({
        kind: 'raw-object',
        key: object.key,
        problem: `sha256 ${sha256?.slice(0, 12)}..., the manifest recorded ${object.sha256.slice(0, 12)}...`,
        repair,
      });
    }
  }
  if (hash && objects.some((o) => o.sha256 === undefined)) {
    notes.push('some manifests predate checksums: their raw objects were checked by size only');
  }

  // Table files and carried rows against the transform state.
  if (transformState && transformState.runs.length > 0) {
    if (transformState.files === undefined) {
      notes.push(
        'the transform state predates table checksums: table files were not checked (the next `tunelake transform` records them)',
      );
    } else {
      const problems = await checkTableFiles(store, transformState.files, {
        hash,
        onHashed: (done, total) => progress('table files (sha256)', done, total),
      });
      checked.tableFiles = Object.keys(transformState.files).length;
      for (const p of problems)
        findings.push({ kind: 'table-file', key: p.key, problem: p.problem, repair: REPAIR_TABLES });
    }
    const carried = [
      ...Object.values(transformState.carry?.files ?? {}),
      ...Object.values(transformState.carry?.archive ?? {}).flat(),
    ];
    for (const key of carried) {
      if (await store.head(key)) continue;
      findings.push({
        kind: 'carried-rows',
        key,
        problem: 'it is missing: state/transform.json names it as carried rows of the tables',
        repair:
          'run `tunelake transform --full`: it rebuilds the tables and their carried rows from the raw zone',
      });
    }
    await verifyCatalog(runtime, transformState, findings, checked);
  }

  findings.sort(
    (a, b) => kindOrder(a.kind) - kindOrder(b.kind) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
  return {
    ok: findings.length === 0,
    hashed: hash,
    checked,
    findings,
    notes,
    durationMs: Math.round(performance.now() - started),
  };
}

/** The catalog's tables and partitions against the transform state, and partitions against files. */
async function verifyCatalog(
  runtime: VerifyRuntime,
  state: TransformState,
  findings: Finding[],
  checked: VerifyReport['checked'],
): Promise<void> {
  const { store, catalog } = runtime;
  const files = new Set<string>();
  for await (const info of store.list(TABLES_PREFIX)) files.add(info.key);
  const entry = (table: string, values?: readonly string[]) =>
    `${TABLES_DATABASE}.${table}${values ? `[${values.join(', ')}]` : ''}`;
  for (const [name, table] of Object.entries(state.tables).sort(([a], [b]) => (a < b ? -1 : 1))) {
    let registered: string[][];
    try {
      if (!(await catalog.getTable(TABLES_DATABASE, name))) {
        findings.push({
          kind: 'catalog',
          key: entry(name),
          problem: 'the table is not in the catalog',
          repair: REPAIR_CATALOG,
        });
        continue;
      }
      registered =
        table.partitionKeys.length === 0
          ? []
          : (await catalog.getPartitions(TABLES_DATABASE, name)).map((p) => p.Values);
    } catch (error) {
      const err = toTunelakeError(error);
      if (err.code === 'STORAGE_NOT_FOUND') {
        findings.push({
          kind: 'catalog',
          key: entry(name),
          problem: 'the table is not in the catalog',
          repair: REPAIR_CATALOG,
        });
        continue;
      }
      findings.push({
        kind: 'catalog',
        key: entry(name),
        problem: `the catalog cannot be read: ${err.message}`,
        repair: `repair or remove the catalog entry, then ${REPAIR_CATALOG}`,
      });
      continue;
    }
    if (table.partitionKeys.length === 0) continue;
    const id = (values: readonly string[]) => values.join('\u0000');
    const folder = (values: readonly string[]) =>
      `${tablePrefix(name)}${table.partitionKeys.map((k, i) => `${k.name}=${values[i]}`).join('/')}/`;
    const hasFile = (values: readonly string[]) => {
      const prefix = folder(values);
      for (const key of files) if (key.startsWith(prefix)) return true;
      return false;
    };
    const held = new Set(table.partitions.map(id));
    const registeredIds = new Set(registered.map(id));
    for (const values of registered) {
      checked.catalogPartitions++;
      if (!held.has(id(values))) {
        findings.push({
          kind: 'catalog',
          key: entry(name, values),
          problem: 'the catalog has a partition the transform state does not hold',
          repair: REPAIR_CATALOG,
        });
      } else if (!hasFile(values)) {
        findings.push({
          kind: 'catalog',
          key: entry(name, values),
          problem: `the partition has no file under ${folder(values)}`,
          repair: REPAIR_TABLES,
        });
      }
    }
    for (const values of table.partitions) {
      if (!registeredIds.has(id(values))) {
        findings.push({
          kind: 'catalog',
          key: entry(name, values),
          problem: 'the transform state holds this partition and the catalog does not',
          repair: REPAIR_CATALOG,
        });
      }
    }
    for (const key of files) {
      if (!key.startsWith(tablePrefix(name))) continue;
      const values = table.partitionKeys.map((k) => new RegExp(`/${k.name}=([^/]+)/`).exec(key)?.[1]);
      if (values.some((v) => v === undefined)) continue;
      const fileId = id(values as string[]);
      // A file of a partition the state does not hold is reported as a table file already.
      if (registeredIds.has(fileId) || !held.has(fileId)) continue;
      findings.push({
        kind: 'catalog',
        key,
        problem: 'the file is in no partition of the catalog: queries do not read it',
        repair: REPAIR_CATALOG,
      });
    }
  }
}

async function loadOr<T>(
  findings: Finding[],
  key: string,
  load: () => Promise<{ state: T }>,
): Promise<T | undefined> {
  try {
    return (await load()).state;
  } catch (error) {
    const err = toTunelakeError(error);
    findings.push({
      kind: 'state',
      key,
      problem: err.message,
      repair:
        key === TRANSFORM_STATE_KEY
          ? 'delete it and run `tunelake transform --full`'
          : 'delete it: the next run rebuilds it from the run manifests',
    });
    return undefined;
  }
}

const KIND_ORDER: FindingKind[] = [
  'state',
  'manifest',
  'raw-object',
  'table-file',
  'carried-rows',
  'catalog',
];
const kindOrder = (kind: FindingKind) => KIND_ORDER.indexOf(kind);
