// Heartbeat checks through the app: a job pings over HTTP, the check judges the pings on a fake
// clock (missed pings, a run that never finishes, a reported failure, the run's duration).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config/load.js';
import { silentLogger } from '../src/core/logger.js';
import { PROBE_KINDS } from '../src/probes/index.js';
import { createFakeClock } from './helpers/fake-clock.js';

let app: App | undefined;
afterEach(async () => {
  await app?.stop(0);
  app = undefined;
});

async function start() {
  const dir = mkdtempSync(join(tmpdir(), 'healthmon-heartbeat-'));
  const file = join(dir, 'healthmon.yaml');
  writeFileSync(file, `
server: {listen: "127.0.0.1:0"}
storage: {path: "${join(dir, 'data')}"}
host: {enabled: false}
global: {failure_threshold: 1}
checks:
  - name: backup
    kind: heartbeat
    interval: 1m
    heartbeat: {period: 1h, grace: 5m}
`);
  const clock = createFakeClock();
  const load = () => loadConfig(file, { kinds: PROBE_KINDS, env: {} });
  app = createApp(load(), { clock, logger: silentLogger(), kinds: PROBE_KINDS, build: { version: 't', nodeVersion: '20' }, loadConfig: load });
  const port = (await app.start())!;
  const ping = async (path: string) => (await fetch(`http://127.0.0.1:${port}/ping/${path}`, { method: 'POST' })).status;
  const last = () => app!.store.get('backup')!.state.last!;
  return { clock, ping, last };
}

describe('heartbeat checks', () => {
  it('fail when no ping comes within period + grace, and recover on a ping', async () => {
    const { clock, ping, last } = await start();
    await clock.advance(60 * 60_000);
    expect(last()).toMatchObject({ ok: true });
    // Watching starts at the check's first run, within its first minute.
    await clock.advance(7 * 60_000);
    expect(last()).toMatchObject({ ok: false, reason: 'heartbeat_missed' });
    expect(last().message).toMatch(/^no ping since healthmon started watching at .*; expected one every 3600s \(\+300s grace\)$/);
    expect(await ping('backup')).toBe(200);
    await clock.advance(60_000);
    expect(last()).toMatchObject({ ok: true });
    expect(await ping('nothing-here')).toBe(404);
  });

  it('time a run from start to success, fail a run that outlasts the grace, and fail on a reported failure', async () => {
    const { clock, ping, last } = await start();
    expect(await ping('backup/start')).toBe(200);
    await clock.advance(2 * 60_000);
    expect(await ping('backup')).toBe(200);
    await clock.advance(60_000);
    expect(last().observations).toContainEqual({ metric: 'healthmon_heartbeat_run_duration_seconds', value: 120 });
    expect(await ping('backup/start')).toBe(200);
    await clock.advance(6 * 60_000);
    expect(last()).toMatchObject({ ok: false, reason: 'heartbeat_missed' });
    expect(last().message).toMatch(/has not finished within the grace of 300s$/);
    expect(await ping('backup/fail')).toBe(200);
    await clock.advance(60_000);
    expect(last()).toMatchObject({ ok: false, reason: 'job_failed' });
  });
});
