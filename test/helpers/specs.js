export function spec(name, overrides = {}) {
    const s = {
        name,
        kind: 'test',
        intervalMs: 10_000,
        timeoutMs: 1_000,
        retries: 0,
        retryBackoffMs: 100,
        failureThreshold: 3,
        successThreshold: 1,
        critical: false,
        labels: {},
        settings: {},
        target: 'test',
        fingerprint: '',
        ...overrides,
    };
    return { ...s, fingerprint: overrides.fingerprint ?? JSON.stringify({ ...s, fingerprint: undefined }) };
}
//# sourceMappingURL=specs.js.map