// The postgres kind: connect over our timed dial, negotiate TLS in-band as libpq does for each
// sslmode, log in and run one query with the `pg` client, then check the rows and the first
// value. pg gets the connection we opened, so the deadline, the byte cap and the close are ours.
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { Client, DatabaseError, type CustomTypesConfig, type QueryResult } from 'pg';
import { z } from 'zod';
import type { Observation, ProbeOutcome } from '../core/check-result.js';
import { byteSize, regex, secretString, shown } from '../config/fields.js';
import { checkComparison, parseComparison, preview, type Comparison } from './comparison.js';
import { failureWhile, startTls, unlessAborted, withoutSecret } from './conversation.js';
import { DNS_LOOKUP_METRIC, dial, hostPort, lap, type Failure } from './dial.js';
import { hostField, portField } from './tcp.js';
import { buildTlsClient, defaultTlsClient, TLS_METRICS, tlsFields, tlsObservations, type TlsClient } from './tls-settings.js';
import type { ProbeContext, ProbeKind } from './types.js';
import { hostPortFields } from './target.js';

export const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

export interface PostgresSettings {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  sslmode: SslMode;
  /** Used unless sslmode is disable; verification as the sslmode says. */
  tls: TlsClient;
  /** Whether the certificate must carry the host name (verify-full). */
  verifyName: boolean;
  query: string;
  /** Sent as the session's statement_timeout (the time left of the deadline); off for poolers that refuse it. */
  statementTimeout: boolean;
  expectRows?: Comparison;
  expectValue?: Comparison;
  expectValueMatches?: RegExp;
  maxResponseBytes: number;
}

/** What a postgres:// URL may carry, under the names of the fields it stands for. */
interface UrlParts {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  sslmode?: string;
  ca_file?: string;
  cert_file?: string;
  key_file?: string;
}

const URL_PARAMS: Record<string, keyof UrlParts> = { sslmode: 'sslmode', sslrootcert: 'ca_file', sslcert: 'cert_file', sslkey: 'key_file' };

/** `postgres://user:password@host:port/database?sslmode=…`; messages never show the URL, which may hold a password. */
const postgresUrl = () =>
  secretString().transform((text, ctx): UrlParts => {
    const url = URL.canParse(text) ? new URL(text) : undefined;
    if (!url || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')) {
      ctx.addIssue({ code: 'custom', message: 'expected a postgres:// or postgresql:// URL (not shown: it may hold a password)' });
      return z.NEVER;
    }
    const parts: UrlParts = {};
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (host.includes(',')) ctx.addIssue({ code: 'custom', message: 'the url names several hosts; a check probes one server' });
    if (host !== '') parts.host = host;
    if (url.port !== '') parts.port = Number(url.port);
    if (url.username !== '') parts.user = decodeURIComponent(url.username);
    if (url.password !== '') parts.password = decodeURIComponent(url.password);
    const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
    if (database !== '') parts.database = database;
    for (const [name, value] of url.searchParams) {
      const field = URL_PARAMS[name];
      if (field === undefined) {
        ctx.addIssue({ code: 'custom', message: `unknown parameter ${JSON.stringify(name)} in the url; expected ${Object.keys(URL_PARAMS).join(', ')}` });
      } else (parts as Record<string, string>)[field] = value;
    }
    return parts;
  });

/** `expect_rows`: a count (3), or a comparison with one (">= 1"). */
const rowExpectation = () =>
  z.unknown().transform((value, ctx): Comparison => {
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return { op: '==', expected: value };
    if (typeof value === 'string') {
      try {
        const c = parseComparison(value);
        if (typeof c.expected === 'number') return c;
      } catch {
        // reported below
      }
    }
    ctx.addIssue({ code: 'custom', message: `expected a row count like 1 or a comparison like ">= 1", got ${shown(value)}` });
    return z.NEVER;
  });

/** `expect_value`: a string compared exactly with the value's text, or a number compared as a number. */
const valueExpectation = () =>
  z.unknown().transform((value, ctx): Comparison => {
    if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) return { op: '==', expected: value };
    ctx.addIssue({ code: 'custom', message: `expected a string or a number, got ${shown(value)}` });
    return z.NEVER;
  });

// The tls kind's file fields, without insecure_skip_verify: the sslmode says what is verified.
const { insecure_skip_verify: _, ...certificateFields } = tlsFields;

