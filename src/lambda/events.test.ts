import { describe, expect, test } from 'vitest';
import { isRunId } from '../lake.js';
import { scheduledRunId, scheduledTime } from './extract.js';
import { manifestCreatedEvent } from './harness.js';
import { manifestsOf } from './transform.js';

describe('scheduledRunId(time)', () => {
  test('names the same run for the same scheduled time, a different one for another, in time order', () => {
    const a = scheduledRunId(new Date('2026-11-25T06:00:00Z'));
    expect(isRunId(a)).toBe(true);
    expect(a.startsWith('20261125T060000Z-')).toBe(true);
    expect(scheduledRunId(new Date('2026-11-25T06:00:00.000Z'))).toBe(a);
    const b = scheduledRunId(new Date('2026-11-26T06:00:00Z'));
    expect(b).not.toBe(a);
    expect([b, a].sort()).toEqual([a, b]);
  });
});

describe('scheduledTime(event, now)', () => {
  const now = () => new Date('2026-11-25T12:34:56Z');
  test("reads Scheduler's scheduledTime, a rule's time, or falls back to now", () => {
    expect(
      scheduledTime({ source: 'tunelake.schedule', scheduledTime: '2026-11-25T06:00:00Z' }, now),
    ).toEqual(new Date('2026-11-25T06:00:00Z'));
    expect(scheduledTime({ 'detail-type': 'Scheduled Event', time: '2026-11-24T06:00:00Z' }, now)).toEqual(
      new Date('2026-11-24T06:00:00Z'),
    );
    expect(scheduledTime({}, now)).toEqual(now());
    expect(scheduledTime(undefined, now)).toEqual(now());
  });

  test('rejects a time that is not ISO 8601 (a schedule Input without the context attribute)', () => {
    expect(() => scheduledTime({ scheduledTime: '<aws.scheduler.scheduled-time>' }, now)).toThrow(
      /Invalid scheduledTime/,
    );
    expect(() => scheduledTime({ scheduledTime: 42 }, now)).toThrowError(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('manifestsOf(event, lake)', () => {
  const lake = 's3://tunelake-lake/lake';
  const record = (bucket: string, key: string) => ({
    eventSource: 'aws:s3',
    eventName: 'ObjectCreated:Put',
    s3: { bucket: { name: bucket }, object: { key } },
  });

  test("takes the run ids of this lake's manifests, decoding S3's URL-encoded keys", () => {
    const event = {
      Records: [
        record('tunelake-lake', 'lake/runs/20261125T060000Z-abc123.json'),
        record('tunelake-lake', 'lake/runs/20261124T060000Z-zzz999.json'),
        record('tunelake-lake', 'lake/runs/20261125T060000Z-abc123.json'),
      ],
    };
    expect(manifestsOf(event, lake)).toEqual(['20261124T060000Z-zzz999', '20261125T060000Z-abc123']);
    const spaced = { Records: [record('b-ucket', 'my+lake/runs/20261125T060000Z-abc123.json')] };
    expect(manifestsOf(spaced, 's3://b-ucket/my lake')).toEqual(['20261125T060000Z-abc123']);
  });

  test('ignores other buckets, other prefixes and keys that are not manifests', () => {
    const event = {
      Records: [
        record('other-bucket', 'lake/runs/20261125T060000Z-abc123.json'),
        record('tunelake-lake', 'elsewhere/runs/20261125T060000Z-abc123.json'),
        record('tunelake-lake', 'lake/runs/20261125T060000Z-abc123.pending'),
        record('tunelake-lake', 'lake/raw/me/dt=2026-11-25/run=x/part-00000.ndjson.gz'),
      ],
    };
    expect(manifestsOf(event, lake)).toBe('none');
  });

  test('a manual event; a malformed S3 event is an INVALID_ARGUMENT', () => {
    expect(manifestsOf({}, lake)).toBe('manual');
    expect(manifestsOf({ source: 'manual' }, lake)).toBe('manual');
    expect(() => manifestsOf({ Records: [{ s3: {} }] }, lake)).toThrowError(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  test("reads back the harness's own ObjectCreated event", () => {
    const event = manifestCreatedEvent(
      { lake: 's3://tunelake-lake/a lake', awsRegion: 'eu-west-1' },
      '20261125T060000Z-abc123',
      new Date(),
    );
    expect(event.Records[0]?.s3.object.key).toBe('a+lake/runs/20261125T060000Z-abc123.json');
    expect(manifestsOf(event, 's3://tunelake-lake/a lake')).toEqual(['20261125T060000Z-abc123']);
  });
});
