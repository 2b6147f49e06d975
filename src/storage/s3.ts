// The S3 ObjectStore: AWS S3 or any S3-compatible endpoint (moto in tests). The only file that talks
// to `@aws-sdk/client-s3` and `@aws-sdk/lib-storage`; both are imported on first use, so that a run on
// a local lake never loads the SDK.
//
// Conditional writes are S3's own (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-requests.html): create-only is
// `If-None-Match: *` and compare-and-swap is `If-Match` on PutObject, and on CompleteMultipartUpload for
// streamed uploads, so the check and the write are one atomic step on the server. 412 is a lost
// precondition; 409 ConditionalRequestConflict is a concurrent conditional write and worth retrying
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-requests.html).
import { Readable } from 'node:stream';
import type { ListObjectsV2CommandOutput, S3Client } from '@aws-sdk/client-s3';
import { TunelakeError } from '../errors.js';
import { lazyAwsClient } from '../lazy-aws-client.js';
import { type Logger, silentLogger } from '../log.js';
import {
  assertValidKey,
  assertValidPrefix,
  assertValidPutOptions,
  type ObjectInfo,
  type ObjectStore,
  type PutOptions,
  type StreamBody,
  sameEtag,
} from './store.js';

/**
 * The slice of the SDK's S3Client this store uses. `config` is in it because lib-storage's multipart
 * Upload reads the client's resolved configuration (checksums, endpoint).
 */
export type S3ClientLike = Pick<S3Client, 'send' | 'config' | 'destroy'>;

export interface S3ObjectStoreConfig {
  bucket: string;
  /** Key prefix inside the bucket, without leading or trailing '/'; '' for the bucket root. */
  prefix: string;
  /** An S3-compatible endpoint such as http://127.0.0.1:5000; undefined for AWS itself. */
  endpoint?: string | undefined;
  region: string;
}

export interface S3ObjectStoreDeps {
  /** Used instead of a client built from the standard AWS credential chain; not destroyed by close(). */
  s3Client?: S3ClientLike | undefined;
  logger?: Logger | undefined;
}

const DELETE_BATCH = 1000; // DeleteObjects takes at most 1000 keys
const PART_SIZE = 5 * 1024 * 1024; // S3's minimum part size; lib-storage buffers queueSize parts
const UPLOAD_QUEUE = 4;

