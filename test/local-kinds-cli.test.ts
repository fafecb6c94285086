// The exec, process and plugin kinds through the real CLI: plug-ins are imported while the config
// loads, so `check config` reports a broken one with file:line, and `once` runs all three.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');
const EXAMPLE = join(import.meta.dirname, '..', 'examples', 'plugins', 'file-age.js');

function cli(args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'healthmon-local-cli-'));
  mkdirSync(join(dir, 'plugins'));
  writeFileSync(join(dir, 'plugins', 'broken.js'), 'export default async function () {\n  return { ok: true ;\n}\n');
  writeFileSync(join(dir, 'check_queue'), '#!/bin/sh\necho "QUEUE WARNING - 812 messages | depth=812;500;1000;0"\nexit 1\n', { mode: 0o755 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = (name: string, checks: string) => {
  const file = join(dir, name);
  writeFileSync(file, `host: {enabled: false}\nchecks:\n${checks}`);
  return file;
};

describe('exec, process and plugin checks through the CLI', () => {
  it('check config: imports plug-ins and reports a broken one with file:line, exit 2, no stack', () => {
    const good = config('good.yaml', `  - name: backup
    kind: plugin
    plugin:
      module: ${EXAMPLE}
      options: {path: ${dir}, max_age_seconds: 3600}
`);
    expect(cli(['check', 'config', good])).toMatchObject({ code: 0, stdout: `${good}: ok, 1 check(s), 0 rule(s), 0 receiver(s)\n` });

    const bad = config('bad.yaml', `  - name: missing
    kind: plugin
    plugin: {module: ./plugins/missing.js}
  - name: broken
    kind: plugin
    plugin:
      module: ./plugins/broken.js
`);
    const run = cli(['check', 'config', bad]);
    expect(run.code).toBe(2);
    const [head, missing, broken, ...rest] = run.stderr.split('\n');
    expect([head, missing]).toEqual([
      `${bad}: 2 problems:`,
      `  checks[0].plugin.module (${bad}:5): cannot find "./plugins/missing.js": no file at ${dir}/plugins/missing.js`,
    ]);
    // Built healthmon runs on plain Node, which says `SyntaxError: Unexpected token ';' (node --check
    // … shows where)`; here tsx's loader compiles the module first and words it its own way.
    expect(broken).toMatch(new RegExp(`^  checks\\[1\\]\\.plugin\\.module \\(${bad}:9\\): cannot load ${dir}/plugins/broken\\.js: (SyntaxError: Unexpected token|TransformError: .*broken\\.js:2:)`));
    expect(rest).toEqual(['']);
  });

  it('once: runs an exec, a process and a plugin check', () => {
    const file = config('once.yaml', `  - name: queue
    kind: exec
    exec:
      command: [${join(dir, 'check_queue')}]
      nagios: true
  - name: init
    kind: process
    process: {pid: 1}
  - name: backup
    kind: plugin
    plugin:
      module: ${EXAMPLE}
      options: {path: ${dir}, max_age_seconds: 3600}
  - name: stale
    kind: plugin
    plugin:
      module: ${EXAMPLE}
      options: {path: ${dir}, max_age_seconds: 0}
`);
    const run = cli(['once', '--json', '--config', file]);
    expect(run.code).toBe(1); // a check is down and none is marked critical
    const rows = JSON.parse(run.stdout) as Array<{ check: string; status: string; reason: string | null; message: string | null }>;
    expect(rows.map((r) => [r.check, r.status, r.reason])).toEqual([
      ['queue', 'degraded', null],
      ['init', 'healthy', null],
      ['backup', 'healthy', null],
      ['stale', 'unhealthy', 'condition_failed'],
    ]);
    expect(rows[0]!.message).toBe('QUEUE WARNING - 812 messages');
  });
});