const schema = z
  .strictObject({
    url: postgresUrl().optional(),
    host: hostField().optional(),
    port: portField().optional(),
    user: z.string().min(1).optional(),
    password: secretString().optional(),
    database: z.string().min(1).optional(),
    sslmode: z.enum(SSL_MODES).optional(),
    tls: z.strictObject(certificateFields).optional(),
    query: z.string().trim().min(1, { message: 'expected an SQL query' }).default('SELECT 1'),
    statement_timeout: z.boolean().default(true),
    expect_rows: rowExpectation().optional(),
    expect_value: valueExpectation().optional(),
    expect_value_matches: regex().optional(),
    max_response_bytes: byteSize().optional(),
  })
  .transform((b, ctx): PostgresSettings => {
    const fromUrl = b.url ?? {};
    // Each setting comes from the url or from its field, never both: which one wins would be a guess.
    const pick = <K extends keyof UrlParts>(key: K, field: UrlParts[K] | undefined, path: Array<string> = [key]): UrlParts[K] | undefined => {
      if (field !== undefined && fromUrl[key] !== undefined) {
        ctx.addIssue({ code: 'custom', path, message: `${path.join('.')} is given in the url too; give it once` });
      }
      return field ?? fromUrl[key];
    };
    const host = pick('host', b.host);
    const user = pick('user', b.user);
    if (host === undefined) ctx.addIssue({ code: 'custom', path: ['host'], message: 'required: a host (or a url)' });
    if (user === undefined) ctx.addIssue({ code: 'custom', path: ['user'], message: 'required: a user (or a url with one)' });
    const rawMode = pick('sslmode', b.sslmode) ?? 'prefer';
    const sslmode = SSL_MODES.find((m) => m === rawMode);
    if (!sslmode) ctx.addIssue({ code: 'custom', path: ['url'], message: `expected sslmode one of ${SSL_MODES.join(', ')} in the url, got ${JSON.stringify(rawMode)}` });
    const files = {
      ...b.tls,
      ca_file: pick('ca_file', b.tls?.ca_file, ['tls', 'ca_file']),
      cert_file: pick('cert_file', b.tls?.cert_file, ['tls', 'cert_file']),
      key_file: pick('key_file', b.tls?.key_file, ['tls', 'key_file']),
    };
    if (host === undefined || user === undefined || !sslmode) return z.NEVER;

    // As libpq: require with a CA to check against behaves as verify-ca.
    const verify = sslmode === 'verify-ca' || sslmode === 'verify-full' || (sslmode === 'require' && files.ca_file !== undefined);
    const custom = Object.values(files).some((v) => v !== undefined);
    let tls = defaultTlsClient();
    if (sslmode !== 'disable' && custom) {
      // Issues keep their place under tls: although some of the files may have come from the url.
      const tlsCtx = { ...ctx, addIssue: (issue: z.core.$ZodRawIssue) => ctx.addIssue({ ...issue, path: ['tls', ...(issue.path ?? [])] }) };
      tls = buildTlsClient({ ...files, insecure_skip_verify: false }, tlsCtx as z.RefinementCtx<unknown>);
    }
    return {
      host,
      port: pick('port', b.port) ?? 5432,
      user,
      password: pick('password', b.password),
      database: pick('database', b.database) ?? user,
      sslmode,
      tls: { ...tls, insecureSkipVerify: !verify },
      verifyName: sslmode === 'verify-full',
      query: b.query,
      statementTimeout: b.statement_timeout,
      expectRows: b.expect_rows,
      expectValue: b.expect_value,
      expectValueMatches: b.expect_value_matches,
      maxResponseBytes: b.max_response_bytes ?? 1024 * 1024,
    };
  });

const PHASES = ['resolve', 'connect', 'tls', 'auth', 'query'] as const;

/** An expected way for a probe to fail; caught once, in probePostgres. */
class StepFailed extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}

