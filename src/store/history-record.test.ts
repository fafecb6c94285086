import { describe, expect, it } from 'vitest';
import type { AlertEvent } from '../core/alert-event.js';
import { createMemoryHistory } from './history-memory.js';
import { recordAlert } from './history-record.js';

describe('alerts in history', () => {
  it('puts firing and resolution on the timeline of the check the alert names', async () => {
    const history = createMemoryHistory({ retention: { rawMs: 86_400_000, rollupMs: 86_400_000 } });
    const alert: AlertEvent = {
      status: 'firing', labels: { alertname: 'ServiceDown', check: 'api', severity: 'critical' }, annotations: { summary: 'api is down' },
      startsAt: 1_000, generatorURL: '', fingerprint: 'abc', value: 0, group: 'g',
    };
    recordAlert(history, alert);
    recordAlert(history, { ...alert, status: 'resolved', endsAt: 5_000 });
    recordAlert(history, { ...alert, labels: { alertname: 'HostDiskFull' }, fingerprint: 'def' });
    await history.flush();
    expect(history.events({ since: 0, until: 10_000 }, { check: 'api', kind: 'alert' })).toEqual([
      { check: 'api', at: 5_000, kind: 'alert', state: 'resolved', message: 'ServiceDown', data: { fingerprint: 'abc', labels: alert.labels, annotations: alert.annotations } },
      { check: 'api', at: 1_000, kind: 'alert', state: 'firing', message: 'ServiceDown', data: { fingerprint: 'abc', labels: alert.labels, annotations: alert.annotations } },
    ]);
    expect(history.events({ since: 0, until: 10_000 }, { check: '' })).toMatchObject([{ message: 'HostDiskFull' }]);
  });
});
