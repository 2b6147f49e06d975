import { describe, expect, it } from 'vitest';
import { exportFormatOfName } from './export-files.js';
import { prepareRecord } from './stream-record.js';

const DROP = { mode: 'drop' } as const;
const base = {
  ts: '2023-03-01T08:00:00Z',
  username: 'listener42',
  ip_addr: '192.0.2.10',
  ms_played: 215000,
  spotify_track_uri: 'spotify:track:1AaAaAaAaAaAaAaAaAaAaA',
  master_metadata_track_name: 'Morning Light',
};

describe('prepareRecord(value, format, privacy)', () => {
  it('keys a stream by when it ended, what played and how long: not by personal fields or field order', () => {
    const a = prepareRecord(base, 'extended', DROP);
    const { username: _u, ip_addr: _i, ...rest } = base;
    const b = prepareRecord({ ip_addr_decrypted: '10.0.0.1', ...rest }, 'extended', DROP);
    expect(a.key).toBe(b.key);
    expect(a.key).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(prepareRecord({ ...base, ms_played: 215001 }, 'extended', DROP).key).not.toBe(a.key);
    expect(a).toMatchObject({ format: 'extended', trackId: '1AaAaAaAaAaAaAaAaAaAaA', problem: undefined });
    expect(a.data).not.toHaveProperty('username');
    expect(a.data).not.toHaveProperty('ip_addr');
  });

  it('pseudonymises with the salt: equal values equal pseudonyms, another salt others', () => {
    const salt = Buffer.alloc(32, 1);
    const a = prepareRecord(base, 'extended', { mode: 'pseudonymise', salt }).data as Record<string, string>;
    const b = prepareRecord({ ...base, ts: '2024-01-01T00:00:00Z' }, 'extended', {
      mode: 'pseudonymise',
      salt,
    }).data as Record<string, string>;
    const c = prepareRecord(base, 'extended', { mode: 'pseudonymise', salt: Buffer.alloc(32, 2) })
      .data as Record<string, string>;
    expect(a.username).toMatch(/^hmac-sha256:[0-9a-f]{32}$/);
    expect(a.username).toBe(b.username);
    expect(a.ip_addr).not.toBe(a.username);
    expect(c.username).not.toBe(a.username);
  });

  it.each([
    ['2023-02-30T10:00:00Z', 'ts is missing or not an ISO-8601 timestamp'],
    ['2023-03-01 08:00:00', 'ts is missing or not an ISO-8601 timestamp'],
    ['yesterday', 'ts is missing or not an ISO-8601 timestamp'],
    [null, 'ts is missing or not an ISO-8601 timestamp'],
    ['2023-03-01T08:00:00.123+02:00', undefined],
  ])('ts %j -> problem %j', (ts, problem) => {
    expect(prepareRecord({ ...base, ts }, 'extended', DROP).problem).toBe(problem);
  });

  it('reads account-data records (endTime, minute precision) and flags what is not a stream', () => {
    const ok = prepareRecord(
      { endTime: '2024-04-01 09:12', artistName: 'Dax', trackName: 'Paper', msPlayed: 198000 },
      'extended',
      DROP,
    );
    expect(ok).toMatchObject({ format: 'account', problem: undefined, trackId: undefined });
    expect(prepareRecord({ endTime: '2024-04-01 24:00', msPlayed: 1 }, 'account', DROP).problem).toMatch(
      /endTime/,
    );
    expect(prepareRecord({ ...base, ms_played: -1 }, 'extended', DROP).problem).toMatch(/ms_played/);
    expect(prepareRecord({ searchQuery: 'x' }, 'extended', DROP).problem).toMatch(/neither ts nor endTime/);
    expect(prepareRecord(42, 'account', DROP).problem).toMatch(/not a streaming-history record/);
  });
});

describe('exportFormatOfName(name)', () => {
  it.each([
    ['Spotify Extended Streaming History/Streaming_History_Audio_2019-2021_3.json', 'extended'],
    ['Streaming_History_Video_2020-2024.json', 'extended'],
    ['MyData/endsong_12.json', 'extended'],
    ['MyData/StreamingHistory_music_0.json', 'account'],
    ['StreamingHistory_podcast_2.json', 'account'],
    ['StreamingHistory0.json', 'account'],
    ['Userdata.json', undefined],
    ['Streaming_History_Audio_2019.pdf', undefined],
  ])('%s -> %s', (name, format) => {
    expect(exportFormatOfName(name)).toBe(format);
  });
});
