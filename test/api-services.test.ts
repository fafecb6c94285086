// Checks registered at run time through the JSON API: validated as the config file's are,
// persisted in the database, merged with the file's checks and on /metrics at once.
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startApiApp, type ApiApp } from './helpers/api-app.js';
import { parseExposition } from './helpers/parse-exposition.js';

const CONFIG = `
global:
  interval: 20s
  labels: {env: test}
host:
  enabled: false
server:
  listen: "127.0.0.1:0"
checks:
  - name: alpha
    kind: test
    test: {id: a}
`;

let running: ApiApp | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function start(text = CONFIG) {
  running = await startApiApp(text);
  return running;
}

async function series(h: ApiApp, name: string) {
  const res = await fetch(`${h.base}/metrics`);
  return parseExposition(await res.text()).filter((s) => s.name === name);
}

const WEB = { name: 'web', kind: 'test', critical: true, labels: { team: 'edge' }, test: { id: 'w' } };

describe('runtime checks', () => {
  it('POST registers a check that is on /metrics at once, survives a restart, PUT changes it and DELETE removes it', async () => {
    let h = await start();
    const created = await h.call('POST', '/health/services', { body: WEB });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/health/services/web');
    expect(created.body).toMatchObject({ name: 'web', kind: 'test', source: 'api', critical: true, target: 'test:w', labels: { env: 'test', team: 'edge' }, intervalSeconds: 20, status: 'unknown' });
    expect(created.body.registered).toMatchObject({ createdBy: 'loopback', definition: WEB });

    // On /metrics before it has even run.
    expect((await series(h, 'healthmon_check_info')).map((s) => s.labels)).toContainEqual({ check: 'web', kind: 'test', env: 'test', team: 'edge', critical: 'true', target: 'test:w' });
    await h.app.runOnce();
    expect((await series(h, 'probe_success')).find((s) => s.labels.check === 'web')?.value).toBe(1);

    const list = await h.call('GET', '/health/services');
    expect(list.status).toBe(200);
    expect(list.body.services.map((s: { name: string; source: string; status: string }) => [s.name, s.source, s.status])).toEqual([
      ['alpha', 'file', 'healthy'],
      ['web', 'api', 'healthy'],
    ]);
    expect(list.body.overall).toMatchObject({ total: 2, healthy: 2 });
    expect((await h.call('GET', '/health/services/web')).body).toMatchObject({ name: 'web', source: 'api', status: 'healthy', last: { ok: true } });

    h = running = await h.restart();
    expect((await h.call('GET', '/health/services/web')).body).toMatchObject({ name: 'web', source: 'api' });
    expect((await series(h, 'healthmon_check_info')).some((s) => s.labels.check === 'web')).toBe(true);

    const changed = await h.call('PUT', '/health/services/web', { body: { kind: 'test', critical: false, interval: '30s', test: { id: 'w2' } } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ name: 'web', critical: false, target: 'test:w2', intervalSeconds: 30 });
    expect((await series(h, 'healthmon_check_info')).find((s) => s.labels.check === 'web')?.labels).toMatchObject({ critical: 'false', target: 'test:w2' });

    const removed = await h.call('DELETE', '/health/services/web');
    expect(removed.status).toBe(204);
    expect((await series(h, 'healthmon_check_info')).some((s) => s.labels.check === 'web')).toBe(false);
    expect((await h.call('GET', '/health/services/web')).body).toEqual({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'no check named "web"' });

    h = running = await h.restart();
    expect((await h.call('GET', '/health/services')).body.services.map((s: { name: string }) => s.name)).toEqual(['alpha']);
  });

  it('accepts a check written in YAML, as in the config file', async () => {
    const h = await start();
    const res = await h.call('POST', '/health/services', { body: 'name: yaml-check\nkind: test\ntimeout: 2s\ntest: {id: y}\n', headers: { 'content-type': 'application/yaml' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'yaml-check', target: 'test:y' });
  });

  it('refuses the names the config file defines, and names already registered', async () => {
    const h = await start();
    const file = h.file;
    expect(await h.call('POST', '/health/services', { body: { name: 'alpha', kind: 'test', test: { id: 'x' } } })).toMatchObject({
      status: 409, body: { title: 'Conflict', detail: `check "alpha" is defined in the config file (${file}); change it there` },
    });
    expect((await h.call('PUT', '/health/services/alpha', { body: { kind: 'test', test: { id: 'x' } } })).body.detail).toBe(`check "alpha" is defined in the config file (${file}); change it there`);
    expect((await h.call('DELETE', '/health/services/alpha')).body).toMatchObject({ status: 409, detail: `check "alpha" is defined in the config file (${file}); remove it there` });
    expect((await h.call('POST', '/health/services', { body: WEB })).status).toBe(201);
    expect(await h.call('POST', '/health/services', { body: WEB })).toMatchObject({ status: 409, body: { detail: 'check "web" is already registered; PUT /health/services/web changes it' } });
  });

  it.each([
    [
      'a check that does not validate, every problem listed',
      { name: 'bad', kind: 'test', intervl: '5s', retries: 99, test: { id: 1 } },
      422,
      'the check is not valid: retries: expected a number <= 10, got 99 (and 2 more)',
      ['retries: expected a number <= 10, got 99', 'intervl: unknown key "intervl"', 'test.id: expected a string, got 1'],
    ],
    ['an unknown kind', { name: 'bad', kind: 'gopher' }, 422, 'the check is not valid: kind: unknown kind "gopher"; expected one of exec, http, tcp, test', undefined],
    ['no name', { kind: 'test', test: { id: 'x' } }, 422, 'the check is not valid: name: required: expected a string', undefined],
    ['a timeout over the interval', { name: 'bad', kind: 'test', interval: '5s', timeout: '10s', test: { id: 'x' } }, 422, 'the check is not valid: timeout: the timeout (10s) is longer than the interval (5s)', undefined],
    ['a reserved label', { name: 'bad', kind: 'test', labels: { check: 'x' }, test: { id: 'x' } }, 422, 'the check is not valid: labels.check: label "check" is set by healthmon itself; choose another name', undefined],
    ['an unknown dependency', { name: 'bad', kind: 'test', depends_on: ['nope'], test: { id: 'x' } }, 422, 'the check is not valid: depends_on[0]: no check named "nope"', undefined],
    ['a kind that runs commands', { name: 'bad', kind: 'exec', exec: { command: ['/bin/true'] } }, 422, 'the check cannot be registered through the API: kind: exec checks run code on this host, so they can be defined only in the config file', undefined],
    ['on_failure', { name: 'bad', kind: 'test', test: { id: 'x' }, on_failure: { run: ['/bin/true'] } }, 422, 'the check cannot be registered through the API: on_failure: runs a command on this host, so it can be set only in the config file', undefined],
    [
      'a secret read from a file',
      { name: 'bad', kind: 'http', http: { url: 'http://127.0.0.1:1/', bearer_token_file: '/etc/shadow' } },
      422,
      'the check cannot be registered through the API: http.bearer_token_file: secrets are read from files only for checks in the config file; send the value itself',
      undefined,
    ],
    ['a list instead of a check', [WEB], 400, 'expected the check as a JSON (or YAML) object, like one item of checks: in the config file', undefined],
  ])('refuses %s', async (_what, body, status, detail, errors) => {
    const h = await start();
    const res = await h.call('POST', '/health/services', { body });
    expect(res.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(res.body).toEqual({ type: 'about:blank', title: status === 422 ? 'Unprocessable Entity' : 'Bad Request', status, detail, ...(errors ? { errors } : res.body.errors ? { errors: res.body.errors } : {}) });
    expect(res.status).toBe(status);
  });

  it('answers bad requests with a problem that says what was wrong', async () => {
    const h = await start();
    expect(await h.call('POST', '/health/services', { body: '{"name": ', headers: { 'content-type': 'application/json' } })).toMatchObject({
      status: 400, body: { title: 'Bad Request', detail: expect.stringMatching(/^the body is not valid JSON: /) },
    });
    expect(await h.call('POST', '/health/services', { body: 'name: [', headers: { 'content-type': 'application/yaml' } })).toMatchObject({
      status: 400, body: { detail: expect.stringMatching(/^the body is not valid YAML: /) },
    });
    expect(await h.call('POST', '/health/services', { body: 'name=web', headers: { 'content-type': 'text/plain' } })).toMatchObject({
      status: 415, body: { detail: 'send the check as JSON (Content-Type: application/json) or YAML (Content-Type: application/yaml)' },
    });
    expect(await h.call('POST', '/health/services', { body: JSON.stringify({ name: 'x'.repeat(70_000) }) })).toMatchObject({ status: 413, body: { detail: 'the body is larger than 64kb' } });
    expect(await h.call('PUT', '/health/services/ghost', { body: { kind: 'test', test: { id: 'g' } } })).toMatchObject({
      status: 404, body: { detail: 'no check named "ghost" was registered through the API; POST /health/services registers one' },
    });
    expect(await h.call('DELETE', '/health/services/ghost')).toMatchObject({ status: 404, body: { detail: 'no check named "ghost" was registered through the API' } });
    expect((await h.call('POST', '/health/services', { body: WEB })).status).toBe(201);
    expect(await h.call('PUT', '/health/services/web', { body: { ...WEB, name: 'other' } })).toMatchObject({
      status: 400, body: { detail: 'the body names the check "other" but the URL names "web"; a check cannot be renamed: DELETE it and POST it anew' },
    });
    const patch = await h.call('PATCH', '/health/services/web', { body: {} });
    expect(patch).toMatchObject({ status: 405, body: { detail: 'PATCH is not allowed on /health/services/web; use GET, PUT, DELETE' } });
    expect(patch.headers.get('allow')).toBe('GET, PUT, DELETE');
    expect(await h.call('GET', '/health/nothing')).toMatchObject({ status: 404, body: { type: 'about:blank', title: 'Not Found', detail: 'no route for GET /health/nothing' } });
    expect(await h.call('GET', '/health/services/ghost')).toMatchObject({ status: 404, body: { detail: 'no check named "ghost"' } });
    expect(await h.call('GET', '/health/services?status=a&status=b')).toMatchObject({ status: 400, body: { detail: 'give status once, as ?status=value' } });
  });

  it('keeps dependencies whole: on what exists, and not removed from under a dependent', async () => {
    const h = await start();
    expect((await h.call('POST', '/health/services', { body: { name: 'db', kind: 'test', test: { id: 'd' } } })).status).toBe(201);
    expect((await h.call('POST', '/health/services', { body: { name: 'app', kind: 'test', depends_on: ['db', 'alpha'], test: { id: 'p' } } })).status).toBe(201);
    expect(await h.call('DELETE', '/health/services/db')).toMatchObject({ status: 409, body: { detail: 'check "db" is a dependency of "app"; change those first' } });
    expect(await h.call('PUT', '/health/services/db', { body: { kind: 'test', depends_on: ['app'], test: { id: 'd' } } })).toMatchObject({
      status: 422, body: { detail: 'the check is not valid: depends_on: dependencies go round in a loop: app → db → app' },
    });
    expect((await h.call('GET', '/health/services/app')).body.dependsOn).toEqual(['db', 'alpha']);
  });

  it('lets the file take a name back on reload, and applies global defaults to registered checks', async () => {
    const h = await start();
    expect((await h.call('POST', '/health/services', { body: { name: 'beta', kind: 'test', test: { id: 'from-api' } } })).body).toMatchObject({ intervalSeconds: 20 });
    writeFileSync(h.file, `${CONFIG.replace('interval: 20s', 'interval: 40s')}  - name: beta\n    kind: test\n    test: {id: from-file}\n`);
    expect(await h.app.reload()).toEqual([]);
    expect((await h.call('GET', '/health/services/beta')).body).toMatchObject({ source: 'file', target: 'test:from-file' });
    expect((await h.call('GET', '/health/services/alpha')).body).toMatchObject({ intervalSeconds: 40 });
    // The file's checks win; once the file drops the name, the registered one runs again.
    writeFileSync(h.file, CONFIG.replace('interval: 20s', 'interval: 40s'));
    expect(await h.app.reload()).toEqual([]);
    expect((await h.call('GET', '/health/services/beta')).body).toMatchObject({ source: 'api', target: 'test:from-api', intervalSeconds: 40 });
  });
});
