// What only the S3 store has to get right. The shared behaviour is in test/contract/object-store.test.ts.
// Answers that S3 gives and moto cannot be made to give (409 on racing conditional writes, 403, 503)
// come from a stand-in client that fails every call with that answer: a mock only for what cannot run.
import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Moto, motoClientConfig, startMoto } from '../../test/support/moto.js';
import { isTunelakeError, type TunelakeError } from '../errors.js';
import { createS3ObjectStore, type S3ClientLike } from './s3.js';

const CONFIG = { bucket: 'lake', prefix: 'p', endpoint: 'http://127.0.0.1:9', region: 'us-east-1' };

/** A client whose every call fails the way S3 answered. */
function failingClient(name: string, status: number): S3ClientLike {
  const error = Object.assign(new Error(`${name} from S3`), { name, $metadata: { httpStatusCode: status } });
  return {
    send: async () => {
      throw error;
    },
    config: {},
    destroy: () => {},
  } as unknown as S3ClientLike;
}

async function failure(promise: Promise<unknown>): Promise<TunelakeError> {
  try {
    await promise;
  } catch (error) {
    if (isTunelakeError(error)) return error;
    throw error;
  }
  throw new Error('expected a failure, but it succeeded');
}

describe('createS3ObjectStore(config, { s3Client }) error mapping', () => {
  test('409 ConditionalRequestConflict on a conditional write is a retryable STORAGE_CONFLICT', async () => {
    const store = createS3ObjectStore(CONFIG, { s3Client: failingClient('ConditionalRequestConflict', 409) });
    const error = await failure(store.put('state/extract.json', '{}', { ifMatch: '"abc"' }));
    expect(error.code).toBe('STORAGE_CONFLICT');
    expect(error.retryable).toBe(true);
  });

  test('412 PreconditionFailed is a STORAGE_CONFLICT that retrying will not fix', async () => {
    const store = createS3ObjectStore(CONFIG, { s3Client: failingClient('PreconditionFailed', 412) });
    const error = await failure(store.put('raw/a.json', '{}', { ifNoneMatch: '*' }));
    expect(error.code).toBe('STORAGE_CONFLICT');
    expect(error.retryable).toBe(false);
  });

  test('AccessDenied is STORAGE_FAILED naming the location and the permissions to check', async () => {
    const store = createS3ObjectStore(CONFIG, { s3Client: failingClient('AccessDenied', 403) });
    const error = await failure(store.get('raw/a.json'));
    expect(error.code).toBe('STORAGE_FAILED');
    expect(error.message).toContain('"raw/a.json" in s3://lake/p');
    expect(error.message).toContain('s3:GetObject');
    expect(error.retryable).toBe(false);
  });

  test('503 SlowDown is a retryable STORAGE_FAILED', async () => {
    const store = createS3ObjectStore(CONFIG, { s3Client: failingClient('SlowDown', 503) });
    const error = await failure(store.head('raw/a.json'));
    expect(error.code).toBe('STORAGE_FAILED');
    expect(error.retryable).toBe(true);
  });
});

describe('createS3ObjectStore(config, { s3Client }) on moto', () => {
  let moto: Moto;
  let s3: S3Client;

  beforeAll(async () => {
    moto = await startMoto();
    s3 = new S3Client(motoClientConfig(moto.endpoint));
  });

  afterAll(async () => {
    s3?.destroy();
    await moto?.stop();
  });

  test('close() leaves a client it was given open for its owner', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'given' }));
    const store = createS3ObjectStore(
      { ...CONFIG, bucket: 'given', endpoint: moto.endpoint },
      { s3Client: s3 },
    );
    await store.put('k', 'v');
    await store.close();
    const { Buckets } = await s3.send(new ListBucketsCommand({}));
    expect(Buckets?.map((b) => b.Name)).toContain('given');
  });

  test('an unreachable endpoint is a retryable STORAGE_FAILED naming it', async () => {
    const store = createS3ObjectStore(CONFIG, {
      s3Client: new S3Client({ ...motoClientConfig('http://127.0.0.1:9'), maxAttempts: 1 }),
    });
    const error = await failure(store.get('k'));
    expect(error.code).toBe('STORAGE_FAILED');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('cannot reach http://127.0.0.1:9');
  });

  test('startMoto().reset() forgets every bucket', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'forgotten' }));
    await moto.reset();
    const { Buckets } = await s3.send(new ListBucketsCommand({}));
    expect(Buckets ?? []).toEqual([]);
  });
});
