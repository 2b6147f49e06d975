// One line of `tunelake doctor`: a status, what was seen (the evidence) and what to do about it.
import type { ErrorCode, TunelakeError } from '../errors.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';
export type CheckGroup = 'configuration' | 'credentials' | 'access tier' | 'sources' | 'lake' | 'aws';

export interface DoctorCheck {
  /** Stable, for monitoring: `credentials.app-token`, `sources.playlist.<id>`. */
  id: string;
  group: CheckGroup;
  status: CheckStatus;
  summary: string;
  evidence: string;
  /** What to do; '' when there is nothing to do. */
  fix: string;
  /** For a `fail`: the error code whose exit code the command ends with. */
  code?: ErrorCode;
}

type Fields = Omit<DoctorCheck, 'status' | 'group' | 'id' | 'fix'> & { fix?: string };

/** Shorthands for one check of a group: `lines.ok('id', {...})`. */
export function checksOf(group: CheckGroup, out: DoctorCheck[]) {
  const add = (status: CheckStatus) => (id: string, fields: Fields) => {
    out.push({ id, group, status, ...fields, fix: fields.fix ?? '' });
  };
  return { ok: add('ok'), warn: add('warn'), fail: add('fail'), skip: add('skip') };
}

/** An error as evidence: its code, then its message. */
export function said(error: TunelakeError): string {
  return `${error.code}: ${error.message}`;
}
