// The local-disk ObjectStore: a folder where each key is a file. It must be at least as strong as S3
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-requests.html), so:
// - A write goes to a `.tmp-<random>` file in the key's folder, is fsynced, then renamed over the key:
//   a reader never sees a partial object. Temp names never end in the key's extension, so a DuckDB glob
//   such as `*.parquet` cannot pick up a file still being written.
// - Create-only is `link(tmp, key)`, which fails with EEXIST when the key exists: two writers can never
//   both create. Replacing writes and deletes take a per-key lock (an exclusive-create file, broken when
//   stale) so that compare-and-swap holds across processes and is linearizable with plain writes.
// - ETags are S3's single-part ETag, the quoted md5 of the content, computed while writing and kept in
//   `.tunelake/etags/`, stamped with the file's inode, size and mtime. A stamp that does not match the
//   file (a crash between rename and stamp, or a file changed by hand) is recomputed from the content,
//   so an etag is never wrong, only occasionally slower.
// - S3 has no folders, so neither does this store: empty folders are removed after a delete, and a folder
//   holding only temp files is not listed. One thing S3 can do and a folder cannot: hold both `a` and
//   `a/b`; that write fails with STORAGE_FAILED.
import { createHash, randomBytes } from 'node:crypto';
import { type BigIntStats, type Dirent, readdirSync, readFileSync, statSync } from 'node:fs';
import {
  type FileHandle,
  link,
  lstat,
  open,
  readdir,
  readFile,
  rename,
  rmdir,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { TunelakeError } from '../errors.js';
import { type Logger, silentLogger } from '../log.js';
import { makeDirs } from './make-dirs.js';
import {
  assertValidKey,
  assertValidPrefix,
  assertValidPutOptions,
  compareKeys,
  type ObjectInfo,
  type ObjectStore,
  type PutOptions,
  RESERVED_ROOT_FOLDER,
  RESERVED_SEGMENT_PREFIX,
  type StreamBody,
  sameEtag,
} from './store.js';

export interface LocalObjectStoreConfig {
  /** The lake folder; relative paths are resolved against the working directory. Created on first write. */
  root: string;
  /** A lock file older than this is taken to be left by a crashed process and broken. */
  lockStaleMs?: number;
  /** How long a write waits for another writer's lock on the same key before STORAGE_CONFLICT (retryable). */
  lockTimeoutMs?: number;
}

export interface LocalObjectStoreDeps {
  logger?: Logger;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const DELETE_CONCURRENCY = 16;

/** What the writer accepts: a stream, or the chunks of an in-memory body. */
type Body = StreamBody | Iterable<Uint8Array>;

export function createLocalObjectStore(
  config: LocalObjectStoreConfig,
  deps: LocalObjectStoreDeps = {},
): ObjectStore {
  const root = resolve(config.root);
  const lockStaleMs = config.lockStaleMs ?? 30_000;
  const lockTimeoutMs = config.lockTimeoutMs ?? 15_000;
  const logger = deps.logger ?? silentLogger;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = deps.random ?? Math.random;
  const location = pathToFileURL(root).href;
  const metaDir = join(root, RESERVED_ROOT_FOLDER);

  const pathOf = (key: string) => join(root, ...key.split('/'));
  const keyHash = (key: string) => createHash('sha256').update(key).digest('hex');
  const etagPathOf = (key: string) => {
    const h = keyHash(key);
    return join(metaDir, 'etags', h.slice(0, 2), h);
  };
  const lockPathOf = (key: string) => join(metaDir, 'locks', `${keyHash(key)}.lock`);

  const fail = (action: string, key: string, path: string, error: unknown) =>
    fsError(root, action, key, path, error);
  /**
   * Whether a failed read means "no such object". ENOTDIR does when the file in the way is another
   * object (a read of `a/b` where `a` is a key), not when the lake folder itself sits below a file.
   */
  const isMissing = (error: unknown, path: string) => {
    const code = errnoCode(error);
    if (code === 'ENOENT') return true;
    return code === 'ENOTDIR' && (firstFileAncestor(path)?.startsWith(root + sep) ?? false);
  };

  // --- etag stamps -------------------------------------------------------------------------------

  interface Stamp {
    etag: string;
    ino: string;
    size: string;
    mtimeNs: string;
  }
  const stampOf = (etag: string, st: BigIntStats): Stamp => ({
    etag,
    ino: String(st.ino),
    size: String(st.size),
    mtimeNs: String(st.mtimeNs),
  });
  const stampMatches = (stamp: Stamp, st: BigIntStats) =>
    stamp.ino === String(st.ino) && stamp.size === String(st.size) && stamp.mtimeNs === String(st.mtimeNs);

  async function writeStamp(key: string, stamp: Stamp): Promise<void> {
    // Best effort: a missing or stale stamp only costs a recomputation on the next head/list.
    const path = etagPathOf(key);
    const tmp = join(dirname(path), `${RESERVED_SEGMENT_PREFIX}${randomHex()}`);
    try {
      await makeDirs(dirname(path));
      await writeFile(tmp, JSON.stringify(stamp));
      await rename(tmp, path);
    } catch (error) {
      await unlink(tmp).catch(() => {});
      logger.debug('storage: could not write an etag stamp', { key, error });
    }
  }

  async function readStamp(key: string): Promise<Stamp | undefined> {
    try {
      return JSON.parse(await readFile(etagPathOf(key), 'utf8')) as Stamp;
    } catch {
      return undefined;
    }
  }

  /** The object's stat and etag, or undefined when there is no object at `key`. */
  async function describe(key: string): Promise<{ st: BigIntStats; etag: string } | undefined> {
    const quick = describeAtOnce(key);
    if (quick !== 'hash') return quick;
    const path = pathOf(key);
    for (let attempt = 0; attempt < 5; attempt++) {
      const st = await statObject(path, key);
      if (!st) return undefined;
      const stamp = await readStamp(key);
      if (stamp && stampMatches(stamp, st)) return { st, etag: stamp.etag };
      const hashed = await md5File(path, key);
      if (!hashed) continue; // replaced or deleted while hashing: look again
      if (stampMatches(stampOf('', hashed.st), st)) {
        await writeStamp(key, stampOf(hashed.etag, st));
        return { st, etag: hashed.etag };
      }
    }
    throw new TunelakeError(
      'STORAGE_FAILED',
      `Cannot read the etag of "${key}" in the local lake ${root}: the file kept changing while it was read.`,
      { retryable: true, details: { key, path } },
    );
  }

  /**
   * describe()'s common case, in synchronous calls: the object's stat and its matching etag stamp;
   * 'hash' when the stamp is missing or stale. A listing describes every object it yields, and every
   * transform lists the tables: one thread-pool round trip at a time, 600 partition files took a
   * quarter of a second; these calls take microseconds each.
   */
  function describeAtOnce(key: string): { st: BigIntStats; etag: string } | undefined | 'hash' {
    const path = pathOf(key);
    let st: BigIntStats;
    try {
      st = statSync(path, { bigint: true });
    } catch (error) {
      if (isMissing(error, path)) return undefined;
      throw fail('read', key, path, error);
    }
    if (!st.isFile()) return undefined;
    let stamp: Stamp | undefined;
    try {
      stamp = JSON.parse(readFileSync(etagPathOf(key), 'utf8')) as Stamp;
    } catch {
      return 'hash';
    }
    return stampMatches(stamp, st) ? { st, etag: stamp.etag } : 'hash';
  }

  async function statObject(path: string, key: string): Promise<BigIntStats | undefined> {
    try {
      const st = await stat(path, { bigint: true });
      return st.isFile() ? st : undefined;
    } catch (error) {
      if (isMissing(error, path)) return undefined;
      throw fail('read', key, path, error);
    }
  }

  async function md5File(path: string, key: string): Promise<{ etag: string; st: BigIntStats } | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if (isMissing(error, path)) return undefined;
      throw fail('read', key, path, error);
    }
    try {
      const st = await handle.stat({ bigint: true });
      if (!st.isFile()) return undefined;
      const hash = createHash('md5');
      for await (const chunk of handle.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
      return { etag: `"${hash.digest('hex')}"`, st };
    } catch (error) {
      throw fail('read', key, path, error);
    } finally {
      await handle.close().catch(() => {});
    }
  }

  // --- per-key lock ------------------------------------------------------------------------------

  async function withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const path = lockPathOf(key);
    // The holder's pid and host: a lock left by a process killed on this host is broken at once
    // (test/reliability/crash.test.ts: the run after a kill -9 must not wait for the lock to go stale).
    const token = `${process.pid} ${randomHex()} ${hostname()}`;
    const started = Date.now();
    let missingFolder = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        await writeFile(path, token, { flag: 'wx' });
        break;
      } catch (error) {
        const code = errnoCode(error);
        // The locks folder is missing: made once more at most a few times (a concurrent cleanup may
        // remove it); a folder that cannot be made ends the loop with its error (#17).
        if (code === 'ENOENT') {
          if (++missingFolder > 5) throw fail('lock', key, path, error);
          await makeDirs(dirname(path)).catch((e) => {
            throw fail('lock', key, path, e);
          });
          continue;
        }
        if (code !== 'EEXIST') throw fail('lock', key, path, error);
      }
      const held = await stat(path, { bigint: true }).catch(() => undefined);
      if (held && (Date.now() - Number(held.mtimeMs) > lockStaleMs || (await holderIsDead(path)))) {
        logger.warn('storage: breaking a stale lock', { key, lock: path });
        await breakStaleLock(path, held);
      }
      // Every way round this loop ends here: bounded by the timeout whatever the lock file does.
      if (Date.now() - started > lockTimeoutMs) {
        const holder = await readFile(path, 'utf8').catch(() => '?');
        throw new TunelakeError(
          'STORAGE_CONFLICT',
          `Cannot write "${key}" in the local lake ${root}: another writer (pid ${holder.split(' ')[0]}) has held ` +
            `its lock ${path} for over ${lockTimeoutMs} ms. Retry; if no tunelake process is running, delete the lock file.`,
          { retryable: true, details: { key, lock: path } },
        );
      }
      await sleep(Math.min(2 + attempt * 2, 50) * (0.5 + random()));
    }
    try {
      return await fn();
    } finally {
      // Only remove our own lock: if ours was broken as stale, the file may now be someone else's.
      const current = await readFile(path, 'utf8').catch(() => undefined);
      if (current === token) await unlink(path).catch(() => {});
    }
  }

  async function holderIsDead(path: string): Promise<boolean> {
    const [pid, , host] = (await readFile(path, 'utf8').catch(() => '')).split(' ');
    if (host !== hostname() || !pid || Number(pid) === process.pid) return false;
    try {
      process.kill(Number(pid), 0);
      return false;
    } catch (error) {
      return errnoCode(error) === 'ESRCH';
    }
  }

  async function breakStaleLock(path: string, seen: BigIntStats): Promise<void> {
    // Move the lock aside and check it is the one found stale: two waiters breaking the same stale lock
    // at once must not let the slower one remove the lock the faster one has just taken.
    const aside = `${path}.stale-${randomHex()}`;
    try {
      await rename(path, aside);
    } catch {
      return; // someone else broke or released it
    }
    const moved = await stat(aside, { bigint: true }).catch(() => undefined);
    if (moved && moved.ino !== seen.ino) await link(aside, path).catch(() => {});
    await unlink(aside).catch(() => {});
  }

  // --- writes ------------------------------------------------------------------------------------

  async function write(key: string, body: Body, options: PutOptions): Promise<{ etag: string }> {
    assertValidKey(key);
    assertValidPutOptions(key, options);
    const path = pathOf(key);
    const tmp = await writeTemp(key, path, body);
    const stamp = stampOf(tmp.etag, tmp.st);
    try {
      if (options.ifNoneMatch === '*') {
        await createOnly(key, path, tmp.path);
        await writeStamp(key, stamp);
      } else {
        await withLock(key, async () => {
          if (options.ifMatch !== undefined) await assertEtag(key, options.ifMatch);
          try {
            await rename(tmp.path, path);
          } catch (error) {
            throw fail('write', key, path, error);
          }
          await writeStamp(key, stamp);
        });
      }
    } finally {
      // After a link (create-only) or a failed write the temp file is still there.
      await unlink(tmp.path).catch(() => {});
    }
    return { etag: tmp.etag };
  }

  async function assertEtag(key: string, expected: string): Promise<void> {
    const current = await describe(key);
    if (current && sameEtag(current.etag, expected)) return;
    throw new TunelakeError(
      'STORAGE_CONFLICT',
      current
        ? `Cannot replace "${key}" in ${location}: its etag is ${current.etag}, not ${expected} (changed by another writer).`
        : `Cannot replace "${key}" in ${location}: it does not exist (expected etag ${expected}).`,
      { details: { key, expected, actual: current?.etag } },
    );
  }

  async function createOnly(key: string, path: string, tmpPath: string): Promise<void> {
    try {
      await link(tmpPath, path);
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') {
        const existing = await lstat(path).catch(() => undefined);
        if (!existing?.isDirectory()) {
          throw new TunelakeError(
            'STORAGE_CONFLICT',
            `Cannot create "${key}" in ${location}: it already exists.`,
            {
              cause: error,
              details: { key },
            },
          );
        }
      }
      throw fail('write', key, path, error);
    }
  }

  /** Writes the body to a temp file beside `path`, fsynced; returns it with its md5 etag and stat. */
  async function writeTemp(
    key: string,
    path: string,
    body: Body,
  ): Promise<{ path: string; etag: string; st: BigIntStats }> {
    const dir = dirname(path);
    const tmp = join(dir, `${RESERVED_SEGMENT_PREFIX}${randomHex()}`);
    let handle: FileHandle | undefined;
    try {
      // A concurrent delete may remove the (empty) folder between mkdir and open: make it again.
      for (let attempt = 0; !handle; attempt++) {
        try {
          await makeDirs(dir);
        } catch (error) {
          // EEXIST from a recursive mkdir: a file stands where a folder is needed.
          const code = errnoCode(error) === 'EEXIST' ? 'ENOTDIR' : errnoCode(error);
          throw fsError(root, 'write', key, tmp, error, code);
        }
        try {
          handle = await open(tmp, 'wx');
        } catch (error) {
          if (errnoCode(error) !== 'ENOENT' || attempt >= 5) throw fail('write', key, tmp, error);
        }
      }
      const etag = await copy(key, body, handle, tmp);
      try {
        await handle.sync();
        return { path: tmp, etag, st: await handle.stat({ bigint: true }) };
      } catch (error) {
        throw fail('write', key, tmp, error);
      }
    } catch (error) {
      // Release the source (a socket, a file) that will not be read to its end.
      (body as { destroy?: () => void }).destroy?.();
      await handle?.close().catch(() => {});
      handle = undefined;
      await unlink(tmp).catch(() => {});
      throw error;
    } finally {
      await handle?.close().catch(() => {});
    }
  }

  /** Copies the body into the file, returning its md5 etag; source and disk failures say which. */
  async function copy(key: string, body: Body, handle: FileHandle, tmp: string): Promise<string> {
    const hash = createHash('md5');
    // A Readable without an encoding yields Buffers, with one it yields strings.
    const iterator =
      Symbol.asyncIterator in body
        ? (body as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]()
        : body[Symbol.iterator]();
    for (;;) {
      let next: IteratorResult<Uint8Array | string>;
      try {
        next = await iterator.next();
      } catch (error) {
        throw new TunelakeError(
          'STORAGE_FAILED',
          `Cannot write "${key}" to ${location}: reading the body failed: ${(error as Error).message}`,
          { cause: error, details: { key } },
        );
      }
      if (next.done) return `"${hash.digest('hex')}"`;
      const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      hash.update(chunk);
      try {
        for (let offset = 0; offset < chunk.byteLength; ) {
          offset += (await handle.write(chunk, offset, chunk.byteLength - offset)).bytesWritten;
        }
      } catch (error) {
        await iterator.return?.();
        throw fail('write', key, tmp, error);
      }
    }
  }

  // --- deletes -----------------------------------------------------------------------------------

  async function remove(key: string, ifMatch?: string): Promise<void> {
    const path = pathOf(key);
    await withLock(key, async () => {
      if (ifMatch !== undefined) await assertEtag(key, ifMatch);
      try {
        await unlink(path);
      } catch (error) {
        // EISDIR/EPERM: a folder of other keys, not an object; ENOTDIR: a parent is an object.
        if (isMissing(error, path) || ['EISDIR', 'EPERM'].includes(errnoCode(error) ?? '')) return;
        throw fail('delete', key, path, error);
      }
    });
    await unlink(etagPathOf(key)).catch(() => {});
    // S3 has no empty folders; remove ours up to the root so that listPrefixes agrees.
    for (let dir = dirname(path); dir !== root && dir.startsWith(root + sep); dir = dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        break;
      }
    }
  }

  // --- listings ----------------------------------------------------------------------------------

  /** Splits a prefix into the folder to read and the start of the names in it: 'a/b' -> ['a/', 'b']. */
  const splitPrefix = (prefix: string): [string, string] => {
    const cut = prefix.lastIndexOf('/') + 1;
    return [prefix.slice(0, cut), prefix.slice(cut)];
  };

  async function readFolder(folderKey: string, atOnce = false): Promise<Dirent[]> {
    const path = folderKey === '' ? root : pathOf(folderKey.slice(0, -1));
    try {
      // A listing reads every folder of its prefix: at once (synchronously), as describeAtOnce.
      const entries = atOnce
        ? readdirSync(path, { withFileTypes: true })
        : await readdir(path, { withFileTypes: true });
      return entries.filter(
        (e) =>
          !e.name.startsWith(RESERVED_SEGMENT_PREFIX) &&
          !(folderKey === '' && e.name === RESERVED_ROOT_FOLDER),
      );
    } catch (error) {
      if (isMissing(error, path)) return [];
      throw fail('list', folderKey, path, error);
    }
  }

  async function isFolder(entry: Dirent, key: string): Promise<boolean> {
    if (entry.isDirectory()) return true;
    if (!entry.isSymbolicLink()) return false;
    return (await stat(pathOf(key)).catch(() => undefined))?.isDirectory() ?? false;
  }

  // Depth-first, children sorted by name with a '/' appended to folders: every key below folder `d`
  // starts with `d/`, so this visits keys in exactly the order of a global sort, without holding them all.
  async function* walk(folderKey: string, namePrefix: string): AsyncGenerator<ObjectInfo> {
    const entries = (await readFolder(folderKey, true)).filter((e) => e.name.startsWith(namePrefix));
    const children = await Promise.all(
      entries.map(async (e) => {
        const key = folderKey + e.name;
        const folder = await isFolder(e, key);
        return { key, folder, sortKey: folder ? `${key}/` : key };
      }),
    );
    children.sort((a, b) => compareKeys(a.sortKey, b.sortKey));
    for (const child of children) {
      if (child.folder) {
        yield* walk(`${child.key}/`, '');
      } else {
        const found = await describe(child.key);
        if (found) {
          yield {
            key: child.key,
            size: Number(found.st.size),
            etag: found.etag,
            lastModified: new Date(Number(found.st.mtimeMs)),
          };
        }
      }
    }
  }

  async function holdsAnObject(folderKey: string): Promise<boolean> {
    for (const entry of await readFolder(folderKey)) {
      const key = folderKey + entry.name;
      if (await isFolder(entry, key)) {
        if (await holdsAnObject(`${key}/`)) return true;
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        return true;
      }
    }
    return false;
  }

  return {
    location,

    put(key, body, options = {}) {
      const bytes = typeof body === 'string' ? Buffer.from(body) : body;
      return write(key, [bytes], options);
    },

    putStream(key, body, options = {}) {
      return write(key, body, options);
    },

    async get(key) {
      assertValidKey(key);
      const path = pathOf(key);
      let body: Buffer;
      try {
        body = await readFile(path);
      } catch (error) {
        if (isMissing(error, path) || errnoCode(error) === 'EISDIR') return undefined;
        throw fail('read', key, path, error);
      }
      return { body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength), etag: md5Etag(body) };
    },

    async getText(key) {
      const found = await this.get(key);
      return found && Buffer.from(found.body).toString('utf8');
    },

    async getStream(key): Promise<Readable | undefined> {
      assertValidKey(key);
      const path = pathOf(key);
      let handle: FileHandle;
      try {
        handle = await open(path, 'r');
      } catch (error) {
        if (isMissing(error, path)) return undefined;
        throw fail('read', key, path, error);
      }
      const st = await handle.stat().catch(() => undefined);
      if (!st?.isFile()) {
        await handle.close();
        return undefined;
      }
      return handle.createReadStream();
    },

    async head(key) {
      assertValidKey(key);
      const found = await describe(key);
      if (!found) return undefined;
      return {
        key,
        size: Number(found.st.size),
        etag: found.etag,
        lastModified: new Date(Number(found.st.mtimeMs)),
      };
    },

    list(prefix) {
      assertValidPrefix(prefix);
      const [folderKey, namePrefix] = splitPrefix(prefix);
      return walk(folderKey, namePrefix);
    },

    async listPrefixes(prefix) {
      assertValidPrefix(prefix);
      const [folderKey, namePrefix] = splitPrefix(prefix);
      const out: string[] = [];
      for (const entry of await readFolder(folderKey)) {
        const key = folderKey + entry.name;
        if (!entry.name.startsWith(namePrefix) || !(await isFolder(entry, key))) continue;
        if (await holdsAnObject(`${key}/`)) out.push(`${key}/`);
      }
      return out.sort(compareKeys);
    },

    async delete(key, options) {
      assertValidKey(key);
      await remove(key, options?.ifMatch);
    },

    async deleteMany(keys) {
      keys.forEach(assertValidKey);
      const queue = [...new Set(keys)];
      const worker = async () => {
        for (let key = queue.pop(); key !== undefined; key = queue.pop()) await remove(key);
      };
      await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, queue.length) }, worker));
    },

    localPath(key) {
      assertValidKey(key);
      return pathOf(key);
    },

    uri(key) {
      assertValidKey(key);
      return pathOf(key);
    },

    async close() {},
  };
}

