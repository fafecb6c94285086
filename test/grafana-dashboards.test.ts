// The bundled Grafana dashboards and provisioning, checked without Grafana: the JSON model's
// shape (schema version, data source variable, unique ids, a layout without overlaps), every
// query valid PromQL for Prometheus 2.42 (promtool), and every metric a query names one that
// healthmon exposes. test/e2e-stack.test.ts runs the same queries against a real Prometheus.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config/load.js';
import { silentLogger } from '../src/core/logger.js';
import { PROBE_KINDS } from '../src/probes/index.js';
import { allPanels, allQueries, loadDashboards, metricNames, parseLabelValues, substitute, variableQuery, type Panel, type Selection } from './helpers/dashboards.js';
import { createFakeClock } from './helpers/fake-clock.js';
import { findPeer } from './helpers/peers.js';

const GRAFANA = join(import.meta.dirname, '..', 'grafana');
const dashboards = loadDashboards();
const DS_UID = '${datasource}';

/** Values for every variable, as Grafana's would look, for checking syntax and names. */
function sampleValues(d: (typeof dashboards)[number]['dashboard']): { values: Record<string, Selection>; multi: Set<string> } {
  const values: Record<string, Selection> = { __interval: '15s', __interval_ms: '15000', __rate_interval: '1m', __range: '6h', __range_s: '21600', __range_ms: '21600000' };
  const multi = new Set<string>();
  for (const v of d.templating.list) {
    values[v.name] = v.multi || v.includeAll ? ['a.example:9469', 'b.example:9469'] : 'x';
    if (v.multi || v.includeAll) multi.add(v.name);
  }
  return { values, multi };
}

function overlaps(a: Panel, b: Panel): boolean {
  const p = a.gridPos;
  const q = b.gridPos;
  return p.x < q.x + q.w && q.x < p.x + p.w && p.y < q.y + q.h && q.y < p.y + p.h;
}

