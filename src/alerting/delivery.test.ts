import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createFakeClock } from '../../test/helpers/fake-clock.js';
import { silentLogger } from '../core/logger.js';
import { migrate, openDatabase } from '../store/database.js';
import { backoffMs, createDeliveryWorker } from './delivery.js';
import type { Notification } from './notification.js';
import { createOutbox, OUTBOX_MIGRATIONS } from './outbox.js';
import type { HttpDelivery, ReceiverKind, SendOutcome } from './receivers/index.js';

const fakeKind = (name: string): ReceiverKind<{ url: string }, HttpDelivery> => ({
  kind: name,
  schema: z.strictObject({ url: z.string() }),
  render: (n, s) => [{ type: 'http', url: s.url, method: 'POST', headers: {}, body: n.groupKey, timeoutMs: 1000 }],
  secrets: (s) => [s.url],
});

const n = (key: string): Notification => ({
  receiver: 'team', groupKey: key, status: 'firing', alerts: [], groupLabels: {}, commonLabels: {}, commonAnnotations: {},
  externalURL: 'http://h', reason: 'first notification', timestamp: 0,
});

function setup(script: (body: string, at: number) => SendOutcome, kind = 'hook') {
  const clock = createFakeClock();
  const db = openDatabase(':memory:');
  migrate(db, OUTBOX_MIGRATIONS);
  const outbox = createOutbox(db);
  const sends: string[] = [];
  const counts: string[] = [];
  const worker = createDeliveryWorker({
    clock, logger: silentLogger(), outbox,
    receivers: () => [{ name: 'team', integrations: [{ kind, settings: { url: 'http://127.0.0.1/secret' } }] }],
    kinds: { [kind]: fakeKind(kind) },
    send: async (d) => {
      sends.push(`${(clock.now() - start) / 1000}s ${(d as HttpDelivery).body}`);
      return script((d as HttpDelivery).body, clock.now() - start);
    },
    metrics: { sent: (_r, _i, outcome) => counts.push(outcome), pending: () => {} },
    random: () => 0.5,
  });
  const start = clock.now();
  return { clock, outbox, worker, sends, counts, add: (key: string) => { outbox.add('team', 0, n(key), clock.now()); worker.wake(); } };
}

describe('delivery worker', () => {
  it('retries with exponential backoff, honours Retry-After, and removes on success', async () => {
    const s = setup((_b, at) => (at < 3000 ? { outcome: 'retry', reason: 'rate_limited', error: 'HTTP 429', retryAfterMs: 3000 } : at < 8000 ? { outcome: 'retry', reason: 'server_error', error: 'HTTP 503' } : { outcome: 'ok' }));
    s.add('g1');
    await s.clock.advance(60_000);
    // 0 s: 429 with Retry-After 3 s; 3 s: 503, backoff 4 s (2 s × 2¹); 7 s: 503, backoff 8 s; 15 s: ok.
    expect(s.sends).toEqual(['0s g1', '3s g1', '7s g1', '15s g1']);
    expect(s.counts).toEqual(['retry', 'retry', 'retry', 'ok']);
    expect(s.outbox.pending()).toBe(0);
  });

  it('drops what the receiver refuses for good, and sends one at a time per integration, in order', async () => {
    const s = setup((b) => (b === 'bad' ? { outcome: 'failed', reason: 'client_error', error: 'HTTP 400: invalid_payload' } : { outcome: 'ok' }));
    s.add('bad');
    s.add('g2');
    s.add('g3');
    await s.clock.advance(1000);
    expect(s.sends).toEqual(['0s bad', '0s g2', '0s g3']);
    expect(s.counts).toEqual(['failed', 'ok', 'ok']);
    expect(s.outbox.pending()).toBe(0);
  });

  it('keeps Slack to one message a second', async () => {
    const s = setup(() => ({ outcome: 'ok' }), 'slack');
    for (const k of ['a', 'b', 'c']) s.add(k);
    await s.clock.advance(5000);
    expect(s.sends).toEqual(['0s a', '1s b', '2s c']);
  });

  it('grows the backoff to at most five minutes, with ±20 % jitter', () => {
    expect([0, 1, 2, 10].map((a) => backoffMs(a, () => 0.5))).toEqual([2000, 4000, 8000, 300_000]);
    expect(backoffMs(0, () => 0)).toBe(1600);
    expect(backoffMs(0, () => 0.999999)).toBe(2400);
  });
});
