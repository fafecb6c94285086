import { describe, expect, it } from 'vitest';
import { REDACTED, redactSecrets } from './redact.js';

describe('redactSecrets', () => {
  it('redacts secret keys in snake_case and camelCase, and credential headers', () => {
    const out = redactSecrets({
      name: 'api',
      http: { url: 'https://u:hunter22@example.com/x', bearer_token: 'tok-123456', headers: { 'X-Api-Key': 'k-98765', Accept: 'json' } },
      settings: { apiKey: 'dd-abcdef', routingKey: 'pd-123456', headers: { authorization: 'Bearer tok-123456' }, secrets: ['tok-123456'] },
      password: '',
    });
    expect(out).toEqual({
      name: 'api',
      http: { url: REDACTED, bearer_token: REDACTED, headers: { 'X-Api-Key': REDACTED, Accept: 'json' } },
      settings: { apiKey: REDACTED, routingKey: REDACTED, headers: { authorization: REDACTED }, secrets: REDACTED },
      password: '',
    });
  });

  it('scrubs a secret copied into another field', () => {
    const out = redactSecrets({ token: 's3cr3t-value', fingerprint: '{"bearer":"s3cr3t-value"}', note: 'q=s3cr3t%2Fx', other: 's3cr3t/x' }) as Record<string, string>;
    expect(out.fingerprint).toBe(`{"bearer":"${REDACTED}"}`);
    expect(JSON.stringify(out)).not.toContain('s3cr3t-value');
  });

  it('keeps a program but not its arguments or environment', () => {
    const out = redactSecrets({ exec: { argv: ['/usr/bin/check', '--password', 'pw-1234'], env: { PATH: '/bin', DB_PASS: 'x-1234' } }, on_failure: { run: ['systemctl'] } });
    expect(out).toEqual({ exec: { argv: ['/usr/bin/check', REDACTED, REDACTED], env: { PATH: '/bin', DB_PASS: REDACTED } }, on_failure: { run: ['systemctl'] } });
  });

  it('turns URLs and regular expressions into text, and leaves the input alone', () => {
    const input = { target: new URL('http://x.test/a'), pattern: /^a+$/, n: 1, list: [true, null] };
    expect(redactSecrets(input)).toEqual({ target: 'http://x.test/a', pattern: '^a+$', n: 1, list: [true, null] });
    expect(input.target).toBeInstanceOf(URL);
  });
});