export function createS3ObjectStore(config: S3ObjectStoreConfig, deps: S3ObjectStoreDeps = {}): ObjectStore {
  const { bucket, prefix, endpoint, region } = config;
  const logger = deps.logger ?? silentLogger;
  const location = prefix ? `s3://${bucket}/${prefix}` : `s3://${bucket}`;
  const ownsClient = deps.s3Client === undefined;

  const aws = lazyAwsClient(
    () => import('@aws-sdk/client-s3'),
    ({ S3Client }) =>
      new S3Client({
        region,
        // Credentials come from the SDK's standard chain (env, profile, SSO, instance role).
        ...(endpoint
          ? {
              endpoint,
              // Custom endpoints rarely serve virtual-hosted buckets, and moto rejects the
              // SDK's default flexible checksums; on AWS itself the SDK defaults stay.
              forcePathStyle: true,
              requestChecksumCalculation: 'WHEN_REQUIRED' as const,
              responseChecksumValidation: 'WHEN_REQUIRED' as const,
            }
          : {}),
      }),
    deps.s3Client,
  );
  const { sdk, client } = aws;

  const fullKey = (key: string) => (prefix ? `${prefix}/${key}` : key);
  const fullPrefix = (p: string) => (prefix ? `${prefix}/${p}` : p);
  const relativeKey = (full: string) => (prefix ? full.slice(prefix.length + 1) : full);
  const fail = (action: string, key: string, error: unknown) =>
    s3Error({ action, key, bucket, location, endpoint }, error);

  async function put(key: string, body: Uint8Array | string, options: PutOptions): Promise<{ etag: string }> {
    assertValidKey(key);
    assertValidPutOptions(key, options);
    const [{ PutObjectCommand }, s3] = await Promise.all([sdk(), client()]);
    try {
      const result = await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: fullKey(key),
          Body: body,
          // Known up front; without it the SDK warns about a stream of unknown length for an empty body.
          ContentLength: typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength,
          ContentType: options.contentType,
          IfNoneMatch: options.ifNoneMatch,
          IfMatch: options.ifMatch,
        }),
      );
      return { etag: result.ETag ?? '' };
    } catch (error) {
      throw conditionalError(key, options, error) ?? fail('write', key, error);
    }
  }

  async function putStream(key: string, body: StreamBody, options: PutOptions): Promise<{ etag: string }> {
    assertValidKey(key);
    assertValidPutOptions(key, options);
    // moto (unlike S3) ignores If-Match on CompleteMultipartUpload: check first too, which fails early
    // everywhere before uploading parts, while S3 itself still enforces the condition atomically.
    if (options.ifMatch !== undefined) {
      const current = await head(key);
      if (!current || !sameEtag(current.etag, options.ifMatch)) {
        destroy(body);
        throw conditionalError(key, options, { name: 'PreconditionFailed' })!;
      }
    }
    const [{ Upload }, s3] = await Promise.all([import('@aws-sdk/lib-storage'), client()]);
    const upload = new Upload({
      // lib-storage wants the full client type; S3ClientLike is the part of it that Upload touches.
      client: s3 as S3Client,
      partSize: PART_SIZE,
      queueSize: UPLOAD_QUEUE,
      params: {
        Bucket: bucket,
        Key: fullKey(key),
        Body: isReadable(body) ? body : Readable.from(body),
        ContentType: options.contentType,
        // Sent on the single PutObject for small bodies and on CompleteMultipartUpload for large ones,
        // so create-only holds without a put-then-check.
        IfNoneMatch: options.ifNoneMatch,
        IfMatch: options.ifMatch,
      },
    });
    try {
      const result = await upload.done();
      return { etag: result.ETag ?? '' };
    } catch (error) {
      destroy(body);
      throw conditionalError(key, options, error) ?? fail('write', key, error);
    }
  }

  async function get(key: string): Promise<{ body: Uint8Array; etag: string } | undefined> {
    assertValidKey(key);
    const [{ GetObjectCommand }, s3] = await Promise.all([sdk(), client()]);
    try {
      const result = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: fullKey(key) }));
      const body = (await result.Body?.transformToByteArray()) ?? new Uint8Array();
      return { body, etag: result.ETag ?? '' };
    } catch (error) {
      if (isNoSuchKey(error)) return undefined;
      throw fail('read', key, error);
    }
  }

  async function head(key: string): Promise<ObjectInfo | undefined> {
    assertValidKey(key);
    const [{ HeadObjectCommand }, s3] = await Promise.all([sdk(), client()]);
    try {
      const result = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: fullKey(key) }));
      return {
        key,
        size: result.ContentLength ?? 0,
        etag: result.ETag ?? '',
        lastModified: result.LastModified ?? new Date(0),
      };
    } catch (error) {
      // A HEAD response has no body, so a missing bucket is also a bare 404 here.
      if (isNoSuchKey(error)) return undefined;
      throw fail('read', key, error);
    }
  }

  async function* list(listPrefix: string): AsyncGenerator<ObjectInfo> {
    const [{ ListObjectsV2Command }, s3] = await Promise.all([sdk(), client()]);
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await s3.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: fullPrefix(listPrefix),
            ContinuationToken: token,
          }),
        );
      } catch (error) {
        throw fail('list', listPrefix, error);
      }
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield {
          key: relativeKey(object.Key),
          size: object.Size ?? 0,
          etag: object.ETag ?? '',
          lastModified: object.LastModified ?? new Date(0),
        };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async function listPrefixes(listPrefix: string): Promise<string[]> {
    assertValidPrefix(listPrefix);
    const [{ ListObjectsV2Command }, s3] = await Promise.all([sdk(), client()]);
    const out: string[] = [];
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await s3.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: fullPrefix(listPrefix),
            Delimiter: '/',
            ContinuationToken: token,
          }),
        );
      } catch (error) {
        throw fail('list', listPrefix, error);
      }
      for (const common of page.CommonPrefixes ?? []) {
        if (common.Prefix !== undefined) out.push(relativeKey(common.Prefix));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async function deleteMany(keys: string[]): Promise<void> {
    keys.forEach(assertValidKey);
    const unique = [...new Set(keys)];
    if (unique.length === 0) return;
    const [{ DeleteObjectsCommand }, s3] = await Promise.all([sdk(), client()]);
    for (let i = 0; i < unique.length; i += DELETE_BATCH) {
      const batch = unique.slice(i, i + DELETE_BATCH);
      let errors: Array<{ Key?: string; Code?: string; Message?: string }>;
      try {
        const result = await s3.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: batch.map((key) => ({ Key: fullKey(key) })), Quiet: true },
          }),
        );
        errors = result.Errors ?? [];
      } catch (error) {
        throw fail('delete', batch[0]!, error);
      }
      if (errors.length > 0) {
        const first = errors[0]!;
        throw new TunelakeError(
          'STORAGE_FAILED',
          `Cannot delete ${errors.length} of ${batch.length} keys in ${location}: ` +
            `"${relativeKey(first.Key ?? '?')}" failed with ${first.Code ?? 'an error'}: ${first.Message ?? ''}`,
          {
            retryable: errors.some((e) => e.Code === 'InternalError' || e.Code === 'SlowDown'),
            details: { errors },
          },
        );
      }
    }
  }

  return {
    location,
    put: (key, body, options = {}) => put(key, body, options),
    putStream: (key, body, options = {}) => putStream(key, body, options),
    get,

    async getText(key) {
      const found = await get(key);
      return found && Buffer.from(found.body).toString('utf8');
    },

    async getStream(key) {
      assertValidKey(key);
      const [{ GetObjectCommand }, s3] = await Promise.all([sdk(), client()]);
      try {
        const result = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: fullKey(key) }));
        // In Node the SDK's body is an http.IncomingMessage, a Readable.
        return result.Body as Readable;
      } catch (error) {
        if (isNoSuchKey(error)) return undefined;
        throw fail('read', key, error);
      }
    },

    head,

    list(listPrefix) {
      assertValidPrefix(listPrefix);
      return list(listPrefix);
    },

    listPrefixes,

    async delete(key, options) {
      assertValidKey(key);
      const [{ DeleteObjectCommand }, s3] = await Promise.all([sdk(), client()]);
      const ifMatch = options?.ifMatch;
      try {
        await s3.send(
          new DeleteObjectCommand({
            Bucket: bucket,
            Key: fullKey(key),
            ...(ifMatch ? { IfMatch: ifMatch } : {}),
          }),
        );
      } catch (error) {
        if (ifMatch !== undefined) {
          const conflict = conditionalError(key, { ifMatch }, error);
          if (conflict) throw conflict;
        }
        if (isNoSuchKey(error)) return;
        throw fail('delete', key, error);
      }
    },

    deleteMany,

    uri(key) {
      assertValidKey(key);
      return `s3://${bucket}/${fullKey(key)}`;
    },

    async close() {
      if (ownsClient) logger.debug('storage: closing the S3 client', { location });
      await aws.destroy();
    },
  };
}

