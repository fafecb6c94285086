// Self-healing through the whole app: a check that keeps failing runs its on_failure command (a
// real program), which repairs what the check watches; the run is counted on /metrics and
// recorded in the check's history.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/app.js';
import { loadConfigAsync } from '../src/config/load.js';
import { silentLogger } from '../src/core/logger.js';
import { PROBE_KINDS } from '../src/probes/index.js';
import { createFakeClock, type FakeClock } from './helpers/fake-clock.js';

let app: App | undefined;
afterEach(async () => {
  await app?.stop(0);
  app = undefined;
});

/** Advances one interval, then waits (in real time) until the check has recorded a new result. */
async function nextRun(clock: FakeClock, a: App, check: string): Promise<void> {
  const before = a.store.get(check)!.version;
  await clock.advance(10_000);
  const deadline = Date.now() + 10_000;
  while (a.store.get(check)!.version === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

describe('on_failure', () => {
  it('repairs a failing check with a real command, counts the run and records it in history', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'healthmon-heal-'));
    const flag = join(dir, 'service-running');
    const fix = join(dir, 'restart.sh');
    writeFileSync(fix, `#!/bin/sh\necho "restarting service"\ntouch "${flag}"\n`, { mode: 0o755 });
    writeFileSync(
      join(dir, 'healthmon.yaml'),
      `global: {interval: 10s, failure_threshold: 2}
storage: {path: "${join(dir, 'data')}"}
host: {enabled: false}
checks:
  - name: service
    kind: exec
    exec: {command: [/usr/bin/test, -f, "${flag}"]}
    on_failure: {run: ["${fix}"], cooldown: 1m, timeout: 5s}
`,
    );
    const clock = createFakeClock(Date.now());
    const load = () => loadConfigAsync(join(dir, 'healthmon.yaml'), { kinds: PROBE_KINDS, env: {} });
    const a = (app = createApp(await load(), { clock, logger: silentLogger(), kinds: PROBE_KINDS, build: { version: 't', nodeVersion: '20' }, loadConfig: load }));
    await a.start({ listen: false });

    await nextRun(clock, a, 'service');
    expect(a.store.get('service')!.state.consecutiveFailures).toBe(1);
    expect(existsSync(flag)).toBe(false); // one failure is not enough
    await nextRun(clock, a, 'service');
    const deadline = Date.now() + 10_000;
    while (!existsSync(flag) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(existsSync(flag)).toBe(true);
    await nextRun(clock, a, 'service');
    expect(a.store.get('service')!.state).toMatchObject({ up: true, status: 'healthy' });

    const metrics = Buffer.concat(await a.metrics('text')).toString();
    expect(metrics).toContain('healthmon_remediation_runs_total{check="service",outcome="succeeded"} 1');
    await a.history()!.flush();
    const events = a.history()!.events({ since: 0, until: clock.now() + 1 }, { check: 'service', kind: 'remediation' });
    expect(events).toMatchObject([{ state: 'succeeded', message: 'on_failure command succeeded', data: { attempt: 1, exit_code: 0, output: 'restarting service' } }]);
  }, 30_000);
});
