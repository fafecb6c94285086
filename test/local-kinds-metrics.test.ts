// The exec, process and plugin series as a real scrape shows them, checked by the real
// `promtool check metrics`; and a reload that picks up a changed plug-in module.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/app.js';
import { loadConfigAsync } from '../src/config/load.js';
import { silentLogger } from '../src/core/logger.js';
import { PROBE_KINDS } from '../src/probes/index.js';
import { createFakeClock } from './helpers/fake-clock.js';
import { parseExposition } from './helpers/parse-exposition.js';
import { findPeer } from './helpers/peers.js';

const EXAMPLE = join(import.meta.dirname, '..', 'examples', 'plugins', 'file-age.js');
const promtool = findPeer('promtool');

let dir: string;
let file: string;
let app: App;

const CONFIG = () => `host: {enabled: false}
storage: {path: "${join(dir, 'data')}"}
checks:
  - name: disk
    kind: exec
    exec:
      command: [${join(dir, 'check_disk')}]
      nagios: true
  - name: init
    kind: process
    process: {pid: 1}
  - name: workers
    kind: process
    process: {name: "^healthmon-no-such-process$", min_count: 0}
  - name: backup
    kind: plugin
    plugin:
      module: ${EXAMPLE}
      options: {path: ${dir}, max_age_seconds: 3600}
  - name: custom
    kind: plugin
    plugin: {module: ./plugins/custom.js}
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'healthmon-local-metrics-'));
  mkdirSync(join(dir, 'plugins'));
  writeFileSync(join(dir, 'check_disk'), `#!/bin/sh\necho "DISK OK - free space: / 3326 MB | '/'=2643MB;5948;5958;0;5968 used=44%;80;90 'odd \\"label\\"'=1s"\n`, { mode: 0o755 });
  writeFileSync(join(dir, 'plugins', 'custom.js'), 'export default async () => ({ ok: true, message: "v1", observations: [{ metric: "version", value: 1 }] });\n');
  file = join(dir, 'healthmon.yaml');
  writeFileSync(file, CONFIG());
  const load = () => loadConfigAsync(file, { kinds: PROBE_KINDS, env: {} });
  app = createApp(await load(), { clock: createFakeClock(), logger: silentLogger(), kinds: PROBE_KINDS, build: { version: '1.0.0', nodeVersion: '20' }, loadConfig: load });
  await app.runOnce();
});

afterAll(async () => {
  await app?.stop(0);
  rmSync(dir, { recursive: true, force: true });
});

const scrape = async (format: 'text' | 'openmetrics') => Buffer.concat(await app.metrics(format)).toString('utf8');

describe('exec, process and plugin series', () => {
  it('are exported with their labels and base units', async () => {
    const samples = parseExposition(await scrape('text'));
    const value = (name: string, labels: Record<string, string>) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    expect(value('probe_exec_perfdata', { check: 'disk', label: '/', unit: 'bytes' })).toBe(2643 * 1024 ** 2);
    expect(value('probe_exec_perfdata', { check: 'disk', label: 'used', unit: 'ratio' })).toBe(0.44);
    expect(value('probe_exec_perfdata', { check: 'disk', label: 'odd "label"', unit: 'seconds' })).toBe(1);
    expect(value('probe_exec_exit_code', { check: 'disk' })).toBe(0);
    expect(value('healthmon_process_up', { check: 'init', kind: 'process' })).toBe(1);
    expect(value('healthmon_process_threads', { check: 'init' })).toBeGreaterThanOrEqual(1);
    expect(value('healthmon_process_matches', { check: 'workers' })).toBe(0);
    expect(value('healthmon_check_up', { check: 'workers' })).toBe(1);
    expect(value('probe_plugin_value', { check: 'backup', metric: 'size_bytes' })).toBeGreaterThan(0);
    expect(value('healthmon_check_info', { check: 'custom', target: './plugins/custom.js' })).toBe(1);
  });

  it.skipIf(!promtool)('pass promtool check metrics in both formats', async () => {
    const complaints = (body: string) => {
      const run = spawnSync(promtool!, ['check', 'metrics'], { input: body, encoding: 'utf8' });
      return (run.stderr + run.stdout).split('\n').filter((l) => l !== '');
    };
    expect(complaints(await scrape('text'))).toEqual([]);
    // promtool 2.42 reads OpenMetrics as text and takes every OM counter's `_total` sample for one
    // without help (see promtool-metrics.test.ts); nothing else may be reported.
    const om = await scrape('openmetrics');
    const counters = new Set([...om.matchAll(/^# TYPE (\S+) counter$/gm)].map((m) => `${m[1]}_total no help text`));
    expect(complaints(om).filter((l) => !counters.has(l))).toEqual([]);
  });

  it('restart a plug-in check with its new code when the module changed and the config is reloaded', async () => {
    const module = join(dir, 'plugins', 'custom.js');
    writeFileSync(module, 'export default async () => ({ ok: true, message: "v2", observations: [{ metric: "version", value: 2 }] });\n');
    utimesSync(module, new Date(), new Date(Date.now() + 5000));
    expect(await app.reload()).toEqual([]);
    await app.runOnce();
    const samples = parseExposition(await scrape('text'));
    expect(samples.find((s) => s.name === 'probe_plugin_value' && s.labels.check === 'custom')?.value).toBe(2);

    writeFileSync(module, 'export default 42;\n');
    utimesSync(module, new Date(), new Date(Date.now() + 10_000));
    const problems = await app.reload();
    expect(problems).toEqual([`checks[4].plugin.module (${file}:22): ${module} has no probe function: expected a default export or an export named "probe"; it exports default (42)`]);
  });
});
