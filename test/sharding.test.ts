// Two replicas with the same config and `shard: 0/2`, `1/2`: together they probe every check
// exactly once, and alerts both of them raise reach a real Alertmanager, which sends one
// notification per alert. The CLI's --shard splits `once` the same way.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config/load.js';
import type { ProbeKind } from '../src/probes/types.js';
import { z } from 'zod';
import { startAlertmanager } from './helpers/alertmanager.js';
import { createFakeClock, type FakeClock } from './helpers/fake-clock.js';
import { findPeer } from './helpers/peers.js';
import { startRecorder } from './helpers/receivers.js';

const alertmanager = findPeer('prometheus-alertmanager');
const CHECKS = Array.from({ length: 40 }, (_, i) => `svc-${i}`);

// Every probe counts itself; svc-7 is down.
function countingKind(probes: Map<string, number>): ProbeKind<{ id: string }> {
  return {
    kind: 'test',
    schema: z.strictObject({ id: z.string() }),
    target: (s) => `test:${s.id}`,
    metrics: [],
    probe: async (s) => {
      probes.set(s.id, (probes.get(s.id) ?? 0) + 1);
      return s.id === 'svc-7' ? { ok: false, reason: 'connection_refused', phases: {}, observations: [] } : { ok: true, phases: {}, observations: [] };
    },
  };
}

function writeConfig(dir: string, shard: string, amUrl: string): string {
  writeFileSync(
    join(dir, 'rules.yaml'),
    `groups:
  - name: fleet
    rules:
      - alert: ServiceDown
        expr: healthmon_check_up == 0
        labels: {severity: critical}
      # Raised by every replica alike: the Alertmanager is what removes the duplicate.
      - alert: FleetWatchdog
        expr: vector(1)
        labels: {severity: info}
`,
  );
  const file = join(dir, `healthmon-${shard.replace('/', 'of')}.yaml`);
  writeFileSync(
    file,
    `global: {interval: 10s, failure_threshold: 1, evaluation_interval: 10s}
server: {listen: "127.0.0.1:0"}
storage: {path: "${join(dir, `data-${shard.replace('/', 'of')}`)}"}
host: {enabled: false}
shard: "${shard}"
rule_files: [rules.yaml]
alerting:
  route: {receiver: am}
  receivers: [{name: am, alertmanager_configs: [{urls: ["${amUrl}"]}]}]
checks:
${CHECKS.map((c) => `  - {name: ${c}, kind: test, test: {id: ${c}}}`).join('\n')}
`,
  );
  return file;
}

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function advance(clock: FakeClock, apps: App[], ms: number): Promise<void> {
  for (let done = 0; done < ms; done += 5_000) {
    await clock.advance(5_000);
    for (const app of apps) await app.alerting()?.delivery.pump();
  }
}

describe('sharding', () => {
  it.skipIf(!alertmanager)('two replicas probe every check exactly once; Alertmanager sends one notification per alert', async () => {
    const hook = await startRecorder();
    cleanup.push(() => hook.close());
    const am = await startAlertmanager(
      alertmanager!,
      `route: {receiver: hook, group_by: [alertname], group_wait: 500ms, group_interval: 1s, repeat_interval: 1h}
receivers: [{name: hook, webhook_configs: [{url: "${hook.base}/am"}]}]
`,
    );
    cleanup.push(() => am.stop());
    const dir = mkdtempSync(join(tmpdir(), 'healthmon-shard-'));
    // Near the wall clock: Alertmanager judges startsAt and endsAt by its own time.
    const clock = createFakeClock(Date.now());
    const probes = new Map<string, number>();
    const kinds = { test: countingKind(probes) };
    const apps = ['0/2', '1/2'].map((shard) => {
      const file = writeConfig(dir, shard, am.url);
      const load = () => loadConfig(file, { kinds, env: {} });
      return createApp(load(), { clock, logger: pino({ level: 'silent' }), kinds, build: { version: 't', nodeVersion: '20' }, loadConfig: load });
    });
    for (const app of apps) {
      cleanup.push(() => app.stop(0));
      await app.start({ listen: false });
    }

    // Each replica holds a disjoint share; together, every check.
    const owned = apps.map((a) => [...a.store.entries()].map((e) => e.spec.name));
    expect(owned[0]!.length).toBeGreaterThan(0);
    expect(owned[1]!.length).toBeGreaterThan(0);
    expect([...owned[0]!, ...owned[1]!].sort()).toEqual([...CHECKS].sort());

    // One interval: every check probed exactly once, by one replica.
    await advance(clock, apps, 10_000);
    expect(CHECKS.filter((c) => probes.get(c) !== 1)).toEqual([]);

    await advance(clock, apps, 30_000);
    const deadline = Date.now() + 15_000;
    const notifications = () => hook.requests.map((r) => JSON.parse(r.body) as { groupLabels: Record<string, string>; alerts: Array<{ labels: Record<string, string> }> });
    while (new Set(notifications().map((n) => n.groupLabels.alertname)).size < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    // Let any duplicate show up: a second alert in a group would be a new notification after group_interval.
    await new Promise((r) => setTimeout(r, 2_500));
    const byGroup = new Map<string, number>();
    for (const n of notifications()) byGroup.set(n.groupLabels.alertname!, (byGroup.get(n.groupLabels.alertname!) ?? 0) + 1);
    expect(Object.fromEntries(byGroup)).toEqual({ ServiceDown: 1, FleetWatchdog: 1 });
    const alerts = notifications().flatMap((n) => n.alerts.map((a) => `${a.labels.alertname}/${a.labels.check ?? ''}`));
    expect(alerts.sort()).toEqual(['FleetWatchdog/', 'ServiceDown/svc-7']);
  }, 40_000);

  it('--shard splits `once` between replicas: every check once, none twice', () => {
    const dir = mkdtempSync(join(tmpdir(), 'healthmon-shard-cli-'));
    const file = join(dir, 'healthmon.yaml');
    const checks = Array.from({ length: 12 }, (_, i) => `  - {name: job-${i}, kind: exec, exec: {command: [/bin/true]}}`);
    writeFileSync(file, `storage: {path: "${join(dir, 'data')}"}\nhost: {enabled: false}\nchecks:\n${checks.join('\n')}\n`);
    const main = join(import.meta.dirname, '..', 'src', 'main.ts');
    const names = ['0/3', '1/3', '2/3'].map((shard) => {
      const run = spawnSync(process.execPath, ['--import', 'tsx', main, 'once', '--json', '--config', file, '--shard', shard], { encoding: 'utf8', timeout: 20_000 });
      expect(run.status, run.stderr).toBe(0);
      return (JSON.parse(run.stdout) as Array<{ check: string }>).map((r) => r.check);
    });
    expect(names.flat().sort()).toEqual(Array.from({ length: 12 }, (_, i) => `job-${i}`).sort());
    const bad = spawnSync(process.execPath, ['--import', 'tsx', main, 'once', '--config', file, '--shard', '3/3'], { encoding: 'utf8', timeout: 20_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--shard: expected a shard like "0/3"');
  }, 60_000);
});
