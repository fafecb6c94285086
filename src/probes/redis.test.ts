import { getEventListeners } from 'node:events';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeOutcome } from '../core/check-result.js';
import { close, closedPort, listen, makeCerts, openSockets, floodServer, probeContext, rawServer, type CertFiles } from '../../test/helpers/probe-peers.js';
import { findPeer } from '../../test/helpers/peers.js';
import { startRedis, type RunningRedis } from '../../test/helpers/redis.js';
import { encodeCommand, infoField, parseInfo, parseReply, redisKind } from './redis.js';
import type { ProbeContext } from './types.js';

const probe = (block: Record<string, unknown>, ctx: ProbeContext = probeContext(1000)): Promise<ProbeOutcome> =>
  redisKind.probe(redisKind.schema.parse(block), ctx);

const observed = (o: ProbeOutcome, metric: string, labels?: Record<string, string>) =>
  o.observations.find((x) => x.metric === metric && (!labels || Object.entries(labels).every(([k, v]) => x.labels?.[k] === v)))?.value;

describe('redis schema', () => {
  it('fills defaults and shows the target', () => {
    const s = redisKind.schema.parse({ host: 'cache' });
    expect(s).toMatchObject({ host: 'cache', port: 6379, db: 0, info: [], maxReplyBytes: 1024 * 1024 });
    expect(s.tls).toBeUndefined();
    expect(redisKind.target(s)).toBe('cache:6379');
    expect(redisKind.target(redisKind.schema.parse({ host: '::1', db: 2 }))).toBe('[::1]:6379/2');
    expect(redisKind.schema.parse({ host: 'c', password: 1234 }).password).toBe('1234');
  });

  it('parses info conditions', () => {
    const s = redisKind.schema.parse({ host: 'c', info: ['connected_clients < 1000', 'role == master', "role != 'slave'", 'db0.keys>=1', 'mem_fragmentation_ratio <= 1.5e0'] });
    expect(s.info.map((c) => [c.field, c.comparison.op, c.comparison.expected])).toEqual([
      ['connected_clients', '<', 1000],
      ['role', '==', 'master'],
      ['role', '!=', 'slave'],
      ['db0.keys', '>=', 1],
      ['mem_fragmentation_ratio', '<=', 1.5],
    ]);
  });

  it.each([
    [{ host: 'c', port: 0 }, 'port', undefined],
    [{ host: 'c', db: -1 }, 'db', undefined],
    [{ host: 'c', username: 'probe' }, 'username', 'a username needs a password (password or password_file)'],
    [{ host: 'c', password: ['x'] }, 'password', 'expected a string, got a list'],
    [{ host: 'c', info: 'role == master' }, 'info', undefined],
    [{ host: 'c', info: [42] }, 'info.0', 'expected a condition like "connected_clients < 1000", got 42'],
    [{ host: 'c', info: ['role < master'] }, 'info.0', 'invalid condition "role < master": < compares numbers, got "master"'],
    [{ host: 'c', info: ['connected_clients ~ 3'] }, 'info.0', 'invalid condition "connected_clients ~ 3": expected one of == != <= >= < >'],
    [{ host: 'c', info: ['connected_clients <'] }, 'info.0', 'invalid condition "connected_clients <": expected a value after <'],
    [{ host: 'c', info: ['< 3'] }, 'info.0', 'invalid condition "< 3": expected an INFO field name like connected_clients first'],
    [{ host: 'c', max_reply_bytes: 'lots' }, 'max_reply_bytes', 'expected a size like "10MiB" or a number of bytes, got "lots"'],
    [{ host: 'c', tls: { insecure: true } }, 'tls', undefined],
    [{ host: 'c', pasword: 'x' }, '', undefined],
  ])('rejects %j at %s', (block, path, message) => {
    const result = redisKind.schema.safeParse(block);
    expect(result.success).toBe(false);
    const issue = result.error!.issues.find((i) => i.path.join('.') === path);
    expect(issue).toBeDefined();
    if (message) expect(issue!.message).toBe(message);
  });
});

