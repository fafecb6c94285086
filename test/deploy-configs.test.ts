// deploy/: the Prometheus configs (promtool check config, with the bundled rules), the
// Alertmanager config (amtool, or a real Alertmanager, and its routing) and the systemd unit
// (systemd-analyze verify and its security score where systemd-analyze exists, its hardening
// settings everywhere).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { findPeer } from './helpers/peers.js';

const REPO = join(import.meta.dirname, '..');
const DEPLOY = join(REPO, 'deploy');
const promtool = findPeer('promtool');

/** A tool some machines lack and no test requires: undefined when it is not there, without failing. */
function optionalTool(binary: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/sbin', '/bin']) {
    try {
      accessSync(join(dir, binary), constants.X_OK);
      return join(dir, binary);
    } catch {
      // not here
    }
  }
  return undefined;
}

interface RelabelConfig {
  source_labels?: string[];
  regex?: string;
  target_label?: string;
  replacement?: string;
  action?: string;
}

interface PromConfig {
  global: { scrape_interval: string; evaluation_interval: string };
  rule_files: string[];
  alerting: { alert_relabel_configs: RelabelConfig[]; alertmanagers: { static_configs: { targets: string[] }[] }[] };
  scrape_configs: { job_name: string; static_configs: { targets: string[] }[]; metric_relabel_configs?: RelabelConfig[] }[];
}

const readYaml = <T>(file: string): T => parseYaml(readFileSync(file, 'utf8')) as T;
const promConfig = readYaml<PromConfig>(join(DEPLOY, 'prometheus.yml'));
const composePromConfig = readYaml<PromConfig>(join(DEPLOY, 'compose', 'prometheus.yml'));

const DROP_ALERTS: RelabelConfig[] = [{ source_labels: ['__name__'], regex: 'ALERTS|ALERTS_FOR_STATE', action: 'drop' }];

