// A healthmon for API tests: a config file in a temp storage dir, the test kind plus the real
// network kinds, started on 127.0.0.1:0, restartable on the same directory.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App, type AppDeps } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/core/logger.js';
import { execKind } from '../../src/probes/exec.js';
import { httpKind } from '../../src/probes/http.js';
import { tcpKind } from '../../src/probes/tcp.js';
import { createFakeClock, type FakeClock } from './fake-clock.js';
import { createTestKind } from './test-kind.js';

export interface ApiApp {
  app: App;
  dir: string;
  file: string;
  clock: FakeClock;
  base: string;
  outcomes: ReturnType<typeof createTestKind>['outcomes'];
  /** fetch against the app; JSON bodies are sent as JSON. */
  call(method: string, path: string, options?: { body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; headers: Headers; body: any; text: string }>;
  /** Stops this app and starts a new one on the same directory and config file. */
  restart(): Promise<ApiApp>;
  stop(): Promise<void>;
}

export interface ApiAppOptions {
  deps?: Partial<AppDeps>;
  env?: Record<string, string>;
  scheme?: 'http' | 'https';
  /** Files written into the directory (beside the config) before it loads. */
  files?: Record<string, string>;
  fetch?: typeof fetch;
}

export async function startApiApp(configText: string, options: ApiAppOptions = {}, reuse?: { dir: string; file: string; clock: FakeClock }): Promise<ApiApp> {
  const dir = reuse?.dir ?? mkdtempSync(join(tmpdir(), 'healthmon-api-'));
  const file = reuse?.file ?? join(dir, 'healthmon.yaml');
  if (!reuse) writeFileSync(file, configText.replaceAll('$DIR', dir));
  if (!reuse) for (const [name, text] of Object.entries(options.files ?? {})) writeFileSync(join(dir, name), text);
  const { kind, outcomes } = createTestKind();
  const kinds = { test: kind, http: httpKind, tcp: tcpKind, exec: execKind };
  const clock = reuse?.clock ?? createFakeClock();
  const load = () => loadConfig(file, { kinds, env: options.env ?? {} });
  const app = createApp(load(), { clock, logger: silentLogger(), kinds, build: { version: '1.2.3-test', nodeVersion: '20' }, loadConfig: load, ...options.deps });
  const port = (await app.start())!;
  const base = `${options.scheme ?? 'http'}://127.0.0.1:${port}`;
  const doFetch = options.fetch ?? fetch;
  const self: ApiApp = {
    app, dir, file, clock, base, outcomes,
    async call(method, path, o = {}) {
      const headers: Record<string, string> = { ...o.headers };
      let body: string | undefined;
      if (o.body !== undefined) {
        body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
        if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
      }
      const res = await doFetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      return { status: res.status, headers: res.headers, body: parsed, text };
    },
    async restart() {
      await app.stop(0);
      return startApiApp(configText, options, { dir, file, clock });
    },
    stop: () => app.stop(0),
  };
  return self;
}
