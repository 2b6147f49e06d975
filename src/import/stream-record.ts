// One record of a streaming-history export -> what lands in the raw zone: the record with its
// personal fields dropped (or pseudonymised), a stream key that identifies the stream across exports,
// and, for a record the transform will quarantine, why.
//
// Fields are carried as they come: a field Spotify adds later lands untouched, a missing one is
// simply absent (NULL in the tables). Only the fields that identify a person or a device are removed:
// they say nothing about the listening, and a lake is often shared.
import { createHash, createHmac } from 'node:crypto';
import type { ExportFormat } from './export-files.js';

/** Fields that identify the account holder, a network or a device. */
export const PERSONAL_FIELDS = ['username', 'ip_addr', 'ip_addr_decrypted', 'user_agent_decrypted'] as const;

export type Privacy = { mode: 'drop' } | { mode: 'pseudonymise'; salt: Buffer };

export interface PreparedRecord {
  /** Deterministic: the same stream in two exports has the same key (see streamKey). */
  key: string;
  format: ExportFormat;
  data: unknown;
  /** The Spotify track id, for enrichment; undefined for episodes, audiobooks, account-data records. */
  trackId: string | undefined;
  /** Why the transform will quarantine this record; undefined for a good one. */
  problem: string | undefined;
}

// The transform applies the same rules (tables/streams.sql): keep them in step.
const ISO_TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;
const END_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/;
const TRACK_URI = /^spotify:track:([0-9A-Za-z]{22})$/;

export function prepareRecord(value: unknown, fileFormat: ExportFormat, privacy: Privacy): PreparedRecord {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return invalid(
      value,
      fileFormat,
      'not a streaming-history record: expected an object with ts or endTime',
    );
  }
  const record = value as Record<string, unknown>;
  const format: ExportFormat | undefined =
    'ts' in record ? 'extended' : 'endTime' in record ? 'account' : undefined;
  if (!format)
    return invalid(value, fileFormat, 'not a streaming-history record: it has neither ts nor endTime');
  const data = protect(record, privacy);
  const time = format === 'extended' ? record.ts : record.endTime;
  const ms = format === 'extended' ? record.ms_played : record.msPlayed;
  const timeValid =
    typeof time === 'string' &&
    (format === 'extended' ? ISO_TS.test(time) : END_TIME.test(time)) &&
    realTime(time);
  if (!timeValid) {
    const field = format === 'extended' ? 'ts' : 'endTime';
    const expected = format === 'extended' ? 'an ISO-8601 timestamp' : 'YYYY-MM-DD HH:MM';
    return { ...invalid(value, format, `${field} is missing or not ${expected}`), data };
  }
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    const field = format === 'extended' ? 'ms_played' : 'msPlayed';
    return { ...invalid(value, format, `${field} is missing or not a non-negative number`), data };
  }
  const item =
    format === 'extended'
      ? (firstString(record, [
          'spotify_track_uri',
          'spotify_episode_uri',
          'audiobook_chapter_uri',
          'audiobook_uri',
        ]) ??
        `name:${String(record.master_metadata_album_artist_name ?? record.episode_show_name ?? '')}:${String(
          record.master_metadata_track_name ?? record.episode_name ?? record.audiobook_title ?? '',
        )}`)
      : `name:${String(record.artistName ?? record.podcastName ?? '')}:${String(record.trackName ?? record.episodeName ?? '')}`;
  const uri = format === 'extended' ? record.spotify_track_uri : undefined;
  // A copy, not a slice: a parser's string values can be slices of the whole chunk of text they came
  // from, and a kept slice keeps that chunk (64 KB per distinct track) alive.
  const match = typeof uri === 'string' ? TRACK_URI.exec(uri)?.[1] : undefined;
  const trackId = match === undefined ? undefined : Buffer.from(match, 'latin1').toString('latin1');
  return { key: streamKey(format, time, item, ms), format, data, trackId, problem: undefined };
}

/** Date.parse accepts 2023-02-30 (as March 2nd); DuckDB, which builds the tables, does not. */
function realTime(text: string): boolean {
  const [y, mo, d, h, mi, sec] = text
    .replace(/(Z|[+-]\d{2}:?\d{2})$/, '')
    .split(/[-T :.]/)
    .map(Number) as number[];
  if ([y, mo, d, h, mi].some((n) => n === undefined || Number.isNaN(n))) return false;
  const daysInMonth = new Date(Date.UTC(y!, mo!, 0)).getUTCDate();
  return mo! >= 1 && mo! <= 12 && d! >= 1 && d! <= daysInMonth && h! <= 23 && mi! <= 59 && (sec ?? 0) <= 59;
}

/**
 * A stream is identified by when it ended, what played and for how long: these never change between
 * exports, while file names, record order and the personal fields do. 96 bits of SHA-256.
 */
export function streamKey(format: ExportFormat, time: string, item: string, msPlayed: number): string {
  return digest(`${format}\n${time}\n${item}\n${msPlayed}`);
}

function invalid(value: unknown, format: ExportFormat, problem: string): PreparedRecord {
  return {
    key: digest(`invalid\n${JSON.stringify(value) ?? String(value)}`),
    format,
    data: value,
    trackId: undefined,
    problem,
  };
}

function digest(text: string): string {
  // 12 bytes are exactly 16 base64url characters, as a string of their own (no slice of a longer one).
  return createHash('sha256').update(text).digest().subarray(0, 12).toString('base64url');
}

function firstString(record: Record<string, unknown>, fields: string[]): string | undefined {
  for (const field of fields) {
    const v = record[field];
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}

/** The record without its personal fields, or with them replaced by a keyed hash (HMAC-SHA256). */
function protect(record: Record<string, unknown>, privacy: Privacy): Record<string, unknown> {
  if (!PERSONAL_FIELDS.some((f) => f in record)) return record;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) {
    if (!(PERSONAL_FIELDS as readonly string[]).includes(k)) out[k] = v;
    else if (privacy.mode === 'pseudonymise')
      out[k] = v === null || v === undefined ? null : pseudonym(privacy.salt, v);
  }
  return out;
}

/** Equal inputs give equal pseudonyms within one lake (the salt is per lake), nothing outside it. */
export function pseudonym(salt: Buffer, value: unknown): string {
  return `hmac-sha256:${createHmac('sha256', salt).update(String(value)).digest('hex').slice(0, 32)}`;
}