describe('RESP', () => {
  it('encodes commands as arrays of bulk strings', () => {
    expect(encodeCommand(['AUTH', 'probe', 'pässword']).toString()).toBe('*3\r\n$4\r\nAUTH\r\n$5\r\nprobe\r\n$9\r\npässword\r\n');
  });

  it.each([
    ['+PONG\r\n', { type: 'simple', text: 'PONG' }, 7],
    ['-ERR no\r\nextra', { type: 'error', text: 'ERR no' }, 9],
    [':42\r\n', { type: 'integer', value: 42 }, 5],
    ['$-1\r\n', { type: 'bulk', data: null }, 5],
    ['$3\r\nabc\r\n', { type: 'bulk', data: Buffer.from('abc') }, 9],
  ])('reads %j', (text, reply, length) => {
    expect(parseReply(Buffer.from(text), 1024, 'X')).toEqual({ reply, length });
  });

  it.each(['', '+PON', '$3\r\nab', '$3\r\nabc\r', ':1'])('waits for more after %j', (text) => {
    expect(parseReply(Buffer.from(text), 1024, 'X')).toBeUndefined();
  });

  it.each([
    ['HTTP/1.1 400 Bad Request\r\n', 'protocol_error', 'PING: expected a RESP reply, got something that is not RESP: "HTTP/1.1 400 Bad Request\\r\\n"'],
    ['*1\r\n$4\r\nPONG\r\n', 'protocol_error', 'PING: expected a RESP reply, got a reply type it does not ask for: "*1\\r\\n$4\\r\\nPONG\\r\\n"'],
    ['$abc\r\n', 'protocol_error', 'PING: expected a number after "$", got "abc"'],
    ['$-7\r\n', 'protocol_error', 'PING: a bulk string of length -7'],
    ['$3\r\nabcde', 'protocol_error', 'PING: a bulk string of 3 bytes not followed by CRLF'],
    ['$104857600\r\nxxx', 'too_large', 'PING: a reply of 104857600 bytes exceeds max_reply_bytes 1024'],
  ])('rejects %j', (text, reason, message) => {
    expect(() => parseReply(Buffer.from(text), 1024, 'PING')).toThrow(expect.objectContaining({ failure: { reason, message } }));
  });

  it('reads INFO fields, including k=v lists', () => {
    const fields = parseInfo('# Server\r\nredis_version:7.0.15\r\nrole:master\r\n\r\n# Keyspace\r\ndb0:keys=12,expires=0,avg_ttl=0\r\n');
    expect(infoField(fields, 'redis_version')).toBe('7.0.15');
    expect(infoField(fields, 'db0.keys')).toBe('12');
    expect(infoField(fields, 'db0.nope')).toBeUndefined();
    expect(infoField(fields, 'db1.keys')).toBeUndefined();
    expect(infoField(fields, 'Server')).toBeUndefined();
  });
});

const binary = findPeer('redis-server');

