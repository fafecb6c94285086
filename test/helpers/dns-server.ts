// A tiny authoritative DNS server over UDP for tests: answers from a table, with chosen names
// that fail (SERVFAIL, REFUSED) or never answer, so resolvers can be tested on loopback.
import dgram from 'node:dgram';
import net from 'node:net';

export type DnsRecord =
  | { type: 'A' | 'AAAA' | 'CNAME' | 'NS'; data: string; ttl?: number }
  | { type: 'MX'; data: { priority: number; exchange: string }; ttl?: number }
  | { type: 'TXT'; data: string[]; ttl?: number }
  | { type: 'SRV'; data: { priority: number; weight: number; port: number; target: string }; ttl?: number };

export type DnsRecordType = DnsRecord['type'];

export interface DnsServerOptions {
  /** Records by owner name (no trailing dot). Names not listed get NXDOMAIN. */
  zone: Record<string, DnsRecord[]>;
  servfail?: readonly string[];
  refused?: readonly string[];
  /** Names whose queries are read and dropped, to exercise timeouts. */
  silent?: readonly string[];
}

export interface TestDnsServer {
  port: number;
  /** `127.0.0.1:<port>`, as the dns kind's `server` field takes it. */
  address: string;
  queries: Array<{ name: string; type: number }>;
  close(): Promise<void>;
}

const TYPE_CODES: Record<DnsRecordType, number> = { A: 1, NS: 2, CNAME: 5, MX: 15, TXT: 16, AAAA: 28, SRV: 33 };
const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

export async function startDnsServer(options: DnsServerOptions): Promise<TestDnsServer> {
  const socket = dgram.createSocket('udp4');
  const queries: TestDnsServer['queries'] = [];
  const lower = (names: readonly string[] | undefined) => new Set((names ?? []).map((n) => n.toLowerCase()));
  const servfail = lower(options.servfail);
  const refused = lower(options.refused);
  const silent = lower(options.silent);
  const zone = new Map(Object.entries(options.zone).map(([k, v]) => [k.toLowerCase(), v]));

  socket.on('message', (msg, rinfo) => {
    const q = parseQuery(msg);
    if (!q) return;
    queries.push({ name: q.name, type: q.type });
    const key = q.name.toLowerCase();
    if (silent.has(key)) return;
    let rcode: number = RCODE.NOERROR;
    let answers: Buffer[] = [];
    if (servfail.has(key)) rcode = RCODE.SERVFAIL;
    else if (refused.has(key)) rcode = RCODE.REFUSED;
    else if (!zone.has(key)) rcode = RCODE.NXDOMAIN;
    else answers = answersFor(zone, key, q.type);
    socket.send(response(msg, q.questionEnd, rcode, answers), rinfo.port, rinfo.address);
  });

  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const port = socket.address().port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

interface Query {
  id: number;
  name: string;
  type: number;
  /** Offset just past the (single) question, so the response can echo it byte for byte. */
  questionEnd: number;
}

function parseQuery(msg: Buffer): Query | undefined {
  if (msg.length < 12 || msg.readUInt16BE(4) !== 1) return undefined;
  const labels: string[] = [];
  let off = 12;
  for (;;) {
    const len = msg[off];
    if (len === undefined || len > 63) return undefined;
    off += 1;
    if (len === 0) break;
    labels.push(msg.subarray(off, off + len).toString('latin1'));
    off += len;
  }
  if (off + 4 > msg.length) return undefined;
  return { id: msg.readUInt16BE(0), name: labels.join('.'), type: msg.readUInt16BE(off), questionEnd: off + 4 };
}

function answersFor(zone: Map<string, DnsRecord[]>, name: string, qtype: number): Buffer[] {
  const records = zone.get(name) ?? [];
  const out: Buffer[] = [];
  for (const r of records) {
    if (TYPE_CODES[r.type] === qtype) out.push(rr(name, r));
  }
  // Like a real server, follow one CNAME for other types so resolvers see the chain.
  const cname = records.find((r) => r.type === 'CNAME');
  if (out.length === 0 && cname && qtype !== TYPE_CODES.CNAME) {
    const target = (cname.data as string).toLowerCase();
    out.push(rr(name, cname));
    for (const r of zone.get(target) ?? []) if (TYPE_CODES[r.type] === qtype) out.push(rr(target, r));
  }
  return out;
}

function response(query: Buffer, questionEnd: number, rcode: number, answers: Buffer[]): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  const qflags = query.readUInt16BE(2);
  // QR | opcode copied | AA | RD copied | RA | rcode
  header.writeUInt16BE(0x8000 | (qflags & 0x7800) | 0x0400 | (qflags & 0x0100) | 0x0080 | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  return Buffer.concat([header, query.subarray(12, questionEnd), ...answers]);
}

function rr(owner: string, r: DnsRecord): Buffer {
  const rdata = encodeRdata(r);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(TYPE_CODES[r.type], 0);
  fixed.writeUInt16BE(1, 2); // IN
  fixed.writeUInt32BE(r.ttl ?? 300, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([encodeName(owner), fixed, rdata]);
}

function encodeRdata(r: DnsRecord): Buffer {
  switch (r.type) {
    case 'A':
      return Buffer.from(r.data.split('.').map(Number));
    case 'AAAA':
      return ipv6Bytes(r.data);
    case 'CNAME':
    case 'NS':
      return encodeName(r.data);
    case 'MX': {
      const pref = Buffer.alloc(2);
      pref.writeUInt16BE(r.data.priority);
      return Buffer.concat([pref, encodeName(r.data.exchange)]);
    }
    case 'TXT':
      return Buffer.concat(
        r.data.map((s) => {
          const bytes = Buffer.from(s, 'utf8');
          return Buffer.concat([Buffer.from([bytes.length]), bytes]);
        }),
      );
    case 'SRV': {
      const head = Buffer.alloc(6);
      head.writeUInt16BE(r.data.priority, 0);
      head.writeUInt16BE(r.data.weight, 2);
      head.writeUInt16BE(r.data.port, 4);
      return Buffer.concat([head, encodeName(r.data.target)]);
    }
  }
}

function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, '').split('.').filter((p) => p !== '');
  return Buffer.concat([...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'latin1')])), Buffer.from([0])]);
}

function ipv6Bytes(address: string): Buffer {
  if (net.isIPv6(address) === false) throw new Error(`not an IPv6 address: ${address}`);
  const [head = '', tail] = address.split('::');
  const groups = (s: string | undefined) => (s ? s.split(':') : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}
