// loadConfig's edge cases found by trying to break it (#17): credentials inside URLs, and config
// files with a BOM, a key given twice, a value hidden by an override, hex numbers, a huge bad id.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { duplicateKeys, loadConfig } from './config.js';
import { isTunelakeError, type TunelakeError } from './errors.js';
import { redact } from './secret.js';

const noFile = { TUNELAKE_CREDENTIALS: '/nonexistent/credentials.json' };
const VALID_ID = '4uLU6hMCjMI75M1A2tKUQC';

function configError(fn: () => unknown): TunelakeError {
  try {
    fn();
  } catch (error) {
    if (isTunelakeError(error, 'CONFIG_INVALID')) return error;
    throw error;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('loadConfig(spec, env) with credentials inside a URL', () => {
  it('refuses SPOTIFY_ACCOUNTS_URL=http://user:pass@host, masking them in the message', () => {
    const error = configError(() =>
      loadConfig({}, { ...noFile, SPOTIFY_ACCOUNTS_URL: 'http://someone:hunter2-pass@127.0.0.1:9' }),
    );
    expect(error.message).toContain('Invalid SPOTIFY_ACCOUNTS_URL "http://***@127.0.0.1:9"');
    expect(error.message).toMatch(/must not carry credentials/);
    expect(error.message).not.toContain('hunter2-pass');
  });

  it('refuses credentials in SPOTIFY_API_URL and TUNELAKE_S3_ENDPOINT together, and registers them for redaction', () => {
    const error = configError(() =>
      loadConfig(
        {},
        {
          ...noFile,
          SPOTIFY_API_URL: 'https://apiuser:api-pass-77@api.example/v1',
          TUNELAKE_S3_ENDPOINT: 'http://AKIAEXAMPLE:s3-secret-99@127.0.0.1:5000',
        },
      ),
    );
    expect(error.message).toContain('SPOTIFY_API_URL "https://***@api.example/v1"');
    expect(error.message).toContain('TUNELAKE_S3_ENDPOINT "http://***@127.0.0.1:5000"');
    // Wherever the bare password shows up later (a log line quoting it), it is masked.
    expect(redact('password was api-pass-77')).toBe('password was ***');
  });

  it('masks credentials in a value that is not a URL at all', () => {
    const error = configError(() =>
      loadConfig({}, { ...noFile, SPOTIFY_API_URL: 'ftp://u:ftp-pass-123@host' }),
    );
    expect(error.message).not.toContain('ftp-pass-123');
  });
});

describe('loadConfig(spec, env) with config-file edge cases', () => {
  const file = (content: string | Buffer) => {
    const dir = mkdtempSync(join(tmpdir(), 'tunelake-config-edge-'));
    const path = join(dir, 'tunelake.config.json');
    writeFileSync(path, content);
    return path;
  };

  it('accepts a UTF-8 byte order mark before the JSON', () => {
    const path = file(`\uFEFF${JSON.stringify({ engine: 'athena' })}`);
    expect(loadConfig({ configFile: path }, noFile).engine).toBe('athena');
  });

  it('rejects a "sources" key given twice instead of keeping the last', () => {
    const path = file(
      `{"sources": {"playlists": ["${VALID_ID}"]}, "engine": "duckdb", "sources": {"artists": []}}`,
    );
    const error = configError(() => loadConfig({ configFile: path }, noFile));
    expect(error.message).toMatch(/has the key "sources" twice at \(root\)/);
  });

  it('rejects a key given twice in a nested object, naming its path', () => {
    const path = file('{"http": {"rateLimit": 10, "rateLimit": 20}}');
    expect(configError(() => loadConfig({ configFile: path }, noFile)).message).toMatch(
      /"rateLimit" twice at http/,
    );
  });

  it('still validates a file value hidden by an environment override', () => {
    const path = file(JSON.stringify({ engine: 'duckdv' }));
    const error = configError(() =>
      loadConfig({ configFile: path }, { ...noFile, TUNELAKE_ENGINE: 'duckdb' }),
    );
    expect(error.message).toMatch(/engine "duckdv".*Did you mean "duckdb"/);
  });

  it('refuses 0x10 and 1e3 as whole numbers', () => {
    const error = configError(() =>
      loadConfig({}, { ...noFile, TUNELAKE_CONCURRENCY: '0x10', TUNELAKE_RATE_LIMIT: '1e3' }),
    );
    expect(error.message).toContain('TUNELAKE_CONCURRENCY "0x10"');
    expect(error.message).toContain('TUNELAKE_RATE_LIMIT "1e3"');
  });

  it('shortens a 20 kB bad id in the message', () => {
    const huge = 'x'.repeat(20_000);
    const path = file(JSON.stringify({ sources: { playlists: [huge] } }));
    const error = configError(() => loadConfig({ configFile: path }, noFile));
    expect(error.message).toMatch(/sources\.playlists\[0\]/);
    expect(error.message).toContain('(20000 characters)');
    expect(error.message.length).toBeLessThan(600);
  });
});

describe('duplicateKeys(text)', () => {
  it('finds keys repeated in one object only, not equal keys in sibling objects or strings', () => {
    expect(
      duplicateKeys('{"a": {"x": 1}, "b": [{"x": 1}, {"x": 2, "y": "\\"x\\""}], "c": {"x": 3}}'),
    ).toEqual([]);
    expect(duplicateKeys('{"a": [{"k": 1, "k": 2}]}')).toEqual([{ key: 'k', at: 'a.[]' }]);
  });
});