describe.skipIf(!binary)('redis probe against a real redis-server', () => {
  let redis: RunningRedis;
  let certs: CertFiles;
  const PASSWORD = 'default-secret';
  const base = () => ({ host: '127.0.0.1', port: redis.port, password: PASSWORD });

  beforeAll(async () => {
    certs = makeCerts();
    writeFileSync(join(certs.dir, 'leaf.crt'), certs.leaf.cert);
    writeFileSync(join(certs.dir, 'leaf.key'), certs.leaf.key);
    redis = await startRedis(binary!, {
      password: PASSWORD,
      users: [
        ['probe', 'on', '>probe-secret', '~*', '+ping', '+info', '+select'],
        ['pinger', 'on', '>pinger-secret', '+ping'],
      ],
      tls: { certFile: join(certs.dir, 'leaf.crt'), keyFile: join(certs.dir, 'leaf.key'), caFile: certs.caFile },
    });
  });

  afterAll(async () => {
    await redis?.stop();
    certs?.cleanup();
  });

  it('pings, reads INFO and checks its fields', async () => {
    const o = await probe({ ...base(), info: ['connected_clients < 1000', 'role == master', 'uptime_in_seconds >= 0', 'redis_version != "6.0.0"'] });
    expect(o).toMatchObject({ ok: true });
    expect(o.phases.ping).toBeGreaterThan(0);
    expect(o.phases.auth).toBeGreaterThan(0);
    expect(o.phases.select).toBe(0);
    expect(observed(o, 'probe_redis_info_value', { field: 'connected_clients' })).toBeGreaterThanOrEqual(1);
    expect(observed(o, 'probe_redis_info_value', { field: 'used_memory' })).toBeGreaterThan(0);
    expect(o.observations.find((x) => x.metric === 'probe_redis_server_info')?.labels).toEqual({ version: expect.stringMatching(/^\d+\.\d+/), role: 'master' });
    expect(o.observations.filter((x) => x.metric === 'probe_redis_duration_seconds').map((x) => x.labels!.phase)).toEqual(['resolve', 'connect', 'tls', 'auth', 'select', 'ping', 'info']);
  });

  it('selects a database and reads its key count', async () => {
    // One key in db 3 through a raw connection, so the probe has something to count.
    await new Promise<void>((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port: redis.port }, () => s.write(`AUTH ${PASSWORD}\r\nSELECT 3\r\nSET k v\r\n`));
      let got = '';
      s.on('data', (d) => {
        got += d.toString();
        if (got.split('\r\n').length > 3) {
          s.destroy();
          resolve();
        }
      });
      s.on('error', reject);
    });
    const o = await probe({ ...base(), db: 3, info: ['db3.keys == 1'] });
    expect(o).toMatchObject({ ok: true });
    expect(o.phases.select).toBeGreaterThan(0);
    expect(observed(o, 'probe_redis_info_value', { field: 'db3.keys' })).toBe(1);
  });

  it('reports failed INFO conditions with what was seen', async () => {
    const o = await probe({ ...base(), info: ['connected_clients > 100000', 'role == replica', 'no_such_field == 1'] });
    expect(o).toMatchObject({ ok: false, reason: 'condition_failed' });
    expect(o.message).toMatch(/^connected_clients was \d+, expected > 100000; role was "master", expected "replica"; no_such_field was missing, expected 1$/);
  });

  it('logs in as an ACL user', async () => {
    const o = await probe({ host: '127.0.0.1', port: redis.port, username: 'probe', password: 'probe-secret', db: 1, info: ['role == master'] });
    expect(o).toMatchObject({ ok: true });
  });

  it('passes a user allowed PING only, until a condition needs INFO', async () => {
    const pinger = { host: '127.0.0.1', port: redis.port, username: 'pinger', password: 'pinger-secret' };
    expect(await probe(pinger)).toMatchObject({ ok: true });
    const o = await probe({ ...pinger, info: ['role == master'] });
    expect(o).toMatchObject({ ok: false, reason: 'auth_failed', message: "INFO: NOPERM this user has no permissions to run the 'info' command" });
  });

  it.each([
    ['a wrong password', { password: 'wrong' }, 'auth_failed', 'authenticating: WRONGPASS invalid username-password pair or user is disabled.'],
    ['a wrong user', { username: 'nobody', password: 'x' }, 'auth_failed', 'authenticating: WRONGPASS invalid username-password pair or user is disabled.'],
    ['no password', { password: undefined }, 'auth_failed', 'PING: NOAUTH Authentication required.'],
    ['a database out of range', { db: 99 }, 'query_failed', 'SELECT 99: ERR DB index is out of range'],
  ])('fails with %s', async (_what, extra, reason, message) => {
    const o = await probe({ ...base(), ...extra });
    expect(o).toMatchObject({ ok: false, reason, message });
    expect(o.message).not.toContain(PASSWORD);
  });

  it('speaks TLS and reports the certificate', async () => {
    const o = await probe({ ...base(), port: redis.tlsPort, tls: { ca_file: certs.caFile } });
    expect(o).toMatchObject({ ok: true });
    expect(o.phases.tls).toBeGreaterThan(0);
    expect(observed(o, 'probe_ssl_earliest_cert_expiry')).toBeGreaterThan(Date.now() / 1000);
    expect(o.observations.find((x) => x.metric === 'probe_tls_version_info')?.labels?.version).toMatch(/^TLS 1\.[23]$/);
  });

  it('fails tls_error when tls: true meets an unknown CA', async () => {
    const o = await probe({ ...base(), port: redis.tlsPort, tls: true });
    expect(o).toMatchObject({ ok: false, reason: 'tls_error' });
    // redis-server sends its CA along with the leaf, so the chain ends in an untrusted root.
    expect(o.message).toMatch(/^certificate for localhost not accepted: (SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)$/);
  });
});

