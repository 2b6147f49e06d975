// loadConfig's edge cases found by trying to break it (#17): credentials inside URLs.
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { isTunelakeError, type TunelakeError } from './errors.js';
import { redact } from './secret.js';

const noFile = { TUNELAKE_CREDENTIALS: '/nonexistent/credentials.json' };

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