async function probePostgres(s: PostgresSettings, ctx: ProbeContext): Promise<ProbeOutcome> {
  const started = performance.now();
  const phases: Record<string, number> = Object.fromEntries(PHASES.map((p) => [p, 0]));
  const observations: Observation[] = [];
  const dialed = await dial({ host: s.host, port: s.port }, ctx, phases);
  let failure: Failure | undefined;
  if (!dialed.ok) failure = dialed.failure;
  else {
    const open: Socket[] = [dialed.socket];
    try {
      failure = await session(dialed.socket, open, s, ctx, phases, observations, started);
    } catch (err) {
      if (!(err instanceof StepFailed)) throw err;
      failure = err.failure;
    } finally {
      // Whatever pg did or left pending, nothing of this attempt stays open.
      for (const socket of open) socket.destroy();
    }
  }
  for (const phase of PHASES) observations.push({ metric: 'probe_postgres_duration_seconds', value: phases[phase]! / 1000, labels: { phase } });
  observations.push({ metric: 'probe_dns_lookup_time_seconds', value: phases.resolve! / 1000 });
  if (failure) return { ok: false, reason: failure.reason, message: withoutSecret(failure.message, s.password), phases, observations };
  return { ok: true, phases, observations };
}

// Values come back as PostgreSQL's text: what expect_value compares, and never a parse that throws.
const TEXT: CustomTypesConfig = { getTypeParser: (() => (text: string) => text) as unknown as CustomTypesConfig['getTypeParser'] };

const BOOL_OID = 16;

async function session(
  raw: Socket,
  open: Socket[],
  s: PostgresSettings,
  ctx: ProbeContext,
  phases: Record<string, number>,
  observations: Observation[],
  started: number,
): Promise<Failure | undefined> {
  let socket = raw;
  if (s.sslmode !== 'disable') {
    const t = performance.now();
    const answer = await sslRequest(raw, ctx);
    lap(phases, 'tls', t);
    if (answer === 'S') {
      const upgraded = await startTls(raw, { host: s.host, tls: s.tls, verifyName: s.verifyName }, ctx, phases);
      if (upgraded.tls) tlsObservations(upgraded.tls, observations);
      if (!upgraded.ok) return upgraded.failure;
      socket = upgraded.socket;
      open.push(socket);
    } else if (s.sslmode !== 'prefer') {
      return { reason: 'tls_error', message: `the server does not accept TLS connections (sslmode ${s.sslmode})` };
    }
  }

  const stream = new OpenStream(socket, s.maxResponseBytes);
  const left = Math.max(1, Math.floor(ctx.timeoutMs - (performance.now() - started)));
  // Everything is given explicitly, so that pg falls back on no PG* environment variable.
  const client = new Client({
    stream: () => stream,
    host: s.host,
    port: s.port,
    user: s.user,
    database: s.database,
    // Asked for only when the server wants a password; pg would otherwise look in ~/.pgpass.
    password: () => (s.password === undefined ? Promise.reject(new Error('the server asks for a password and none is configured')) : s.password),
    ssl: false,
    sslnegotiation: 'postgres',
    application_name: 'healthmon',
    client_encoding: 'UTF8',
    ...(s.statementTimeout ? { statement_timeout: left } : {}),
    types: TEXT,
  });
  // pg takes what it is not given from PG* environment variables; options and replication have
  // no "none" to give, so they are cleared here: healthmon's environment must not reach servers.
  Object.assign((client as unknown as { connectionParameters: object }).connectionParameters, { options: undefined, replication: undefined });
  // Errors reach us through connect() and query(), except one arriving between them (a message
  // out of order): kept, as the cause of the query's "not queryable".
  let between: Error | undefined;
  client.on('error', (err: Error) => (between ??= err));
  const params = new Map<string, string>();
  client.connection.on('parameterStatus', (msg: { parameterName: string; parameterValue: string }) => params.set(msg.parameterName, msg.parameterValue));

  let t = performance.now();
  try {
    await unlessAborted(client.connect(), ctx.signal);
  } catch (err) {
    return loginFailure(err, stream, ctx);
  } finally {
    t = lap(phases, 'auth', t);
  }
  serverObservations(params, observations);

  let result: QueryResult<string[]>;
  try {
    const results = (await unlessAborted(client.query<string[]>({ text: s.query, rowMode: 'array', types: TEXT }), ctx.signal)) as QueryResult<string[]> | QueryResult<string[]>[];
    // Several statements give several results; the last one is the answer, as with psql -c.
    result = Array.isArray(results) ? results[results.length - 1]! : results;
  } catch (err) {
    return queryFailure(between ?? err, stream, ctx);
  } finally {
    lap(phases, 'query', t);
  }
  // A polite goodbye: Terminate is written at once, so the server logs no broken connection.
  // Not awaited: the caller closes the connection right after, whatever the server does.
  client.end().catch(() => {});
  return checkResult(result, s, observations);
}

