import { describe, expect, test } from 'vitest';
import { registerSecretValue } from '../secret.js';
import { createLambdaLogger } from './logger.js';
import { createPipelineMetrics } from './metrics.js';

/** Powertools writes INFO to stdout and WARN/ERROR to stderr: both are captured. */
function capture(fn: () => void): string[] {
  const out: string[] = [];
  const original = { stdout: process.stdout.write, stderr: process.stderr.write };
  const write = ((chunk: unknown) => {
    out.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = write;
  process.stderr.write = write;
  try {
    fn();
  } finally {
    process.stdout.write = original.stdout;
    process.stderr.write = original.stderr;
  }
  return out.join('').split('\n').filter(Boolean);
}

type EmfBlob = Record<string, unknown> & {
  _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: unknown[] }> };
};

describe('createLambdaLogger()', () => {
  test('writes JSON lines with the service and the fields, every secret value masked, in messages, fields and children', () => {
    const token = 'BQDq-access-token-7f3e9a';
    registerSecretValue(token);
    const lines = capture(() => {
      const logger = createLambdaLogger({ level: 'info' });
      logger.info(`got token ${token}`, { header: `Bearer ${token}`, error: new Error(`bad ${token}`) });
      logger.child({ runId: 'r1', token }).warn('retrying', { attempt: 2 });
      logger.debug('not shown at info');
    });
    expect(lines).toHaveLength(2);
    const [first, second] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first).toMatchObject({
      level: 'INFO',
      service: 'tunelake',
      message: 'got token ***',
      header: 'Bearer ***',
      error: { name: 'Error', message: 'bad ***' },
    });
    expect(second).toMatchObject({
      level: 'WARN',
      message: 'retrying',
      runId: 'r1',
      token: '***',
      attempt: 2,
    });
    for (const line of lines) expect(line).not.toContain(token);
  });
});

describe('createPipelineMetrics(deps)', () => {
  test('one EMF blob with the service dimension for counts, one per table and per stage with their own dimension', () => {
    const lines: string[] = [];
    const metrics = createPipelineMetrics({ write: (line) => lines.push(line) });
    metrics.count('PipelineSucceeded', 1);
    metrics.count('RecordsLanded', 42);
    metrics.tableRows('tracks', 7);
    metrics.duration('catalog', 1234.4);
    metrics.publish();
    const blobs = lines.map((l) => JSON.parse(l) as EmfBlob);
    expect(blobs).toHaveLength(3);
    expect(blobs[0]).toMatchObject({ service: 'tunelake', PipelineSucceeded: 1, RecordsLanded: 42 });
    expect(blobs[0]?._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'Tunelake',
      Dimensions: [['service']],
      Metrics: [
        { Name: 'PipelineSucceeded', Unit: 'Count' },
        { Name: 'RecordsLanded', Unit: 'Count' },
      ],
    });
    expect(blobs[1]).toMatchObject({ table: 'tracks', RowsWritten: 7 });
    expect(blobs[1]?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'table']]);
    expect(blobs[2]).toMatchObject({ stage: 'catalog', RunDurationMs: 1234 });
    expect(blobs[2]?._aws.CloudWatchMetrics[0]?.Metrics).toEqual([
      { Name: 'RunDurationMs', Unit: 'Milliseconds' },
    ]);
    lines.length = 0;
    metrics.publish();
    expect(lines).toEqual([]);
  });
});
