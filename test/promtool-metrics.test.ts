// A real scrape, in both formats, through the real `promtool check metrics`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config/load.js';
import { silentLogger } from '../src/core/logger.js';
import { PROBE_KINDS } from '../src/probes/index.js';
import { createFakeClock } from './helpers/fake-clock.js';
import { findPeer } from './helpers/peers.js';

const promtool = findPeer('promtool');

describe.skipIf(!promtool)('promtool check metrics', () => {
  let app: App;
  let port: number;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'healthmon-promtool-'));
    const file = join(dir, 'healthmon.yaml');
    // A firing alert with awkward label values, so ALERTS and ALERTS_FOR_STATE are checked too.
    writeFileSync(join(dir, 'rules.yaml'), `groups:
  - name: g
    rules:
      - alert: Always
        expr: vector(1)
        labels: {detail: 'a "quoted" \\ value'}
`);
    writeFileSync(
      file,
      `server: {listen: "127.0.0.1:0"}
global: {interval: 5s, failure_threshold: 1, evaluation_interval: 5s}
rule_files: [rules.yaml]
storage: {path: "${join(dir, 'data')}"}
checks:
  - name: self
    kind: http
    labels: {team: "a \\"quoted\\" team"}
    http: {url: "http://127.0.0.1:1/"}
  - name: port
    kind: tcp
    critical: true
    tcp: {host: 127.0.0.1, port: 1}
  - name: resolver
    kind: dns
    dns: {name: localhost}
`,
    );
    const load = () => loadConfig(file, { kinds: PROBE_KINDS, env: {} });
    const clock = createFakeClock();
    app = createApp(load(), { clock, logger: silentLogger(), kinds: PROBE_KINDS, build: { version: '1.0.0', nodeVersion: '20' }, loadConfig: load });
    port = (await app.start())!;
    await app.runOnce();
    await clock.advance(10_000); // past the rules' warm-up: interval × (failure_threshold + 1)
  });
  afterAll(() => app?.stop(0));

  const scrape = async (accept: string) => (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { accept } })).text();
  const complaints = (body: string) => {
    const run = spawnSync(promtool!, ['check', 'metrics'], { input: body, encoding: 'utf8' });
    return (run.stderr + run.stdout)
      .split('\n')
      .filter((l) => l !== '')
      // node_exporter's own names (node_memory_MemTotal_bytes …), which the host metrics must keep.
      .filter((l) => !/^node_memory_\w+ metric names should be written in 'snake_case' not 'camelCase'$/.test(l));
  };

  it('passes text 0.0.4 with no complaint', async () => {
    const body = await scrape('text/plain;version=0.0.4');
    expect(body).toContain('node_cpu_seconds_total');
    expect(body).toContain('probe_success');
    expect(body).toContain('ALERTS{alertname="Always",detail="a \\"quoted\\" \\\\ value",alertstate="firing"} 1');
    expect(complaints(body)).toEqual([]);
  });

  it('passes OpenMetrics 1.0.0 with no complaint but the one promtool 2.42 makes of every OM counter', async () => {
    const body = await scrape('application/openmetrics-text;version=1.0.0');
    expect(body.endsWith('# EOF\n')).toBe(true);
    // promtool 2.42 reads OM as text: an OM counter family `foo` with sample `foo_total` (as the
    // spec requires) looks to it like a sample without HELP. Anything else is a real complaint.
    const counters = new Set([...body.matchAll(/^# TYPE (\S+) counter$/gm)].map((m) => `${m[1]}_total no help text`));
    expect(counters.size).toBeGreaterThan(5);
    expect(complaints(body).filter((l) => !counters.has(l))).toEqual([]);
  });

  it('keeps OpenMetrics families contiguous, each announced once', async () => {
    const body = await scrape('application/openmetrics-text;version=1.0.0');
    const families = [...body.matchAll(/^# TYPE (\S+) \S+$/gm)].map((m) => m[1]!);
    expect(new Set(families).size).toBe(families.length);
    let current = '';
    for (const line of body.split('\n')) {
      const type = /^# TYPE (\S+)/.exec(line);
      if (type) current = type[1]!;
      else if (line !== '' && !line.startsWith('#')) expect(line.startsWith(current)).toBe(true);
    }
  });
});