/** Sends SSLRequest and reads the one-byte answer: S (go ahead with TLS) or N (no TLS here). */
function sslRequest(socket: Socket, ctx: ProbeContext): Promise<'S' | 'N'> {
  const doing = 'negotiating TLS';
  return new Promise((resolve, reject) => {
    const finish = (answer?: 'S' | 'N', failure?: Failure) => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      ctx.signal.removeEventListener('abort', onAbort);
      socket.pause();
      if (answer) resolve(answer);
      else reject(new StepFailed(failure!));
    };
    const onData = (chunk: Buffer) => {
      const first = String.fromCharCode(chunk[0]!);
      // Bytes after the answer, before the handshake, could be injected ones (CVE-2021-23222).
      if ((first === 'S' || first === 'N') && chunk.length === 1) return finish(first);
      const got = JSON.stringify(preview(chunk.subarray(0, 100).toString('latin1')));
      finish(undefined, { reason: 'protocol_error', message: `${doing}: expected "S" or "N" in answer to SSLRequest, got ${got}` });
    };
    const onError = (err: Error) => finish(undefined, failureWhile(err, doing, ctx));
    const onClose = () => finish(undefined, { reason: 'connection_reset', message: `${doing}: the server closed the connection` });
    const onAbort = () => finish(undefined, failureWhile(ctx.signal.reason, doing, ctx));
    if (ctx.signal.aborted) return onAbort();
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    // Int32 length 8, then the SSLRequest code 1234.5679.
    const request = Buffer.alloc(8);
    request.writeInt32BE(8, 0);
    request.writeInt32BE(80877103, 4);
    socket.write(request);
  });
}

function sqlState(err: unknown): string | undefined {
  return err instanceof DatabaseError && typeof err.code === 'string' ? err.code : undefined;
}

/** What the connection's own state says went wrong, before the error pg made of it. */
function streamFailure(err: unknown, stream: OpenStream, doing: string, ctx: ProbeContext): Failure | undefined {
  if (stream.tooLarge) return { reason: 'too_large', message: `${doing}: the server sent more than max_response_bytes ${stream.maxBytes}` };
  if (stream.notPostgres !== undefined) return { reason: 'protocol_error', message: `${doing}: the server does not speak PostgreSQL: ${JSON.stringify(stream.notPostgres)}` };
  if (stream.malformed) return { reason: 'protocol_error', message: `${doing}: a malformed message from the server (${preview(stream.malformed.message)})` };
  if (ctx.signal.aborted) return failureWhile(ctx.signal.reason, doing, ctx);
  if (err instanceof DatabaseError && err.code === undefined) return { reason: 'protocol_error', message: `${doing}: ${preview(err.message)}` };
  if (stream.peerClosed && sqlState(err) === undefined) return { reason: 'connection_reset', message: `${doing}: the server closed the connection` };
  // pg's word for messages out of order, e.g. a DataRow before any query.
  if (err instanceof Error && /^Received unexpected \w+ message from backend/.test(err.message)) return { reason: 'protocol_error', message: `${doing}: ${preview(err.message)}` };
  // pg trips over some sequences no server sends (a SASLFinal without a SASL exchange).
  if (err instanceof TypeError) return { reason: 'protocol_error', message: `${doing}: messages out of order confused the client (${preview(err.message)})` };
  return undefined;
}

function loginFailure(err: unknown, stream: OpenStream, ctx: ProbeContext): Failure {
  const doing = 'logging in';
  const early = streamFailure(err, stream, doing, ctx);
  if (early) return early;
  const state = sqlState(err);
  const message = `${doing}: ${preview((err as Error).message)}${state ? ` (${state})` : ''}`;
  // Class 28 (wrong password, no pg_hba.conf entry), an unknown database, no CONNECT privilege.
  if (state?.startsWith('28') || state === '3D000' || state === '42501') return { reason: 'auth_failed', message };
  // Too many connections, starting up, shutting down, in recovery: the server turns sessions away.
  if (state !== undefined) return { reason: 'connection_refused', message };
  // pg's own SCRAM errors (e.g. a server signature that does not match) and a missing password.
  if (err instanceof Error && (/^SASL:/.test(err.message) || /password/i.test(err.message))) return { reason: 'auth_failed', message };
  return failureWhile(err, doing, ctx);
}

