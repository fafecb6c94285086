// Alertmanager's alert fingerprint: FNV-1a 64 over the label names in order, each written as
// name, 0xFF, value, 0xFF; shown as 16 hex digits. Labels only, so it survives restarts.
// The 64-bit state is kept as two 32-bit halves: exact, and without BigInt's cost per byte.

const TWO_32 = 4294967296;
const encoder = new TextEncoder();

export function alertFingerprint(labels: Readonly<Record<string, string>>): string {
  // The offset basis 0xcbf29ce484222325.
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  const mix = (b: number) => {
    lo = (lo ^ b) >>> 0;
    // × 0x100000001b3 = × 0x1b3 plus a shift left by 40, modulo 2^64.
    const loProduct = lo * 0x1b3;
    const carry = Math.floor(loProduct / TWO_32);
    hi = (Math.imul(hi, 0x1b3) + carry + (lo << 8)) >>> 0;
    lo = loProduct >>> 0;
  };
  const bytes = (s: string) => {
    for (const b of encoder.encode(s)) mix(b);
  };
  for (const name of Object.keys(labels).sort()) {
    bytes(name);
    mix(0xff);
    bytes(labels[name]!);
    mix(0xff);
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}
