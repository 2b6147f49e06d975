// The local catalog: Glue's data model as JSON files in the lake itself, so that a local lake carries
// its own catalog and DuckDB can be pointed at it. Layout (below `catalog/`):
//
//   <db>/database.json                          create-only
//   <db>/<table>/table.json                     the current version: { id, table }, compare-and-swap
//   <db>/<table>/<id>/versions/<n>.json         archived versions, create-only (append-only history)
//   <db>/<table>/<id>/partitions.json           every partition of the table, compare-and-swap
//
// Every write is conditional (create-only or compare-and-swap on the etag, retried with backoff on a
// lost race), so two processes writing the same catalog can lose neither a table update nor a
// partition. `id` is drawn when a table is created: versions and partitions live under it, so a table
// deleted and created again never sees its predecessor's leftovers, and deleting cannot race a new
// table's files. Partitions are one file per table: a listing is one read (Glue's GetPartitions is the
// hot path, for Athena and DuckDB), and a crawl writes each table's partitions in one CAS. Partitions
// inherit their columns from the table, so the file stores each distinct column list once.
// Locations inside a local lake are stored relative to the lake's root (`tables/tracks/`) and resolved
// on read, so that a copied or moved lake folder still queries (issue #15); any other location (an
// `s3://` URI, as Glue needs) is stored as given.
import { randomBytes } from 'node:crypto';
import { TunelakeError } from '../errors.js';
import { CATALOG_PREFIX } from '../lake.js';
import { type Logger, silentLogger } from '../log.js';
import type { ObjectStore } from '../storage/store.js';
import {
  type Catalog,
  type Column,
  type Partition,
  type PartitionInput,
  RAW_DATABASE,
  type StorageDescriptor,
  type Table,
  type TableInput,
} from './catalog.js';
import { mapLimit } from './map-limit.js';
import { compilePartitionExpression } from './partition-expression.js';
import {
  assertCatalogName,
  assertPartitionValues,
  canonicalPartitionInput,
  compareValues,
  databaseNotFound,
  tableExists,
  tableNotFound,
  toTableInput,
  upsertTableVia,
} from './table-input.js';

export interface LocalCatalogConfig {
  /** Where in the lake the catalog lives; default `catalog/`. */
  prefix?: string;
  /** How many times a write retries a lost compare-and-swap before giving up (retryable STORAGE_CONFLICT). */
  maxAttempts?: number;
}

