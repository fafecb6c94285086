import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeOutcome } from '../core/check-result.js';
import { silentLogger } from '../core/logger.js';
import { startDnsServer, type TestDnsServer } from '../../test/helpers/dns-server.js';
import { probeContext } from '../../test/helpers/probe-peers.js';
import { dnsKind } from './dns.js';

let server: TestDnsServer;

beforeAll(async () => {
  server = await startDnsServer({
    zone: {
      'web.test': [
        { type: 'A', data: '10.0.0.1' },
        { type: 'A', data: '10.0.0.2' },
        { type: 'AAAA', data: '2001:db8::1' },
        { type: 'TXT', data: ['v=spf1 ', '-all'] },
        { type: 'TXT', data: ['hello'] },
      ],
      'www.web.test': [{ type: 'CNAME', data: 'web.test' }],
      'mail.test': [
        { type: 'MX', data: { priority: 10, exchange: 'mx1.mail.test' } },
        { type: 'MX', data: { priority: 20, exchange: 'mx2.mail.test' } },
      ],
      '_http._tcp.web.test': [{ type: 'SRV', data: { priority: 1, weight: 5, port: 8080, target: 'web.test' } }],
      'zone.test': [
        { type: 'NS', data: 'ns1.zone.test' },
        { type: 'NS', data: 'ns2.zone.test' },
      ],
    },
    servfail: ['broken.test'],
    refused: ['private.test'],
    silent: ['blackhole.test'],
  });
});

afterAll(async () => {
  await server.close();
});

const probe = (block: Record<string, unknown>, timeoutMs = 1000): Promise<ProbeOutcome> =>
  dnsKind.probe(dnsKind.schema.parse({ server: server.address, ...block }), probeContext(timeoutMs));

const observed = (o: ProbeOutcome, metric: string, phase?: string) =>
  o.observations.find((x) => x.metric === metric && (phase === undefined || x.labels?.phase === phase))?.value;

describe('dns schema', () => {
  it('fills defaults and shows the target', () => {
    const s = dnsKind.schema.parse({ name: 'example.com.' });
    expect(s).toEqual({
      name: 'example.com',
      type: 'A',
      server: undefined,
      transport: 'udp',
      expectRcodes: ['NOERROR'],
      expectAnswers: [],
      failIfEmpty: true,
    });
    expect(dnsKind.target(s)).toBe('example.com A @system');
    expect(dnsKind.target(dnsKind.schema.parse({ name: 'x.test', type: 'mx', server: '10.0.0.53' }))).toBe('x.test MX @10.0.0.53');
    expect(dnsKind.target(dnsKind.schema.parse({ name: 'x.test', server: '[::1]:5353' }))).toBe('x.test A @[::1]:5353');
    expect(dnsKind.schema.parse({ name: 'x', server: '::1' }).server).toEqual({ host: '::1', port: 53 });
    expect(dnsKind.schema.parse({ name: 'x', server: 'ns.example:5353' }).server).toEqual({ host: 'ns.example', port: 5353 });
    expect(dnsKind.schema.parse({ name: 'x', expect_rcode: 'nxdomain' }).expectRcodes).toEqual(['NXDOMAIN']);
    expect(dnsKind.schema.parse({ name: 'x', expect_rcode: ['NOERROR', 'NXDOMAIN'] }).expectRcodes).toEqual(['NOERROR', 'NXDOMAIN']);
  });

  it.each([
    [{ name: 'x', type: 'ANY' }, 'expected a record type (one of A, AAAA, CNAME, MX, TXT, SRV, NS), got "ANY"'],
    [{ name: 'x', transport: 'tcp' }, 'tcp is not supported'],
    [{ name: 'x', server: 'a:b:c' }, 'expected a DNS server like'],
    [{ name: 'x', server: '10.0.0.1:70000' }, 'expected a DNS server like'],
    [{ name: 'x', expect_rcode: 'NOPE' }, 'expected a DNS response code'],
    [{ name: 'x', expect_answers: ['('] }, 'invalid regular expression'],
    [{ name: 'x', qtype: 'A' }, 'qtype'],
    [{ name: '' }, 'expected a domain name'],
    [{ name: 'x', expect_rcode: [] }, 'expected at least one DNS response code'],
  ])('rejects %j', (block, message) => {
    const r = dnsKind.schema.safeParse(block);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message).join('\n')).toContain(message);
  });
});