function md5Etag(body: Uint8Array): string {
  return `"${createHash('md5').update(body).digest('hex')}"`;
}

function randomHex(): string {
  return randomBytes(8).toString('hex');
}

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

const RETRYABLE_FS_CODES = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'EINTR']);

function fsError(
  root: string,
  action: string,
  key: string,
  path: string,
  error: unknown,
  code = errnoCode(error) ?? 'unknown',
): TunelakeError {
  if (error instanceof TunelakeError) return error;
  const where = `"${key}" in the local lake ${root}`;
  const fix = 'Point TUNELAKE_LAKE at a writable folder.';
  let what: string;
  switch (code) {
    case 'ENOTDIR': {
      const file = firstFileAncestor(path);
      what =
        file?.startsWith(root + sep) && path.startsWith(root + sep)
          ? `"${file
              .slice(root.length + 1)
              .split(sep)
              .join('/')}" is an object, and a local lake cannot hold both ` +
            `a key and keys below it (ENOTDIR at ${path}).`
          : `${file ?? 'a parent of it'} is a file, not a folder (ENOTDIR at ${path}). ${fix}`;
      break;
    }
    case 'EACCES':
    case 'EPERM':
      what = `permission denied (${code} at ${path}). Check the folder's owner and permissions, or ${fix.toLowerCase()}`;
      break;
    case 'EROFS':
      what = `the file system is read-only (EROFS at ${path}). ${fix}`;
      break;
    case 'ENOENT':
      what = `a folder cannot be created there (ENOENT at ${path}: its parent does not accept new folders). ${fix}`;
      break;
    case 'ENOSPC':
    case 'EDQUOT':
      what = `no space left on the device (${code} at ${path}).`;
      break;
    case 'EISDIR':
    case 'ENOTEMPTY':
    case 'EEXIST':
      what = `${path} is a folder holding other keys below "${key}/"; a local lake cannot hold both (${code}).`;
      break;
    default:
      what = `${(error as Error)?.message ?? String(error)} (${code}).`;
  }
  return new TunelakeError('STORAGE_FAILED', `Cannot ${action} ${where}: ${what}`, {
    cause: error,
    retryable: RETRYABLE_FS_CODES.has(code),
    details: { key, path, errno: code },
  });
}

/** For an ENOTDIR message: the nearest ancestor of `path` that is a regular file. */
function firstFileAncestor(path: string): string | undefined {
  // Synchronous, but it runs only while building an error and walks a handful of parents.
  for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const st = statSync(dir);
      return st.isFile() ? dir : undefined;
    } catch {
      // missing or not reachable: look further up
    }
  }
  return undefined;
}
