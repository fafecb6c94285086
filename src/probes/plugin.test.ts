import { getEventListeners } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigAsync } from '../config/load.js';
import { probeContext } from '../../test/helpers/probe-peers.js';
import { PROBE_KINDS } from './index.js';
import { createPluginKind, MAX_PLUGIN_OBSERVATIONS, outcomeFrom, pluginKind, type PluginSettings } from './plugin.js';
import type { ProbeContext } from './types.js';

const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'plugins', 'file-age.js');

let dir: string;
const write = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'healthmon-plugin-'));
  mkdirSync(join(dir, 'checks'));
  write('checks/echo.js', 'export default async function (options, ctx) { return { ok: true, message: `${options.greeting} from ${ctx.check}` }; }\n');
  write('named.js', 'export const probe = (options) => ({ ok: false, reason: "connection_refused", message: `queue ${options.queue} unreachable` });\n');
  write('returns.js', 'export default async function (options) { return options.result; }\n');
  write('throws.js', 'export default async function () { throw new TypeError("cannot read properties of undefined"); }\n');
  write('throws-sync.js', 'export default function () { throw "a string"; }\n');
  write('mutates.js', 'export default async function (options) { options.count = (options.count ?? 0) + 1; return { ok: true }; }\n');
  write('never.js', 'export default function (_options, ctx) { ctx.signal.addEventListener("abort", () => {}); return new Promise(() => {}); }\n');
  write('late-reject.js', 'export default function () { return new Promise((_, reject) => setTimeout(() => reject(new Error("late")), 100)); }\n');
  write('hangs-at-load.js', 'await new Promise(() => {});\nexport default async function () { return { ok: true }; }\n');
  write('validate-list.js', 'export function validate(o) { return [`a: expected 1, got ${o.a}`, "b: required"]; }\nexport default async () => ({ ok: true });\n');
  write('validate-throws.js', 'export function validate() { throw new Error("no"); }\nexport default async () => ({ ok: true });\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Settings as the loader makes them: schema, then prepare() against `dir`. */
async function prepared(block: Record<string, unknown>, kind = pluginKind): Promise<PluginSettings> {
  const p = await kind.prepare!(kind.schema.parse(block), { baseDir: dir });
  if (!p.ok) throw new Error(p.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'));
  return p.settings;
}
const issues = async (block: Record<string, unknown>, kind = pluginKind) => {
  const p = await kind.prepare!(kind.schema.parse(block), { baseDir: dir });
  return p.ok ? [] : p.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};
const run = async (block: Record<string, unknown>, ctx: ProbeContext = probeContext(2000)) => pluginKind.probe(await prepared(block), ctx);

describe('plugin schema', () => {
  it('takes a module and options, frozen', () => {
    const s = pluginKind.schema.parse({ module: './x.js', options: { deep: { list: [1] } } });
    expect(s).toEqual({ module: './x.js', options: { deep: { list: [1] } } });
    expect(Object.isFrozen((s.options as { deep: { list: number[] } }).deep.list)).toBe(true);
    expect(pluginKind.schema.parse({ module: 'x.js' }).options).toEqual({});
    expect(pluginKind.target(s)).toBe('./x.js');
  });

  it.each([
    [{}, 'module'],
    [{ module: '' }, 'module'],
    [{ module: 'x.js', option: {} }, ''],
  ])('rejects %j at %s', (block, path) => {
    const result = pluginKind.schema.safeParse(block);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});

describe('plugin loading', () => {
  it('resolves the module against the config directory and takes the default export or `probe`', async () => {
    expect((await prepared({ module: './checks/echo.js' })).loaded?.path).toBe(join(dir, 'checks', 'echo.js'));
    expect((await prepared({ module: 'checks/echo.js' })).loaded?.path).toBe(join(dir, 'checks', 'echo.js'));
    expect((await prepared({ module: join(dir, 'named.js') })).loaded?.path).toBe(join(dir, 'named.js'));
  });

  it.each([
    [{ module: './missing.js' }, ['module: cannot find "./missing.js": no file at DIR/missing.js']],
    [{ module: './checks' }, ['module: DIR/checks is not a file']],
    [{ module: './validate-list.js', options: { a: 2 } }, ['options: a: expected 1, got 2', 'options: b: required']],
    [{ module: './validate-throws.js' }, ['options: validate() of ./validate-throws.js threw Error: no']],
  ])('reports %j', async (block: Record<string, unknown>, expected: string[]) => {
    expect(await issues(block)).toEqual(expected.map((e) => e.replace('DIR', dir)));
  });

  it('gives up on a module whose top-level await never settles', async () => {
    const kind = createPluginKind({ importTimeoutMs: 100 });
    expect(await issues({ module: './hangs-at-load.js' }, kind)).toEqual([
      `module: cannot load ${dir}/hangs-at-load.js: Error: importing ${dir}/hangs-at-load.js did not finish within 0.1s (a top-level await that never settles?)`,
    ]);
  });

  it('imports a changed module anew on reload, and changes the check’s fingerprint', async () => {
    const file = write('versioned.js', 'export default async () => ({ ok: true, message: "v1" });\n');
    const config = write('healthmon.yaml', 'host: {enabled: false}\nchecks:\n  - name: v\n    kind: plugin\n    plugin: {module: ./versioned.js}\n');
    const load = () => loadConfigAsync(config, { kinds: PROBE_KINDS, env: {} });
    const first = (await load()).checks[0]!;
    expect((await load()).checks[0]!.fingerprint).toBe(first.fingerprint);
    write('versioned.js', 'export default async () => ({ ok: true, message: "v2" });\n');
    utimesSync(file, new Date(), new Date(Date.now() + 5000)); // a different mtime, however fast the test
    const second = (await load()).checks[0]!;
    expect(second.fingerprint).not.toBe(first.fingerprint);
    expect(await pluginKind.probe(second.settings as PluginSettings, probeContext())).toMatchObject({ ok: true, message: 'v2' });
    expect(await pluginKind.probe(first.settings as PluginSettings, probeContext())).toMatchObject({ ok: true, message: 'v1' });
  });
});

describe('plugin probe', () => {
  it('passes options and the context, and returns what the plug-in said', async () => {
    expect(await run({ module: './checks/echo.js', options: { greeting: 'hello' } })).toMatchObject({ ok: true, message: 'hello from test' });
    expect(await run({ module: './named.js', options: { queue: 'mail' } })).toMatchObject({ ok: false, reason: 'connection_refused', message: 'queue mail unreachable' });
  });

  it.each([
    [{ ok: true }, { ok: true, observations: [] }],
    [{ ok: true, warning: 'slow disk', message: 'fine' }, { ok: true, warning: 'slow disk', message: 'fine' }],
    [{ ok: false }, { ok: false, reason: 'condition_failed', message: 'the plug-in reported a failure without a message' }],
    [{ ok: false, message: 'depth 900', warning: 'ignored' }, { ok: false, reason: 'condition_failed', message: 'depth 900' }],
    [{ ok: true, phases: { connect: 3, query: 4 } }, { ok: true, phases: { connect: 3, query: 4 } }],
    [
      { ok: true, observations: [{ metric: 'queue_depth', value: 12 }, { metric: 'consumers', value: 3, labels: {} }] },
      { ok: true, observations: [{ metric: 'probe_plugin_value', value: 12, labels: { metric: 'queue_depth' } }, { metric: 'probe_plugin_value', value: 3, labels: { metric: 'consumers' } }] },
    ],
  ])('turns %j into %j', async (result, expected) => {
    const o = await run({ module: './returns.js', options: { result } });
    expect(o).toMatchObject(expected);
    if (!o.ok) expect(o.warning).toBeUndefined();
  });

  it.each([
    [undefined, 'nothing, expected an object like {ok: true}'],
    [true, 'true, expected an object like {ok: true}'],
    [[{ ok: true }], 'a list, expected an object like {ok: true}'],
    [{ ok: 'yes' }, 'ok: "yes", expected true or false'],
    [{ ok: true, message: 42 }, 'message: 42, expected a string'],
    [{ ok: false, reason: 'queue_full' }, /^reason: "queue_full", expected one of timeout, connection_refused, .*not_running$/],
    [{ ok: true, phases: { a: -1 } }, 'phases.a: -1, expected milliseconds (a number >= 0)'],
    [{ ok: true, phases: [] }, 'phases: a list, expected an object of milliseconds'],
    [{ ok: true, observations: {} }, 'observations: an object, expected a list of {metric, value}'],
    [{ ok: true, observations: [{ metric: 'queue depth', value: 1 }] }, 'observations[0].metric: "queue depth", expected a metric name like queue_depth'],
    [{ ok: true, observations: [{ metric: 'a', value: '1' }] }, 'observations[0].value: "1", expected a number'],
    [{ ok: true, observations: [{ metric: 'a', value: 1, labels: { queue: 'x' } }] }, 'observations[0].labels: labels are not supported; put the distinction into the metric name'],
    [{ ok: true, observations: [{ metric: 'a', value: 1 }, { metric: 'a', value: 2 }] }, 'observations[1].metric: "a" twice'],
    [{ ok: true, observations: Array.from({ length: MAX_PLUGIN_OBSERVATIONS + 1 }, (_, i) => ({ metric: `m${i}`, value: i })) }, `${MAX_PLUGIN_OBSERVATIONS + 1} observations, expected at most ${MAX_PLUGIN_OBSERVATIONS}`],
  ])('fails internal_error when the plug-in returns %j', (value, message) => {
    const o = outcomeFrom(value, './p.js', 5);
    expect(o).toMatchObject({ ok: false, reason: 'internal_error', observations: [] });
    expect(o.message).toMatch(typeof message === 'string' ? `plug-in ./p.js returned ${message}` : new RegExp(`^plug-in \\./p\\.js returned ${message.source.slice(1)}`));
  });

  it.each([
    ['throws', './throws.js', 'plug-in ./throws.js threw TypeError: cannot read properties of undefined'],
    ['throws a string synchronously', './throws-sync.js', 'plug-in ./throws-sync.js threw string "a string"'],
    ['writes to its options', './mutates.js', /^plug-in \.\/mutates\.js threw TypeError: Cannot add property count, object is not extensible$/],
  ])('fails internal_error when the plug-in %s', async (_what, module, message) => {
    const o = await run({ module });
    expect(o).toMatchObject({ ok: false, reason: 'internal_error' });
    expect(o.message).toMatch(message);
  });

  it('ends at the deadline when the plug-in never settles, leaving no listener behind', async () => {
    const controller = new AbortController();
    const ctx: ProbeContext = { ...probeContext(), signal: controller.signal, timeoutMs: 50 };
    const settings = await prepared({ module: './never.js' });
    const pending = pluginKind.probe(settings, ctx);
    setTimeout(() => controller.abort(new DOMException('deadline', 'TimeoutError')), 50);
    expect(await pending).toMatchObject({ ok: false, reason: 'timeout', message: 'plug-in ./never.js did not finish within 50ms' });
    // The plug-in's own listener stays (it never settles); healthmon's is gone.
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
  });

  it('survives a plug-in that rejects after the deadline', async () => {
    const o = await run({ module: './late-reject.js' }, probeContext(20));
    expect(o).toMatchObject({ ok: false, reason: 'timeout' });
    await new Promise((r) => setTimeout(r, 150)); // the late rejection must not be unhandled
  });

  it('fails internal_error when the settings were never prepared', async () => {
    expect(await pluginKind.probe(pluginKind.schema.parse({ module: './checks/echo.js' }), probeContext())).toMatchObject({
      ok: false,
      reason: 'internal_error',
      message: 'plug-in ./checks/echo.js was not loaded (the config was loaded without loadConfigAsync)',
    });
  });
});

describe('the example plug-in (examples/plugins/file-age.js)', () => {
  it('is shown in full in the README', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('\n### plugin\n'));
    const shown = /```js\n([\s\S]*?)```/.exec(section)?.[1];
    const source = readFileSync(EXAMPLE, 'utf8');
    expect(shown).toBe(source.slice(source.indexOf('import ')));
  });

  const now = Date.UTC(2026, 0, 2);
  const ctxAt = (ms: number): ProbeContext => ({ ...probeContext(), now: () => ms });

  it('loads through a config, validating its options', async () => {
    const bad = write('bad.yaml', `checks:\n  - name: b\n    kind: plugin\n    plugin:\n      module: ${EXAMPLE}\n      options: {path: /x, max_age_seconds: soon, colour: red}\n`);
    await expect(loadConfigAsync(bad, { kinds: PROBE_KINDS, env: {} })).rejects.toMatchObject({
      problems: [
        `checks[0].plugin.options (${bad}:6): max_age_seconds: expected a number >= 0, got "soon"`,
        `checks[0].plugin.options (${bad}:6): unknown option "colour"`,
      ],
    });
  });

  it('is healthy for a fresh file, degraded for an old one, failed for a stale, small or missing one', async () => {
    const backup = write('db.dump', 'x'.repeat(2048));
    utimesSync(backup, new Date(now - 3600_000), new Date(now - 3600_000));
    const options = { path: backup, max_age_seconds: 7200, warn_age_seconds: 1800, min_bytes: 1024 };
    const settings = await prepared({ module: EXAMPLE, options });
    const at = (ms: number) => pluginKind.probe(settings, ctxAt(ms));
    expect(await at(now - 3000_000)).toMatchObject({ ok: true, message: `${backup} is 600s old, 2048 bytes` });
    expect(await at(now)).toMatchObject({ ok: true, warning: `${backup} is 3600s old, more than 1800s` });
    const stale = await at(now + 7200_000);
    expect(stale).toMatchObject({ ok: false, reason: 'condition_failed', message: `${backup} is 10800s old, expected at most 7200s` });
    expect(stale.observations).toEqual([
      { metric: 'probe_plugin_value', value: 10800, labels: { metric: 'age_seconds' } },
      { metric: 'probe_plugin_value', value: 2048, labels: { metric: 'size_bytes' } },
    ]);
    const small = await pluginKind.probe(await prepared({ module: EXAMPLE, options: { ...options, min_bytes: 4096 } }), ctxAt(now));
    expect(small).toMatchObject({ ok: false, message: `${backup} has 2048 bytes, expected at least 4096` });
    const missing = await pluginKind.probe(await prepared({ module: EXAMPLE, options: { ...options, path: join(dir, 'none') } }), ctxAt(now));
    expect(missing).toMatchObject({ ok: false, reason: 'condition_failed', message: `cannot stat ${join(dir, 'none')}: ENOENT` });
  });
});