describe('redis probe against hostile peers', () => {
  const TIMEOUT_MS = 300;
  const servers: net.Server[] = [];
  const port: Record<string, number> = {};

  /** Answers every command with `reply`. */
  const answering = (reply: string) => rawServer((s) => s.on('data', () => s.write(reply)));

  beforeAll(async () => {
    const start = async (name: string, server: net.Server) => {
      servers.push(server);
      port[name] = await listen(server);
    };
    port.closed = await closedPort();
    await start('silent', rawServer(() => {}));
    await start('garbage', rawServer((s) => s.end('SSH-2.0-OpenSSH_9.6\r\n')));
    await start('hangup', rawServer((s) => s.on('data', () => s.destroy())));
    await start('halfReply', answering('$10\r\nabc'));
    await start('loading', answering('-LOADING Redis is loading the dataset in memory\r\n'));
    await start('wrongPong', answering('+PANG\r\n'));
    await start('integer', answering(':1\r\n'));
    await start('echo', rawServer((s) => s.on('data', (d: Buffer) => s.write(`-ERR you said ${d.toString().replace(/\r\n/g, ' ')}\r\n`))));
    // Declares a 100 MB bulk string and streams it for as long as the client reads.
    await start('huge', floodServer('$104857600\r\n'));
    // A simple string that never ends.
    await start('endless', floodServer('+', 'y'));
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => close(s)));
  });

  const CASES: Array<[string, string, Record<string, unknown>, string, RegExp]> = [
    ['connection refused', 'closed', {}, 'connection_refused', /^connecting: connect ECONNREFUSED/],
    ['accept and never answer', 'silent', {}, 'timeout', /^no answer within 300ms \(waiting for the reply to PING\)$/],
    ['accept and never answer AUTH', 'silent', { password: 'x' }, 'timeout', /^no answer within 300ms \(authenticating\)$/],
    ['a banner that is not RESP', 'garbage', {}, 'protocol_error', /^PING: expected a RESP reply, got something that is not RESP: "SSH-2\.0-OpenSSH_9\.6\\r\\n"$/],
    ['a close instead of a reply', 'hangup', {}, 'connection_reset', /^waiting for the reply to PING: the server closed the connection$/],
    ['a reply cut short', 'halfReply', {}, 'timeout', /\(waiting for the reply to PING\)$/],
    ['an error reply to PING', 'loading', {}, 'query_failed', /^PING: LOADING Redis is loading the dataset in memory$/],
    ['a wrong answer to PING', 'wrongPong', {}, 'protocol_error', /^PING: expected \+PONG, got "\+PANG"$/],
    ['an integer instead of +OK', 'integer', { password: 'x' }, 'protocol_error', /^AUTH: expected \+OK, got ":1"$/],
    ['an error echoing the password', 'echo', { password: 'hunter22' }, 'auth_failed', /^authenticating: ERR you said \*2 \$4 AUTH \$8 <secret> $/],
    ['a 100 MB bulk string', 'huge', {}, 'too_large', /^PING: a reply of 104857600 bytes exceeds max_reply_bytes 1048576$/],
    ['a simple string that never ends', 'endless', { max_reply_bytes: '256KiB' }, 'too_large', /^PING: replies larger than max_reply_bytes 262144$/],
  ];

  it.each(CASES)('%s', async (_name, server, extra, reason, message) => {
    const started = performance.now();
    const o = await probe({ host: '127.0.0.1', port: port[server], ...extra }, probeContext(TIMEOUT_MS));
    expect(o).toMatchObject({ ok: false, reason });
    expect(o.message).toMatch(message);
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + 2000);
  });

  it('leaves no socket or abort listener behind', async () => {
    const baseline = openSockets();
    const shared = new AbortController();
    const sharedCtx: ProbeContext = { ...probeContext(), signal: shared.signal, timeoutMs: 5000 };
    for (let round = 0; round < 5; round++) {
      const outcomes = await Promise.all(
        CASES.map(([, server, extra, reason]) => probe({ host: '127.0.0.1', port: port[server], ...extra }, reason === 'timeout' ? probeContext(50) : sharedCtx)),
      );
      expect(outcomes.every((o) => !o.ok)).toBe(true);
    }
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
    const deadline = performance.now() + 2000;
    while (openSockets() > baseline && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(openSockets()).toBeLessThanOrEqual(baseline);
  });
});
