// The dns kind: ask a DNS server (or the system resolver) for one name and type, check the
// response code and the answers, like blackbox_exporter's dns prober.
//
// Which resolver answers:
// - `server` set: that server, over UDP, through node:dns's Resolver (c-ares). A host name as
//   `server` is looked up first; that lookup is the `resolve` phase (blackbox's meaning).
// - `server` absent and type A or AAAA: the system resolver, `dns.lookup` (getaddrinfo), so
//   /etc/hosts and nsswitch apply, as they do for every other program on the host; this is how
//   `name: localhost` works. getaddrinfo hides the response code, so it is inferred: "not found"
//   (NXDOMAIN, or no address of that family) reads as NXDOMAIN, "try again" as SERVFAIL.
// - `server` absent and another type: the servers in /etc/resolv.conf, through the Resolver.
// Answers are checked as text: A/AAAA the address, CNAME/NS the name, MX `10 mail.example.com`,
// TXT the record's strings joined, SRV `priority weight port target`. Through a CNAME, an A or
// AAAA query's answers are the final addresses, so probe_dns_answer_rrs counts those only.
// `transport: tcp` is refused at load: node:dns cannot be told to query over TCP (c-ares only
// falls back to TCP by itself when a UDP answer is truncated).
import dns from 'node:dns';
import net from 'node:net';
import { z } from 'zod';
import type { Observation, ProbeOutcome } from '../core/check-result.js';
import { reasonFromError, type FailureReason } from '../core/failure-reason.js';
import { regex, shown } from '../config/fields.js';
import type { ProbeContext, ProbeKind } from './types.js';
import { DNS_LOOKUP_METRIC } from './dial.js';

export const DNS_RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'SRV', 'NS'] as const;
export type DnsRecordType = (typeof DNS_RECORD_TYPES)[number];

export const DNS_RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'] as const;
export type DnsRcode = (typeof DNS_RCODES)[number];

export interface DnsServer {
  host: string;
  port: number;
}

export interface DnsSettings {
  name: string;
  type: DnsRecordType;
  /** Absent: the system resolver (see the header). */
  server?: DnsServer;
  transport: 'udp';
  /** The probe fails unless the response code is one of these. */
  expectRcodes: DnsRcode[];
  /** Each must match at least one answer. */
  expectAnswers: RegExp[];
  /** Whether a NOERROR response without answers fails. */
  failIfEmpty: boolean;
}

const upperEnum = <T extends string>(values: readonly T[], what: string) =>
  z.unknown().transform((value, ctx): T => {
    const v = typeof value === 'string' ? value.toUpperCase() : undefined;
    if (v === undefined || !(values as readonly string[]).includes(v)) {
      ctx.addIssue({ code: 'custom', message: `expected ${what} (one of ${values.join(', ')}), got ${shown(value)}` });
      return z.NEVER;
    }
    return v as T;
  });

/** One response code or a list of them, any of which passes. */
const rcodesField = () =>
  z.unknown().transform((value, ctx): DnsRcode[] => {
    const list = Array.isArray(value) ? (value as unknown[]) : [value];
    const out: DnsRcode[] = [];
    for (const v of list) {
      const code = typeof v === 'string' ? v.toUpperCase() : undefined;
      if (code === undefined || !(DNS_RCODES as readonly string[]).includes(code)) {
        ctx.addIssue({ code: 'custom', message: `expected a DNS response code or a list of them (${DNS_RCODES.join(', ')}), got ${shown(v)}` });
        return z.NEVER;
      }
      out.push(code as DnsRcode);
    }
    if (out.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'expected at least one DNS response code, got an empty list' });
      return z.NEVER;
    }
    return out;
  });

/** `host`, `host:port`, `[v6]:port` or a bare IPv6 address; port 53 by default. */
export const dnsServerField = () =>
  z.unknown().transform((value, ctx): DnsServer => {
    const parsed = typeof value === 'string' ? parseServer(value.trim()) : undefined;
    if (!parsed) {
      ctx.addIssue({ code: 'custom', message: `expected a DNS server like "10.0.0.53", "10.0.0.53:5353" or "[::1]:53", got ${shown(value)}` });
      return z.NEVER;
    }
    return parsed;
  });

function parseServer(s: string): DnsServer | undefined {
  if (net.isIPv6(s)) return { host: s, port: 53 };
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+))(?::(\d{1,5}))?$/.exec(s);
  if (!m) return undefined;
  const port = m[3] === undefined ? 53 : Number(m[3]);
  const host = m[1] ?? m[2] ?? '';
  if (port < 1 || port > 65535 || (m[1] !== undefined && !net.isIPv6(host))) return undefined;
  return { host, port };
}

