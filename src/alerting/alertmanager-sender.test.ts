import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../../test/helpers/fake-clock.js';
import { createAlertmanagerSender, RESOLVED_RESEND_MS } from './alertmanager-sender.js';
import type { NotifiedAlert } from './notification.js';

describe('alertmanager sender', () => {
  it('resends firing alerts every resend_delay with endsAt ahead, and resolved ones for 15 minutes', async () => {
    const clock = createFakeClock();
    const t0 = clock.now();
    const posts: { at: number; alerts: { endsAt: string; labels: Record<string, string> }[] }[] = [];
    const sender = createAlertmanagerSender({
      clock, resendDelayMs: 60_000, evaluationIntervalMs: 15_000,
      post: async (_t, body) => void posts.push({ at: clock.now() - t0, alerts: JSON.parse(body) }),
      onResult: () => {},
    });
    sender.setTargets([{ url: 'http://127.0.0.1:1', timeoutMs: 1000, headers: {} }]);
    const alert: NotifiedAlert = { status: 'firing', labels: { alertname: 'A' }, annotations: {}, startsAt: t0, generatorURL: '', fingerprint: 'f' };
    sender.update([alert]);
    await clock.advance(150_000);
    expect(posts.map((p) => p.at)).toEqual([0, 60_000, 120_000]);
    // Valid for 4 × max(evaluation interval, resend delay): Alertmanager resolves it if we vanish.
    expect(posts[1]!.alerts[0]!.endsAt).toBe(new Date(t0 + 60_000 + 240_000).toISOString());

    sender.update([{ ...alert, status: 'resolved', endsAt: clock.now() }]);
    await clock.advance(1);
    expect(posts.at(-1)!.alerts[0]!.endsAt).toBe(new Date(t0 + 150_000).toISOString());
    const before = posts.length;
    await clock.advance(RESOLVED_RESEND_MS + 60_000);
    expect(posts.length - before).toBe(15);
    sender.stop();
  });
});