/** Releases a source (a socket, a file) that will not be read to its end. */
function destroy(body: StreamBody): void {
  (body as { destroy?: () => void }).destroy?.();
}

function isReadable(body: StreamBody): body is Readable {
  return body instanceof Readable;
}

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

function statusOf(error: unknown): number | undefined {
  return (error as SdkError | undefined)?.$metadata?.httpStatusCode;
}

function isNoSuchKey(error: unknown): boolean {
  const name = (error as SdkError | undefined)?.name;
  // HeadObject answers a bare 404 ("NotFound") with no error code.
  return name === 'NoSuchKey' || name === 'NotFound' || (statusOf(error) === 404 && name !== 'NoSuchBucket');
}

/** The STORAGE_CONFLICT for a conditional write that lost its precondition, or undefined. */
function conditionalError(key: string, options: PutOptions, error: unknown): TunelakeError | undefined {
  const name = (error as SdkError | undefined)?.name;
  const status = statusOf(error);
  const what = options.ifNoneMatch
    ? `Cannot create "${key}": it already exists`
    : `Cannot replace "${key}": its etag is no longer ${options.ifMatch}`;
  if (name === 'PreconditionFailed' || status === 412) {
    return new TunelakeError('STORAGE_CONFLICT', `${what} (412 PreconditionFailed).`, {
      cause: error,
      details: { key, ...options },
    });
  }
  if (name === 'ConditionalRequestConflict' || (status === 409 && (options.ifNoneMatch || options.ifMatch))) {
    return new TunelakeError(
      'STORAGE_CONFLICT',
      `Cannot write "${key}": a concurrent conditional write to the same key won (409 ConditionalRequestConflict); retry.`,
      { cause: error, retryable: true, details: { key, ...options } },
    );
  }
  // If-Match on a key that does not exist is a 404 NoSuchKey: the precondition failed all the same.
  if (options.ifMatch !== undefined && isNoSuchKey(error)) {
    return new TunelakeError(
      'STORAGE_CONFLICT',
      `Cannot replace "${key}": it does not exist (expected etag ${options.ifMatch}).`,
      { cause: error, details: { key, ...options } },
    );
  }
  return undefined;
}

