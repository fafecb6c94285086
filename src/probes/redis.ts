// The redis kind: over our timed dial (plain or TLS), AUTH, SELECT, PING and INFO in the few
// parts of RESP2 they need, spoken by hand; every reply size-capped. INFO fields can be checked
// with simple comparisons (`connected_clients < 1000`, `role == master`).
import type { Socket } from 'node:net';
import { z } from 'zod';
import type { Observation, ProbeOutcome } from '../core/check-result.js';
import { byteSize, secretString, shown } from '../config/fields.js';
import { checkComparison, parseComparison, preview, type Comparison } from './comparison.js';
import { failureWhile, withoutSecret } from './conversation.js';
import { DNS_LOOKUP_METRIC, dial, hostPort, lap, type Failure } from './dial.js';
import { hostField, portField } from './tcp.js';
import { TLS_METRICS, tlsObservations, tlsSwitchOrBlock, type TlsClient } from './tls-settings.js';
import type { ProbeContext, ProbeKind } from './types.js';
import { hostPortFields } from './target.js';

export interface InfoCondition {
  /** As written, for messages. */
  text: string;
  /** An INFO field (`connected_clients`), or field.key for `k=v,…` values (`db0.keys`). */
  field: string;
  comparison: Comparison;
}

export interface RedisSettings {
  host: string;
  port: number;
  tls?: TlsClient;
  /** An ACL user (Redis 6+); needs a password. */
  username?: string;
  password?: string;
  db: number;
  info: InfoCondition[];
  /** Bytes the whole conversation may bring back. */
  maxReplyBytes: number;
}

const FIELD = /^\s*([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)?)(.*)$/s;

/** Parses `field <op> value`; throws an Error saying what is wrong. */
export function parseInfoCondition(text: string): InfoCondition {
  const m = FIELD.exec(text);
  if (!m) throw new Error('expected an INFO field name like connected_clients first');
  return { text, field: m[1]!, comparison: parseComparison(m[2]!) };
}

const infoConditions = () =>
  z.array(z.unknown()).transform((items, ctx): InfoCondition[] => {
    const out: InfoCondition[] = [];
    items.forEach((item, i) => {
      if (typeof item !== 'string') {
        ctx.addIssue({ code: 'custom', path: [i], input: item, message: `expected a condition like "connected_clients < 1000", got ${shown(item)}` });
        return;
      }
      try {
        out.push(parseInfoCondition(item));
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: [i], input: item, message: `invalid condition ${JSON.stringify(item)}: ${(err as Error).message}` });
      }
    });
    return out;
  });

const schema = z
  .strictObject({
    host: hostField(),
    port: portField().default(6379),
    tls: tlsSwitchOrBlock().optional(),
    username: z.string().min(1).optional(),
    password: secretString().optional(),
    db: z.int().min(0).default(0),
    info: infoConditions().optional(),
    max_reply_bytes: byteSize().optional(),
  })
  .transform((b, ctx): RedisSettings => {
    if (b.username !== undefined && b.password === undefined) {
      ctx.addIssue({ code: 'custom', path: ['username'], message: 'a username needs a password (password or password_file)' });
    }
    return {
      host: b.host,
      port: b.port,
      tls: b.tls,
      username: b.username,
      password: b.password,
      db: b.db,
      info: b.info ?? [],
      maxReplyBytes: b.max_reply_bytes ?? 1024 * 1024,
    };
  });

const PHASES = ['resolve', 'connect', 'tls', 'auth', 'select', 'ping', 'info'] as const;
type Phase = (typeof PHASES)[number];

/** Numeric INFO fields always exported, besides those the conditions name. */
export const INFO_GAUGE_FIELDS = ['connected_clients', 'blocked_clients', 'used_memory', 'maxmemory', 'connected_slaves', 'uptime_in_seconds'] as const;

type Reply =
  | { type: 'simple' | 'error'; text: string }
  | { type: 'integer'; value: number }
  | { type: 'bulk'; data: Buffer | null };

/** An expected way for a conversation to fail; caught once, in probeRedis. */
class StepFailed extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}

async function probeRedis(s: RedisSettings, ctx: ProbeContext): Promise<ProbeOutcome> {
  const phases: Record<string, number> = Object.fromEntries(PHASES.map((p) => [p, 0]));
  const observations: Observation[] = [];
  const dialed = await dial({ host: s.host, port: s.port, tls: s.tls }, ctx, phases);
  if (dialed.tls) tlsObservations(dialed.tls, observations);
  let failure: Failure | undefined;
  if (!dialed.ok) failure = dialed.failure;
  else {
    const conn = new RespConnection(dialed.socket, s.maxReplyBytes, ctx);
    try {
      failure = await converse(conn, s, phases, observations);
    } catch (err) {
      if (!(err instanceof StepFailed)) throw err;
      failure = err.failure;
    } finally {
      conn.close();
    }
  }
  for (const phase of PHASES) observations.push({ metric: 'probe_redis_duration_seconds', value: phases[phase]! / 1000, labels: { phase } });
  observations.push({ metric: 'probe_dns_lookup_time_seconds', value: phases.resolve! / 1000 });
  if (failure) return { ok: false, reason: failure.reason, message: withoutSecret(failure.message, s.password), phases, observations };
  return { ok: true, phases, observations };
}

