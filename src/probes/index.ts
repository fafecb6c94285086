// Every probe kind healthmon knows, by the name users write in `kind:`.
import { dnsKind } from './dns.js';
import { execKind } from './exec.js';
import { grpcKind } from './grpc.js';
import { heartbeatKind } from './heartbeat.js';
import { httpKind } from './http.js';
import { icmpKind } from './icmp.js';
import { pluginKind } from './plugin.js';
import { postgresKind } from './postgres.js';
import { processKind } from './process.js';
import { redisKind } from './redis.js';
import { tcpKind } from './tcp.js';
import { tlsKind } from './tls.js';
import type { ProbeKind } from './types.js';

export const PROBE_KINDS = {
  http: httpKind,
  tcp: tcpKind,
  dns: dnsKind,
  tls: tlsKind,
  icmp: icmpKind,
  postgres: postgresKind,
  redis: redisKind,
  grpc: grpcKind,
  heartbeat: heartbeatKind,
  exec: execKind,
  process: processKind,
  plugin: pluginKind,
} as const satisfies Record<string, ProbeKind<any>>;

export type ProbeKindName = keyof typeof PROBE_KINDS;
