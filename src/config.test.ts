import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { deriveConfig, loadConfig } from './config.js';
import { isTunelakeError, type TunelakeError } from './errors.js';

function tempFile(name: string, content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tunelake-config-'));
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function configError(fn: () => unknown): TunelakeError {
  try {
    fn();
  } catch (error) {
    if (isTunelakeError(error, 'CONFIG_INVALID')) return error;
    throw error;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('loadConfig(spec, env)', () => {
  const noFile = { TUNELAKE_CREDENTIALS: '/nonexistent/credentials.json' };

  it('gives the embedded defaults when nothing is set', () => {
    const config = loadConfig({}, noFile);
    expect(config.lake).toBe('./lake');
    expect(config.engine).toBe('duckdb');
    expect(config.catalog).toBe('local');
    expect(config.spotify.tier).toBe('development');
    expect(config.spotify.accountsUrl).toBe('https://accounts.spotify.com');
    expect(config.spotify.apiUrl).toBe('https://api.spotify.com/v1');
    expect(config.spotify.clientId).toBeUndefined();
    expect(config.origins.engine).toBe('default');
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.http)).toBe(true);
  });

  it('ranks flags over environment over file over defaults, and records each origin', () => {
    const file = tempFile(
      'tunelake.config.json',
      JSON.stringify({ lake: '/from/file', engine: 'athena', spotify: { tier: 'extended', market: 'se' } }),
    );
    const config = loadConfig(
      { configFile: file, lake: '/from/flag' },
      { ...noFile, TUNELAKE_LAKE: '/from/env', TUNELAKE_ENGINE: 'duckdb' },
    );
    expect(config.lake).toBe('/from/flag');
    expect(config.origins.lake).toBe('flag');
    expect(config.engine).toBe('duckdb');
    expect(config.origins.engine).toBe('env');
    expect(config.spotify.tier).toBe('extended');
    expect(config.origins['spotify.tier']).toBe('file');
    expect(config.spotify.market).toBe('SE');
  });

  it('reports every problem at once, naming the setting, the value and what was expected', () => {
    const error = configError(() =>
      loadConfig(
        {},
        {
          ...noFile,
          TUNELAKE_ENGINE: 'duckdv',
          SPOTIFY_ACCESS_TIER: 'premium',
          TUNELAKE_RATE_LIMIT: 'fast',
          SPOTIFY_API_URL: 'ftp://x',
        },
      ),
    );
    expect(error.message).toContain('4 problems');
    expect(error.message).toContain(
      'Invalid TUNELAKE_ENGINE "duckdv": expected "duckdb" or "athena". Did you mean "duckdb"?',
    );
    expect(error.message).toContain('SPOTIFY_ACCESS_TIER "premium"');
    expect(error.message).toContain('TUNELAKE_RATE_LIMIT "fast": expected a whole number');
    expect(error.message).toContain('SPOTIFY_API_URL "ftp://x"');
    expect(error.details.problems).toHaveLength(4);
  });

  it('rejects unknown keys and bad sources in the config file with their key paths', () => {
    const file = tempFile(
      'bad.json',
      JSON.stringify({
        engnie: 'duckdb',
        sources: {
          playlists: ['3cEYpjA9oz9GiPac4AsH4n', 'not-an-id'],
          artists: [42],
          me: { recentlyplayed: true },
        },
      }),
    );
    const error = configError(() => loadConfig({ configFile: file }, noFile));
    expect(error.message).toContain('unknown key "engnie"');
    expect(error.message).toContain('sources.artists.0');
    expect(error.message).toContain('"recentlyplayed"');
  });

  it('parses playlist and artist ids, URIs and URLs in sources and dedupes them', () => {
    const config = loadConfig(
      {
        sources: {
          playlists: [
            '3cEYpjA9oz9GiPac4AsH4n',
            'https://open.spotify.com/playlist/3cEYpjA9oz9GiPac4AsH4n?si=abc',
            'spotify:playlist:37i9dQZEVXbNG2KDcFcKOF',
          ],
          artists: ['https://open.spotify.com/intl-de/artist/2CWWgbxApjbyByxBBCvGTm'],
          search: [{ q: 'tag:new', type: 'album' }],
        },
      },
      noFile,
    );
    expect(config.sources.playlists).toEqual(['3cEYpjA9oz9GiPac4AsH4n', '37i9dQZEVXbNG2KDcFcKOF']);
    expect(config.sources.artists).toEqual(['2CWWgbxApjbyByxBBCvGTm']);
    expect(config.sources.search).toEqual([{ q: 'tag:new', type: 'album', limit: 50 }]);
    expect(config.sources.me.recentlyPlayed).toBe(false);
  });

  it('reports a malformed playlist URL in sources with its index', () => {
    const error = configError(() =>
      loadConfig(
        { sources: { playlists: ['https://open.spotify.com/album/4EcfbzCtbJDk2wMwhT4D1h'] } },
        noFile,
      ),
    );
    expect(error.message).toContain('sources.playlists[0]');
    expect(error.message).toContain('names a album, expected a playlist');
  });

  it('never renders the client secret or refresh token', () => {
    const config = loadConfig(
      {},
      {
        ...noFile,
        SPOTIFY_CLIENT_ID: 'abc',
        SPOTIFY_CLIENT_SECRET: 'super-secret-value',
        SPOTIFY_REFRESH_TOKEN: 'refresh-xyz-123',
      },
    );
    const rendered = [
      JSON.stringify(config),
      String(config.spotify.clientSecret),
      inspect(config, { depth: 10 }),
    ].join('\n');
    expect(rendered).not.toContain('super-secret-value');
    expect(rendered).not.toContain('refresh-xyz-123');
    expect(config.spotify.clientSecret?.reveal()).toBe('super-secret-value');
  });

  it('accepts a client id without a secret (a public PKCE app)', () => {
    const config = loadConfig({}, { ...noFile, SPOTIFY_CLIENT_ID: 'abc' });
    expect(config.spotify.clientId).toBe('abc');
    expect(config.spotify.clientSecret).toBeUndefined();
  });

  it('reads a refresh token saved by `tunelake login`, and says how to fix a broken file', () => {
    const good = tempFile('credentials.json', JSON.stringify({ refresh_token: 'stored-refresh-token' }));
    const config = loadConfig({}, { TUNELAKE_CREDENTIALS: good });
    expect(config.spotify.refreshToken?.reveal()).toBe('stored-refresh-token');
    expect(config.origins['spotify.refreshToken']).toBe('file');

    const broken = tempFile('credentials.json', '{"scope":"x"}');
    expect(() => loadConfig({}, { TUNELAKE_CREDENTIALS: broken })).toThrow(/run `tunelake login` again/);
    // `tunelake login`, which rewrites the file, does not read it.
    expect(
      loadConfig({ readStoredCredentials: false }, { TUNELAKE_CREDENTIALS: broken }).spotify.refreshToken,
    ).toBe(undefined);
  });

  it('takes a DuckDB memory limit from the file or the environment, and rejects one that is not a size', () => {
    expect(loadConfig({}, noFile).duckdb.memoryLimit).toBe('256MB');
    const file = tempFile('tunelake.config.json', JSON.stringify({ duckdb: { memoryLimit: '1.5GiB' } }));
    const fromFile = loadConfig({}, { ...noFile, TUNELAKE_CONFIG: file });
    expect(fromFile.duckdb.memoryLimit).toBe('1.5GiB');
    expect(fromFile.origins['duckdb.memoryLimit']).toBe('file');
    const fromEnv = loadConfig(
      {},
      { ...noFile, TUNELAKE_CONFIG: file, TUNELAKE_DUCKDB_MEMORY_LIMIT: '512MB' },
    );
    expect(fromEnv.duckdb.memoryLimit).toBe('512MB');
    const error = configError(() => loadConfig({}, { ...noFile, TUNELAKE_DUCKDB_MEMORY_LIMIT: 'lots' }));
    expect(error.message).toContain('TUNELAKE_DUCKDB_MEMORY_LIMIT "lots": expected a size such as 512MB');
  });

  it('publishes no brief by default, and takes an SNS topic ARN from TUNELAKE_BRIEF_TOPIC_ARN', () => {
    expect(loadConfig({}, noFile).cloud.briefTopicArn).toBeUndefined();
    const arn = 'arn:aws:sns:eu-west-1:123456789012:tunelake-alarms';
    expect(loadConfig({}, { ...noFile, TUNELAKE_BRIEF_TOPIC_ARN: arn }).cloud.briefTopicArn).toBe(arn);
  });

  it('rejects a TUNELAKE_BRIEF_TOPIC_ARN that is not an SNS topic ARN, with an example', () => {
    const error = configError(() =>
      loadConfig({}, { ...noFile, TUNELAKE_BRIEF_TOPIC_ARN: 'arn:aws:sqs:us-east-1:123456789012:q' }),
    );
    expect(error.message).toBe(
      'Invalid TUNELAKE_BRIEF_TOPIC_ARN "arn:aws:sqs:us-east-1:123456789012:q": expected an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:tunelake-alarms, or unset to publish no brief.',
    );
  });

  it('rejects an s3 lake with an invalid bucket name', () => {
    const error = configError(() => loadConfig({ lake: 's3://Bad_Bucket/x' }, noFile));
    expect(error.message).toContain('valid bucket name');
  });
});

describe('deriveConfig(config, patch, origin)', () => {
  it('records the origin of exactly the values the patch changes', () => {
    const base = loadConfig({ rateLimit: 100 }, { TUNELAKE_CREDENTIALS: '/nonexistent' });
    const derived = deriveConfig(
      base,
      { http: { rateLimit: 1500, concurrency: base.http.concurrency } },
      'emulator',
    );
    expect(derived.http.rateLimit).toBe(1500);
    expect(derived.origins['http.rateLimit']).toBe('emulator');
    // Unchanged by the patch: the origin stays what loadConfig found.
    expect(derived.origins['http.concurrency']).toBe('default');
    expect(base.origins['http.rateLimit']).toBe('flag');
    expect(Object.isFrozen(derived)).toBe(true);
  });
});
