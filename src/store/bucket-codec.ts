// Latency bucket counts as SQLite keeps them: only the non-empty buckets, each as its index (one
// byte) and its count (an unsigned LEB128 varint), so 400 days of hourly rollups stay small.
import { BUCKET_COUNT } from './latency-buckets.js';

export function encodeBuckets(buckets: readonly number[]): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < BUCKET_COUNT; i++) {
    let n = buckets[i] ?? 0;
    if (n === 0) continue;
    bytes.push(i);
    for (; n >= 128; n = Math.floor(n / 128)) bytes.push((n % 128) | 128);
    bytes.push(n);
  }
  return Buffer.from(bytes);
}

/** Adds the counts held in `encoded` to `into`. */
export function addEncodedBuckets(into: number[], encoded: Uint8Array): void {
  for (let p = 0; p < encoded.length; ) {
    const i = encoded[p++]!;
    let n = 0;
    for (let scale = 1; ; scale *= 128) {
      const byte = encoded[p++]!;
      n += (byte & 127) * scale;
      if (byte < 128) break;
    }
    into[i]! += n;
  }
}