export interface LocalCatalogDeps {
  store: ObjectStore;
  logger?: Logger | undefined;
  now?: (() => Date) | undefined;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

interface TableFile {
  format: 1;
  id: string;
  table: Table;
}

interface StoredPartition {
  Values: string[];
  StorageDescriptor: Omit<StorageDescriptor, 'Columns'> & { Columns: number };
  Parameters?: Record<string, string>;
  CreationTime?: string;
}

interface PartitionsFile {
  format: 1;
  tableId: string;
  columnSets: Column[][];
  partitions: StoredPartition[];
}

const FORMAT = 1;
const READ_CONCURRENCY = 16;

export function createLocalCatalog(config: LocalCatalogConfig, deps: LocalCatalogDeps): Catalog {
  const store = deps.store;
  const prefix = config.prefix ?? CATALOG_PREFIX;
  const maxAttempts = config.maxAttempts ?? 12;
  const logger = deps.logger ?? silentLogger;
  const now = deps.now ?? (() => new Date());
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = deps.random ?? Math.random;

  // The lake's root as store.uri() spells it, for a local lake; undefined for a remote one.
  const root = store.localPath ? store.uri('x').slice(0, -1) : undefined;
  const storedLocation = (location: string) =>
    root !== undefined && location.startsWith(root) ? location.slice(root.length) : location;
  const resolvedLocation = (location: string) =>
    root !== undefined && !location.startsWith('/') && !/^[a-z][a-z0-9+.-]*:/i.test(location)
      ? `${root}${location}`
      : location;
  const withLocation = <T extends { StorageDescriptor: StorageDescriptor }>(
    item: T,
    map: (location: string) => string,
  ): T =>
    item.StorageDescriptor?.Location === undefined
      ? item
      : {
          ...item,
          StorageDescriptor: { ...item.StorageDescriptor, Location: map(item.StorageDescriptor.Location) },
        };
  const storedTable = (table: Table) => withLocation(table, storedLocation);
  const readTableFile = (table: Table) => withLocation(reviveTable(table), resolvedLocation);

  const databaseKey = (db: string) => `${prefix}${db}/database.json`;
  const tableKey = (db: string, name: string) => `${prefix}${db}/${name}/table.json`;
  const dataPrefix = (db: string, name: string, id: string) => `${prefix}${db}/${name}/${id}/`;
  const versionKey = (db: string, name: string, id: string, version: string) =>
    `${dataPrefix(db, name, id)}versions/${version.padStart(10, '0')}.json`;
  const partitionsKey = (db: string, name: string, id: string) =>
    `${dataPrefix(db, name, id)}partitions.json`;

  /** A put that reports a lost precondition as `false` instead of throwing. */
  async function conditionalPut(
    key: string,
    value: unknown,
    condition: { ifMatch: string } | { ifNoneMatch: '*' },
  ): Promise<boolean> {
    try {
      await store.put(key, JSON.stringify(value), { ...condition, contentType: 'application/json' });
      return true;
    } catch (error) {
      if (error instanceof TunelakeError && error.code === 'STORAGE_CONFLICT') return false;
      throw error;
    }
  }

  /** Runs `attempt` until it does not ask for a retry (a lost race), backing off with jitter. */
  async function retrying<T>(what: string, attempt: () => Promise<T | typeof RETRY>): Promise<T> {
    for (let i = 0; i < maxAttempts; i++) {
      const result = await attempt();
      if (result !== RETRY) return result;
      await sleep(Math.min(1000, 10 * 2 ** i) * (0.5 + random()));
    }
    throw new TunelakeError(
      'STORAGE_CONFLICT',
      `Could not ${what}: ${maxAttempts} attempts lost a race with other writers of the catalog. Try again.`,
      { retryable: true },
    );
  }

  async function readJson<T>(key: string): Promise<{ value: T; etag: string } | undefined> {
    const found = await store.get(key);
    if (!found) return undefined;
    try {
      return { value: JSON.parse(Buffer.from(found.body).toString('utf8')) as T, etag: found.etag };
    } catch (error) {
      throw new TunelakeError(
        'STORAGE_FAILED',
        `The catalog file ${store.uri(key)} is not valid JSON: ${(error as Error).message}. ` +
          rebuildAdvice(key.slice(prefix.length).split('/')[0]!),
        { cause: error, details: { key } },
      );
    }
  }

  async function readTable(db: string, name: string) {
    const found = await readJson<TableFile>(tableKey(db, name));
    if (!found) return undefined;
    return { id: found.value.id, table: readTableFile(found.value.table), etag: found.etag };
  }

  async function requireTable(db: string, name: string) {
    assertCatalogName('database', db);
    assertCatalogName('table', name);
    const found = await readTable(db, name);
    if (!found) throw tableNotFound(db, name);
    return found;
  }

  async function requireDatabase(db: string): Promise<void> {
    assertCatalogName('database', db);
    if (!(await store.head(databaseKey(db)))) throw databaseNotFound(db);
  }

  async function readPartitions(db: string, name: string, id: string) {
    const found = await readJson<PartitionsFile>(partitionsKey(db, name, id));
    const map = new Map<string, Partition>();
    if (found && found.value.tableId === id) {
      const { columnSets } = found.value;
      for (const p of found.value.partitions) {
        const columns = columnSets[p.StorageDescriptor.Columns] ?? [];
        map.set(JSON.stringify(p.Values), {
          Values: p.Values,
          StorageDescriptor: {
            ...p.StorageDescriptor,
            Location: resolvedLocation(p.StorageDescriptor.Location),
            Columns: columns.map((c) => ({ ...c })),
          },
          ...(p.Parameters ? { Parameters: p.Parameters } : {}),
          DatabaseName: db,
          TableName: name,
          ...(p.CreationTime ? { CreationTime: new Date(p.CreationTime) } : {}),
        });
      }
    }
    return { map, etag: found?.etag };
  }

  function encodePartitions(id: string, partitions: Iterable<Partition>): PartitionsFile {
    const columnSets: Column[][] = [];
    const indexOf = new Map<string, number>();
    const stored: StoredPartition[] = [];
    for (const p of [...partitions].sort((a, b) => compareValues(a.Values, b.Values))) {
      const columnsKey = JSON.stringify(p.StorageDescriptor.Columns);
      let index = indexOf.get(columnsKey);
      if (index === undefined) {
        index = columnSets.length;
        columnSets.push(p.StorageDescriptor.Columns);
        indexOf.set(columnsKey, index);
      }
      stored.push({
        Values: p.Values,
        StorageDescriptor: {
          ...p.StorageDescriptor,
          Location: storedLocation(p.StorageDescriptor.Location),
          Columns: index,
        },
        ...(p.Parameters ? { Parameters: p.Parameters } : {}),
        ...(p.CreationTime ? { CreationTime: p.CreationTime.toISOString() } : {}),
      });
    }
    return { format: FORMAT, tableId: id, columnSets, partitions: stored };
  }

  async function writePartitions(
    db: string,
    name: string,
    id: string,
    etag: string | undefined,
    partitions: Iterable<Partition>,
  ): Promise<boolean> {
    return conditionalPut(
      partitionsKey(db, name, id),
      encodePartitions(id, partitions),
      etag ? { ifMatch: etag } : { ifNoneMatch: '*' },
    );
  }

  const catalog: Catalog = {
    kind: 'local',

    async ensureDatabase(name, description) {
      assertCatalogName('database', name);
      const body = { Name: name, ...(description ? { Description: description } : {}), CreateTime: now() };
      if (!(await conditionalPut(databaseKey(name), body, { ifNoneMatch: '*' }))) return;
      logger.debug('catalog: created database', { database: name });
    },

    async getTable(db, name) {
      assertCatalogName('database', db);
      assertCatalogName('table', name);
      return (await readTable(db, name))?.table;
    },

    async listTables(db) {
      await requireDatabase(db);
      const folders = await store.listPrefixes(`${prefix}${db}/`);
      const names = folders.map((f) => f.slice(prefix.length + db.length + 1, -1));
      const tables = await mapLimit(names, READ_CONCURRENCY, (name) => readTable(db, name));
      return tables
        .filter((t) => t !== undefined)
        .map((t) => t.table)
        .sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
    },

    async createTable(db, input) {
      assertTableInput(input);
      await requireDatabase(db);
      const time = now();
      const file: TableFile = {
        format: FORMAT,
        id: randomBytes(6).toString('hex'),
        table: storedTable({
          ...toTableInput(input),
          DatabaseName: db,
          CreateTime: time,
          UpdateTime: time,
          VersionId: '1',
        }),
      };
      if (!(await conditionalPut(tableKey(db, input.Name), file, { ifNoneMatch: '*' }))) {
        throw tableExists(db, input.Name);
      }
      logger.debug('catalog: created table', { database: db, table: input.Name });
    },

    async updateTable(db, input, options = {}) {
      assertTableInput(input);
      await retrying(`update table ${db}.${input.Name}`, async () => {
        const current = await requireTable(db, input.Name);
        const version = current.table.VersionId ?? '1';
        if (!options.skipArchive) await archive(db, input.Name, current.id, current.table);
        const file: TableFile = {
          format: FORMAT,
          id: current.id,
          table: storedTable({
            ...toTableInput(input),
            DatabaseName: db,
            ...(current.table.CreateTime ? { CreateTime: current.table.CreateTime } : {}),
            UpdateTime: now(),
            VersionId: options.skipArchive ? version : String(Number(version) + 1),
          }),
        };
        return (await conditionalPut(tableKey(db, input.Name), file, { ifMatch: current.etag }))
          ? undefined
          : RETRY;
      });
    },

    upsertTable(db, input) {
      return upsertTableVia(catalog, db, input);
    },

    async deleteTable(db, name) {
      const current = await requireTable(db, name);
      await store.delete(tableKey(db, name));
      // The table is gone once table.json is; its versions and partitions are only reachable through its id.
      const keys: string[] = [];
      for await (const info of store.list(dataPrefix(db, name, current.id))) keys.push(info.key);
      await store.deleteMany(keys);
      logger.debug('catalog: deleted table', { database: db, table: name, objects: keys.length + 1 });
    },

    async getTableVersions(db, name) {
      const current = await requireTable(db, name);
      const currentVersion = Number(current.table.VersionId ?? '1');
      const keys: string[] = [];
      for await (const info of store.list(`${dataPrefix(db, name, current.id)}versions/`))
        keys.push(info.key);
      const archived = await mapLimit(keys, READ_CONCURRENCY, (key) => readJson<TableFile>(key));
      const byVersion = new Map<number, Table>();
      for (const found of archived) {
        if (!found || found.value.id !== current.id) continue;
        const table = readTableFile(found.value.table);
        const n = Number(table.VersionId);
        if (n < currentVersion) byVersion.set(n, table);
      }
      byVersion.set(currentVersion, current.table);
      return [...byVersion.entries()]
        .sort(([a], [b]) => a - b)
        .map(([n, table]) => ({ VersionId: String(n), Table: table }));
    },

    async putPartitions(db, name, partitions) {
      if (partitions.length === 0) {
        await requireTable(db, name);
        return { created: 0, updated: 0 };
      }
      return retrying(`write partitions of ${db}.${name}`, async () => {
        const current = await requireTable(db, name);
        assertPartitionValues(
          db,
          name,
          current.table.PartitionKeys,
          partitions.map((p) => p.Values),
        );
        const { map, etag } = await readPartitions(db, name, current.id);
        let created = 0;
        let updated = 0;
        const time = now();
        // The same values twice in one call: the last one wins, as in a sequence of single puts.
        const inputs = new Map(partitions.map((p) => [JSON.stringify(p.Values), p]));
        for (const [key, input] of inputs) {
          assertPartitionInput(input);
          const existing = map.get(key);
          if (existing && canonicalPartitionInput(existing) === canonicalPartitionInput(input)) continue;
          if (existing) updated++;
          else created++;
          map.set(key, {
            Values: [...input.Values],
            StorageDescriptor: input.StorageDescriptor,
            ...(input.Parameters ? { Parameters: input.Parameters } : {}),
            DatabaseName: db,
            TableName: name,
            CreationTime: existing?.CreationTime ?? time,
          });
        }
        if (created + updated === 0) return { created, updated };
        if (!(await writePartitions(db, name, current.id, etag, map.values()))) return RETRY;
        return { created, updated };
      });
    },

    async getPartitions(db, name, options = {}) {
      const current = await requireTable(db, name);
      const predicate =
        options.expression === undefined || options.expression.trim() === ''
          ? undefined
          : compilePartitionExpression(options.expression, current.table.PartitionKeys);
      const { map } = await readPartitions(db, name, current.id);
      const out = [...map.values()].filter((p) => !predicate || predicate(p.Values));
      return out.sort((a, b) => compareValues(a.Values, b.Values));
    },

    async deletePartitions(db, name, values) {
      if (values.length === 0) return;
      await retrying(`delete partitions of ${db}.${name}`, async () => {
        const current = await requireTable(db, name);
        assertPartitionValues(db, name, current.table.PartitionKeys, values);
        const { map, etag } = await readPartitions(db, name, current.id);
        let removed = 0;
        for (const v of values) if (map.delete(JSON.stringify(v))) removed++;
        if (removed === 0) return undefined;
        return (await writePartitions(db, name, current.id, etag, map.values())) ? undefined : RETRY;
      });
    },

    async close() {},
  };

  /**
   * Archives `table` as its version, create-only. A concurrent writer may have archived the same
   * version first: equal content is fine; different content (an in-place skipArchive update happened
   * in between) is replaced, so the archive holds what the version last was.
   */
  async function archive(db: string, name: string, id: string, table: Table): Promise<void> {
    const key = versionKey(db, name, id, table.VersionId ?? '1');
    const file: TableFile = { format: FORMAT, id, table: storedTable(table) };
    for (let i = 0; i < 3; i++) {
      if (await conditionalPut(key, file, { ifNoneMatch: '*' })) return;
      const existing = await readJson<TableFile>(key);
      if (!existing) continue;
      if (JSON.stringify(existing.value) === JSON.stringify(file)) return;
      if (await conditionalPut(key, file, { ifMatch: existing.etag })) return;
    }
  }

  return catalog;
}

const RETRY = Symbol('retry');

function reviveTable(table: Table): Table {
  const raw = table as Table & { CreateTime?: Date | string; UpdateTime?: Date | string };
  return {
    ...table,
    PartitionKeys: table.PartitionKeys ?? [],
    ...(raw.CreateTime !== undefined ? { CreateTime: new Date(raw.CreateTime) } : {}),
    ...(raw.UpdateTime !== undefined ? { UpdateTime: new Date(raw.UpdateTime) } : {}),
  };
}

function assertTableInput(input: TableInput): void {
  assertCatalogName('table', input?.Name);
  const problems: string[] = [];
  if (input.TableType !== 'EXTERNAL_TABLE' && input.TableType !== 'VIRTUAL_VIEW') {
    problems.push(`TableType "${String(input.TableType)}" is not EXTERNAL_TABLE or VIRTUAL_VIEW`);
  }
  if (!Array.isArray(input.PartitionKeys))
    problems.push('PartitionKeys is missing (use [] when unpartitioned)');
  if (!input.StorageDescriptor || !Array.isArray(input.StorageDescriptor.Columns)) {
    problems.push('StorageDescriptor.Columns is missing');
  }
  if (problems.length > 0) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Invalid table input for "${input.Name}": ${problems.join('; ')}.`,
      {
        details: { table: input.Name, problems },
      },
    );
  }
}

function assertPartitionInput(input: PartitionInput): void {
  if (!input.StorageDescriptor || !Array.isArray(input.StorageDescriptor.Columns)) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Invalid partition input ${JSON.stringify(input.Values)}: StorageDescriptor.Columns is missing.`,
    );
  }
}

/**
 * How to get a damaged catalog file back: the raw zone's tables come from a crawl, the typed tables and
 * insights from the transform and the catalog step, which register them again (a crawl never does).
 */
function rebuildAdvice(db: string): string {
  return db === RAW_DATABASE
    ? 'Restore it from a backup, or delete it and run `tunelake crawl`, which registers the raw tables again.'
    : 'Restore it from a backup, or delete it and run `tunelake run` (or `tunelake transform`), which ' +
        'registers the tables and insights again from the lake.';
}
