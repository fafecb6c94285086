// Test support for the receiver tests: a fixed notification (two alerts firing, one resolved)
// and a local HTTP server on 127.0.0.1 that records what it receives and answers as scripted.
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ZodType } from 'zod';
import { formatPath, fromZodIssue } from '../../src/config/issues.js';
import { alertFingerprint } from '../../src/core/alert-fingerprint.js';
import type { Notification, NotifiedAlert } from '../../src/alerting/notification.js';

/** 2026-01-01T12:00:00Z */
export const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

function alert(a: Omit<NotifiedAlert, 'fingerprint' | 'generatorURL'> & { generatorURL?: string }): NotifiedAlert {
  return { generatorURL: 'http://healthmon.example.com:9469/graph?g0.expr=probe_success%20%3D%3D%200', ...a, fingerprint: alertFingerprint(a.labels) };
}

export const FIRING_CRITICAL = alert({
  status: 'firing',
  labels: { alertname: 'ServiceDown', check: 'api', instance: 'api.internal:8080', severity: 'critical', team: 'core' },
  annotations: {
    summary: 'api is down',
    description: 'Connection refused on api.internal:8080 for 10 minutes.',
    value: '0',
    runbook_url: 'https://runbooks.example.com/ServiceDown',
    dashboard_url: 'https://grafana.example.com/d/checks?var-check=api',
  },
  // Half a second past the minute, to show Go's fractional time format.
  startsAt: NOW - 10 * 60_000 + 500,
});

export const FIRING_WARNING = alert({
  status: 'firing',
  labels: { alertname: 'ServiceDown', check: 'web', instance: 'web.internal:80', severity: 'warning', team: 'core' },
  annotations: { summary: 'web is down' },
  startsAt: NOW - 2 * 60_000,
});

export const RESOLVED_CRITICAL = alert({
  status: 'resolved',
  labels: { alertname: 'ServiceDown', check: 'db', instance: 'db.internal:5432', severity: 'critical', team: 'core' },
  annotations: { summary: 'db is down' },
  startsAt: NOW - 3_600_000,
  endsAt: NOW - 60_000,
});

export const GROUP_KEY = '{}/{team="core"}:{alertname="ServiceDown"}';

/** The notification every render test starts from: two firing (critical, warning), one resolved. */
export function fixture(overrides: Partial<Notification> = {}): Notification {
  return {
    receiver: 'team-core',
    groupKey: GROUP_KEY,
    status: 'firing',
    alerts: [FIRING_CRITICAL, FIRING_WARNING, RESOLVED_CRITICAL],
    groupLabels: { alertname: 'ServiceDown' },
    commonLabels: { alertname: 'ServiceDown', team: 'core' },
    commonAnnotations: {},
    externalURL: 'http://healthmon.example.com:9469',
    reason: 'new alerts added',
    timestamp: NOW,
    ...overrides,
  };
}

/** The same group once everything resolved. */
export function resolvedFixture(): Notification {
  const resolved = { ...FIRING_CRITICAL, status: 'resolved' as const, endsAt: NOW };
  return fixture({ status: 'resolved', alerts: [resolved], commonLabels: { ...resolved.labels }, commonAnnotations: { ...resolved.annotations }, reason: 'all alerts resolved' });
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'hang' | ((req: RecordedRequest) => { status: number; headers?: Record<string, string>; body?: string });

export interface Recorder {
  /** `http://127.0.0.1:<port>` */
  base: string;
  requests: RecordedRequest[];
  /** How the next requests are answered. */
  reply(r: Reply): void;
  close(): Promise<void>;
}

/** A local HTTP server on 127.0.0.1:0 that records every request. */
export async function startRecorder(): Promise<Recorder> {
  const requests: RecordedRequest[] = [];
  let reply: Reply = { status: 200, body: 'ok' };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(recorded);
      if (reply === 'hang') return;
      const r = typeof reply === 'function' ? reply(recorded) : reply;
      res.writeHead(r.status, r.headers ?? {});
      res.end(r.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    requests,
    reply: (r) => {
      reply = r;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The config problems a settings block has, as users read them: `path: message`. */
export function configIssues(schema: ZodType, block: unknown): string[] {
  const r = schema.safeParse(block, { reportInput: true });
  return r.success ? [] : r.error.issues.flatMap((i) => fromZodIssue(i)).map((i) => `${formatPath(i.path)}: ${i.message}`);
}
