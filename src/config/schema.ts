// The shape of healthmon.yaml as users write it (snake_case, duration strings). Kind-specific
// blocks (`http:`, `tcp:` …) are left open here and validated by each kind's own schema.
import { z } from 'zod';
import { alertingSchema } from '../alerting/alerting-config.js';
import { hostConfigSchema } from '../host/host-config.js';
import { duration, labelSet, ratio, secretString, shown } from './fields.js';

const count = (min: number, max = Number.MAX_SAFE_INTEGER) => z.int().min(min).max(max);

export const listenAddress = () =>
  z.unknown().transform((value, ctx): { host: string; port: number } => {
    const m = typeof value === 'string' ? /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value) : null;
    const port = m ? Number(m[3]) : NaN;
    if (!m || port > 65535) {
      ctx.addIssue({ code: 'custom', message: `expected an address like ":9469" or "127.0.0.1:9469", got ${shown(value)}` });
      return z.NEVER;
    }
    return { host: m[1] ?? m[2] ?? '', port };
  });

/** `i/n`: this replica probes the checks whose name hashes to i of n (0 ≤ i < n). */
export const shardSpec = () =>
  z.unknown().transform((value, ctx): { index: number; count: number } => {
    const m = typeof value === 'string' ? /^(\d+)\/(\d+)$/.exec(value.trim()) : null;
    const index = Number(m?.[1]);
    const count = Number(m?.[2]);
    if (!m || count < 1 || index >= count) {
      ctx.addIssue({ code: 'custom', message: `expected a shard like "0/3" (index from 0 to count - 1), got ${shown(value)}` });
      return z.NEVER;
    }
    return { index, count };
  });

/** Fields every check has and `global:` gives defaults for. */
const scheduleFields = {
  interval: duration().optional(),
  timeout: duration().optional(),
  retries: count(0, 10).optional(),
  retry_backoff: duration().optional(),
  failure_threshold: count(1).optional(),
  success_threshold: count(1).optional(),
};

export const globalSchema = z.strictObject({
  ...scheduleFields,
  max_concurrency: count(1).optional(),
  labels: labelSet().optional(),
  evaluation_interval: duration().optional(),
  rule_query_offset: duration().optional(),
  external_labels: labelSet().optional(),
});

/** `slo: {availability: 99.9%, latency: {p95: 2s}, window: 30d}` on a check. */
const sloSchema = z.strictObject({
  availability: ratio(),
  latency: z
    .record(z.string().regex(/^p(?:[1-9]\d?(?:\.\d+)?)$/, { message: 'latency objectives are named by percentile: p50, p95, p99, p99.9' }), duration())
    .optional(),
  window: duration().optional(),
});

/** `on_failure: {run: [argv…], after, max_attempts, cooldown, timeout}`: a command that repairs the target. */
const onFailureSchema = z.strictObject({
  run: z.array(z.string()).min(1, { message: 'run needs the command and its arguments, e.g. ["systemctl", "restart", "web"]' }),
  after: count(1).optional(),
  max_attempts: count(1).optional(),
  cooldown: duration().optional(),
  timeout: duration().optional(),
});

export function checkSchema(kinds: readonly string[]) {
  const blocks = Object.fromEntries(kinds.map((k) => [k, z.unknown().optional()]));
  return z.strictObject({
    name: z.string().min(1),
    kind: z.string(),
    description: z.string().optional(),
    ...scheduleFields,
    critical: z.boolean().optional(),
    group: z.string().min(1).optional(),
    slo: sloSchema.optional(),
    on_failure: onFailureSchema.optional(),
    depends_on: z.array(z.string().min(1)).optional(),
    expected_response_time: duration().optional(),
    labels: labelSet().optional(),
    ...blocks,
  });
}

export function fileSchema(kinds: readonly string[]) {
  return z.strictObject({
    global: globalSchema.optional(),
    server: z
      .strictObject({
        listen: listenAddress().optional(),
        external_url: z.url().optional(),
        web_config_file: z.string().min(1).optional(),
        api: z
          .strictObject({
            token: secretString().optional(),
            token_file: z.string().min(1).optional(),
            allow_networks: z.array(z.string().min(1)).optional(),
            deny_networks: z.array(z.string().min(1)).optional(),
          })
          .optional(),
      })
      .optional(),
    storage: z
      .strictObject({
        path: z.string().min(1).optional(),
        retention: z.strictObject({ raw: duration().optional(), rollup: duration().optional() }).optional(),
      })
      .optional(),
    shard: shardSpec().optional(),
    host: hostConfigSchema.optional(),
    rule_files: z.array(z.string().min(1)).optional(),
    modules: z
      .record(
        z.string().regex(/^[A-Za-z0-9_.-]+$/, { message: 'module names are letters, digits, "_", "-" and "."' }),
        z.looseObject({ kind: z.string(), timeout: duration().optional() }),
      )
      .optional(),
    alerting: alertingSchema.optional(),
    checks: z.array(checkSchema(kinds)).optional(),
  });
}

export type FileConfig = z.output<ReturnType<typeof fileSchema>>;
export type FileCheck = z.output<ReturnType<typeof checkSchema>>;
