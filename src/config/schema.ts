// The shape of healthmon.yaml as users write it (snake_case, duration strings). Kind-specific
// blocks (`http:`, `tcp:` …) are left open here and validated by each kind's own schema.
import { z } from 'zod';
import { alertingSchema } from '../alerting/alerting-config.js';
import { hostConfigSchema } from '../host/host-config.js';
import { duration, labelSet, shown } from './fields.js';

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

export function checkSchema(kinds: readonly string[]) {
  const blocks = Object.fromEntries(kinds.map((k) => [k, z.unknown().optional()]));
  return z.strictObject({
    name: z.string().min(1),
    kind: z.string(),
    description: z.string().optional(),
    ...scheduleFields,
    critical: z.boolean().optional(),
    depends_on: z.array(z.string().min(1)).optional(),
    expected_response_time: duration().optional(),
    labels: labelSet().optional(),
    ...blocks,
  });
}

export function fileSchema(kinds: readonly string[]) {
  return z.strictObject({
    global: globalSchema.optional(),
    server: z.strictObject({ listen: listenAddress().optional(), external_url: z.url().optional() }).optional(),
    storage: z.strictObject({ path: z.string().min(1).optional() }).optional(),
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
