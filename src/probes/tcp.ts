// The tcp kind: connect (optionally over TLS), optionally send a line, then read until the
// reply matches `expect`, like blackbox_exporter's tcp prober with one query/response step.
import type { Socket } from 'node:net';
import { z } from 'zod';
import type { Observation, ProbeOutcome } from '../core/check-result.js';
import { byteSize, regex } from '../config/fields.js';
import { DNS_LOOKUP_METRIC, dial, failureFrom, hostPort, lap, type Failure, type Stage } from './dial.js';
import { TLS_METRICS, tlsObservations, tlsSwitchOrBlock, type TlsClient } from './tls-settings.js';
import type { ProbeContext, ProbeKind } from './types.js';
import { hostPortFields } from './target.js';

export interface TcpSettings {
  host: string;
  port: number;
  tls?: TlsClient;
  send?: string;
  expect?: RegExp;
  maxReadBytes: number;
}

export const hostField = () => z.string().min(1, { message: 'expected a host name or address' });
export const portField = () => z.int().min(1).max(65535);

const schema = z
  .strictObject({
    host: hostField(),
    port: portField(),
    tls: tlsSwitchOrBlock().optional(),
    send: z.string().optional(),
    expect: regex().optional(),
    max_read_bytes: byteSize().optional(),
  })
  .transform(
    (b): TcpSettings => ({
      host: b.host,
      port: b.port,
      tls: b.tls,
      send: b.send,
      expect: b.expect,
      maxReadBytes: b.max_read_bytes ?? 64 * 1024,
    }),
  );

async function probeTcp(s: TcpSettings, ctx: ProbeContext): Promise<ProbeOutcome> {
  const phases: Record<string, number> = { resolve: 0, connect: 0 };
  if (s.tls) phases.tls = 0;
  const observations: Observation[] = [];
  const dialed = await dial({ host: s.host, port: s.port, tls: s.tls }, ctx, phases);
  observations.push({ metric: 'probe_dns_lookup_time_seconds', value: phases.resolve! / 1000 });
  if (dialed.tls) tlsObservations(dialed.tls, observations);
  let failure: Failure | undefined;
  if (!dialed.ok) failure = dialed.failure;
  else if (s.send === undefined && s.expect === undefined) dialed.socket.destroy();
  else failure = await converse(dialed.socket, s, ctx, phases);
  observations.push({ metric: 'probe_failed_due_to_regex', value: failure?.reason === 'body_mismatch' ? 1 : 0 });
  if (failure) return { ok: false, reason: failure.reason, message: failure.message, phases, observations };
  return { ok: true, phases, observations };
}

/** Sends `send`, reads until `expect` matches; always leaves the socket destroyed. */
function converse(socket: Socket, s: TcpSettings, ctx: ProbeContext, phases: Record<string, number>): Promise<Failure | undefined> {
  return new Promise((resolve) => {
    let stage: Stage = s.send === undefined ? 'read' : 'write';
    const t = performance.now();
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (failure?: Failure) => {
      if (settled) return;
      settled = true;
      lap(phases, 'read', t);
      ctx.signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(failure);
    };
    const mismatch = (): Failure => {
      const got = JSON.stringify(received.subarray(0, 400).toString('utf8').slice(0, 100));
      return { reason: 'body_mismatch', message: `expected /${s.expect!.source}/, got ${got}` };
    };
    // Running out of time or bytes before the reply matches is a wrong reply, not a slow one.
    const onAbort = () => finish(s.expect ? mismatch() : failureFrom(ctx.signal.reason, stage, ctx));
    if (ctx.signal.aborted) return onAbort();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (err) => finish(failureFrom(err, stage, ctx)));
    socket.on('close', () => finish(s.expect ? mismatch() : undefined));
    if (s.expect) {
      const expect = s.expect;
      socket.on('data', (chunk: Buffer) => {
        const room = s.maxReadBytes - received.length;
        received = Buffer.concat([received, room < chunk.length ? chunk.subarray(0, room) : chunk]);
        if (expect.test(received.toString('utf8'))) finish();
        else if (received.length >= s.maxReadBytes) finish(mismatch());
      });
    }
    if (s.send !== undefined) {
      socket.write(s.send, () => {
        stage = 'read';
        if (!s.expect) finish();
      });
    }
  });
}

export const tcpKind: ProbeKind<TcpSettings> = {
  kind: 'tcp',
  schema,
  probe: probeTcp,
  target: (s) => hostPort(s.host, s.port),
  fromTarget: hostPortFields,
  metrics: [
    DNS_LOOKUP_METRIC,
    { name: 'probe_failed_due_to_regex', help: 'Whether the probe failed because of a regular expression on the reply.' },
    ...TLS_METRICS,
  ],
};