/** AUTH, SELECT, PING, INFO in turn; returns a failure found in the replies, throws StepFailed for the rest. */
async function converse(conn: RespConnection, s: RedisSettings, phases: Record<string, number>, observations: Observation[]): Promise<Failure | undefined> {
  const step = async (phase: Phase, args: string[], doing: string): Promise<Reply> => {
    const t = performance.now();
    try {
      return await conn.request(args, doing);
    } finally {
      lap(phases, phase, t);
    }
  };
  if (s.password !== undefined) {
    const args = s.username === undefined ? ['AUTH', s.password] : ['AUTH', s.username, s.password];
    const reply = await step('auth', args, 'authenticating');
    // Any refusal of AUTH is about the credentials: WRONGPASS, or a password the server has no use for.
    if (reply.type === 'error') return { reason: 'auth_failed', message: `authenticating: ${preview(reply.text)}` };
    expectOk(reply, 'AUTH');
  }
  if (s.db !== 0) {
    const reply = await step('select', ['SELECT', String(s.db)], `selecting db ${s.db}`);
    if (reply.type === 'error') return errorReply(reply.text, `SELECT ${s.db}`);
    expectOk(reply, 'SELECT');
  }
  const pong = await step('ping', ['PING'], 'waiting for the reply to PING');
  if (pong.type === 'error') return errorReply(pong.text, 'PING');
  if (pong.type !== 'simple' || pong.text !== 'PONG') throw unexpected(pong, 'PING', '+PONG');

  const info = await step('info', ['INFO'], 'waiting for the reply to INFO');
  // A probe user allowed PING but not INFO is fine while nothing asks for INFO fields.
  if (info.type === 'error') return s.info.length > 0 ? errorReply(info.text, 'INFO') : undefined;
  if (info.type !== 'bulk' || info.data === null) throw unexpected(info, 'INFO', 'a bulk string');
  const fields = parseInfo(info.data.toString('utf8'));
  infoObservations(fields, s.info, observations);
  const failed: string[] = [];
  for (const c of s.info) {
    const why = checkComparison(c.field, infoField(fields, c.field), c.comparison);
    if (why) failed.push(why);
  }
  return failed.length > 0 ? { reason: 'condition_failed', message: failed.join('; ') } : undefined;
}

function expectOk(reply: Reply, command: string): void {
  if (reply.type !== 'simple' || reply.text !== 'OK') throw unexpected(reply, command, '+OK');
}

/** An error reply: about permissions (NOAUTH, NOPERM, WRONGPASS) or the command failing (LOADING, ERR …). */
function errorReply(text: string, command: string): Failure {
  const auth = /^(NOAUTH|NOPERM|WRONGPASS)\b/.test(text);
  return { reason: auth ? 'auth_failed' : 'query_failed', message: `${command}: ${preview(text)}` };
}

function unexpected(reply: Reply, command: string, expected: string): StepFailed {
  const got = describeReply(reply);
  return new StepFailed({ reason: 'protocol_error', message: `${command}: expected ${expected}, got ${JSON.stringify(preview(got))}` });
}

function describeReply(reply: Reply): string {
  switch (reply.type) {
    case 'simple':
      return `+${reply.text}`;
    case 'error':
      return `-${reply.text}`;
    case 'integer':
      return `:${reply.value}`;
    case 'bulk':
      return reply.data === null ? 'a null bulk string' : 'a bulk string';
  }
}

/** `key:value` lines of an INFO reply; `# Section` lines and blanks skipped. */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/** A field's value; `db0.keys` reads `keys` from `db0:keys=1,expires=0,avg_ttl=0`. */
export function infoField(fields: ReadonlyMap<string, string>, name: string): string | undefined {
  const dot = name.indexOf('.');
  if (dot < 0) return fields.get(name);
  const value = fields.get(name.slice(0, dot));
  const key = name.slice(dot + 1);
  for (const part of value?.split(',') ?? []) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq) === key) return part.slice(eq + 1);
  }
  return undefined;
}

const NUMERIC = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function infoObservations(fields: ReadonlyMap<string, string>, conditions: readonly InfoCondition[], out: Observation[]): void {
  // The fixed set and the fields conditions name: a bounded label set chosen in config.
  const names = new Set<string>([...INFO_GAUGE_FIELDS, ...conditions.map((c) => c.field)]);
  for (const field of names) {
    const value = infoField(fields, field);
    if (value !== undefined && NUMERIC.test(value)) out.push({ metric: 'probe_redis_info_value', value: Number(value), labels: { field } });
  }
  const version = fields.get('redis_version');
  const role = fields.get('role');
  if (version !== undefined || role !== undefined) {
    out.push({ metric: 'probe_redis_server_info', value: 1, labels: { version: preview(version ?? ''), role: preview(role ?? '') } });
  }
}