const schema = z
  .strictObject({
    name: z.string().min(1, { message: 'expected a domain name' }),
    type: upperEnum(DNS_RECORD_TYPES, 'a record type').optional(),
    server: dnsServerField().optional(),
    transport: z
      .unknown()
      .transform((value, ctx): 'udp' => {
        if (value === 'udp') return 'udp';
        const hint = value === 'tcp' ? ' (tcp is not supported: node:dns only uses TCP when a UDP answer is truncated)' : '';
        ctx.addIssue({ code: 'custom', message: `expected "udp"${hint}, got ${shown(value)}` });
        return z.NEVER;
      })
      .optional(),
    expect_rcode: rcodesField().optional(),
    expect_answers: z.array(regex()).optional(),
    fail_if_empty: z.boolean().optional(),
  })
  .transform(
    (b): DnsSettings => ({
      name: b.name.replace(/\.$/, '') || '.',
      type: b.type ?? 'A',
      server: b.server,
      transport: b.transport ?? 'udp',
      expectRcodes: b.expect_rcode ?? ['NOERROR'],
      expectAnswers: b.expect_answers ?? [],
      failIfEmpty: b.fail_if_empty ?? true,
    }),
  );

/** What one query came back with: a response (rcode and answers as text) or no response. */
type QueryResult = { rcode: DnsRcode; answers: string[] } | { failure: { reason: FailureReason; message: string } };

// c-ares reports the response code as an error code; these are the ones that mean "a response came".
const RCODE_OF_ERROR: Record<string, DnsRcode> = {
  ENOTFOUND: 'NXDOMAIN',
  ENODATA: 'NOERROR',
  ESERVFAIL: 'SERVFAIL',
  EREFUSED: 'REFUSED',
  ENOTIMP: 'NOTIMP',
  EFORMERR: 'FORMERR',
  // getaddrinfo's "temporary failure": what glibc makes of SERVFAIL.
  EAI_AGAIN: 'SERVFAIL',
};

// c-ares spells its own timeout ETIMEOUT, and cancel() yields ECANCELLED; both mean we ran out of time.
const TIMEOUT_CODES = new Set(['ETIMEOUT', 'ECANCELLED']);

type Rendered = (r: dns.promises.Resolver, name: string) => Promise<string[]>;

const QUERY: Record<DnsRecordType, Rendered> = {
  A: (r, n) => r.resolve4(n),
  AAAA: (r, n) => r.resolve6(n),
  CNAME: (r, n) => r.resolveCname(n),
  NS: (r, n) => r.resolveNs(n),
  MX: async (r, n) => (await r.resolveMx(n)).map((x) => `${x.priority} ${x.exchange}`),
  TXT: async (r, n) => (await r.resolveTxt(n)).map((chunks) => chunks.join('')),
  SRV: async (r, n) => (await r.resolveSrv(n)).map((x) => `${x.priority} ${x.weight} ${x.port} ${x.name}`),
} satisfies Record<DnsRecordType, Rendered>;

/** Rejects with the signal's reason as soon as it aborts, whatever `work` is doing. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

function errorResult(err: unknown, ctx: ProbeContext, doing: string): QueryResult {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  const rcode = RCODE_OF_ERROR[code];
  if (rcode) return { rcode, answers: [] };
  if (ctx.signal.aborted || TIMEOUT_CODES.has(code)) {
    return { failure: { reason: 'timeout', message: `no answer within ${ctx.timeoutMs}ms (${doing})` } };
  }
  const text = typeof e?.message === 'string' ? e.message : String(err);
  return { failure: { reason: reasonFromError(err), message: `${doing}: ${text}` } };
}

async function queryResolver(s: DnsSettings, server: string | undefined, ctx: ProbeContext): Promise<QueryResult> {
  // One try with the whole budget: retries are the scheduler's business, and the deadline is ours.
  const resolver = new dns.promises.Resolver({ timeout: Math.max(1, Math.ceil(ctx.timeoutMs)), tries: 1 });
  if (server) resolver.setServers([server]);
  const onAbort = () => resolver.cancel();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const answers = await untilAborted(QUERY[s.type](resolver, s.name), ctx.signal);
    return { rcode: 'NOERROR', answers };
  } catch (err) {
    return errorResult(err, ctx, `querying ${server ?? 'the resolv.conf servers'}`);
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    resolver.cancel();
  }
}

async function querySystem(s: DnsSettings, ctx: ProbeContext): Promise<QueryResult> {
  try {
    // getaddrinfo cannot be cancelled; on abort the probe stops waiting and the lookup finishes unseen.
    const found = await untilAborted(dns.promises.lookup(s.name, { all: true, family: s.type === 'AAAA' ? 6 : 4 }), ctx.signal);
    return { rcode: 'NOERROR', answers: found.map((a) => a.address) };
  } catch (err) {
    return errorResult(err, ctx, 'asking the system resolver');
  }
}

/** Turns the `server` setting into the form Resolver.setServers takes, looking a host name up first. */
async function serverAddress(server: DnsServer, ctx: ProbeContext): Promise<string> {
  let host = server.host;
  if (net.isIP(host) === 0) host = (await untilAborted(dns.promises.lookup(host), ctx.signal)).address;
  return net.isIPv6(host) ? `[${host}]:${server.port}` : `${host}:${server.port}`;
}

