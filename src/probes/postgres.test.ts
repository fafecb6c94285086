import { getEventListeners } from 'node:events';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeOutcome } from '../core/check-result.js';
import { close, closedPort, listen, makeCerts, openSockets, floodServer, probeContext, rawServer, type CertFiles } from '../../test/helpers/probe-peers.js';
import { findPostgresBin, startPostgres, type RunningPostgres } from '../../test/helpers/postgres.js';
import { FAILURE_REASONS } from '../core/failure-reason.js';
import { malformedMessage, postgresKind } from './postgres.js';
import type { ProbeContext } from './types.js';

const probe = (block: Record<string, unknown>, ctx: ProbeContext = probeContext(2000)): Promise<ProbeOutcome> =>
  postgresKind.probe(postgresKind.schema.parse(block), ctx);

const observed = (o: ProbeOutcome, metric: string) => o.observations.find((x) => x.metric === metric);

const issuesOf = (block: Record<string, unknown>) => {
  const result = postgresKind.schema.safeParse(block);
  expect(result.success).toBe(false);
  return result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('postgres schema', () => {
  it('fills defaults as libpq would, and shows the target without credentials', () => {
    const s = postgresKind.schema.parse({ host: 'db', user: 'probe', password: 'pw' });
    expect(s).toMatchObject({ host: 'db', port: 5432, user: 'probe', database: 'probe', sslmode: 'prefer', verifyName: false, query: 'SELECT 1', statementTimeout: true, maxResponseBytes: 1024 * 1024 });
    expect(s.tls.insecureSkipVerify).toBe(true);
    expect(postgresKind.target(s)).toBe('db:5432/probe');
  });

  it('reads a URL, percent-decoding user, password and database', () => {
    const s = postgresKind.schema.parse({ url: 'postgresql://pr%40be:p%3Ass@[::1]:6543/my%20db?sslmode=verify-full' });
    expect(s).toMatchObject({ host: '::1', port: 6543, user: 'pr@be', password: 'p:ss', database: 'my db', sslmode: 'verify-full', verifyName: true });
    expect(s.tls.insecureSkipVerify).toBe(false);
    expect(postgresKind.target(s)).toBe('[::1]:6543/my db');
  });

  it('takes what the URL leaves out from the fields', () => {
    const s = postgresKind.schema.parse({ url: 'postgres://probe@db/app', password: 'from-file', sslmode: 'disable' });
    expect(s).toMatchObject({ host: 'db', user: 'probe', password: 'from-file', database: 'app', sslmode: 'disable' });
  });

  it.each([
    ['verify-ca', false, false],
    ['verify-full', false, true],
    ['require', true, false],
    ['prefer', true, false],
  ])('sslmode %s: skip verification %s, check the name %s', (sslmode, skip, name) => {
    const s = postgresKind.schema.parse({ host: 'db', user: 'u', sslmode });
    expect(s.tls.insecureSkipVerify).toBe(skip);
    expect(s.verifyName).toBe(name);
  });

  it('treats require with a CA as verify-ca, as libpq does', () => {
    const certs = makeCerts();
    try {
      const s = postgresKind.schema.parse({ host: 'db', user: 'u', sslmode: 'require', tls: { ca_file: certs.caFile } });
      expect(s.tls.insecureSkipVerify).toBe(false);
      expect(s.verifyName).toBe(false);
      const fromUrl = postgresKind.schema.parse({ url: `postgres://u@db/?sslmode=require&sslrootcert=${encodeURIComponent(certs.caFile)}` });
      expect(fromUrl.tls.insecureSkipVerify).toBe(false);
    } finally {
      certs.cleanup();
    }
  });

  it.each([
    [{ user: 'u' }, 'host: required: a host (or a url)'],
    [{ host: 'db' }, 'user: required: a user (or a url with one)'],
    [{ url: 'postgres://u:pw@db/app', host: 'other' }, 'host: host is given in the url too; give it once'],
    [{ url: 'postgres://u:pw@db/app', password: 'x' }, 'password: password is given in the url too; give it once'],
    [{ url: 'postgres://u@db/app?sslrootcert=/a', tls: { ca_file: '/b' } }, 'tls.ca_file: tls.ca_file is given in the url too; give it once'],
    [{ url: 'postgres://u@db/app?connect_timeout=3' }, 'url: unknown parameter "connect_timeout" in the url; expected sslmode, sslrootcert, sslcert, sslkey'],
    [{ url: 'postgres://u@db/app?sslmode=allow' }, 'url: expected sslmode one of disable, prefer, require, verify-ca, verify-full in the url, got "allow"'],
    [{ url: 'postgres://u@db1,db2/app' }, 'url: the url names several hosts; a check probes one server'],
    [{ host: 'db', user: 'u', sslmode: 'allow' }, 'sslmode: Invalid option: expected one of "disable"|"prefer"|"require"|"verify-ca"|"verify-full"'],
    [{ host: 'db', user: 'u', tls: { insecure_skip_verify: true } }, 'tls: Unrecognized key: "insecure_skip_verify"'],
    [{ host: 'db', user: 'u', query: '  ' }, 'query: expected an SQL query'],
    [{ host: 'db', user: 'u', expect_rows: -1 }, 'expect_rows: expected a row count like 1 or a comparison like ">= 1", got -1'],
    [{ host: 'db', user: 'u', expect_rows: '>= many' }, 'expect_rows: expected a row count like 1 or a comparison like ">= 1", got ">= many"'],
    [{ host: 'db', user: 'u', expect_value: ['t'] }, 'expect_value: expected a string or a number, got a list'],
    [{ host: 'db', user: 'u', expect_value_matches: '(' }, 'expect_value_matches: invalid regular expression "(": Invalid regular expression: /(/: Unterminated group'],
    [{ host: 'db', user: 'u', tls: { ca_file: '/no/such/ca.pem' } }, 'tls.ca_file: cannot read "/no/such/ca.pem": ENOENT'],
  ])('rejects %j', (block, issue) => {
    expect(issuesOf(block)).toContain(issue);
  });

  it.each(['mysql://u:hunter2@db/app', 'not a url with hunter2', 'postgres://u:hunter2@db:99999/app'])('never shows a URL it rejects (%s)', (url) => {
    const issues = issuesOf({ url });
    expect(issues).toEqual(['url: expected a postgres:// or postgresql:// URL (not shown: it may hold a password)']);
  });
});

/** A backend message: code, Int32 length, body. */
function pgMessage(code: string, body: Buffer | string): Buffer {
  const data = Buffer.from(body as string, typeof body === 'string' ? 'latin1' : undefined);
  const header = Buffer.alloc(5);
  header.write(code, 0, 'latin1');
  header.writeUInt32BE(data.length + 4, 1);
  return Buffer.concat([header, data]);
}

const AUTH_OK_READY = Buffer.concat([pgMessage('R', Buffer.alloc(4)), pgMessage('Z', 'I')]);

describe('backend message checks', () => {
  it.each([
    ['E', 'SERROR\0C28P01\0Mno\0\0', undefined],
    ['N', '\0', undefined],
    ['C', 'SELECT 1', undefined], // pg's reading of the others ends at its buffer's end
    ['E', 'SERROR', 'an ErrorResponse with a field that does not end'],
    ['E', 'SERROR\0', 'an ErrorResponse whose fields are not terminated'],
    ['N', '', 'a NoticeResponse whose fields are not terminated'],
  ])('%s %j', (code, body, problem) => {
    expect(malformedMessage(code.charCodeAt(0), Buffer.from(body, 'latin1'))).toBe(problem);
  });
});

const bin = findPostgresBin();

describe.skipIf(!bin)('postgres probe against a real PostgreSQL', () => {
  let server: RunningPostgres;
  let certs: CertFiles;
  let proxy: net.Server;
  let noTlsPort = 0;
  const PASSWORD = 'pr0be secret';
  const fields = (extra: Record<string, unknown> = {}) => ({ host: '127.0.0.1', port: server.port, user: 'probe', password: PASSWORD, database: 'app', ...extra });

  beforeAll(async () => {
    certs = makeCerts();
    server = await startPostgres(bin!, {
      users: [
        { name: 'probe', password: PASSWORD },
        { name: 'blocked', password: 'blocked-pw' },
      ],
      databases: [{ name: 'app', owner: 'probe' }],
      hba: ['host all blocked 127.0.0.1/32 reject'],
      tls: certs.leaf,
    });
    // A server that turns TLS down: answers SSLRequest with N, then relays to the real one.
    proxy = rawServer((client) => {
      client.pause();
      client.once('data', (first: Buffer) => {
        const upstream = net.connect({ host: '127.0.0.1', port: server.port });
        upstream.on('error', () => client.destroy());
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        const sslRequest = first.length >= 8 && first.readInt32BE(4) === 80877103;
        if (sslRequest) client.write('N');
        else upstream.write(first);
        if (sslRequest && first.length > 8) upstream.write(first.subarray(8));
        client.pipe(upstream);
        upstream.pipe(client);
      });
      client.resume();
    });
    noTlsPort = await listen(proxy);
  });

  afterAll(async () => {
    if (proxy) await close(proxy);
    await server?.stop();
    certs?.cleanup();
  });

  it('logs in over TLS (sslmode prefer), runs SELECT 1 and reports the server', async () => {
    const o = await probe(fields());
    expect(o).toMatchObject({ ok: true });
    for (const phase of ['connect', 'tls', 'auth', 'query']) expect(o.phases[phase]).toBeGreaterThan(0);
    expect(o.observations.filter((x) => x.metric === 'probe_postgres_duration_seconds').map((x) => x.labels!.phase)).toEqual(['resolve', 'connect', 'tls', 'auth', 'query']);
    expect(observed(o, 'probe_postgres_server_info')?.labels?.version).toMatch(/^\d+\.\d+/);
    expect(observed(o, 'probe_postgres_in_hot_standby')?.value).toBe(0);
    expect(observed(o, 'probe_postgres_query_rows')?.value).toBe(1);
    expect(observed(o, 'probe_postgres_query_value')?.value).toBe(1);
    expect(observed(o, 'probe_tls_version_info')?.labels?.version).toMatch(/^TLS 1\.[23]$/);
  });

  it('connects without TLS under sslmode disable, by URL', async () => {
    const o = await probe({ url: `postgres://probe:${encodeURIComponent(PASSWORD)}@localhost:${server.port}/app?sslmode=disable` });
    expect(o).toMatchObject({ ok: true });
    expect(o.phases.tls).toBe(0);
    expect(o.phases.resolve).toBeGreaterThan(0);
    expect(observed(o, 'probe_tls_version_info')).toBeUndefined();
  });

  it.each([
    ['verify-full with the CA', () => ({ sslmode: 'verify-full', host: 'localhost', tls: { ca_file: certs.caFile } })],
    ['verify-ca with the CA, whatever the name', () => ({ sslmode: 'verify-ca', tls: { ca_file: certs.caFile, server_name: 'other.example' } })],
    ['require without a CA', () => ({ sslmode: 'require' })],
  ])('succeeds with %s', async (_what, extra) => {
    const o = await probe(fields(extra()));
    expect(o).toMatchObject({ ok: true });
    expect(o.phases.tls).toBeGreaterThan(0);
  });

  it.each([
    ['verify-full with a name the certificate lacks', () => ({ sslmode: 'verify-full', tls: { ca_file: certs.caFile, server_name: 'other.example' } }), /^certificate for localhost not accepted: ERR_TLS_CERT_ALTNAME_INVALID$/],
    ['verify-full without the CA', () => ({ sslmode: 'verify-full' }), /^certificate for localhost not accepted: (UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)$/],
    ['require with a CA that did not sign it', () => ({ sslmode: 'require', tls: { ca_file: otherCa() } }), /^certificate for localhost not accepted: /],
  ])('fails tls_error with %s', async (_what, extra, message) => {
    const o = await probe(fields(extra()));
    expect(o).toMatchObject({ ok: false, reason: 'tls_error' });
    expect(o.message).toMatch(message);
  });

  /** A CA file holding only the self-signed leaf: a root that did not sign the server's certificate. */
  function otherCa(): string {
    const path = join(certs.dir, 'other-ca.crt');
    writeFileSync(path, certs.selfSigned.cert);
    return path;
  }

  it('falls back to plain under prefer when the server declines TLS, and fails under require', async () => {
    const prefer = await probe(fields({ port: noTlsPort }));
    expect(prefer).toMatchObject({ ok: true });
    expect(observed(prefer, 'probe_tls_version_info')).toBeUndefined();
    const require = await probe(fields({ port: noTlsPort, sslmode: 'require' }));
    expect(require).toMatchObject({ ok: false, reason: 'tls_error', message: 'the server does not accept TLS connections (sslmode require)' });
  });

  it.each([
    ['a wrong password', { password: 'wrong' }, 'auth_failed', 'logging in: password authentication failed for user "probe" (28P01)'],
    ['no password', { password: undefined }, 'auth_failed', 'logging in: the server asks for a password and none is configured'],
    ['an unknown database', { database: 'nope' }, 'auth_failed', 'logging in: database "nope" does not exist (3D000)'],
    ['a pg_hba.conf reject', { user: 'blocked', password: 'blocked-pw', sslmode: 'disable' }, 'auth_failed', 'logging in: pg_hba.conf rejects connection for host "127.0.0.1", user "blocked", database "app", no encryption (28000)'],
    ['a query error', { query: 'SELECT * FROM no_such_table' }, 'query_failed', 'running the query: relation "no_such_table" does not exist (42P01)'],
    ['a syntax error', { query: 'SELEC 1' }, 'query_failed', 'running the query: syntax error at or near "SELEC" (42601)'],
  ])('fails with %s', async (_what, extra, reason, message) => {
    const o = await probe(fields(extra));
    expect(o).toMatchObject({ ok: false, reason, message });
    expect(o.message).not.toContain(PASSWORD);
  });

  it('fails timeout on a query slower than the deadline', async () => {
    const started = performance.now();
    const o = await probe(fields({ query: 'SELECT pg_sleep(10)' }), probeContext(500));
    expect(o).toMatchObject({ ok: false, reason: 'timeout', message: 'no answer within 500ms (running the query)' });
    expect(performance.now() - started).toBeLessThan(2500);
  });

  it('sets statement_timeout to the time left, so the server stops the query too', async () => {
    const on = await probe(fields({ query: 'SHOW statement_timeout', expect_value_matches: '^(4\\d{3}ms|5s)$' }), probeContext(5000));
    expect(on).toMatchObject({ ok: true });
    const off = await probe(fields({ query: 'SHOW statement_timeout', statement_timeout: false, expect_value: '0' }), probeContext(5000));
    expect(off).toMatchObject({ ok: true });
  });

  it.each([
    ['a matching value', { query: 'SELECT pg_is_in_recovery() = false', expect_value: 't', expect_rows: 1 }, undefined],
    ['a number compared as a number', { query: 'SELECT 42.0::numeric', expect_value: 42 }, undefined],
    ['a regex', { query: "SELECT 'version 15'", expect_value_matches: '^version \\d+$' }, undefined],
    ['a row count comparison', { query: 'SELECT generate_series(1, 3)', expect_rows: '>= 2' }, undefined],
    ['rows affected', { query: 'CREATE TEMP TABLE t AS SELECT 1 AS x; UPDATE t SET x = 2', expect_rows: 1 }, undefined],
    ['a wrong value', { query: 'SELECT false', expect_value: 't' }, 'value was "f", expected "t"'],
    ['a NULL', { query: 'SELECT NULL', expect_value: 't' }, 'value was NULL, expected "t"'],
    ['no rows', { query: 'SELECT 1 WHERE false', expect_value: 1, expect_rows: '> 0' }, 'rows was 0, expected > 0; the query returned no value, expected 1'],
    ['a value off the regex', { query: "SELECT 'nope'", expect_value_matches: '^ok' }, 'value was "nope", expected to match /^ok/'],
  ])('checks the result: %s', async (_what, extra, message) => {
    const o = await probe(fields(extra));
    if (message === undefined) expect(o).toMatchObject({ ok: true });
    else expect(o).toMatchObject({ ok: false, reason: 'condition_failed', message });
  });

  it('exports the first value when it is a boolean or a number', async () => {
    expect(observed(await probe(fields({ query: 'SELECT true' })), 'probe_postgres_query_value')?.value).toBe(1);
    expect(observed(await probe(fields({ query: 'SELECT 2.5' })), 'probe_postgres_query_value')?.value).toBe(2.5);
    expect(observed(await probe(fields({ query: "SELECT 'x'" })), 'probe_postgres_query_value')).toBeUndefined();
  });

  it('fails too_large when the reply exceeds max_response_bytes', async () => {
    const o = await probe(fields({ query: "SELECT repeat('x', 300000)", max_response_bytes: '256KiB' }));
    expect(o).toMatchObject({ ok: false, reason: 'too_large', message: 'running the query: the server sent more than max_response_bytes 262144' });
  });

  it('leaves no session behind on the server', async () => {
    await Promise.all(Array.from({ length: 10 }, () => probe(fields())));
    await Promise.all(Array.from({ length: 5 }, () => probe(fields({ query: 'SELECT pg_sleep(10)' }), probeContext(200))));
    // A backend whose client went away ends when its statement_timeout stops the sleep.
    const deadline = performance.now() + 10_000;
    let sessions = -1;
    while (performance.now() < deadline) {
      sessions = (await server.sql("SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = 'probe'")).rows[0].n;
      if (sessions === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(sessions).toBe(0);
  });
});

describe('postgres probe against hostile peers', () => {
  const TIMEOUT_MS = 300;
  const servers: net.Server[] = [];
  const port: Record<string, number> = {};

  beforeAll(async () => {
    const start = async (name: string, server: net.Server) => {
      servers.push(server);
      port[name] = await listen(server);
    };
    port.closed = await closedPort();
    await start('silent', rawServer(() => {}));
    await start('garbage', rawServer((s) => s.end('SSH-2.0-OpenSSH_9.6\r\n')));
    await start('hangup', rawServer((s) => s.on('data', () => s.destroy())));
    await start('injected', rawServer((s) => s.once('data', () => s.write('SR\x00\x00\x00\x08\x00\x00\x00\x00'))));
    await start('http', rawServer((s) => s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'))));
    // A huge first message, declared and then streamed.
    await start('huge', floodServer('R\x7f\xff\xff\xff'));
    // An ErrorResponse whose field never ends: pg-protocol would loop on it forever.
    await start('unterminated', rawServer((s) => s.once('data', () => s.write(pgMessage('E', 'SFATAL')))));
    // Logs in, then answers the query with a RowDescription that promises 3 fields and has none.
    await start('shortRowDescription', rawServer((s) => {
      let n = 0;
      s.on('data', () => s.write(++n === 1 ? AUTH_OK_READY : Buffer.concat([pgMessage('T', Buffer.from([0, 3])), pgMessage('Z', 'I')])));
    }));
    await start('tlsGarbage', rawServer((s) => {
      let n = 0;
      s.on('data', () => s.write(++n === 1 ? 'S' : 'SSH-2.0-OpenSSH_9.6\r\n'));
    }));
    await start('rowBeforeQuery', rawServer((s) => s.once('data', () => s.write(Buffer.concat([AUTH_OK_READY, pgMessage('s', '')])))));
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => close(s)));
  });

  const CASES: Array<[string, string, Record<string, unknown>, string, RegExp]> = [
    ['connection refused', 'closed', {}, 'connection_refused', /^connecting: connect ECONNREFUSED/],
    ['accept and never answer SSLRequest', 'silent', {}, 'timeout', /^no answer within 300ms \(negotiating TLS\)$/],
    ['accept and never answer the startup', 'silent', { sslmode: 'disable' }, 'timeout', /^no answer within 300ms \(logging in\)$/],
    ['a banner instead of S or N', 'garbage', {}, 'protocol_error', /^negotiating TLS: expected "S" or "N" in answer to SSLRequest, got "SSH-2\.0-OpenSSH_9\.6\\r\\n"$/],
    ['a banner instead of a PostgreSQL message', 'garbage', { sslmode: 'disable' }, 'protocol_error', /^logging in: the server does not speak PostgreSQL: "SSH-2\.0/],
    ['an HTTP answer', 'http', { sslmode: 'disable' }, 'protocol_error', /^logging in: the server does not speak PostgreSQL: "HTTP\/1\.1 400/],
    ['bytes injected after S', 'injected', { sslmode: 'require' }, 'protocol_error', /^negotiating TLS: expected "S" or "N" in answer to SSLRequest, got "SR/],
    ['S, then no TLS', 'tlsGarbage', { sslmode: 'require' }, 'tls_error', /^in the TLS handshake: /],
    ['a close instead of an answer', 'hangup', {}, 'connection_reset', /^negotiating TLS: the server closed the connection$/],
    ['a close instead of logging in', 'hangup', { sslmode: 'disable' }, 'connection_reset', /^logging in: the server closed the connection$/],
    ['an endless first message', 'huge', { sslmode: 'disable' }, 'too_large', /^logging in: the server sent more than max_response_bytes 1048576$/],
    ['an ErrorResponse that never ends', 'unterminated', { sslmode: 'disable' }, 'protocol_error', /^logging in: a malformed message from the server \(an ErrorResponse with a field that does not end\)$/],
    ['a RowDescription short of its fields', 'shortRowDescription', { sslmode: 'disable' }, 'protocol_error', /^running the query: a malformed message from the server \(.*out of range/],
    ['a message out of order', 'rowBeforeQuery', { sslmode: 'disable' }, 'protocol_error', /^running the query: Received unexpected portalSuspended message from backend/],
  ];

  const block = (server: string, extra: Record<string, unknown>) => ({ host: '127.0.0.1', port: port[server], user: 'u', password: 'p', ...extra });

  it.each(CASES)('%s', async (_name, server, extra, reason, message) => {
    const started = performance.now();
    const o = await probe(block(server, extra), probeContext(TIMEOUT_MS));
    expect(o).toMatchObject({ ok: false, reason });
    expect(o.message).toMatch(message);
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + 2000);
  });

  it('survives seeded random servers without a crash, a hang or a reason off the list', async () => {
    let seed = 20261121;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const int = (n: number) => Math.floor(rand() * n);
    const CODES = 'RSKZTDCEINsnt123GHWdcfAv';
    const randomMessages = () =>
      Buffer.concat(
        Array.from({ length: 1 + int(4) }, () => {
          const body = Buffer.from(Array.from({ length: int(24) }, () => (rand() < 0.3 ? 0 : int(256))));
          // Field counts from -1 to 3, where pg reads one.
          if (body.length >= 2 && rand() < 0.5) body.writeInt16BE(int(5) - 1, 0);
          return pgMessage(CODES[int(CODES.length)]!, body);
        }),
      );
    let loggedIn = false;
    const fuzz = rawServer((s) => {
      let n = 0;
      s.on('data', () => {
        n++;
        const out = loggedIn && n === 1 ? AUTH_OK_READY : randomMessages();
        s.write(rand() < 0.2 ? out.subarray(0, int(out.length)) : out);
      });
    });
    const fuzzPort = await listen(fuzz);
    try {
      const started = performance.now();
      for (let i = 0; i < 150; i++) {
        loggedIn = i % 2 === 1;
        const o = await probe({ host: '127.0.0.1', port: fuzzPort, user: 'u', password: 'p', sslmode: 'disable' }, probeContext(40));
        if (!o.ok) expect(FAILURE_REASONS).toContain(o.reason);
      }
      expect(performance.now() - started).toBeLessThan(15_000);
    } finally {
      await close(fuzz);
    }
  });

  it('leaves no socket, handle or abort listener behind', async () => {
    const baseline = openSockets();
    const shared = new AbortController();
    const sharedCtx: ProbeContext = { ...probeContext(), signal: shared.signal, timeoutMs: 5000 };
    for (let round = 0; round < 5; round++) {
      const outcomes = await Promise.all(CASES.map(([, server, extra, reason]) => probe(block(server, extra), reason === 'timeout' ? probeContext(50) : sharedCtx)));
      expect(outcomes.every((o) => !o.ok)).toBe(true);
    }
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
    const deadline = performance.now() + 2000;
    while (openSockets() > baseline && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(openSockets()).toBeLessThanOrEqual(baseline);
  });
});
