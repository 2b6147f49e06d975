// Writes raw records as gzipped NDJSON parts under raw/<dataset>/dt=<dt>/run=<runId>/, create-only.
// One line per record: {"context": {...request context...}, "data": <the item exactly as received>}.
// Memory stays bounded: a dataset's buffer is flushed to a part object as soon as it is full.
// A record larger than the record size limit is not written: it is quarantined (described, not kept),
// because one such line would stop every later transform (#17; docs/reliability.md "Record size and clock skew").
import { gzipSync } from 'node:zlib';
import { sha256Hex } from '../integrity/raw-objects.js';
import { type RawDataset, rawPartKey } from '../lake.js';
import type { ObjectStore } from '../storage/store.js';

export interface RecordContext {
  /** The configured source that led to this record, e.g. `playlist:<id>`, `search:<q>`, `me:recently_played`. */
  source: string;
  /** The API path (and query) the record came from. */
  request: string;
  fetched_at: string;
  [key: string]: unknown;
}

export interface WrittenObject {
  key: string;
  dataset: RawDataset;
  records: number;
  bytes: number;
  /** Hex sha256 of the object's bytes (absent in manifests written before #17). */
  sha256?: string;
}

export interface RawWriterOptions {
  maxRecordsPerPart?: number;
  maxBytesPerPart?: number;
  /** A record whose NDJSON line is longer (UTF-8 bytes) is quarantined instead of written. */
  maxRecordBytes?: number;
}

/** A record the writer left out of the raw zone, and why (the run's quarantine object lists them). */
export interface QuarantinedRecord {
  dataset: RawDataset;
  /** The configured source, e.g. `playlist:<id>`. */
  source: string;
  /** The API path the record came from. */
  request: string;
  /** The record's Spotify id, when it has one. */
  id: string | undefined;
  /** The size of its NDJSON line in UTF-8 bytes. */
  bytes: number;
  limit: number;
  reason: string;
}

/** The default record size limit: 10 MB (TUNELAKE_MAX_RECORD_BYTES). */
export const DEFAULT_MAX_RECORD_BYTES = 10_000_000;

export interface RawWriter {
  append(dataset: RawDataset, context: RecordContext, data: unknown): Promise<void>;
  /** Writes every buffered record. Call once at the end of the run, before the manifest. */
  flush(): Promise<void>;
  readonly objects: readonly WrittenObject[];
  /** Records over the size limit, not written. */
  readonly quarantined: readonly QuarantinedRecord[];
  counts(): Record<string, number>;
}

interface Buffer {
  lines: string[];
  bytes: number;
  nextPart: number;
}

export function createRawWriter(
  store: ObjectStore,
  run: { runId: string; dt: string },
  options: RawWriterOptions = {},
): RawWriter {
  const maxRecords = options.maxRecordsPerPart ?? 50_000;
  const maxBytes = options.maxBytesPerPart ?? 32 * 1024 * 1024;
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const quarantined: QuarantinedRecord[] = [];
  const buffers = new Map<RawDataset, Buffer>();
  const objects: WrittenObject[] = [];
  const counts: Record<string, number> = {};

  // Detaches the buffered lines synchronously, so that concurrent appends never write a line twice.
  const writePart = async (dataset: RawDataset, buffer: Buffer) => {
    if (buffer.lines.length === 0) return;
    const lines = buffer.lines;
    const part = buffer.nextPart;
    buffer.nextPart += 1;
    buffer.lines = [];
    buffer.bytes = 0;
    const body = gzipSync(`${lines.join('\n')}\n`);
    const key = rawPartKey(dataset, run.dt, run.runId, part);
    await store.put(key, body, { ifNoneMatch: '*', contentType: 'application/x-ndjson' });
    objects.push({ key, dataset, records: lines.length, bytes: body.byteLength, sha256: sha256Hex(body) });
  };

  return {
    objects,
    quarantined,
    counts: () => ({ ...counts }),
    async append(dataset, context, data) {
      let buffer = buffers.get(dataset);
      if (!buffer) {
        buffer = { lines: [], bytes: 0, nextPart: 0 };
        buffers.set(dataset, buffer);
      }
      const line = JSON.stringify({ context: { ...context, run_id: run.runId }, data });
      // A UTF-16 unit is at most 3 UTF-8 bytes: most lines need no byte count.
      const bytes = line.length * 3 <= maxRecordBytes ? line.length : Buffer.byteLength(line);
      if (bytes > maxRecordBytes) {
        const id = (data as { id?: unknown } | null)?.id;
        quarantined.push({
          dataset,
          source: context.source,
          request: context.request,
          id: typeof id === 'string' ? id : undefined,
          bytes,
          limit: maxRecordBytes,
          reason: `the record is ${bytes} bytes, over the ${maxRecordBytes}-byte limit (TUNELAKE_MAX_RECORD_BYTES)`,
        });
        return;
      }
      buffer.lines.push(line);
      buffer.bytes += line.length;
      counts[dataset] = (counts[dataset] ?? 0) + 1;
      if (buffer.lines.length >= maxRecords || buffer.bytes >= maxBytes) await writePart(dataset, buffer);
    },
    async flush() {
      for (const [dataset, buffer] of buffers) await writePart(dataset, buffer);
    },
  };
}
