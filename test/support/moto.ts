// moto_server on loopback for tests of the AWS adapters (S3 now; Glue, Athena, Secrets Manager later).
// moto ships in the machine image's Python and cannot be installed from here, so a missing moto is a
// clear error, not a skipped suite. Each call starts its own server on a free port: suites running in
// parallel workers never share state. State lives in memory; `reset()` clears it.
//
//   const moto = await startMoto();          // in beforeAll
//   new S3Client({ endpoint: moto.endpoint, ...motoClientConfig() })
//   await moto.stop();                        // in afterAll

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { AthenaClient } from '@aws-sdk/client-athena';
import { GlueClient } from '@aws-sdk/client-glue';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';

export interface Moto {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  port: number;
  /** Forgets every bucket, table and secret (POST /moto-api/reset). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  /** How long to wait for the server to answer. */
  startTimeoutMs?: number;
  /**
   * One request at a time. moto_server answers on a thread per request, and its conditional writes
   * (If-Match, If-None-Match) check and then write without a lock: two writers can both pass the
   * check, which S3 itself never lets happen. A test of compare-and-swap under contention needs this;
   * everything else is faster without it.
   */
  serial?: boolean;
}

/**
 * Settings every SDK client needs against moto: static fake credentials (so the SDK's credential chain
 * and process.env stay out of it), path-style buckets, and no flexible checksums (moto rejects them).
 */
export function motoClientConfig(endpoint: string) {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED' as const,
    responseChecksumValidation: 'WHEN_REQUIRED' as const,
  };
}

let motoInstalled: boolean | undefined;

