// Sampling one object for the crawler: classify it the way Glue's built-in classifiers would (Parquet by
// its magic bytes; gzip-compressed or plain NDJSON as `json`; anything else UNKNOWN) and infer its schema
// from as little of it as possible: the Parquet footer, or the first 1 MB of JSON lines (growing up to
// 10 MB until a record is seen), as Glue does (https://docs.aws.amazon.com/glue/latest/dg/crawler-running.html).
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline, Readable } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, gunzipSync, constants as zlibConstants } from 'node:zlib';
import type { ObjectStore } from '../storage/store.js';
import {
  createRecordSchemaAccumulator,
  type HiveType,
  type RecordSchemaAccumulator,
  struct,
} from './infer.js';
import type { ParquetSchemaReader } from './parquet-schema.js';

export type Classification = 'json' | 'parquet' | 'UNKNOWN';
export type Compression = 'gzip' | 'none';

export interface FileInfo {
  key: string;
  size: number;
}

export interface Sample {
  classification: Classification;
  compression: Compression;
  schema: HiveType & { kind: 'struct' };
  /** Records in the object: exact when it was read whole (or is Parquet), else extrapolated. */
  records: number;
  /** Why the object is UNKNOWN, for the warning. */
  reason?: string;
}

export const JSON_SAMPLE_BYTES = 1024 * 1024;
const JSON_SAMPLE_MAX_BYTES = 10 * 1024 * 1024;
/** Objects up to this size are read whole (one request) instead of streamed. */
const SMALL_OBJECT_BYTES = 256 * 1024;

export interface SampleReader {
  store: ObjectStore;
  parquet: ParquetSchemaReader;
  tempFile: () => Promise<string>;
  jsonSampleBytes: number;
}

const PARQUET_MAGIC = Buffer.from('PAR1');

export async function sampleObject(reader: SampleReader, file: FileInfo): Promise<Sample> {
  // Small objects (most raw parts) are read in one request and decompressed in one call: far cheaper
  // per object than a stream, which matters when a crawl samples thousands of them.
  if (file.size <= SMALL_OBJECT_BYTES) {
    const found = await reader.store.get(file.key);
    if (!found) return unknownSample('it disappeared during the crawl');
    const body = Buffer.from(found.body.buffer, found.body.byteOffset, found.body.byteLength);
    if (!isParquet(body)) {
      const gzip = isGzip(body);
      let text: Buffer;
      try {
        // Z_SYNC_FLUSH: a truncated object (a writer that died) yields what it has instead of an error.
        text = gzip
          ? gunzipSync(body, {
              maxOutputLength: JSON_SAMPLE_MAX_BYTES * 4,
              finishFlush: zlibConstants.Z_SYNC_FLUSH,
            })
          : body;
      } catch (error) {
        if (!(error instanceof RangeError))
          return unknownSample(`it cannot be decompressed (${(error as Error).message})`);
        return sampleStream(reader, file); // a compression bomb: read only the sample
      }
      const slices = function* () {
        for (let i = 0; i < text.length; i += 65_536) yield text.subarray(i, i + 65_536);
      };
      const { acc, read } = await sampleJsonLines(slices(), reader.jsonSampleBytes);
      return jsonSample(acc, gzip, read >= text.length ? 1 : read / text.length);
    }
  }
  return sampleStream(reader, file);
}

function unknownSample(reason: string): Sample {
  return { classification: 'UNKNOWN', compression: 'none', schema: struct(), records: 0, reason };
}

function isParquet(head: Buffer): boolean {
  return head.length >= 4 && head.subarray(0, 4).equals(PARQUET_MAGIC);
}

