// Every default of the config file, in one place.
export const DEFAULTS = {
  intervalMs: 30_000,
  timeoutMs: 10_000,
  retries: 0,
  retryBackoffMs: 1_000,
  failureThreshold: 3,
  successThreshold: 1,
  maxConcurrency: 64,
  listen: ':9469',
  /** Prometheus's default for global.evaluation_interval. */
  evaluationIntervalMs: 60_000,
  storagePath: 'data',
  retentionRawMs: 7 * 86_400_000,
  retentionRollupMs: 400 * 86_400_000,
  sloWindowMs: 30 * 86_400_000,
  onFailure: { maxAttempts: 3, cooldownMs: 5 * 60_000, timeoutMs: 30_000 },
} as const;