function queryFailure(err: unknown, stream: OpenStream, ctx: ProbeContext): Failure {
  const doing = 'running the query';
  const early = streamFailure(err, stream, doing, ctx);
  if (early) return early;
  const state = sqlState(err);
  if (state === undefined) return failureWhile(err, doing, ctx);
  const message = `${doing}: ${preview((err as Error).message)} (${state})`;
  if (state === '57014') return { reason: 'timeout', message }; // cancelled, by statement_timeout or an operator
  if (state.startsWith('08') || /^57P0[1-5]$/.test(state)) return { reason: 'connection_reset', message };
  return { reason: 'query_failed', message };
}

function serverObservations(params: ReadonlyMap<string, string>, out: Observation[]): void {
  const version = params.get('server_version');
  if (version !== undefined) out.push({ metric: 'probe_postgres_server_info', value: 1, labels: { version: preview(version) } });
  // Reported by PostgreSQL 14 and newer.
  const standby = params.get('in_hot_standby');
  if (standby !== undefined) out.push({ metric: 'probe_postgres_in_hot_standby', value: standby === 'on' ? 1 : 0 });
}

const NUMERIC = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function checkResult(result: QueryResult<string[]>, s: PostgresSettings, observations: Observation[]): Failure | undefined {
  // Rows returned, or for INSERT/UPDATE/DELETE without RETURNING, rows affected.
  const rows = result.rowCount ?? result.rows.length;
  observations.push({ metric: 'probe_postgres_query_rows', value: rows });
  const first = result.rows[0]?.[0] as string | null | undefined;
  if (typeof first === 'string') {
    if (result.fields[0]?.dataTypeID === BOOL_OID) observations.push({ metric: 'probe_postgres_query_value', value: first === 't' ? 1 : 0 });
    else if (NUMERIC.test(first)) observations.push({ metric: 'probe_postgres_query_value', value: Number(first) });
  }
  const failed: string[] = [];
  if (s.expectRows) {
    const why = checkComparison('rows', String(rows), s.expectRows);
    if (why) failed.push(why);
  }
  if (s.expectValue || s.expectValueMatches) {
    const wanted = [
      ...(s.expectValue ? [typeof s.expectValue.expected === 'number' ? String(s.expectValue.expected) : JSON.stringify(s.expectValue.expected)] : []),
      ...(s.expectValueMatches ? [`to match /${s.expectValueMatches.source}/`] : []),
    ].join(' and ');
    if (first === undefined) failed.push(`the query returned no value, expected ${wanted}`);
    else if (first === null) failed.push(`value was NULL, expected ${wanted}`);
    else {
      const why = s.expectValue && checkComparison('value', first, s.expectValue);
      if (why) failed.push(why);
      if (s.expectValueMatches && !s.expectValueMatches.test(first)) failed.push(`value was ${JSON.stringify(preview(first))}, expected to match /${s.expectValueMatches.source}/`);
    }
  }
  return failed.length > 0 ? { reason: 'condition_failed', message: failed.join('; ') } : undefined;
}

// The first message of the server's answer to a startup message: Authentication, ErrorResponse,
// NoticeResponse or NegotiateProtocolVersion. Anything else is not a PostgreSQL server.
const FIRST_CODES = new Set(['R', 'E', 'N', 'v'].map((c) => c.charCodeAt(0)));
const ERROR_RESPONSE = 0x45; // E
const NOTICE_RESPONSE = 0x4e; // N

/**
 * Why a complete backend message must not reach pg, or undefined. pg-protocol reads the fields
 * of an ErrorResponse or NoticeResponse until a zero type byte, and past the end of its buffer
 * that loop never ends: one such message from a probed server would hang the whole process.
 */
export function malformedMessage(code: number, body: Buffer): string | undefined {
  if (code !== ERROR_RESPONSE && code !== NOTICE_RESPONSE) return undefined;
  // Each turn moves past a zero byte, so the walk ends within the body.
  for (let i = 0; ; ) {
    if (i >= body.length) return `${code === ERROR_RESPONSE ? 'an ErrorResponse' : 'a NoticeResponse'} whose fields are not terminated`;
    if (body[i] === 0) return undefined;
    const nul = body.indexOf(0, i + 1);
    if (nul < 0) return `${code === ERROR_RESPONSE ? 'an ErrorResponse' : 'a NoticeResponse'} with a field that does not end`;
    i = nul + 1;
  }
}

