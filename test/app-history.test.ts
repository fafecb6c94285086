// The app's history: every result of `run` and each status change reach the SQLite store under
// storage.path, its health is on /metrics, and it closes with the app; `once` opens none.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config/load.js';
import { silentLogger } from '../src/core/logger.js';
import { DATABASE_FILE } from '../src/store/database.js';
import { createFakeClock } from './helpers/fake-clock.js';
import { createTestKind } from './helpers/test-kind.js';

const CONFIG = `
global:
  interval: 10s
  failure_threshold: 2
host:
  enabled: false
storage:
  path: data
checks:
  - name: alpha
    kind: test
    test: {id: a}
`;

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'healthmon-app-history-'));
  const file = join(dir, 'healthmon.yaml');
  writeFileSync(file, CONFIG);
  const { kind, outcomes } = createTestKind();
  const kinds = { test: kind };
  const clock = createFakeClock();
  const load = () => loadConfig(file, { kinds, env: {} });
  const app = createApp(load(), { clock, logger: silentLogger(), kinds, build: { version: '0.0.0-test', nodeVersion: '20' }, loadConfig: load });
  return { app, dir, outcomes, clock };
}

let running: App | undefined;
afterEach(async () => {
  await running?.stop(0);
  running = undefined;
});

describe('app history', () => {
  it('records every result of `run` with its status, and status changes as events', async () => {
    const { app, outcomes, clock } = setup();
    running = app;
    expect(app.history()).toBeUndefined();
    await app.start({ listen: false });
    const history = app.history()!;
    const since = clock.now();
    await clock.advance(15_000);
    outcomes.set('a', { ok: false, reason: 'connection_refused', message: 'refused', phases: {}, observations: [] });
    await clock.advance(20_000);
    await history.flush();
    const span = { since, until: clock.now() + 1 };
    const results = history.results('alpha', span);
    // One run within the first interval (jittered), then two failing ones.
    expect(results.map((r) => [r.ok, r.status, r.reason])).toEqual([
      [true, 'healthy', undefined],
      [false, 'healthy', 'connection_refused'],
      [false, 'unhealthy', 'connection_refused'],
    ]);
    expect(history.events(span).map((e) => [e.kind, e.state, e.data])).toEqual([
      ['status', 'unhealthy', { previous: 'healthy', reason: 'connection_refused' }],
      ['status', 'healthy', {}],
    ]);
    expect(history.aggregate(span).get('alpha')).toMatchObject({ count: 3, failures: 2 });

    const body = Buffer.concat(await app.metrics('text')).toString();
    expect(body).toMatch(/^healthmon_history_pending 0$/m);
    expect(body).toMatch(/^healthmon_history_dropped_total 0$/m);
    expect(body).toMatch(/^healthmon_history_write_errors_total 0$/m);
    await app.stop(0);
    running = undefined;
    expect(history.health().pending).toBe(0);
  });

  it('opens no history for `once`', async () => {
    const { app, dir } = setup();
    await app.runOnce();
    expect(app.history()).toBeUndefined();
    expect(existsSync(join(dir, 'data', DATABASE_FILE))).toBe(false);
  });
});
