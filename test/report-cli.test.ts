// `healthmon report` and `healthmon dashboard` as users run them: a real process reading a real
// SQLite history that a history store (as a running server has) keeps open and writes meanwhile.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dashboard } from '../src/cli/dashboard.js';
import type { Report } from '../src/cli/report.js';
import type { HistoryStore } from '../src/store/history.js';
import { createSqliteHistory } from '../src/store/history-sqlite.js';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');
const MIN = 60_000;
const DAY = 24 * 60 * MIN;

function cli(args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

function config(dir: string, storage: string): string {
  const file = join(dir, 'healthmon.yaml');
  writeFileSync(
    file,
    `host: {enabled: false}
global: {interval: 10m}
storage: {path: ${JSON.stringify(storage)}}
checks:
  - name: api
    kind: tcp
    critical: true
    slo: {availability: 99%, window: 7d}
    tcp: {host: 127.0.0.1, port: 9}
  - name: "pipe|name"
    kind: dns
    dns: {name: localhost}
`,
  );
  return file;
}

describe('healthmon report and dashboard', () => {
  let dir: string;
  let file: string;
  let history: HistoryStore;
  const now = Date.now();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'healthmon-report-'));
    file = config(dir, join(dir, 'data'));
    // As a running server: the store stays open (its writer thread holds the file) while the CLI reads.
    history = createSqliteHistory({ dir: join(dir, 'data'), retention: { rawMs: 7 * DAY, rollupMs: 400 * DAY }, logger: pino({ level: 'silent' }), flushIntervalMs: 10 });
    for (let i = 120; i >= 1; i--) {
      const at = now - i * MIN;
      const down = i <= 30 && i > 20;
      history.append({ check: 'api', at, durationMs: 10 + (i % 5), ok: !down, status: down && i <= 28 ? 'critical' : 'healthy', ...(down && { reason: 'connection_refused', message: 'refused' }) });
      history.append({ check: 'pipe|name', at, durationMs: 2, ok: true, status: 'healthy' });
    }
    history.appendEvent({ check: 'api', at: now - 28 * MIN + 12, kind: 'status', state: 'critical', data: { previous: 'healthy', reason: 'connection_refused' } });
    history.appendEvent({ check: 'api', at: now - 20 * MIN + 15, kind: 'status', state: 'healthy', data: { previous: 'critical' } });
    await history.flush();
  });

  afterAll(async () => {
    await history?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('report --format json --out FILE: the report, written whole', () => {
    const out = join(dir, 'report.json');
    const run = cli(['report', '--config', file, '--format', 'json', '--out', out]);
    expect(run).toMatchObject({ code: 0, stdout: '' });
    expect(run.stderr).toBe(`report written to ${out}\n`);
    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    expect(report.period).toBe('custom');
    expect(report.duration_ms).toBeGreaterThanOrEqual(DAY);
    const api = report.checks.find((c) => c.check === 'api')!;
    expect(api).toMatchObject({ runs: 120, failures: 10, uptime_pct: 91.6667, critical: true });
    expect(api.incidents).toEqual([expect.objectContaining({ type: 'outage', reason: 'connection_refused', duration_ms: 8 * MIN + 3, ongoing: false })]);
    expect(api.slo).toMatchObject({ objective_pct: 99, actual_pct: 91.6667, compliant: false, error_budget_remaining_pct: -733.33 });
    expect(report.checks.find((c) => c.check === 'pipe|name')).toMatchObject({ runs: 120, failures: 0, uptime_pct: 100 });
  });

  it('report weekly: Markdown on stdout, by the day', () => {
    const run = cli(['report', 'weekly', '--config', file]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^# healthmon weekly report: /);
    expect(run.stdout).toContain('## Daily breakdown, all checks');
    expect(run.stdout).toMatch(/\| pipe\\\|name \| dns \| 100% \|/);
    expect(run.stdout).toMatch(/\| api \(critical\) \| tcp \| 91\.6667% \|/);
  });

  it('--report --since 7d --format html --out FILE: one HTML page', () => {
    const out = join(dir, 'report.html');
    const run = cli(['--report', '--since', '7d', '--config', file, '--format', 'html', '--out', out]);
    expect(run.code).toBe(0);
    const page = readFileSync(out, 'utf8');
    expect(page).toMatch(/^<!DOCTYPE html>\n<html lang="en">/);
    expect(page).toContain('<th scope="row">pipe|name</th>');
    expect(page).toContain('connection_refused');
  });

  it('report --json: the same as --format json', () => {
    const run = cli(['report', 'daily', '--json', '--config', file]);
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as Report).step_ms).toBe(60 * MIN);
  });

  it('dashboard and --dashboard: the summary as JSON', () => {
    const run = cli(['dashboard', '--config', file]);
    expect(run.code).toBe(0);
    const d = JSON.parse(run.stdout) as Dashboard;
    expect(d).toMatchObject({ total_services: 2, healthy_services: 2, unhealthy_services: 0, critical_unhealthy: 0, unknown_services: 0, health_percentage: 100 });
    expect(d.services.map((s) => [s.name, s.status, s.uptime_24h])).toEqual([
      ['api', 'healthy', 91.6667],
      ['pipe|name', 'healthy', 100],
    ]);
    const out = join(dir, 'dashboard.json');
    const alias = cli(['--dashboard', '--config', file, '--out', out]);
    expect(alias).toMatchObject({ code: 0, stdout: '', stderr: `dashboard written to ${out}\n` });
    expect((JSON.parse(readFileSync(out, 'utf8')) as Dashboard).services).toHaveLength(2);
  });

  it('without history: report says so and exits 1, dashboard shows every check unknown; neither creates the file', () => {
    const empty = mkdtempSync(join(tmpdir(), 'healthmon-report-empty-'));
    try {
      const cfg = config(empty, join(empty, 'data'));
      const db = join(empty, 'data', 'healthmon.db');
      const report = cli(['report', '--config', cfg]);
      expect(report).toMatchObject({ code: 1, stdout: '' });
      expect(report.stderr).toBe(`no history at ${db}: run healthmon first (storage.path is ${join(empty, 'data')})\n`);
      const dashboard = cli(['dashboard', '--config', cfg]);
      expect(dashboard.code).toBe(0);
      expect(dashboard.stderr).toContain(`no history at ${db}: every check is unknown`);
      expect(JSON.parse(dashboard.stdout)).toMatchObject({ total_services: 2, unknown_services: 2 });
      expect(existsSync(db)).toBe(false);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('does not write to the history it reads', () => {
    const db = join(dir, 'data', 'healthmon.db');
    const before = statSync(db).mtimeMs;
    expect(cli(['report', '--config', file, '--format', 'json']).code).toBe(0);
    expect(statSync(db).mtimeMs).toBe(before);
  });

  it.each([
    [['report', '--since', 'yesterday'], '--since: expected a duration such as 24h, 7d or 30d, got "yesterday"'],
    [['--report', '--format', 'pdf'], '--format: expected one of json, markdown, html, got "pdf"'],
    [['dashboard', '--format', 'html'], '--format: the dashboard is JSON only, got "html"'],
    [['--report', '--dashboard'], 'report and dashboard are two commands; give one'],
  ])('%j: exit 2 with a clear message, before reading any config (the rest: planReport in report.test.ts)', (args, message) => {
    const run = cli([...args, '--config', '/nonexistent/healthmon.yaml']);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(message);
    expect(run.stderr).toContain('Usage:');
  });

  it('exit 2 on a bad config', () => {
    const run = cli(['report', '--config', '/nonexistent/healthmon.yaml']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('cannot read the config file: ENOENT');
  });

  it('exit 1 when --out cannot be written', () => {
    const run = cli(['dashboard', '--config', file, '--out', join(dir, 'no', 'such', 'dir', 'd.json')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^cannot write .*d\.json: ENOENT/);
  });
});