/**
 * Hands pg a connection that is already open (and maybe already TLS): pg calls connect() on
 * the stream it is given, which here just says it is connected. In between, the server's bytes
 * are cut into messages, capped in size and checked, and only whole, sound messages reach pg.
 */
class OpenStream extends Duplex {
  tooLarge = false;
  peerClosed = false;
  notPostgres: string | undefined;
  /** Why a message the server sent could not be handed to pg. */
  malformed: Error | undefined;
  private received = 0;
  private messages = 0;
  private pending: Buffer = Buffer.alloc(0);

  constructor(
    private readonly inner: Socket,
    readonly maxBytes: number,
  ) {
    super({ allowHalfOpen: false });
    inner.on('data', (chunk: Buffer) => this.receive(chunk));
    inner.on('end', () => {
      this.peerClosed = true;
      this.push(null);
    });
    inner.on('error', (err) => this.destroy(err));
    inner.on('close', () => {
      if (!this.destroyed) this.peerClosed = true;
      this.destroy();
    });
  }

  private receive(chunk: Buffer): void {
    if (this.destroyed) return;
    this.received += chunk.length;
    if (this.received > this.maxBytes) return this.fail('tooLarge');
    const buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    if (this.messages === 0 && !FIRST_CODES.has(buf[0]!)) {
      this.notPostgres = preview(buf.subarray(0, 100).toString('latin1'));
      return this.fail('notPostgres');
    }
    const whole: Buffer[] = [];
    let offset = 0;
    // Each turn takes one whole message (at least 5 bytes) or stops.
    while (buf.length - offset >= 5) {
      const code = buf[offset]!;
      const length = buf.readUInt32BE(offset + 1);
      if (length < 4) return this.fail('malformed', `a message of length ${length}`);
      if (length + 1 > this.maxBytes) return this.fail('tooLarge');
      const end = offset + 1 + length;
      if (end > buf.length) break;
      const problem = malformedMessage(code, buf.subarray(offset + 5, end));
      if (problem) return this.fail('malformed', problem);
      whole.push(buf.subarray(offset, end));
      this.messages++;
      offset = end;
    }
    this.pending = buf.subarray(offset);
    if (whole.length > 0 && !this.push(whole.length === 1 ? whole[0] : Buffer.concat(whole))) this.inner.pause();
  }

  private fail(what: 'tooLarge' | 'notPostgres' | 'malformed', problem = ''): void {
    if (what === 'tooLarge') this.tooLarge = true;
    if (what === 'malformed') this.malformed = new Error(problem);
    this.destroy(new Error(what));
  }

  // pg parses and handles messages inside 'data' listeners. A message that lies about its own
  // fields makes it throw there, which would reach the process as an uncaught exception; here
  // it ends this connection instead.
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event !== 'data') return super.emit(event, ...args);
    try {
      return super.emit(event, ...args);
    } catch (err) {
      this.malformed ??= err instanceof Error ? err : new Error(String(err));
      this.destroy(this.malformed);
      return false;
    }
  }

  override _read(): void {
    this.inner.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.inner.write(chunk, callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.inner.end();
    callback();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.inner.destroy();
    callback(err);
  }

  connect(): this {
    process.nextTick(() => this.emit('connect'));
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }
}

export const postgresKind: ProbeKind<PostgresSettings> = {
  kind: 'postgres',
  schema,
  probe: probePostgres,
  target: (s) => `${hostPort(s.host, s.port)}/${s.database}`,
  fromTarget: hostPortFields,
  metrics: [
    { name: 'probe_postgres_duration_seconds', help: 'Duration of the postgres probe by phase: resolve, connect, tls, auth, query.', labels: ['phase'] },
    DNS_LOOKUP_METRIC,
    { name: 'probe_postgres_server_info', help: 'The server_version the server reported; always 1.', labels: ['version'] },
    { name: 'probe_postgres_in_hot_standby', help: 'Whether the server is a hot standby (read-only replica); reported by PostgreSQL 14 and newer.' },
    { name: 'probe_postgres_query_rows', help: 'Rows the query returned (or affected, for INSERT, UPDATE, DELETE).' },
    { name: 'probe_postgres_query_value', help: 'The first column of the first row, when it is a number or a boolean (1 for true).' },
    ...TLS_METRICS,
  ],
};
