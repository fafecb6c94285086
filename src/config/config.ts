// The validated, resolved config that the rest of the program runs on: defaults applied,
// durations in milliseconds, each check's kind block turned into that kind's settings.
import type { AlertingConfig } from '../alerting/alerting-config.js';
import type { HostSettings } from '../host/host-config.js';
import type { RuleGroupDef } from '../rules/rule-file.js';
import type { Retention } from '../store/history.js';

/** A check's service level objective: availability and optional latency percentiles over a window. */
export interface SloSpec {
  /** As a ratio: 99.9% → 0.999. */
  availability: number;
  /** Latency objectives, e.g. { quantile: 'p95', q: 0.95, targetMs: 2000 }. */
  latency: Array<{ quantile: string; q: number; targetMs: number }>;
  windowMs: number;
}

/** A command run without a shell when a check keeps failing, to repair what it watches. */
export interface OnFailureSpec {
  run: string[];
  /** Consecutive failed runs before the first attempt. */
  after: number;
  /** Attempts per outage; the count resets when the check is up again. */
  maxAttempts: number;
  cooldownMs: number;
  timeoutMs: number;
}

export interface ApiSettings {
  /** Bearer token for mutating endpoints; without one (nor a file) they answer loopback clients only. */
  token?: string;
  /** A file holding the token (read when needed, so it can be rotated), absolute. */
  tokenFile?: string;
  /** CIDRs that targets registered through the API may be in; empty: any not denied. */
  allowNetworks: string[];
  /** CIDRs refused for registered targets, on top of link-local and cloud metadata addresses. */
  denyNetworks: string[];
}

export type ClientAuthType = 'NoClientCert' | 'RequestClientCert' | 'RequireAnyClientCert' | 'VerifyClientCertIfGiven' | 'RequireAndVerifyClientCert';
export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

/** The web config file, read and checked at load: TLS and basic auth for the whole server. */
export interface WebConfig {
  file: string;
  tls?: {
    certFile: string;
    keyFile: string;
    /** PEM, as read at load (and again on every reload, so renewed certificates are picked up). */
    cert: string;
    key: string;
    clientAuthType: ClientAuthType;
    clientCaFile?: string;
    ca?: string;
    minVersion: TlsVersion;
    maxVersion: TlsVersion;
  };
  /** user → bcrypt hash; empty: no basic auth. */
  basicAuthUsers: Record<string, string>;
  /** Response headers set on every answer (exporter-toolkit's http_server_config.headers). */
  headers: Record<string, string>;
}

export interface ServerConfig {
  host: string;
  port: number;
  /** exporter-toolkit style web config (TLS, basic auth), absolute. */
  webConfigFile?: string;
  /** What webConfigFile holds, checked at load. */
  web?: WebConfig;
  api: ApiSettings;
}

/** `global:` values a check falls back to, as the file gives them (durations in ms). */
export interface CheckDefaults {
  interval?: number | undefined;
  timeout?: number | undefined;
  retries?: number | undefined;
  retry_backoff?: number | undefined;
  failure_threshold?: number | undefined;
  success_threshold?: number | undefined;
  labels?: Record<string, string> | undefined;
}

export interface CheckSpec {
  name: string;
  kind: string;
  description?: string;
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  retryBackoffMs: number;
  failureThreshold: number;
  successThreshold: number;
  critical: boolean;
  /** Checks this one needs: while one is down, this check's alerts are muted. */
  dependsOn: string[];
  expectedResponseTimeMs?: number;
  /** The status page's group; the kind when not set. */
  group?: string;
  slo?: SloSpec;
  onFailure?: OnFailureSpec;
  labels: Record<string, string>;
  /** The kind's settings, as its schema produced them. */
  settings: unknown;
  /** What is probed, in words (`https://…`, `host:port`). */
  target: string;
  /** Equal fingerprints mean an unchanged check across a reload. */
  fingerprint: string;
}

export interface RulesConfig {
  /** The rule files `rule_files` matched, absolute, in order. */
  files: string[];
  groups: RuleGroupDef[];
  evaluationIntervalMs: number;
  queryOffsetMs: number;
  externalLabels: Record<string, string>;
  /** Where users reach healthmon, for alerts' generatorURL and templates' $externalURL. */
  externalURL: string;
}

/** A blackbox_exporter-style module for GET /probe: a kind's block without its target. */
export interface ProbeModule {
  name: string;
  kind: string;
  timeoutMs: number | undefined;
  block: Record<string, unknown>;
}

export interface HealthmonConfig {
  file: string;
  maxConcurrency: number;
  server: ServerConfig;
  /** The data directory: alert state and the database (history, outbox, silences, API checks). */
  storagePath: string;
  retention: Retention;
  /** This replica's share of the checks (`--shard i/n`); all of them when absent. */
  shard?: { index: number; count: number };
  host: HostSettings;
  rules: RulesConfig;
  alerting: AlertingConfig;
  modules: Record<string, ProbeModule>;
  checks: CheckSpec[];
  /** The file's `global:` check defaults, for checks added at run time (the API) to resolve as the file's do. */
  checkDefaults?: CheckDefaults;
}
