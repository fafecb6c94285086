// The docker-compose stack as the README describes it, without a Docker engine: `docker-compose
// config` (Debian's docker-compose 1.29) accepts docker-compose.yml, and what it resolves is what
// the README states (four services, ports on 127.0.0.1 only, the mounts that tie the configs
// together, named volumes for the data). The Dockerfile and .dockerignore are checked as text,
// the healthmon config the stack mounts loads, and the image's HEALTHCHECK command really tells a
// healthy healthmon from a missing one.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config/load.js';
import { silentLogger } from '../src/core/logger.js';
import { PROBE_KINDS } from '../src/probes/index.js';
import { createFakeClock } from './helpers/fake-clock.js';
import { findPeer } from './helpers/peers.js';
import { closedPort } from './helpers/probe-peers.js';

const REPO = join(import.meta.dirname, '..');
const dockerCompose = findPeer('docker-compose');

interface Service {
  build?: { context: string; dockerfile?: string };
  image?: string;
  command?: string[];
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, unknown>;
  init?: boolean;
  restart?: string;
}

interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

/** `source:target[:mode]` → {source (relative to the repo, or a volume name), target}. */
function mounts(s: Service): { source: string; target: string; readOnly: boolean }[] {
  return (s.volumes ?? []).map((v) => {
    const [source, target, mode] = v.split(':') as [string, string, string | undefined];
    return { source: source.startsWith('/') ? relative(REPO, source) : source, target, readOnly: mode === 'ro' };
  });
}
const mountOf = (s: Service, target: string) => mounts(s).find((m) => m.target === target);

const dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
/** Instructions, continuation lines joined; comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
const stages = instructions.reduce<string[][]>((acc, l) => {
  if (/^FROM /i.test(l)) acc.push([l]);
  else if (acc.length > 0) acc[acc.length - 1]!.push(l);
  return acc;
}, []);
const runtime = stages[stages.length - 1]!;
const instruction = (stage: string[], name: string) => stage.filter((l) => l.toUpperCase().startsWith(`${name} `)).map((l) => l.slice(name.length + 1).trim());

describe.skipIf(!dockerCompose)('docker-compose.yml', () => {
  let compose: Compose;
  beforeAll(() => {
    const env = { ...process.env };
    delete env.GRAFANA_ADMIN_PASSWORD;
    const run = spawnSync(dockerCompose!, ['--project-directory', REPO, '-f', join(REPO, 'docker-compose.yml'), 'config'], { encoding: 'utf8', cwd: REPO, env });
    if (run.status !== 0) throw new Error(`docker-compose config failed: ${run.stderr}`);
    expect(run.stderr).toBe('');
    compose = parseYaml(run.stdout) as Compose;
  });

  it('is valid, with the four services of the stack', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['alertmanager', 'grafana', 'healthmon', 'prometheus']);
  });

  it('publishes each service\'s port on 127.0.0.1 only: healthmon 9469, Prometheus 9090, Alertmanager 9093, Grafana 3000', () => {
    const ports = Object.fromEntries(Object.entries(compose.services).map(([name, s]) => [name, s.ports]));
    expect(ports).toEqual({
      healthmon: ['127.0.0.1:9469:9469/tcp'],
      prometheus: ['127.0.0.1:9090:9090/tcp'],
      alertmanager: ['127.0.0.1:9093:9093/tcp'],
      grafana: ['127.0.0.1:3000:3000/tcp'],
    });
  });

  it('keeps every service\'s data in a named volume', () => {
    expect(Object.keys(compose.volumes).sort()).toEqual(['alertmanager-data', 'grafana-data', 'healthmon-data', 'prometheus-data']);
    expect(mountOf(compose.services.healthmon!, '/var/lib/healthmon')?.source).toBe('healthmon-data');
    expect(mountOf(compose.services.prometheus!, '/prometheus')?.source).toBe('prometheus-data');
    expect(mountOf(compose.services.alertmanager!, '/alertmanager')?.source).toBe('alertmanager-data');
    expect(mountOf(compose.services.grafana!, '/var/lib/grafana')?.source).toBe('grafana-data');
    for (const [name, s] of Object.entries(compose.services)) {
      for (const m of mounts(s).filter((x) => !x.source.endsWith('-data'))) expect(m.readOnly, `${name}: ${m.source}`).toBe(true);
    }
  });

  it('builds healthmon from the Dockerfile and runs it on the mounted config, whose storage.path is the data volume', () => {
    const hm = compose.services.healthmon!;
    expect(hm.build?.context).toBe(REPO);
    expect(hm.init).toBe(true);
    expect(hm.command).toEqual(['--config', '/etc/healthmon/healthmon.yaml']);
    expect(mountOf(hm, '/etc/healthmon/healthmon.yaml')?.source).toBe('deploy/compose/healthmon.yaml');
    expect(mountOf(hm, '/etc/healthmon/rules')?.source).toBe('rules');
    const config = parseYaml(readFileSync(join(REPO, 'deploy', 'compose', 'healthmon.yaml'), 'utf8')) as { storage: { path: string }; server: { listen: string }; rule_files: string[]; alerting: unknown };
    expect(config.storage.path).toBe('/var/lib/healthmon');
    expect(config.server.listen).toBe(':9469');
    expect(config.rule_files).toEqual(['rules/*.yaml']);
    expect(JSON.stringify(config.alerting)).toContain('"urls":["http://alertmanager:9093"]');
  });

  it('gives Prometheus the same rules/ files, its config scraping healthmon:9469 and alerting alertmanager:9093', () => {
    const p = compose.services.prometheus!;
    expect(mountOf(p, '/etc/prometheus/prometheus.yml')?.source).toBe('deploy/compose/prometheus.yml');
    expect(mountOf(p, '/etc/prometheus/rules')?.source).toBe('rules');
    expect(p.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
    expect(p.command).toContain('--storage.tsdb.path=/prometheus');
    const text = readFileSync(join(REPO, 'deploy', 'compose', 'prometheus.yml'), 'utf8');
    expect(text).toContain('- targets: ["healthmon:9469"]');
    expect(text).toContain('- targets: ["alertmanager:9093"]');
  });

  it('gives Alertmanager deploy/alertmanager.yml', () => {
    const a = compose.services.alertmanager!;
    expect(mountOf(a, '/etc/alertmanager/alertmanager.yml')?.source).toBe('deploy/alertmanager.yml');
    expect(a.command).toContain('--config.file=/etc/alertmanager/alertmanager.yml');
  });

  it('provisions Grafana from grafana/: the dashboards where the provider looks, the data source at the prometheus service', () => {
    const g = compose.services.grafana!;
    expect(mountOf(g, '/etc/grafana/provisioning')?.source).toBe('grafana/provisioning');
    const provider = parseYaml(readFileSync(join(REPO, 'grafana', 'provisioning', 'dashboards', 'healthmon.yaml'), 'utf8')) as { providers: { options: { path: string } }[] };
    const dashboardsAt = provider.providers[0]!.options.path;
    expect(mountOf(g, dashboardsAt)?.source).toBe('grafana/dashboards');
    const home = g.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH ?? '';
    expect(home.startsWith(`${dashboardsAt}/`)).toBe(true);
    expect(existsSync(join(REPO, 'grafana', 'dashboards', home.slice(dashboardsAt.length + 1)))).toBe(true);
    const ds = readFileSync(join(REPO, 'grafana', 'provisioning', 'datasources', 'prometheus.yaml'), 'utf8');
    expect(ds).toContain('url: http://prometheus:9090');
    // The admin password comes from the environment, with a default for a first look.
    expect(g.environment?.GF_SECURITY_ADMIN_PASSWORD).toBe('admin');
    expect(readFileSync(join(REPO, 'docker-compose.yml'), 'utf8')).toContain('GF_SECURITY_ADMIN_PASSWORD: ${GRAFANA_ADMIN_PASSWORD:-admin}');
  });
});

describe('the healthmon config the stack mounts', () => {
  it('loads, laid out as in the container (rules beside it)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'healthmon-compose-'));
    try {
      writeFileSync(join(dir, 'healthmon.yaml'), readFileSync(join(REPO, 'deploy', 'compose', 'healthmon.yaml')));
      symlinkSync(join(REPO, 'rules'), join(dir, 'rules'));
      const config = loadConfig(join(dir, 'healthmon.yaml'), { kinds: PROBE_KINDS, env: {} });
      expect(config.checks.map((c) => c.name)).toEqual(['healthmon-http', 'prometheus', 'alertmanager', 'grafana']);
      expect(config.storagePath).toBe('/var/lib/healthmon');
      expect(config.rules.groups.length).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Dockerfile', () => {
  it('builds in one stage (npm ci, tsc) and installs production dependencies alone in another', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stages.find((s) => /\bAS build$/i.test(s[0]!))!;
    expect(instruction(build, 'RUN')).toEqual(expect.arrayContaining([expect.stringMatching(/^npm ci\b/), expect.stringMatching(/\btsc -p tsconfig\.build\.json\b/)]));
    const deps = stages.find((s) => instruction(s, 'RUN').some((r) => /npm ci --omit=dev/.test(r)));
    expect(deps, 'a stage running npm ci --omit=dev').toBeDefined();
    expect(instruction(runtime, 'COPY')).toEqual(expect.arrayContaining([expect.stringMatching(/^--from=\w+ \/app\/node_modules /), expect.stringMatching(/^--from=build \/src\/dist /)]));
    // No compiler, no dev dependency, no npm install in the image that runs.
    expect(instruction(runtime, 'RUN').join(' ')).not.toMatch(/npm (ci|install)/);
  });

  it('runs as an unprivileged user, with the data volume, the port, and a HEALTHCHECK on /-/healthy', () => {
    const user = instruction(runtime, 'USER');
    expect(user).toEqual(['healthmon']);
    expect(instruction(runtime, 'VOLUME')).toEqual(['["/var/lib/healthmon"]']);
    expect(instruction(runtime, 'EXPOSE')).toEqual(['9469']);
    expect(instruction(runtime, 'HEALTHCHECK').join(' ')).toContain('http://127.0.0.1:9469/-/healthy');
    expect(instruction(runtime, 'ENTRYPOINT')).toEqual(['["node", "/app/dist/main.js"]']);
    expect(instruction(runtime, 'CMD')).toEqual(['["--config", "/etc/healthmon/healthmon.yaml"]']);
    // The bundled config keeps its data in `data` next to itself: that must be the volume.
    expect(readFileSync(join(REPO, 'healthmon.yaml'), 'utf8')).toMatch(/^ {2}path: data\b/m);
    expect(instruction(runtime, 'RUN').join(' ')).toContain('ln -s /var/lib/healthmon /etc/healthmon/data');
  });

  it('copies only what exists and what .dockerignore lets through; leaves out node_modules, dist, data, .git', () => {
    const ignore = readFileSync(join(REPO, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    const patterns = ignore.map((p) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*\//g, '(.*/)?').replace(/\*/g, '[^/]*')}(/.*)?$`));
    const ignored = (path: string) => patterns.some((re) => re.test(path));
    const sources = stages.flatMap((s) => instruction(s, 'COPY')).filter((c) => !c.startsWith('--from')).flatMap((c) => c.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const src of sources) {
      expect(existsSync(join(REPO, src)), src).toBe(true);
      expect(ignored(src), src).toBe(false);
    }
    for (const path of ['node_modules', 'dist', 'data', '.git', 'src/app.test.ts', 'test/app.test.ts']) expect(ignored(path), path).toBe(true);
    expect(ignored('src/app.ts')).toBe(false);
  });

  describe('its HEALTHCHECK command', () => {
    let app: App;
    let port: number;
    beforeAll(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'healthmon-healthcheck-'));
      const file = join(dir, 'healthmon.yaml');
      writeFileSync(file, `server: {listen: "127.0.0.1:0"}\nhost: {enabled: false}\nstorage: {path: ${JSON.stringify(join(dir, 'data'))}}\nchecks: []\n`);
      const load = () => loadConfig(file, { kinds: PROBE_KINDS, env: {} });
      app = createApp(load(), { clock: createFakeClock(), logger: silentLogger(), kinds: PROBE_KINDS, build: { version: 't', nodeVersion: '20' }, loadConfig: load });
      port = (await app.start())!;
    });
    afterAll(() => app?.stop(0));

    // The exec form's JSON array, run as Docker would, on a test port instead of 9469.
    const command = (p: number) => {
      const json = /HEALTHCHECK .*?CMD (\[.*\])$/m.exec(dockerfile.replace(/\\\n\s*/g, ''))![1]!;
      return (JSON.parse(json) as string[]).map((a) => a.replace('127.0.0.1:9469', `127.0.0.1:${p}`));
    };

    // Asynchronously: healthmon answers from this very process.
    const exitCode = (args: string[]) =>
      new Promise<number | null>((resolve, reject) => {
        const child = spawn(process.execPath, args, { stdio: 'ignore', timeout: 10_000 });
        child.once('error', reject);
        child.once('exit', (code) => resolve(code));
      });

    it('succeeds against a running healthmon and fails where none listens', async () => {
      const [bin, ...args] = command(port);
      expect(bin).toBe('node');
      expect(await exitCode(args)).toBe(0);
      const [, ...down] = command(await closedPort());
      expect(await exitCode(down)).toBe(1);
    });
  });
});
