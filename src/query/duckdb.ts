// One DuckDB database and its connection, with the settings every tunelake use needs:
// - No extension is ever installed: this DuckDB build has parquet, json and icu built in, and anything
//   else (httpfs for s3:// paths) would try the network and hang or fail. Autoinstall is off and the
//   extension directory is a private temp folder, so a stray `s3://` fails fast and nothing is written
//   under ~ (docs/architecture.md, "DuckDB here").
// - TimeZone is UTC, so TIMESTAMPTZ casts and date parts never depend on the machine.
// - Row objects come back as plain JSON values, with BIGINTs as numbers when they are safe integers
//   (`getRowObjectsJson()` turns every BIGINT into a string, `getRowObjects()` into a BigInt).
// The transform stage and the query engine build on this class.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type DuckDBConnection,
  DuckDBInstance,
  DuckDBTypeId,
  type DuckDBValueConverter,
  type Json,
  JsonDuckDBValueConverter,
} from '@duckdb/node-api';
import { TunelakeError } from '../errors.js';
import { makeDirsSync } from '../storage/make-dirs.js';

export type Row = Record<string, Json>;

export interface DuckDbOptions {
  /** A database file, or ':memory:' (the default). */
  path?: string;
  /** Worker threads (DuckDB's default: one per core). */
  threads?: number;
  /** e.g. '2GB'; DuckDB's default is 80% of RAM. */
  memoryLimit?: string;
  /**
   * Folder for DuckDB's spill files and its (unused) extension directory. Default: a fresh temp folder,
   * removed on close().
   */
  tempDir?: string;
}

const BIG_INTEGER_TYPES = new Set<DuckDBTypeId>([
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
]);

/** JSON values, except that big integer types become numbers whenever no precision is lost. */
const convert: DuckDBValueConverter<Json> = (value, type, _self) => {
  if (BIG_INTEGER_TYPES.has(type.typeId) && typeof value === 'bigint') {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : value.toString();
  }
  return JsonDuckDBValueConverter(value, type, convert);
};

export class DuckDb {
  readonly #instance: DuckDBInstance;
  readonly #connection: DuckDBConnection;
  readonly #ownedTempDir: string | undefined;
  /** The database this is another connection to (connect()); undefined for the database itself. */
  readonly #parent: DuckDb | undefined;
  readonly #children = new Set<DuckDb>();
  #closed = false;

  private constructor(
    instance: DuckDBInstance,
    connection: DuckDBConnection,
    ownedTempDir: string | undefined,
    parent?: DuckDb,
  ) {
    this.#instance = instance;
    this.#connection = connection;
    this.#ownedTempDir = ownedTempDir;
    this.#parent = parent;
  }

  static async create(options: DuckDbOptions = {}): Promise<DuckDb> {
    const ownedTempDir =
      options.tempDir === undefined ? mkdtempSync(join(tmpdir(), 'tunelake-duckdb-')) : undefined;
    const tempDir = options.tempDir ?? ownedTempDir!;
    // DuckDB creates the spill folder itself, but not its parents.
    makeDirsSync(tempDir);
    const settings: Record<string, string> = {
      autoinstall_known_extensions: 'false',
      extension_directory: join(tempDir, 'extensions'),
      temp_directory: join(tempDir, 'spill'),
    };
    if (options.threads !== undefined) settings.threads = String(options.threads);
    if (options.memoryLimit !== undefined) settings.memory_limit = options.memoryLimit;
    let instance: DuckDBInstance | undefined;
    try {
      instance = await DuckDBInstance.create(options.path ?? ':memory:', settings);
      const connection = await instance.connect();
      // icu is statically linked but only accepts TimeZone once the database is up.
      await connection.run("SET TimeZone = 'UTC'");
      return new DuckDb(instance, connection, ownedTempDir);
    } catch (error) {
      instance?.closeSync();
      if (ownedTempDir) rmSync(ownedTempDir, { recursive: true, force: true });
      throw duckDbError(error, 'open the database');
    }
  }