describe('dns probe against a local server', () => {
  it.each([
    ['A', 'web.test', ['10.0.0.1', '10.0.0.2']],
    ['AAAA', 'web.test', ['2001:db8::1']],
    ['CNAME', 'www.web.test', ['web.test']],
    ['MX', 'mail.test', ['10 mx1.mail.test', '20 mx2.mail.test']],
    ['TXT', 'web.test', ['v=spf1 -all', 'hello']],
    ['SRV', '_http._tcp.web.test', ['1 5 8080 web.test']],
    ['NS', 'zone.test', ['ns1.zone.test', 'ns2.zone.test']],
  ])('answers %s %s', async (type, name, answers) => {
    const anchored = answers.map((a) => `^${a.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
    const o = await probe({ name, type, expect_answers: anchored });
    expect(o).toMatchObject({ ok: true });
    expect(observed(o, 'probe_dns_answer_rrs')).toBe(answers.length);
    expect(observed(o, 'probe_dns_query_succeeded')).toBe(1);
    expect(observed(o, 'probe_dns_duration_seconds', 'request')).toBeGreaterThan(0);
    expect(observed(o, 'probe_dns_lookup_time_seconds')).toBe(0);
  });

  it('follows a CNAME for an A query', async () => {
    const o = await probe({ name: 'www.web.test', expect_answers: ['^10\\.0\\.0\\.2$'] });
    expect(o.ok).toBe(true);
    expect(observed(o, 'probe_dns_answer_rrs')).toBe(2);
  });

  it('fails on an unexpected rcode and shows both sides', async () => {
    const o = await probe({ name: 'missing.test' });
    expect(o).toMatchObject({ ok: false, reason: 'dns_error', message: 'rcode NXDOMAIN for A missing.test, expected NOERROR' });
    expect(observed(o, 'probe_dns_query_succeeded')).toBe(1);
    expect(observed(o, 'probe_dns_answer_rrs')).toBe(0);
  });

  it.each([
    ['missing.test', 'NXDOMAIN'],
    ['broken.test', 'SERVFAIL'],
    ['private.test', 'REFUSED'],
  ])('accepts %s when %s is expected', async (name, rcode) => {
    expect(await probe({ name, expect_rcode: rcode })).toMatchObject({ ok: true });
    expect(await probe({ name, expect_rcode: ['NOERROR', rcode] })).toMatchObject({ ok: true });
  });

  it('reports SERVFAIL and REFUSED when NOERROR is expected', async () => {
    expect((await probe({ name: 'broken.test' })).message).toBe('rcode SERVFAIL for A broken.test, expected NOERROR');
    expect((await probe({ name: 'private.test' })).message).toBe('rcode REFUSED for A private.test, expected NOERROR');
  });

  it('fails an empty NOERROR answer unless fail_if_empty is false', async () => {
    const o = await probe({ name: 'web.test', type: 'MX' });
    expect(o).toMatchObject({ ok: false, reason: 'dns_error' });
    expect(o.message).toContain('no answers for MX web.test');
    expect(await probe({ name: 'web.test', type: 'MX', fail_if_empty: false })).toMatchObject({ ok: true });
    expect(await probe({ name: 'web.test', type: 'MX', expect_rcode: 'NXDOMAIN' })).toMatchObject({ ok: false, reason: 'dns_error' });
  });

  it('fails when an expected answer is missing, showing answers and regex', async () => {
    const o = await probe({ name: 'web.test', expect_answers: ['^10\\.0\\.0\\.1$', '^192\\.168\\.'] });
    expect(o).toMatchObject({ ok: false, reason: 'body_mismatch' });
    expect(o.message).toBe('no answer matches /^192\\.168\\./ for A web.test: answers ["10.0.0.1","10.0.0.2"]');
  });

  it('times out promptly when the server never answers', async () => {
    const t = performance.now();
    const o = await probe({ name: 'blackhole.test' }, 300);
    const elapsed = performance.now() - t;
    expect(o).toMatchObject({ ok: false, reason: 'timeout', message: expect.stringContaining('no answer within 300ms') });
    expect(observed(o, 'probe_dns_query_succeeded')).toBe(0);
    // Generous: it catches a probe that ignores its deadline, not a busy machine.
    expect(elapsed).toBeLessThan(3000);
    expect(server.queries.some((q) => q.name === 'blackhole.test')).toBe(true);
  });

  it('stops as soon as the signal aborts, whatever the timeout says', async () => {
    const controller = new AbortController();
    const settings = dnsKind.schema.parse({ name: 'blackhole.test', server: server.address });
    setTimeout(() => controller.abort(new DOMException('deadline', 'TimeoutError')), 100);
    const t = performance.now();
    const o = await dnsKind.probe(settings, { ...probeContext(), signal: controller.signal, timeoutMs: 30_000 });
    expect(performance.now() - t).toBeLessThan(5000);
    expect(o.reason).toBe('timeout');
  });

  it('looks a server host name up first and times that as the resolve phase', async () => {
    const o = await probe({ name: 'web.test', server: `localhost:${server.port}` });
    expect(o.ok).toBe(true);
    expect(observed(o, 'probe_dns_duration_seconds', 'resolve')).toBeGreaterThan(0);
    expect(observed(o, 'probe_dns_lookup_time_seconds')).toBe(observed(o, 'probe_dns_duration_seconds', 'resolve'));
  });

  it('reports a server that is not listening', async () => {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    const port = socket.address().port;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    const o = await dnsKind.probe(dnsKind.schema.parse({ name: 'web.test', server: `127.0.0.1:${port}` }), probeContext(500));
    expect(o.ok).toBe(false);
    expect(o.reason).toBe('connection_refused');
    expect(observed(o, 'probe_dns_query_succeeded')).toBe(0);
  });
});

describe('dns probe through the system resolver', () => {
  it('resolves localhost from /etc/hosts', async () => {
    const o = await dnsKind.probe(dnsKind.schema.parse({ name: 'localhost', expect_answers: ['^127\\.'] }), probeContext(2000));
    expect(o).toMatchObject({ ok: true });
    expect(observed(o, 'probe_dns_answer_rrs')).toBeGreaterThan(0);
  });
});
