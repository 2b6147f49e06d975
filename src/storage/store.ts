// The ObjectStore port: everything tunelake keeps (raw zone, tables, state, catalog) lives behind this
// interface, in a local folder (the default) or in S3 / any S3-compatible endpoint. Stages import this
// file only; `local.ts` and `s3.ts` are the two adapters, and the composition root (src/runtime.ts)
// picks one from the `lake` setting (`./lake`, `file:///abs/lake` or `s3://bucket/prefix`). This port
// imports neither.
//
// Both adapters promise the same contract (test/contract/object-store.test.ts runs on both): strong
// read-after-write consistency, atomic single-key writes, create-only (`ifNoneMatch: '*'`) and
// compare-and-swap (`ifMatch`) writes that fail with STORAGE_CONFLICT, listings in UTF-8 byte order
// (as S3 lists), and keys validated the same way so that a lake can move between them.
import type { Readable } from 'node:stream';
import { TunelakeError } from '../errors.js';

export interface ObjectInfo {
  /** Relative to the store's root (without the S3 key prefix). */
  key: string;
  size: number;
  /** Quoted, as S3 sends it: `"<md5 hex>"` for single-part writes, `"<hex>-<parts>"` for S3 multipart. */
  etag: string;
  lastModified: Date;
}

export interface PutOptions {
  /** Create-only: STORAGE_CONFLICT if the key exists (S3: `If-None-Match: *` -> 412). */
  ifNoneMatch?: '*';
  /** Compare-and-swap: STORAGE_CONFLICT unless the key exists with this etag (S3: `If-Match`). */
  ifMatch?: string;
  contentType?: string;
}

export type StreamBody = Readable | AsyncIterable<Uint8Array>;

export interface ObjectStore {
  /** `file:///abs/lake` or `s3://bucket/prefix`, for messages and the catalog. */
  readonly location: string;
  put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<{ etag: string }>;
  /** For large objects: streamed to disk, or an S3 multipart upload (5 MiB parts). */
  putStream(key: string, body: StreamBody, options?: PutOptions): Promise<{ etag: string }>;
  /** `undefined` when the key does not exist. */
  get(key: string): Promise<{ body: Uint8Array; etag: string } | undefined>;
  getText(key: string): Promise<string | undefined>;
  getStream(key: string): Promise<Readable | undefined>;
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Every key that starts with `prefix` (a plain string prefix, as S3's), recursively, in key order. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** One level: the "folders" directly below `prefix` (delimiter '/'), each ending in '/', sorted. */
  listPrefixes(prefix: string): Promise<string[]>;
  /**
   * A missing key is not an error. With `ifMatch`, deletes only while the object still has that etag
   * (STORAGE_CONFLICT otherwise, and on S3 a missing key too): releasing a lock never removes
   * another holder's.
   */
  delete(key: string, options?: { ifMatch?: string }): Promise<void>;
  deleteMany(keys: string[]): Promise<void>;
  /** Local store only: the file's path (DuckDB reads local files directly). */
  localPath?(key: string): string;
  /** `s3://bucket/prefix/key` or the absolute file path: the catalog's Location. */
  uri(key: string): string;
  close(): Promise<void>;
}

/** `s3://bucket/some/prefix/` -> { bucket: 'bucket', prefix: 'some/prefix' } (prefix '' for the bucket root). */
export function parseS3Location(location: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(location);
  const bucket = match?.[1] ?? '';
  const prefix = (match?.[2] ?? '').replace(/\/+$/, '');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new TunelakeError(
      'CONFIG_INVALID',
      `Invalid lake "${location}": "${bucket}" is not a valid S3 bucket name (3-63 lowercase letters, digits, '.' and '-').`,
    );
  }
  if (prefix !== '') {
    const problem = keyProblem(prefix);
    if (problem) {
      throw new TunelakeError(
        'CONFIG_INVALID',
        `Invalid lake "${location}": the key prefix "${prefix}" ${problem}.`,
      );
    }
  }
  return { bucket, prefix };
}