describe('deploy/prometheus.yml', () => {
  it.skipIf(!promtool)('passes promtool check config, with the bundled rules it points at (deploy/rules → rules/)', () => {
    const run = spawnSync(promtool!, ['check', 'config', join(DEPLOY, 'prometheus.yml')], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('SUCCESS: 1 rule files found');
    expect(run.stdout).toMatch(/Checking \S+deploy\/rules\/alert_rules\.yaml\n {2}SUCCESS: \d+ rules found/);
  });

  it.skipIf(!promtool)('deploy/compose/prometheus.yml passes too, laid out as the compose stack mounts it (rules in /etc/prometheus/rules)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'healthmon-prom-config-'));
    try {
      writeFileSync(join(dir, 'prometheus.yml'), readFileSync(join(DEPLOY, 'compose', 'prometheus.yml')));
      symlinkSync(join(REPO, 'rules'), join(dir, 'rules'));
      const run = spawnSync(promtool!, ['check', 'config', join(dir, 'prometheus.yml')], { encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('SUCCESS: 1 rule files found');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('scrapes one healthmon, or three replicas run with --shard 0/3, 1/3 and 2/3', () => {
    const jobs = Object.fromEntries(promConfig.scrape_configs.map((j) => [j.job_name, j.static_configs.flatMap((s) => s.targets)]));
    expect(jobs).toEqual({ healthmon: ['localhost:9469'], 'healthmon-shards': ['healthmon-0:9469', 'healthmon-1:9469', 'healthmon-2:9469'] });
    const text = readFileSync(join(DEPLOY, 'prometheus.yml'), 'utf8');
    for (const i of [0, 1, 2]) expect(text).toMatch(new RegExp(`"healthmon-${i}:9469"\\s+# healthmon --shard ${i}/3`));
  });

  it('loads rules/ and alerts the Alertmanager, in both configs', () => {
    expect(promConfig.rule_files).toEqual(['rules/*.yaml']);
    expect(composePromConfig.rule_files).toEqual(['rules/*.yaml']);
    expect(promConfig.alerting.alertmanagers).toEqual([{ static_configs: [{ targets: ['localhost:9093'] }] }]);
    expect(composePromConfig.alerting.alertmanagers).toEqual([{ static_configs: [{ targets: ['alertmanager:9093'] }] }]);
    expect(composePromConfig.scrape_configs.find((j) => j.job_name === 'healthmon')?.static_configs).toEqual([{ targets: ['healthmon:9469'] }]);
  });

  it('makes its alerts about a check identical to healthmon\'s (no job, no instance), so Alertmanager deduplicates them', () => {
    const expected: RelabelConfig[] = ['job', 'instance'].map((label) => ({ source_labels: ['check'], regex: '.+', target_label: label, replacement: '' }));
    expect(promConfig.alerting.alert_relabel_configs).toEqual(expected);
    expect(composePromConfig.alerting.alert_relabel_configs).toEqual(expected);
  });

  it('drops healthmon\'s own ALERTS series, which Prometheus writes itself from the same rules', () => {
    for (const config of [promConfig, composePromConfig]) {
      for (const job of config.scrape_configs.filter((j) => j.job_name.startsWith('healthmon'))) expect(job.metric_relabel_configs, job.job_name).toEqual(DROP_ALERTS);
    }
  });
});

interface AmConfig {
  route: { receiver: string; group_by: string[]; routes: { matchers?: string[]; receiver: string; continue?: boolean }[] };
  receivers: { name: string; webhook_configs?: { url: string; send_resolved: boolean }[]; slack_configs?: { api_url_file: string; send_resolved: boolean }[] }[];
  inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
}

describe('deploy/alertmanager.yml', () => {
  const file = join(DEPLOY, 'alertmanager.yml');
  // amtool comes with Debian's prometheus-alertmanager.
  const amtool = findPeer('amtool');

  it.skipIf(!amtool)('passes amtool check-config', () => {
    const run = spawnSync(amtool!, ['check-config', file], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('SUCCESS');
    expect(run.stdout).toContain(' - 2 receivers');
  });

  it.skipIf(!amtool)('routes critical alerts to Slack and the webhook, the others to the webhook', () => {
    const route = (...labels: string[]) => spawnSync(amtool!, ['config', 'routes', 'test', `--config.file=${file}`, ...labels], { encoding: 'utf8' }).stdout.trim();
    expect(route('alertname=CriticalServiceDown', 'check=api', 'severity=critical')).toBe('slack,webhook');
    expect(route('alertname=HostHighCpu', 'severity=warning')).toBe('webhook');
  });

  it('has a Slack and a webhook receiver, both sending resolutions, the Slack URL in a file', () => {
    const config = readYaml<AmConfig>(file);
    expect(config.route.receiver).toBe('webhook');
    expect(config.route.routes).toEqual([{ matchers: ['severity="critical"'], receiver: 'slack', continue: true }, { receiver: 'webhook' }]);
    const slack = config.receivers.find((r) => r.name === 'slack')?.slack_configs;
    const webhook = config.receivers.find((r) => r.name === 'webhook')?.webhook_configs;
    expect(slack).toEqual([expect.objectContaining({ api_url_file: expect.stringMatching(/^\//), send_resolved: true })]);
    expect(webhook).toEqual([expect.objectContaining({ url: expect.stringMatching(/^https?:\/\//), send_resolved: true })]);
  });

  it('inhibits by alert names and labels the bundled rules really have', () => {
    const config = readYaml<AmConfig>(file);
    const rules = readFileSync(join(REPO, 'rules', 'alert_rules.yaml'), 'utf8');
    for (const r of config.inhibit_rules) {
      for (const m of [...r.source_matchers, ...r.target_matchers]) {
        const name = /^alertname="(\w+)"$/.exec(m)?.[1];
        if (name) expect(rules).toContain(`- alert: ${name}\n`);
      }
    }
    expect(config.inhibit_rules.map((r) => r.equal)).toEqual([['check'], ['alertname', 'check', 'instance']]);
  });
});

describe('deploy/healthmon.service', () => {
  const unitFile = join(DEPLOY, 'healthmon.service');
  const unit = readFileSync(unitFile, 'utf8');
  const systemdAnalyze = optionalTool('systemd-analyze');

  /** Every `Key=value` of a section; a key may repeat. */
  const section = (name: string): [string, string][] => {
    const body = unit.split(/^\[/m).find((s) => s.startsWith(`${name}]`)) ?? '';
    return body.split('\n').slice(1).filter((l) => /^[A-Z]\w*=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]);
  };
  const service = new Map(section('Service'));

  it('runs node on the built healthmon as a dedicated user, reloads with SIGHUP and restarts on failure but not on a bad config', () => {
    expect(service.get('ExecStart')).toBe('/usr/bin/node /opt/healthmon/dist/main.js --config /etc/healthmon/healthmon.yaml --log-format json');
    expect(service.get('User')).toBe('healthmon');
    expect(service.get('Group')).toBe('healthmon');
    expect(service.get('ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    expect(service.get('Restart')).toBe('on-failure');
    expect(service.get('RestartPreventExitStatus')).toBe('2');
    expect(new Map(section('Install')).get('WantedBy')).toBe('multi-user.target');
  });

  it('is hardened: read-only system but the data dir, no new privileges, private /tmp, no capabilities', () => {
    expect(Object.fromEntries(['ProtectSystem', 'ReadWritePaths', 'StateDirectory', 'NoNewPrivileges', 'PrivateTmp', 'ProtectHome', 'PrivateDevices', 'CapabilityBoundingSet', 'RestrictAddressFamilies', 'SystemCallFilter'].map((k) => [k, service.get(k)]))).toEqual({
      ProtectSystem: 'strict',
      ReadWritePaths: '/var/lib/healthmon',
      StateDirectory: 'healthmon',
      NoNewPrivileges: 'yes',
      PrivateTmp: 'yes',
      ProtectHome: 'yes',
      PrivateDevices: 'yes',
      CapabilityBoundingSet: '',
      RestrictAddressFamilies: 'AF_INET AF_INET6 AF_UNIX AF_NETLINK',
      SystemCallFilter: '@system-service',
    });
    // V8 needs writable, executable memory for its JIT: this one would crash healthmon.
    expect(service.has('MemoryDenyWriteExecute')).toBe(false);
  });

  it.skipIf(!systemdAnalyze)('passes systemd-analyze verify, and its security exposure is low', () => {
    const dir = mkdtempSync(join(tmpdir(), 'healthmon-unit-'));
    try {
      // verify wants ExecStart's binary to exist: where node is elsewhere, point it there.
      const text = existsSync('/usr/bin/node') ? unit : unit.replace('/usr/bin/node ', `${process.execPath} `);
      const copy = join(dir, 'healthmon.service');
      writeFileSync(copy, text);
      const verify = spawnSync(systemdAnalyze!, ['verify', copy], { encoding: 'utf8' });
      expect(verify.stderr).toBe('');
      expect(verify.status).toBe(0);
      const security = spawnSync(systemdAnalyze!, ['security', '--offline=true', '--no-pager', copy], { encoding: 'utf8' });
      const level = /Overall exposure level for healthmon\.service: ([\d.]+)/.exec(security.stdout)?.[1];
      if (level === undefined) {
        console.warn(`systemd-analyze security --offline is not supported here: ${security.stderr.trim()}`);
        return;
      }
      expect(Number(level)).toBeLessThanOrEqual(2.5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