describe('Grafana dashboards', () => {
  it('are the four dashboards, each with a unique uid and a current schema version', () => {
    expect(dashboards.map((d) => d.file)).toEqual(['healthmon-check.json', 'healthmon-host.json', 'healthmon-overview.json', 'healthmon-self.json']);
    expect(new Set(dashboards.map((d) => d.dashboard.uid)).size).toBe(dashboards.length);
    for (const { file, dashboard } of dashboards) {
      expect(dashboard.uid, file).toMatch(/^healthmon-[a-z]+$/);
      expect(dashboard.schemaVersion, file).toBeGreaterThanOrEqual(39);
      expect(dashboard.title, file).toMatch(/^healthmon \/ /);
    }
  });

  it.each(dashboards.map((d) => [d.file, d.dashboard] as const))('%s: picks its data source through a ${datasource} variable, in every panel and query', (_file, d) => {
    const ds = d.templating.list.filter((v) => v.type === 'datasource');
    expect(ds).toEqual([expect.objectContaining({ name: 'datasource', query: 'prometheus' })]);
    expect(d.templating.list[0]!.name).toBe('datasource');
    for (const v of d.templating.list.filter((x) => x.type === 'query')) expect(v.datasource, v.name).toEqual({ type: 'prometheus', uid: DS_UID });
    for (const p of allPanels(d)) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: DS_UID });
      for (const t of p.targets ?? []) expect(t.datasource, `${p.title} ${t.refId}`).toEqual({ type: 'prometheus', uid: DS_UID });
    }
  });

  it.each(dashboards.map((d) => [d.file, d.dashboard] as const))('%s: unique panel ids, panels inside the 24 columns and none overlapping', (_file, d) => {
    const ids = d.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of d.panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      expect(p.gridPos.w * p.gridPos.h, p.title).toBeGreaterThan(0);
    }
    const clashes = d.panels.flatMap((a, i) => d.panels.slice(i + 1).filter((b) => overlaps(a, b)).map((b) => `${a.title} / ${b.title}`));
    expect(clashes).toEqual([]);
  });

  it.each(dashboards.map((d) => [d.file, d.dashboard] as const))('%s: every panel has a title, a description and queries with unique refIds', (_file, d) => {
    for (const p of allPanels(d)) {
      expect(p.title, `panel ${p.id}`).not.toBe('');
      expect((p as Panel & { description?: string }).description, p.title).toBeTruthy();
      const targets = p.targets ?? [];
      expect(targets.length, p.title).toBeGreaterThan(0);
      expect(new Set(targets.map((t) => t.refId)).size, p.title).toBe(targets.length);
      for (const t of targets) {
        expect(t.expr, `${p.title} ${t.refId}`).toBeTruthy();
        expect(t.instant !== t.range, `${p.title} ${t.refId}: exactly one of instant and range`).toBe(true);
      }
    }
  });

  it.each(dashboards.map((d) => [d.file, d.dashboard] as const))('%s: variables are label_values queries, and queries use only variables that exist', (_file, d) => {
    const { values, multi } = sampleValues(d);
    for (const v of d.templating.list.filter((x) => x.type === 'query')) {
      const lv = parseLabelValues(variableQuery(v) ?? '');
      expect(lv, v.name).toBeDefined();
      if (lv?.selector) expect(() => substitute(lv.selector!, values, multi)).not.toThrow();
    }
    for (const q of allQueries(d)) expect(() => substitute(q.expr, values, multi), `${q.panel} ${q.refId}`).not.toThrow();
  });

  it('the check dashboard has a single-valued $check from healthmon_check_info, and the overview links to it', () => {
    const check = dashboards.find((d) => d.dashboard.uid === 'healthmon-check')!.dashboard;
    expect(check.templating.list.find((v) => v.name === 'check')).toMatchObject({ type: 'query', multi: false, includeAll: false });
    expect(variableQuery(check.templating.list.find((v) => v.name === 'check')!)).toBe('label_values(healthmon_check_info, check)');
    for (const q of allQueries(check)) expect(q.expr, `${q.panel} ${q.refId}`).toContain('check="$check"');
    const overview = readFileSync(join(GRAFANA, 'dashboards', 'healthmon-overview.json'), 'utf8');
    expect(overview).toContain('/d/healthmon-check/healthmon-check-detail?var-check=');
  });

  it('names only metrics healthmon exposes (plus ALERTS and Prometheus\'s own up and scrape_*)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'healthmon-grafana-'));
    try {
      const file = join(dir, 'healthmon.yaml');
      writeFileSync(file, `server: {listen: "127.0.0.1:0"}\nhost: {enabled: true}\nstorage: {path: ${JSON.stringify(join(dir, 'data'))}}\nchecks:\n  - {name: a, kind: http, http: {url: "http://127.0.0.1:1/"}}\n  - {name: b, kind: tcp, tcp: {host: 127.0.0.1, port: 1}}\n  - {name: c, kind: dns, dns: {name: localhost}}\n`);
      const load = () => loadConfig(file, { kinds: PROBE_KINDS, env: {} });
      const app = createApp(load(), { clock: createFakeClock(), logger: silentLogger(), kinds: PROBE_KINDS, build: { version: 't', nodeVersion: '20' }, loadConfig: load });
      const text = Buffer.concat(await app.metrics('text')).toString();
      await app.stop(0);
      // Every family is declared with # TYPE even before it has samples.
      const exposed = new Set(['ALERTS', 'ALERTS_FOR_STATE', 'up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added']);
      for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
        const [, name, type] = m as unknown as [string, string, string];
        exposed.add(name);
        if (type === 'histogram' || type === 'summary') for (const s of ['_bucket', '_sum', '_count']) exposed.add(name + s);
      }
      const unknown = dashboards.flatMap(({ dashboard }) => {
        const { values, multi } = sampleValues(dashboard);
        return allQueries(dashboard).flatMap((q) => metricNames(substitute(q.expr, values, multi)).filter((n) => !exposed.has(n)).map((n) => `${q.dashboard} / ${q.panel} [${q.refId}]: ${n}`));
      });
      expect(unknown).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const promtool = findPeer('promtool');
  it.skipIf(!promtool)('every query is valid PromQL for Prometheus 2.42 (promtool check rules, one recording rule per query)', () => {
    const rules = dashboards.flatMap(({ dashboard }) => {
      const { values, multi } = sampleValues(dashboard);
      return allQueries(dashboard).map((q, i) => ({ record: `dashboard:${dashboard.uid.replace(/-/g, '_')}:q${i}`, expr: substitute(q.expr, values, multi), labels: { panel: `${q.panel} [${q.refId}]` } }));
    });
    const dir = mkdtempSync(join(tmpdir(), 'healthmon-grafana-'));
    try {
      const file = join(dir, 'queries.yaml');
      writeFileSync(file, stringifyYaml({ groups: [{ name: 'dashboards', rules }] }));
      const run = spawnSync(promtool!, ['check', 'rules', file], { encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(run.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Grafana provisioning', () => {
  it('provides the Prometheus data source as the default, with the scrape interval for $__rate_interval', () => {
    const file = parseYaml(readFileSync(join(GRAFANA, 'provisioning', 'datasources', 'prometheus.yaml'), 'utf8')) as { apiVersion: number; datasources: Record<string, unknown>[] };
    expect(file.apiVersion).toBe(1);
    expect(file.datasources).toEqual([
      expect.objectContaining({ name: 'Prometheus', type: 'prometheus', access: 'proxy', url: 'http://prometheus:9090', isDefault: true, jsonData: expect.objectContaining({ timeInterval: '15s' }) }),
    ]);
    const prometheus = parseYaml(readFileSync(join(import.meta.dirname, '..', 'deploy', 'compose', 'prometheus.yml'), 'utf8')) as { global: { scrape_interval: string } };
    expect(prometheus.global.scrape_interval).toBe('15s');
  });

  it('loads the dashboards from one file provider', () => {
    const file = parseYaml(readFileSync(join(GRAFANA, 'provisioning', 'dashboards', 'healthmon.yaml'), 'utf8')) as { apiVersion: number; providers: { type: string; options: { path: string } }[] };
    expect(file.apiVersion).toBe(1);
    expect(file.providers).toEqual([expect.objectContaining({ name: 'healthmon', type: 'file', folder: 'healthmon', options: expect.objectContaining({ path: '/etc/grafana/dashboards/healthmon' }) })]);
  });
});
