// Alertmanager's alert fingerprint: FNV-1a 64 over the label names in order, each written as
// name, 0xFF, value, 0xFF; shown as 16 hex digits. Labels only, so it survives restarts.

const OFFSET = 0xcbf29ce484222325n;
const PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;

export function alertFingerprint(labels: Readonly<Record<string, string>>): string {
  let h = OFFSET;
  const mix = (bytes: Uint8Array) => {
    for (const b of bytes) h = ((h ^ BigInt(b)) * PRIME) & MASK;
  };
  const sep = new Uint8Array([0xff]);
  const enc = new TextEncoder();
  for (const name of Object.keys(labels).sort()) {
    mix(enc.encode(name));
    mix(sep);
    mix(enc.encode(labels[name]!));
    mix(sep);
  }
  return h.toString(16).padStart(16, '0');
}