function check(s: DnsSettings, got: { rcode: DnsRcode; answers: string[] }): { reason: FailureReason; message: string } | undefined {
  const what = `${s.type} ${s.name}`;
  if (!s.expectRcodes.includes(got.rcode)) {
    return { reason: 'dns_error', message: `rcode ${got.rcode} for ${what}, expected ${s.expectRcodes.join(' or ')}` };
  }
  if (got.rcode === 'NOERROR' && got.answers.length === 0 && s.failIfEmpty) {
    return { reason: 'dns_error', message: `rcode NOERROR but no answers for ${what} (set fail_if_empty: false to accept)` };
  }
  for (const re of s.expectAnswers) {
    if (!got.answers.some((a) => re.test(a))) {
      const shownAnswers = got.answers.length === 0 ? 'no answers' : `answers ${JSON.stringify(got.answers.slice(0, 10))}`;
      return { reason: 'body_mismatch', message: `no answer matches /${re.source}/ for ${what}: ${shownAnswers}` };
    }
  }
  return undefined;
}

async function probeDns(s: DnsSettings, ctx: ProbeContext): Promise<ProbeOutcome> {
  const phases: Record<string, number> = { resolve: 0, request: 0 };
  let result: QueryResult | undefined;
  let server: string | undefined;
  let t = performance.now();
  if (s.server) {
    try {
      server = await serverAddress(s.server, ctx);
    } catch (err) {
      // The server's own name not resolving says nothing about the queried name's rcode.
      const failed = errorResult(err, ctx, `resolving the server ${s.server.host}`);
      const text = (err as { message?: unknown })?.message;
      result = 'failure' in failed ? failed : { failure: { reason: 'dns_error', message: `resolving the server ${s.server.host}: ${String(text)}` } };
    }
    if (net.isIP(s.server.host) === 0) phases.resolve = performance.now() - t;
    t = performance.now();
  }
  if (!result) {
    result = !s.server && (s.type === 'A' || s.type === 'AAAA') ? await querySystem(s, ctx) : await queryResolver(s, server, ctx);
    phases.request = performance.now() - t;
  }

  const answers = 'failure' in result ? undefined : result.answers;
  const observations: Observation[] = [
    { metric: 'probe_dns_lookup_time_seconds', value: phases.resolve! / 1000 },
    { metric: 'probe_dns_duration_seconds', value: phases.resolve! / 1000, labels: { phase: 'resolve' } },
    { metric: 'probe_dns_duration_seconds', value: phases.request! / 1000, labels: { phase: 'request' } },
    { metric: 'probe_dns_query_succeeded', value: answers ? 1 : 0 },
    { metric: 'probe_dns_answer_rrs', value: answers?.length ?? 0 },
  ];
  const failure = 'failure' in result ? result.failure : check(s, result);
  if (failure) return { ok: false, reason: failure.reason, message: failure.message, phases, observations };
  return { ok: true, phases, observations };
}

function describeServer(server: DnsServer | undefined): string {
  if (!server) return 'system';
  const host = server.host.includes(':') ? `[${server.host}]` : server.host;
  return server.port === 53 ? host : `${host}:${server.port}`;
}

export const dnsKind: ProbeKind<DnsSettings> = {
  kind: 'dns',
  schema,
  probe: probeDns,
  target: (s) => `${s.name} ${s.type} @${describeServer(s.server)}`,
  // As blackbox_exporter: the target is the DNS server to ask; the name comes from the module.
  fromTarget: (target) => ({ server: target }),
  metrics: [
    // Same help as the tcp and http kinds: the first declaration of a shared name is the one shown.
    DNS_LOOKUP_METRIC,
    { name: 'probe_dns_duration_seconds', help: 'Duration of the DNS probe by phase, in seconds.', labels: ['phase'] },
    { name: 'probe_dns_query_succeeded', help: 'Whether the DNS server answered the query, whatever the response code.' },
    { name: 'probe_dns_answer_rrs', help: 'Number of records in the answer section.' },
  ],
};
