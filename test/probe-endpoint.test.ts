// GET /probe?target=…&module=…: healthmon driven by Prometheus exactly as blackbox_exporter is,
// with modules from the config; bad modules are load errors, bad targets 400s.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/app.js';
import { ConfigError } from '../src/config/issues.js';
import { loadConfig } from '../src/config/load.js';
import { silentLogger } from '../src/core/logger.js';
import { PROBE_KINDS } from '../src/probes/index.js';
import { createFakeClock } from './helpers/fake-clock.js';
import { parseExposition } from './helpers/parse-exposition.js';
import { closedPort } from './helpers/probe-peers.js';

function write(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'healthmon-probe-'));
  const file = join(dir, 'healthmon.yaml');
  writeFileSync(file, `server: {listen: "127.0.0.1:0"}\nstorage: {path: "${join(dir, 'data')}"}\nhost: {enabled: false}\n${text}`);
  return file;
}

describe('GET /probe', () => {
  let app: App;
  let port: number;
  let web: Server;
  let webPort: number;
  beforeAll(async () => {
    web = createServer((req, res) => res.writeHead(req.url === '/missing' ? 404 : 200).end('ok'));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    webPort = (web.address() as AddressInfo).port;
    const file = write(`
modules:
  http_2xx: {kind: http, timeout: 2s, http: {valid_status_codes: [200]}}
  tcp_connect: {kind: tcp}
`);
    const load = () => loadConfig(file, { kinds: PROBE_KINDS, env: {} });
    app = createApp(load(), { clock: createFakeClock(), logger: silentLogger(), kinds: PROBE_KINDS, build: { version: 't', nodeVersion: '20' }, loadConfig: load });
    port = (await app.start())!;
  });
  afterAll(async () => {
    await app?.stop(0);
    web?.close();
  });

  const get = async (query: string) => {
    const res = await fetch(`http://127.0.0.1:${port}/probe?${query}`);
    return { status: res.status, body: await res.text() };
  };
  const value = (body: string, name: string) => parseExposition(body).find((s) => s.name === name)?.value;

  it('probes the target with the module and returns only that probe\'s series', async () => {
    const ok = await get(`module=http_2xx&target=${encodeURIComponent(`127.0.0.1:${webPort}/`)}`);
    expect(ok.status).toBe(200);
    expect(value(ok.body, 'probe_success')).toBe(1);
    expect(value(ok.body, 'probe_http_status_code')).toBe(200);
    expect(ok.body).not.toContain('healthmon_');
    const notFound = await get(`module=http_2xx&target=${encodeURIComponent(`http://127.0.0.1:${webPort}/missing`)}`);
    expect(value(notFound.body, 'probe_success')).toBe(0);
    expect(value(notFound.body, 'probe_http_status_code')).toBe(404);
    const refused = await get(`module=tcp_connect&target=127.0.0.1:${await closedPort()}`);
    expect(value(refused.body, 'probe_success')).toBe(0);
  });

  it('answers 400 with what is wrong for a missing target, an unknown module or a target that does not fit', async () => {
    expect(await get('module=http_2xx')).toEqual({ status: 400, body: 'target parameter is missing\n' });
    expect(await get('module=nope&target=x')).toEqual({ status: 400, body: 'unknown module "nope"\n' });
    expect(await get('module=tcp_connect&target=example.test')).toEqual({
      status: 400, body: 'target "example.test" does not fit module tcp_connect: port: required: expected a number\n',
    });
  });

  it('rejects bad modules at load, with their place in the file', () => {
    const file = write(`
modules:
  beat: {kind: heartbeat}
  typo: {kind: tcp, tcp: {tiemout: 1s}}
  ghost: {kind: carrier_pigeon}
`);
    let problems: string[] = [];
    try {
      loadConfig(file, { kinds: PROBE_KINDS, env: {} });
    } catch (err) {
      problems = (err as ConfigError).problems.map((p) => p.replace(file, 'healthmon.yaml'));
    }
    expect(problems).toEqual([
      'modules.beat.kind (healthmon.yaml:6): kind heartbeat has no target, so /probe cannot run it',
      'modules.typo.tcp.tiemout (healthmon.yaml:7): unknown key "tiemout"',
      expect.stringMatching(/^modules\.ghost\.kind \(healthmon\.yaml:8\): unknown kind "carrier_pigeon"; expected one of /),
    ]);
  });
});
