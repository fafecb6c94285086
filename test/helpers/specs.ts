// Check specs for tests that do not go through a config file.
import type { CheckSpec } from '../../src/config/config.js';

export function spec(name: string, overrides: Partial<CheckSpec> = {}): CheckSpec {
  const s: CheckSpec = {
    name,
    kind: 'test',
    intervalMs: 10_000,
    timeoutMs: 1_000,
    retries: 0,
    retryBackoffMs: 100,
    failureThreshold: 3,
    successThreshold: 1,
    critical: false,
    dependsOn: [],
    labels: {},
    settings: {},
    target: 'test',
    fingerprint: '',
    ...overrides,
  };
  return { ...s, fingerprint: overrides.fingerprint ?? JSON.stringify({ ...s, fingerprint: undefined }) };
}
