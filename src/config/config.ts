// The validated, resolved config that the rest of the program runs on: defaults applied,
// durations in milliseconds, each check's kind block turned into that kind's settings.
import type { AlertingConfig } from '../alerting/alerting-config.js';
import type { HostSettings } from '../host/host-config.js';
import type { RuleGroupDef } from '../rules/rule-file.js';

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
  server: { host: string; port: number };
  /** The data directory: alert state, and later the history database. */
  storagePath: string;
  host: HostSettings;
  rules: RulesConfig;
  alerting: AlertingConfig;
  modules: Record<string, ProbeModule>;
  checks: CheckSpec[];
}