function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** `fraction`: how much of the object the sample covered, to extrapolate the record count. */
function jsonSample(acc: RecordSchemaAccumulator, gzip: boolean, fraction: number): Sample {
  if (acc.records === 0 || acc.records < acc.invalid) {
    return unknownSample(acc.records === 0 ? 'no line is a JSON object' : 'most lines are not JSON objects');
  }
  const records = fraction >= 1 || fraction <= 0 ? acc.records : Math.round(acc.records / fraction);
  return { classification: 'json', compression: gzip ? 'gzip' : 'none', schema: acc.schema(), records };
}

/**
 * Feeds text chunks line by line until `limit` bytes are read and a record was seen (or the 10 MB cap).
 * `read` is the bytes consumed; it equals the total when the whole text was read.
 */
async function sampleJsonLines(
  chunks: AsyncIterable<Buffer> | Iterable<Buffer>,
  limit: number,
): Promise<{ acc: RecordSchemaAccumulator; read: number; complete: boolean }> {
  const acc = createRecordSchemaAccumulator();
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let read = 0;
  for await (const chunk of chunks) {
    read += chunk.length;
    const lines = (carry + decoder.write(chunk)).split('\n');
    carry = lines.pop()!;
    for (const line of lines) acc.add(line);
    const enough = acc.records > 0 || read >= JSON_SAMPLE_MAX_BYTES;
    // A "line" longer than the largest sample is not NDJSON.
    if ((read >= limit && enough) || carry.length > JSON_SAMPLE_MAX_BYTES)
      return { acc, read, complete: false };
  }
  acc.add(carry + decoder.end());
  return { acc, read, complete: true };
}

/** Reads as little of a large object as classifying it and inferring its schema takes. */
async function sampleStream(reader: SampleReader, file: FileInfo): Promise<Sample> {
  const stream = await reader.store.getStream(file.key);
  if (!stream) return unknownSample('it disappeared during the crawl');
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let head = Buffer.alloc(0);
  try {
    while (head.length < 4) {
      const next = await chunks.next();
      if (next.done) break;
      head = Buffer.concat([head, Buffer.from(next.value)]);
    }
    // Everything read so far, then the rest of the stream.
    const rest = async function* () {
      if (head.length > 0) yield head;
      for (;;) {
        const next = await chunks.next();
        if (next.done) return;
        yield Buffer.from(next.value);
      }
    };

    if (isParquet(head)) {
      let path: string;
      if (reader.store.localPath) {
        path = reader.store.localPath(file.key);
      } else {
        // No ranged reads in the ObjectStore port: the file is copied to read its footer.
        path = await reader.tempFile();
        await pipelineAsync(Readable.from(rest()), createWriteStream(path));
      }
      try {
        const { schema, rows } = await reader.parquet.read(path);
        return { classification: 'parquet', compression: 'none', schema, records: rows };
      } catch (error) {
        return unknownSample(
          `it starts like Parquet but its footer cannot be read (${(error as Error).message})`,
        );
      } finally {
        if (!reader.store.localPath) await rm(path, { force: true }).catch(() => {});
      }
    }

    const gzip = isGzip(head);
    const source = Readable.from(rest());
    const gunzip = createGunzip();
    const text = gzip ? pipeline(source, gunzip, () => {}) : source;
    try {
      const { acc, read, complete } = await sampleJsonLines(
        text as AsyncIterable<Buffer>,
        reader.jsonSampleBytes,
      );
      let fraction = 1;
      if (!complete && file.size > 0) {
        // The share of the object the sample covered, in decompressed bytes. For gzip the total is
        // estimated from the compression ratio so far, as the engine counts it (what the pipeline
        // read ahead from the store does not count).
        const produced = read + text.readableLength;
        const total =
          gzip && gunzip.bytesWritten > 0 ? (file.size * produced) / gunzip.bytesWritten : file.size;
        fraction = read / total;
      }
      return jsonSample(acc, gzip, fraction);
    } catch (error) {
      return unknownSample(`it cannot be read (${(error as Error).message})`);
    } finally {
      text.destroy();
      source.destroy();
    }
  } finally {
    stream.destroy();
  }
}