interface Where {
  action: string;
  key: string;
  bucket: string;
  location: string;
  endpoint: string | undefined;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

function s3Error(where: Where, error: unknown): TunelakeError {
  if (error instanceof TunelakeError) return error;
  const e = (error ?? {}) as SdkError;
  const name = e.name ?? 'Error';
  const status = statusOf(error);
  const subject = `"${where.key}" in ${where.location}`;
  const server = where.endpoint ?? 'AWS S3';
  const make = (message: string, retryable = false) =>
    new TunelakeError('STORAGE_FAILED', `Cannot ${where.action} ${subject}: ${message}`, {
      cause: error,
      retryable,
      details: { key: where.key, bucket: where.bucket, s3Error: name, status },
    });

  if (name === 'NoSuchBucket') {
    return make(
      `the bucket "${where.bucket}" does not exist at ${server} (NoSuchBucket). ` +
        `Create it (aws s3 mb s3://${where.bucket}) or fix TUNELAKE_LAKE.`,
    );
  }
  if (name === 'AccessDenied' || name === 'AllAccessDisabled' || status === 403) {
    return make(
      `access denied by ${server} (${name}). Check that the AWS credentials in use may ` +
        `s3:GetObject, s3:PutObject, s3:DeleteObject and s3:ListBucket on ${where.location}.`,
    );
  }
  if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken'].includes(name)) {
    return make(`${server} rejected the AWS credentials (${name}). Refresh them or pick another profile.`);
  }
  if (name === 'CredentialsProviderError') {
    return make(
      'no AWS credentials were found (looked in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE and ' +
        '~/.aws/credentials, SSO, web identity and the instance or container role). Configure one of them.',
    );
  }
  if (NETWORK_CODES.has(e.code ?? '') || name === 'TimeoutError' || name === 'AbortError') {
    return make(
      `cannot reach ${server} (${e.code ?? name}: ${e.message ?? ''}). Check TUNELAKE_S3_ENDPOINT and the network.`,
      true,
    );
  }
  if (
    name === 'SlowDown' ||
    name === 'InternalError' ||
    name === 'ServiceUnavailable' ||
    (status ?? 0) >= 500
  ) {
    return make(`${server} answered ${status ?? ''} ${name}: ${e.message ?? ''}. Retry later.`, true);
  }
  return make(`${name}${status ? ` (HTTP ${status})` : ''}: ${e.message ?? String(error)}`);
}
