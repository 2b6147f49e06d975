import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Config, loadConfig } from './config.js';
import { Secret } from './secret.js';
import { renderSettingsTable, SETTINGS, type Setting, withSettingsTable } from './settings.js';

/** A valid value for every setting, as a user would type it. */
const SAMPLES: Record<string, string> = {
  'spotify.clientId': 'my-client-id',
  'spotify.clientSecret': 'my-client-secret',
  'spotify.refreshToken': 'my-refresh-token',
  credentialsFile: 'creds/credentials.json',
  'spotify.accountsUrl': 'http://127.0.0.1:9001',
  'spotify.apiUrl': 'http://127.0.0.1:9002/v1',
  'spotify.tier': 'extended',
  'spotify.market': 'se',
  lake: 's3://my-bucket/lake',
  s3Endpoint: 'http://127.0.0.1:5000',
  awsRegion: 'eu-north-1',
  engine: 'athena',
  catalog: 'glue',
  logLevel: 'debug',
  'duckdb.memoryLimit': '1GB',
  'extract.maxRecordBytes': '2000000',
  'extract.allowClockSkew': 'true',
  'http.rateLimit': '7',
  'http.concurrency': '3',
  'http.maxRetries': '2',
  'http.maxRetryAfterSeconds': '60',
  'http.timeoutMs': '1000',
  'athena.workGroup': 'analysts',
  'athena.outputLocation': 's3://my-bucket/results',
  'athena.database': 'Music',
  'cloud.spotifySecretId': 'tunelake/spotify',
  'cloud.glueCrawler': 'tunelake-raw',
  'cloud.stackName': 'MyLake',
  'cloud.tempDir': '/tmp/tl',
  'cloud.briefTopicArn': 'arn:aws:sns:eu-north-1:123456789012:tunelake-alarms',
};
/** A value each validated setting refuses. */
const INVALID: Record<string, string> = {
  'spotify.accountsUrl': 'ftp://example.com',
  'spotify.apiUrl': 'not a url',
  'spotify.tier': 'extnded',
  'spotify.market': 'Sweden',
  lake: 's3://X',
  s3Endpoint: 'localhost:5000',
  engine: 'postgres',
  catalog: 'hive',
  logLevel: 'loud',
  'duckdb.memoryLimit': 'lots',
  'extract.maxRecordBytes': '16000001',
  'extract.allowClockSkew': 'yes',
  'http.rateLimit': '0x10',
  'http.concurrency': '65',
  'http.maxRetries': '-1',
  'http.maxRetryAfterSeconds': '1e3',
  'http.timeoutMs': '99',
  'athena.workGroup': 'a b',
  'athena.outputLocation': '/local/results',
  'athena.database': 'my-db',
  'cloud.glueCrawler': 'a/b',
  'cloud.stackName': '1stack',
  'cloud.briefTopicArn': 'arn:aws:sqs:eu-north-1:123456789012:q',
};

const resolved = SETTINGS.filter((s) => s.key !== 'configFile' && s.type.kind !== 'sources');

function valueAt(config: Config, key: string): unknown {
  let value: unknown = config;
  for (const part of key.split('.')) value = (value as Record<string, unknown>)[part];
  // A true/false setting (extract.allowClockSkew) is a boolean in the Config.
  if (typeof value === 'boolean') return String(value);
  return value instanceof Secret ? value.reveal() : value;
}

function fileWith(setting: Setting, value: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'tunelake-settings-'));
  const path = setting.key.split('.');
  let json: unknown = value;
  for (const part of path.reverse()) json = { [part]: json };
  const file = join(dir, 'tunelake.config.json');
  writeFileSync(file, JSON.stringify(json));
  return file;
}

describe('SETTINGS', () => {
  it('the README configuration table is the one generated from SETTINGS (npm run docs:settings)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(withSettingsTable(readme)).toBe(readme);
    expect(readme).toContain(renderSettingsTable());
  });

  it('withSettingsTable replaces a drifted table, and refuses a README without the markers', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const drifted = readme.replace('| `TUNELAKE_CONCURRENCY` |', '| `TUNELAKE_CONCURENCY` |');
    expect(drifted).not.toBe(readme);
    expect(withSettingsTable(drifted)).toBe(readme);
    expect(() => withSettingsTable('# no table')).toThrow(/markers/);
  });

  it('has a sample for every setting loadConfig resolves, and unique keys and variables', () => {
    expect(resolved.map((s) => s.key).sort()).toEqual(Object.keys(SAMPLES).sort());
    const keys = SETTINGS.map((s) => s.key);
    expect(new Set(keys).size).toBe(keys.length);
    const envs = SETTINGS.flatMap((s) => s.env ?? []);
    expect(new Set(envs).size).toBe(envs.length);
  });

  it('loadConfig gives every setting its default, origin default, with an empty environment', () => {
    const config = loadConfig({ readStoredCredentials: false }, {});
    for (const s of resolved) {
      expect(config.origins[s.key], s.key).toBe('default');
      if (s.default !== undefined) expect(valueAt(config, s.key), s.key).toBe(s.default);
      else if (s.key !== 'athena.outputLocation') expect(valueAt(config, s.key), s.key).toBeUndefined();
    }
  });

  it.each(resolved.filter((s) => s.env))('loadConfig reads $key from its environment variable', (s) => {
    const config = loadConfig({ readStoredCredentials: false }, { [s.env![0]!]: SAMPLES[s.key] });
    expect(config.origins[s.key]).toBe('env');
    expect(valueAt(config, s.key)).not.toBe(s.default);
    expect(valueAt(config, s.key)).not.toBeUndefined();
  });

  it.each(resolved.filter((s) => s.inFile))('loadConfig reads $key from the config file', (s) => {
    const sample = SAMPLES[s.key]!;
    const typed = s.type.kind === 'int' ? Number(sample) : sample;
    const config = loadConfig({ configFile: fileWith(s, typed), readStoredCredentials: false }, {});
    expect(config.origins[s.key]).toBe('file');
    expect(valueAt(config, s.key)).not.toBe(s.default);
  });

  it.each(resolved.filter((s) => INVALID[s.key] !== undefined))(
    'loadConfig refuses a bad $key, naming the variable and what it expects',
    (s) => {
      const name = s.env![0]!;
      expect(() => loadConfig({ readStoredCredentials: false }, { [name]: INVALID[s.key] })).toThrow(
        new RegExp(`Invalid ${name} ".*": (expected|a URL)`),
      );
    },
  );

  it('every setting that can be invalid has an invalid sample (and every other accepts any text)', () => {
    for (const s of resolved) {
      const free = s.type.kind === 'text' || s.type.kind === 'secret';
      expect(INVALID[s.key] === undefined, s.key).toBe(free);
    }
  });

  it('a setting outside the table is refused in the config file', () => {
    const file = fileWith({ key: 'http.rateLimt' } as Setting, 5);
    expect(() => loadConfig({ configFile: file }, {})).toThrow(/unknown key "rateLimt" at http/);
  });
});
