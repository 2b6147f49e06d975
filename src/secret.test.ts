import { describe, expect, it } from 'vitest';
import { createLogger } from './log.js';
import { maskUrlCredentials, redact } from './secret.js';

describe('redact(text)', () => {
  it('masks the user:password@ of every URL in a text, whatever its scheme', () => {
    const text =
      'GET http://user:pa55word@127.0.0.1:9/v1 failed; see https://alice@host.example/x and s3://k:s@bucket/p';
    expect(redact(text)).toBe(
      'GET http://***@127.0.0.1:9/v1 failed; see https://***@host.example/x and s3://***@bucket/p',
    );
  });

  it('leaves URLs without credentials and e-mail addresses alone', () => {
    const text = 'https://api.spotify.com/v1/me?x=a@b and someone@example.com';
    expect(maskUrlCredentials(text)).toBe(text);
  });
});

describe('createLogger(options) with a URL carrying credentials', () => {
  it('writes the line with the credentials masked', () => {
    const lines: string[] = [];
    createLogger({ write: (l) => lines.push(l) }).warn('token request failed', {
      url: 'http://user:s3cr3t-pass@accounts.example/api/token',
    });
    expect(lines.join('')).toContain('http://***@accounts.example/api/token');
    expect(lines.join('')).not.toContain('s3cr3t-pass');
  });
});
