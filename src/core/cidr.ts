// IPv4 and IPv6 addresses and networks (CIDR) as bytes, and membership tests between them, for
// the API's allow and deny networks. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) match IPv4
// networks too, so a mapped form cannot slip past an IPv4 deny entry.
import net from 'node:net';

export interface Cidr {
  family: 4 | 6;
  /** The network address, its host bits cleared: 4 or 16 bytes. */
  bytes: Uint8Array;
  prefix: number;
  /** As written, normalised: `10.0.0.0/8`, `fe80::/10`. */
  text: string;
}

/** An address as 4 (IPv4) or 16 (IPv6) bytes; undefined when `text` is not one. A zone (`%eth0`) is ignored. */
export function parseIp(text: string): Uint8Array | undefined {
  const plain = text.replace(/%[^%]*$/, '');
  if (net.isIPv4(plain)) return Uint8Array.from(plain.split('.').map(Number));
  if (!net.isIPv6(plain)) return undefined;
  let tail: number[] = [];
  let body = plain;
  // An embedded IPv4 tail (::ffff:1.2.3.4) is two 16-bit groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  if (v4) {
    tail = v4[1]!.split('.').map(Number);
    body = body.slice(0, -v4[1]!.length);
    if (body.endsWith(':') && !body.endsWith('::')) body = body.slice(0, -1);
  }
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const halves = body.split('::');
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - tail.length / 2 - head.length - rest.length;
  const words = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...rest];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  out.set(tail, 12);
  return out;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d), if it is one. */
export function unmapIpv4(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.length !== 16) return undefined;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return undefined;
  if (bytes[10] !== 0xff || bytes[11] !== 0xff) return undefined;
  return bytes.slice(12);
}

/** `10.0.0.0/8`, `fd00::/8`, or a bare address (a /32 or /128). Host bits are cleared. */
export function parseCidr(text: string): Cidr | undefined {
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(text.trim());
  if (!m) return undefined;
  const bytes = parseIp(m[1]!);
  if (!bytes || m[1]!.includes('%')) return undefined;
  const family = bytes.length === 4 ? 4 : 6;
  const max = bytes.length * 8;
  const prefix = m[2] === undefined ? max : Number(m[2]);
  if (prefix > max) return undefined;
  const masked = bytes.slice();
  for (let bit = prefix; bit < max; bit++) masked[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return { family, bytes: masked, prefix, text: `${formatIp(masked)}/${prefix}` };
}

export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join('.');
  const words = Array.from({ length: 8 }, (_, i) => (bytes[i * 2]! << 8) | bytes[i * 2 + 1]!);
  // The longest run of two or more zero groups becomes "::" (RFC 5952).
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  if (best.at === -1) return hex(words);
  return `${hex(words.slice(0, best.at))}::${hex(words.slice(best.at + best.len))}`;
}

function within(c: Cidr, bytes: Uint8Array): boolean {
  if (bytes.length !== c.bytes.length) return false;
  const full = c.prefix >> 3;
  for (let i = 0; i < full; i++) if (bytes[i] !== c.bytes[i]) return false;
  const rest = c.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (bytes[full]! & mask) === c.bytes[full];
}

/** Whether the address is in the network; an IPv4-mapped IPv6 address also counts as its IPv4 address. */
export function cidrContains(c: Cidr, address: string | Uint8Array): boolean {
  const bytes = typeof address === 'string' ? parseIp(address) : address;
  if (!bytes) return false;
  if (within(c, bytes)) return true;
  const v4 = unmapIpv4(bytes);
  return v4 !== undefined && within(c, v4);
}

/** The first network of `cidrs` that holds the address, if any. */
export function findNetwork(cidrs: readonly Cidr[], address: string | Uint8Array): Cidr | undefined {
  const bytes = typeof address === 'string' ? parseIp(address) : address;
  if (!bytes) return undefined;
  return cidrs.find((c) => cidrContains(c, bytes));
}