  /** Runs one or more statements (separated by ';'), discarding any result. */
  async run(sql: string): Promise<void> {
    this.#assertOpen();
    try {
      await this.#connection.run(sql);
    } catch (error) {
      throw duckDbError(error, 'run', sql);
    }
  }

  /** Runs a query and returns its rows as objects keyed by column name. */
  async all<T extends Row = Row>(sql: string): Promise<T[]> {
    this.#assertOpen();
    try {
      const reader = await this.#connection.runAndReadAll(sql);
      return reader.convertRowObjects(convert) as T[];
    } catch (error) {
      throw duckDbError(error, 'query', sql);
    }
  }

  /**
   * Another connection to the same database: its statements run concurrently with this one's and see
   * the same tables (temp tables and session settings are its own; most settings, such as
   * preserve_insertion_order, are the instance's). Closing it leaves the database open; closing the
   * database closes it too.
   */
  async connect(): Promise<DuckDb> {
    this.#assertOpen();
    if (this.#parent !== undefined) return this.#parent.connect();
    try {
      const connection = await this.#instance.connect();
      await connection.run("SET TimeZone = 'UTC'");
      const child = new DuckDb(this.#instance, connection, undefined, this);
      this.#children.add(child);
      return child;
    } catch (error) {
      throw duckDbError(error, 'open another connection');
    }
  }

  /** Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#connection.closeSync();
    if (this.#parent !== undefined) {
      this.#parent.#children.delete(this);
      return;
    }
    for (const child of this.#children) await child.close();
    this.#instance.closeSync();
    if (this.#ownedTempDir) rmSync(this.#ownedTempDir, { recursive: true, force: true });
  }

  #assertOpen(): void {
    if (this.#closed) throw new TunelakeError('INTERNAL', 'This DuckDB database is closed.');
  }
}

// DuckDB prefixes its messages with the error class: a statement the caller got wrong is an
// argument problem, a file it could not read or write is storage, anything else is a bug.
/** DuckDB's words for a Parquet file that is not one (truncated, overwritten, bit rot). */
const CORRUPT_FILE =
  /No magic bytes found|is not a parquet file|[Cc]orrupt(ed)? (file|page|footer)|Overread|[Ii]nvalid (Parquet|parquet) file|Footer length error/;

function duckDbError(error: unknown, action: string, sql?: string): TunelakeError {
  const message = error instanceof Error ? error.message : String(error);
  const details: Record<string, unknown> = {};
  if (sql !== undefined) details.sql = sql.length > 2000 ? `${sql.slice(0, 2000)}...` : sql;
  // A damaged Parquet file is an "Invalid Input Error" to DuckDB, but not a bad argument (exit 2): it
  // is damage in the lake (#17), exit 7, and the tables can be rebuilt from the raw zone.
  if (CORRUPT_FILE.test(message)) {
    // Already said, and carried through a view that fails on use (duckdb-engine.ts failingSelect).
    if (message.includes('A table file is damaged')) {
      return new TunelakeError(
        'STORAGE_CORRUPT',
        message.replace(/^Invalid Input Error: /, '').split('\n')[0]!,
        {
          cause: error,
          details,
        },
      );
    }
    return new TunelakeError(
      'STORAGE_CORRUPT',
      `A table file is damaged, DuckDB could not ${action}: ${message.split('\n')[0]} ` +
        'Rebuild the tables from the raw zone with `tunelake transform --full`.',
      { cause: error, details },
    );
  }
  const code = /^(Parser|Binder|Catalog|Conversion|Invalid Input|Constraint) Error/.test(message)
    ? 'INVALID_ARGUMENT'
    : /^IO Error/.test(message)
      ? 'STORAGE_FAILED'
      : 'INTERNAL';
  return new TunelakeError(code, `DuckDB could not ${action}: ${message}`, { cause: error, details });
}
