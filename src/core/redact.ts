// Redaction for anything that shows config to a reader (GET /config, the audit log): values under
// secret keys (SECRET_KEYS, in snake_case or camelCase), credential headers, command arguments and
// environments, and then every other string that contains one of the secrets found, so a secret
// copied into a derived field (a fingerprint, a URL) does not survive either.
import { SECRET_KEYS } from './secret-keys.js';

export const REDACTED = '<secret>';

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).replace(/-/g, '_').toLowerCase();

// Keys whose whole value is a secret, beyond SECRET_KEYS (resolved settings keep secrets under these).
const EXTRA_SECRET_KEYS = new Set(['authorization', 'secrets', 'header_secrets', 'bearer', 'private_key', 'key_pem']);
const SECRET_HEADER = /auth|token|key|secret|cookie|passw|session|signature/i;
// Command lines and environments may carry passwords: the program stays, the rest goes.
const ARGV_KEYS = new Set(['argv', 'run', 'command']);
const ENV_KEYS = new Set(['env']);

function isSecretKey(key: string): boolean {
  const k = snake(key);
  return SECRET_KEYS.has(k) || EXTRA_SECRET_KEYS.has(k);
}

/** A deep copy of `value` fit to show: see the module comment for what is taken out. */
export function redactSecrets(value: unknown): unknown {
  const found = new Set<string>();
  const first = redactKeys(value, found, undefined);
  // Short values would blank out ordinary words; four characters is the floor for a secret.
  const secrets = [...found].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  return secrets.length === 0 ? first : scrub(first, secrets);
}

function collect(value: unknown, found: Set<string>): void {
  if (typeof value === 'string') found.add(value);
  else if (typeof value === 'number') found.add(String(value));
  else if (value instanceof URL) collect(value.href, found);
  else if (Array.isArray(value)) for (const v of value) collect(v, found);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) collect(v, found);
}

function redactKeys(value: unknown, found: Set<string>, parentKey: string | undefined): unknown {
  if (value instanceof URL) return value.href;
  if (value instanceof RegExp) return value.source;
  if (value instanceof Uint8Array) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redactKeys(v, found, undefined));
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const key = snake(k);
    if (v === undefined) continue;
    if (isSecretKey(k) && v !== null && v !== '') {
      collect(v, found);
      out[k] = REDACTED;
    } else if (parentKey === 'headers' && typeof v === 'string' && SECRET_HEADER.test(k)) {
      collect(v, found);
      out[k] = REDACTED;
    } else if (ARGV_KEYS.has(key) && Array.isArray(v)) {
      for (const a of v.slice(1)) collect(a, found);
      out[k] = v.length <= 1 ? v : [v[0], ...v.slice(1).map(() => REDACTED)];
    } else if (ENV_KEYS.has(key) && v && typeof v === 'object' && !Array.isArray(v)) {
      out[k] = Object.fromEntries(Object.entries(v).map(([name, val]) => {
        if (name === 'PATH') return [name, val];
        collect(val, found);
        return [name, REDACTED];
      }));
    } else {
      out[k] = redactKeys(v, found, key);
    }
  }
  return out;
}

function scrub(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') {
    if (value === REDACTED) return value;
    let s = value;
    for (const secret of secrets) {
      if (s.includes(secret)) s = s.split(secret).join(REDACTED);
      // Secrets inside URLs and JSON are often percent- or JSON-escaped.
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret && s.includes(encoded)) s = s.split(encoded).join(REDACTED);
      const json = JSON.stringify(secret).slice(1, -1);
      if (json !== secret && s.includes(json)) s = s.split(json).join(REDACTED);
    }
    return s;
  }
  if (Array.isArray(value)) return value.map((v) => scrub(v, secrets));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, secrets)]));
  return value;
}
