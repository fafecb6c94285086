// The CLI as users run it: a real process, real exit codes, real signals.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');
const FIXTURES = join(import.meta.dirname, 'fixtures', 'config');

function cli(args: string[], env: Record<string, string> = {}) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

function tempConfig(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'healthmon-cli-')), 'healthmon.yaml');
  writeFileSync(file, text);
  return file;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('healthmon CLI', () => {
  it('check config: ok for a valid file, exit 2 with every problem and no stack trace for a bad one', () => {
    const ok = cli(['check', 'config', join(FIXTURES, 'valid-full.yaml')], { API_TOKEN: 't' });
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toContain('ok, 2 check(s), 0 rule(s), 0 receiver(s)');
    const bad = cli(['check', 'config', join(FIXTURES, 'invalid-many.yaml')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('global.interval');
    expect(bad.stderr).toContain('checks[0].http.metod');
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });

  it('check rules: SUCCESS with the rule count, or FAILED with file:line and exit 1', () => {
    const good = tempConfig('groups:\n  - name: g\n    rules:\n      - alert: Down\n        expr: up == 0\n        for: 1m\n');
    const ok = cli(['check', 'rules', good]);
    expect(ok).toMatchObject({ code: 0, stdout: `Checking ${good}\n  SUCCESS: 1 rules found\n` });
    const bad = tempConfig('groups:\n  - name: g\n    rules:\n      - alert: Down\n        expr: rate(up)\n');
    const failed = cli(['check', 'rules', bad]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`${bad}:5: group "g", rule 1, "Down": could not parse expression: 1:6: parse error: expected type range vector`);
  });

  it('exits 2 on a config that does not exist', () => {
    const run = cli(['--config', '/nonexistent/healthmon.yaml', 'once']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('cannot read the config file: ENOENT');
  });

  it('once: a table, JSON, and exit 1 when a critical check is down', async () => {
    const closed = await freePort();
    const file = tempConfig(`host: {enabled: false}
global: {retries: 1, retry_backoff: 200ms}
checks:
  - name: down
    kind: tcp
    critical: true
    tcp: {host: 127.0.0.1, port: ${closed}}
  - name: resolver
    kind: dns
    dns: {name: localhost}
`);
    const table = cli(['once', '--config', file]);
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/^CHECK\s+KIND\s+STATUS\s+DURATION\s+REASON\n/);
    expect(table.stdout).toMatch(/down\s+tcp\s+critical\s+[\d.]+ms\s+connection_refused/);
    expect(table.stdout).toMatch(/resolver\s+dns\s+healthy/);
    const json = cli(['--once', '--json', '--config', file]);
    expect(json.code).toBe(1);
    const rows = JSON.parse(json.stdout) as Array<{ check: string; status: string; reason: string | null }>;
    expect(rows.map((r) => [r.check, r.status, r.reason])).toEqual([
      ['down', 'critical', 'connection_refused'],
      ['resolver', 'healthy', null],
    ]);
  });

  it('once: exit 0 when every critical check is up', () => {
    const file = tempConfig(`host: {enabled: false}
checks:
  - name: resolver
    kind: dns
    critical: true
    dns: {name: localhost}
`);
    expect(cli(['once', '--config', file]).code).toBe(0);
  });

  it('runs, reloads on SIGHUP, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const config = (interval: string) => `server: {listen: "127.0.0.1:${port}"}
host: {enabled: false}
global: {interval: ${interval}}
checks:
  - name: resolver
    kind: dns
    dns: {name: localhost}
`;
    const file = tempConfig(config('1s'));
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--config', file, '--log-format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let logs = '';
    child.stdout.on('data', (d: Buffer) => (logs += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await waitFor(() => logs.includes('healthmon is listening'));
      const metric = async (name: string) => {
        const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(body)?.[1]);
      };
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text())).includes('probe_success{check="resolver"'));
      writeFileSync(file, config('"1"'));
      child.kill('SIGHUP');
      await waitFor(async () => (await metric('healthmon_config_last_reload_successful')) === 0);
      writeFileSync(file, config('2s'));
      child.kill('SIGHUP');
      await waitFor(async () => (await metric('healthmon_config_last_reload_successful')) === 1);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(logs).toContain('shutting down');
    } finally {
      child.kill('SIGKILL');
    }
  });
});

async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await cond()) return;
    } catch {
      // not yet
    }
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