// Keys are what both a POSIX file system and S3 can hold the same way. The '.tmp-' segment prefix and a
// first segment '.tunelake' are the local store's own (temp files, etags, locks), so they are reserved
// everywhere: a key that works on S3 must also work on disk.
const MAX_KEY_BYTES = 1024; // S3's limit
const MAX_SEGMENT_BYTES = 255; // NAME_MAX on Linux file systems
export const RESERVED_SEGMENT_PREFIX = '.tmp-';
export const RESERVED_ROOT_FOLDER = '.tunelake';

const KEY_RULES =
  "Keys are '/'-separated relative paths: no leading '/', no empty, '.' or '..' segments, no control characters.";

function keyProblem(key: string): string | undefined {
  if (key === '') return 'is empty';
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) return `is longer than ${MAX_KEY_BYTES} bytes`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f]/.test(key)) return 'contains a control character';
  if (key.startsWith('/')) return "starts with '/'";
  const segments = key.split('/');
  for (const [i, segment] of segments.entries()) {
    if (segment === '') return 'has an empty segment';
    if (segment === '.' || segment === '..') return `has a "${segment}" segment`;
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) {
      return `has a segment longer than ${MAX_SEGMENT_BYTES} bytes`;
    }
    if (segment.startsWith(RESERVED_SEGMENT_PREFIX)) {
      return `has a segment starting with "${RESERVED_SEGMENT_PREFIX}" (reserved for temporary files)`;
    }
    if (i === 0 && segment === RESERVED_ROOT_FOLDER) {
      return `starts with "${RESERVED_ROOT_FOLDER}/" (reserved for the store's own files)`;
    }
  }
  return undefined;
}

/** Throws INVALID_ARGUMENT unless `key` is a valid object key. */
export function assertValidKey(key: string): void {
  if (typeof key !== 'string') {
    throw new TunelakeError('INVALID_ARGUMENT', `Invalid object key ${String(key)}: expected a string.`);
  }
  const problem = keyProblem(key);
  if (problem) {
    throw new TunelakeError('INVALID_ARGUMENT', `Invalid object key "${key}": it ${problem}. ${KEY_RULES}`, {
      details: { key },
    });
  }
}

/** A listing prefix is '' (everything) or a key, optionally ending in '/'. */
export function assertValidPrefix(prefix: string): void {
  if (typeof prefix !== 'string') {
    throw new TunelakeError('INVALID_ARGUMENT', `Invalid key prefix ${String(prefix)}: expected a string.`);
  }
  if (prefix === '') return;
  const problem = keyProblem(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  if (problem) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Invalid key prefix "${prefix}": it ${problem}. ${KEY_RULES}`,
      {
        details: { prefix },
      },
    );
  }
}

export function assertValidPutOptions(key: string, options: PutOptions): void {
  if (options.ifNoneMatch !== undefined && options.ifNoneMatch !== '*') {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Invalid ifNoneMatch "${options.ifNoneMatch}" for "${key}": only '*' (create-only) is supported.`,
    );
  }
  if (options.ifMatch !== undefined && options.ifMatch.replaceAll('"', '') === '') {
    throw new TunelakeError('INVALID_ARGUMENT', `Invalid ifMatch for "${key}": expected an etag, got "".`);
  }
  if (options.ifNoneMatch !== undefined && options.ifMatch !== undefined) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Conflicting options for "${key}": ifNoneMatch (create-only) and ifMatch (replace) exclude each other.`,
    );
  }
}

/** Orders keys the way S3 lists them: by their UTF-8 bytes (not JavaScript's UTF-16 code units). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Etags compare without their quotes (S3 accepts both forms in If-Match). */
export function sameEtag(a: string, b: string): boolean {
  return a.replaceAll('"', '') === b.replaceAll('"', '');
}