/** Encodes a command as RESP: an array of bulk strings. */
export function encodeCommand(args: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const data = Buffer.from(arg, 'utf8');
    parts.push(Buffer.from(`$${data.length}\r\n`), data, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

const CRLF = Buffer.from('\r\n');

/**
 * Reads one RESP2 reply from the start of `buf`: the reply and the bytes it took, or undefined
 * when more bytes are needed. Throws StepFailed on what is not a reply we asked for, and on a
 * bulk string declared larger than `maxBytes` (without waiting for it).
 */
export function parseReply(buf: Buffer, maxBytes: number, command: string): { reply: Reply; length: number } | undefined {
  if (buf.length === 0) return undefined;
  const type = String.fromCharCode(buf[0]!);
  if (!'+-:$'.includes(type)) {
    const what = '*%~>_,#!=(|'.includes(type) ? 'a reply type it does not ask for' : 'something that is not RESP';
    throw new StepFailed({ reason: 'protocol_error', message: `${command}: expected a RESP reply, got ${what}: ${JSON.stringify(preview(buf.subarray(0, 100).toString('latin1')))}` });
  }
  const eol = buf.indexOf(CRLF);
  if (eol < 0) return undefined;
  const line = buf.toString('utf8', 1, eol);
  if (type === '+' || type === '-') return { reply: { type: type === '+' ? 'simple' : 'error', text: line }, length: eol + 2 };
  if (!/^-?\d{1,18}$/.test(line)) {
    throw new StepFailed({ reason: 'protocol_error', message: `${command}: expected a number after ${JSON.stringify(type)}, got ${JSON.stringify(preview(line))}` });
  }
  const n = Number(line);
  if (type === ':') return { reply: { type: 'integer', value: n }, length: eol + 2 };
  if (n === -1) return { reply: { type: 'bulk', data: null }, length: eol + 2 };
  if (n < 0) throw new StepFailed({ reason: 'protocol_error', message: `${command}: a bulk string of length ${n}` });
  if (n > maxBytes) throw new StepFailed({ reason: 'too_large', message: `${command}: a reply of ${n} bytes exceeds max_reply_bytes ${maxBytes}` });
  const end = eol + 2 + n;
  if (buf.length < end + 2) return undefined;
  if (buf[end] !== 0x0d || buf[end + 1] !== 0x0a) {
    throw new StepFailed({ reason: 'protocol_error', message: `${command}: a bulk string of ${n} bytes not followed by CRLF` });
  }
  return { reply: { type: 'bulk', data: buf.subarray(eol + 2, end) }, length: end + 2 };
}

/** One connection's replies, read as they arrive, within the byte cap and the deadline. */
class RespConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private received = 0;
  private tooLarge = false;
  private error: Error | undefined;
  private closed = false;
  /** Called when bytes arrive or the connection ends; set while a request waits. */
  private wake: (() => void) | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly maxBytes: number,
    private readonly ctx: ProbeContext,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.received += chunk.length;
      if (this.received > maxBytes) {
        this.tooLarge = true;
        socket.destroy();
      } else {
        this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      }
      this.wake?.();
    });
    socket.on('error', (err) => {
      this.error ??= err;
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }

  /** Sends a command and waits for its reply; throws StepFailed when none comes. */
  async request(args: readonly string[], doing: string): Promise<Reply> {
    const command = args[0]!;
    const { signal } = this.ctx;
    if (!this.closed) this.socket.write(encodeCommand(args));
    // Each turn waits for an event: bytes (capped in total), the close, or the deadline.
    for (;;) {
      const parsed = parseReply(this.buffer, this.maxBytes, command);
      if (parsed) {
        this.buffer = this.buffer.subarray(parsed.length);
        return parsed.reply;
      }
      if (this.tooLarge) throw new StepFailed({ reason: 'too_large', message: `${command}: replies larger than max_reply_bytes ${this.maxBytes}` });
      if (this.error) throw new StepFailed(failureWhile(this.error, doing, this.ctx));
      if (this.closed) throw new StepFailed({ reason: 'connection_reset', message: `${doing}: the server closed the connection` });
      if (signal.aborted) throw new StepFailed(failureWhile(signal.reason, doing, this.ctx));
      await new Promise<void>((resolve) => {
        const done = () => {
          this.wake = undefined;
          signal.removeEventListener('abort', done);
          resolve();
        };
        this.wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

export const redisKind: ProbeKind<RedisSettings> = {
  kind: 'redis',
  schema,
  probe: probeRedis,
  target: (s) => `${hostPort(s.host, s.port)}${s.db === 0 ? '' : `/${s.db}`}`,
  fromTarget: hostPortFields,
  metrics: [
    { name: 'probe_redis_duration_seconds', help: 'Duration of the redis probe by phase: resolve, connect, tls, auth, select, ping, info.', labels: ['phase'] },
    DNS_LOOKUP_METRIC,
    { name: 'probe_redis_info_value', help: 'A numeric INFO field of the server: a fixed set plus the fields the check\'s conditions name.', labels: ['field'] },
    { name: 'probe_redis_server_info', help: 'The server\'s redis_version and replication role from INFO; always 1.', labels: ['version', 'role'] },
    ...TLS_METRICS,
  ],
};
