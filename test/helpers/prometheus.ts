// A real Prometheus (Debian's `prometheus`, 2.42) started for one test on 127.0.0.1 with its own
// temp data dir, and small clients for its HTTP API; ended by its PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './alertmanager.js';

export interface RunningPrometheus {
  url: string;
  /** The last lines Prometheus logged, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export async function startPrometheus(binary: string, configYaml: string): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'healthmon-prom-'));
  writeFileSync(join(dir, 'prometheus.yml'), configYaml);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(binary, [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=info',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-8000)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(child.pid, 'SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) return { url, log: () => stderr, stop };
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus did not become ready: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface PromSeries {
  metric: Record<string, string>;
  value?: [number, string];
}

interface ApiAnswer<T> {
  status: 'success' | 'error';
  data: T;
  error?: string;
  errorType?: string;
}

async function api<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const body = (await res.json()) as ApiAnswer<T>;
  if (body.status !== 'success') throw new Error(`${body.errorType ?? res.status}: ${body.error ?? 'unknown error'}`);
  return body.data;
}

/** GET /api/v1/query at `timeSec` (now when absent): the vector or scalar result. */
export async function instantQuery(base: string, query: string, timeSec?: number): Promise<PromSeries[]> {
  const params = new URLSearchParams({ query });
  if (timeSec !== undefined) params.set('time', String(timeSec));
  const data = await api<{ resultType: string; result: PromSeries[] | [number, string] }>(`${base}/api/v1/query?${params}`);
  if (data.resultType === 'scalar' || data.resultType === 'string') return [{ metric: {}, value: data.result as [number, string] }];
  return data.result as PromSeries[];
}

/** GET /api/v1/series: the label sets of the series a selector matches in [start, end]. */
export async function series(base: string, match: string, startSec: number, endSec: number): Promise<Record<string, string>[]> {
  const params = new URLSearchParams({ 'match[]': match, start: String(startSec), end: String(endSec) });
  return api<Record<string, string>[]>(`${base}/api/v1/series?${params}`);
}

export interface PromTarget {
  labels: Record<string, string>;
  scrapePool: string;
  health: string;
  lastError: string;
  lastScrape: string;
}

export async function activeTargets(base: string): Promise<PromTarget[]> {
  return (await api<{ activeTargets: PromTarget[] }>(`${base}/api/v1/targets?state=active`)).activeTargets;
}

export interface PromAlert {
  labels: Record<string, string>;
  state: string;
}

export async function alerts(base: string): Promise<PromAlert[]> {
  return (await api<{ alerts: PromAlert[] }>(`${base}/api/v1/alerts`)).alerts;
}

/** Polls `fn` every 200 ms until it returns something other than undefined. */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