export async function startMoto(options: StartMotoOptions = {}): Promise<Moto> {
  motoInstalled ??= spawnSync('python3', ['-c', 'import moto.server'], { stdio: 'ignore' }).status === 0;
  if (!motoInstalled) {
    throw new Error(
      'moto is not installed: `python3 -c "import moto.server"` failed. The tests of the AWS adapters need ' +
        "moto_server (moto 5.x, part of this machine image's Python); it cannot be installed with pip here.",
    );
  }
  // The port is free when probed but another process could take it before moto binds: try a few.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await launch(await freePort(), options.startTimeoutMs ?? 15_000, options.serial === true);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/** moto's own server application, served by werkzeug on one thread (StartMotoOptions.serial). */
const SERIAL_SERVER = `
import sys
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
run_simple(sys.argv[1], int(sys.argv[2]), DomainDispatcherApplication(create_backend_app), threaded=False)
`;

async function launch(port: number, timeoutMs: number, serial: boolean): Promise<Moto> {
  const endpoint = `http://127.0.0.1:${port}`;
  const args = ['-H', '127.0.0.1', '-p', String(port)];
  const child = await spawnFirst(
    serial
      ? [['python3', ['-c', SERIAL_SERVER, '127.0.0.1', String(port)]]]
      : [
          ['moto_server', args],
          ['python3', ['-m', 'moto.server', ...args]],
        ],
  );

  // Keep the tail of moto's log for error messages; moto logs every request, so never keep it all.
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: string | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = signal ? `signal ${signal}` : `exit code ${code}`;
      resolve();
    });
  });

  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal); // the whole group: the pyenv shim and python
    } catch {
      child.kill(signal);
    }
  };
  const killOnExit = () => kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (exited) return;
    kill('SIGTERM');
    const timer = setTimeout(() => kill('SIGKILL'), 3000);
    await exitedPromise;
    clearTimeout(timer);
  };

  const deadline = Date.now() + timeoutMs;
  while (!(await answers(`${endpoint}/moto-api/`))) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(
        `moto_server on ${endpoint} ${exited ? `exited (${exited})` : `did not answer within ${timeoutMs} ms`}. ` +
          `Its last output:\n${log}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    endpoint,
    port,
    async reset() {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
    },
    stop,
  };
}

/** Spawns the first command that exists (ENOENT falls through to the next). */
async function spawnFirst(commands: Array<[string, string[]]>): Promise<ChildProcess> {
  for (const [command, args] of commands) {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const spawned = await new Promise<boolean>((resolve, reject) => {
      child.once('spawn', () => resolve(true));
      child.once('error', (error: NodeJS.ErrnoException) =>
        error.code === 'ENOENT' ? resolve(false) : reject(error),
      );
    });
    if (spawned) {
      // Detached so that stop() can signal the whole process group; unref'd so that a forgotten
      // server cannot keep the test process alive (the exit hook still kills it).
      child.unref();
      for (const pipe of [child.stdout, child.stderr]) (pipe as unknown as { unref?: () => void })?.unref?.();
      return child;
    }
  }
  throw new Error(`Cannot start moto: none of ${commands.map(([c]) => c).join(', ')} was found on PATH.`);
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

// SDK clients for moto, built here so that tests outside the AWS adapters never import the AWS SDK
// themselves (the rule the adapters follow: the SDK lives in adapter files only).

/** An S3 client for moto, with the given buckets created. */
export async function motoS3Client(endpoint: string, buckets: string[] = []): Promise<S3Client> {
  const client = new S3Client(motoClientConfig(endpoint));
  for (const bucket of buckets) await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return client;
}

/** Every key in a moto bucket (first 1000), for tests that check what a command left behind. */
export async function listBucketKeys(client: S3Client, bucket: string): Promise<string[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (listed.Contents ?? []).map((o) => o.Key ?? '');
}

export function motoGlueClient(endpoint: string): GlueClient {
  return new GlueClient(motoClientConfig(endpoint));
}

export function motoAthenaClient(endpoint: string): AthenaClient {
  return new AthenaClient(motoClientConfig(endpoint));
}

export function motoSnsClient(endpoint: string): SNSClient {
  return new SNSClient(motoClientConfig(endpoint));
}

/** One message as SNS delivers it to a subscribed SQS queue (the JSON envelope, not raw delivery). */
export interface SnsEnvelope {
  Type: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
  MessageId: string;
}

export interface MotoTopicWithQueue {
  topicArn: string;
  /** Every message the queue holds now, oldest first, removed from the queue. */
  drain(): Promise<SnsEnvelope[]>;
}

/**
 * An SNS topic with an SQS queue subscribed to it, so that a test reads back what was published. SQS
 * is called with its JSON protocol over fetch: the project has no SQS SDK client, and moto reads no
 * signature.
 */
export async function motoTopicWithQueue(endpoint: string, name: string): Promise<MotoTopicWithQueue> {
  const sqs = async (action: string, body: Record<string, unknown>) => {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `AmazonSQS.${action}`,
        authorization:
          'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`SQS ${action} on moto failed: HTTP ${response.status} ${text}`);
    return JSON.parse(text || '{}') as Record<string, unknown>;
  };
  const sns = motoSnsClient(endpoint);
  try {
    const topic = await sns.send(new CreateTopicCommand({ Name: name }));
    const { QueueUrl } = (await sqs('CreateQueue', { QueueName: `${name}-queue` })) as { QueueUrl: string };
    const attributes = (await sqs('GetQueueAttributes', { QueueUrl, AttributeNames: ['QueueArn'] })) as {
      Attributes: { QueueArn: string };
    };
    await sns.send(
      new SubscribeCommand({
        TopicArn: topic.TopicArn,
        Protocol: 'sqs',
        Endpoint: attributes.Attributes.QueueArn,
      }),
    );
    return {
      topicArn: topic.TopicArn!,
      async drain() {
        const out: SnsEnvelope[] = [];
        for (;;) {
          const received = (await sqs('ReceiveMessage', { QueueUrl, MaxNumberOfMessages: 10 })) as {
            Messages?: Array<{ Body: string; ReceiptHandle: string }>;
          };
          const messages = received.Messages ?? [];
          if (messages.length === 0) return out;
          for (const m of messages) {
            out.push(JSON.parse(m.Body) as SnsEnvelope);
            await sqs('DeleteMessage', { QueueUrl, ReceiptHandle: m.ReceiptHandle });
          }
        }
      },
    };
  } finally {
    sns.destroy();
  }
}

export type MotoS3 = S3Client;
export type MotoGlue = GlueClient;
