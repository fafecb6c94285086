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
} as const;
