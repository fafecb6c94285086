// Helpers shared by the bench processes: config files, statistics, /proc readers, free ports.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

/**
 * Writes a healthmon config of `count` http checks spread round-robin over the target ports.
 * JSON is valid YAML, and it keeps a 10,000-check file quick to write.
 */
export function writeHttpConfig(dir, name, { ports, count, interval, timeout, maxConcurrency, listen = '127.0.0.1:0' }) {
  const checks = [];
  for (let i = 0; i < count; i++) {
    const port = ports[i % ports.length];
    const check = { name: `http-${i}`, kind: 'http', interval, http: { url: `http://127.0.0.1:${port}/` } };
    if (timeout !== undefined) check.timeout = timeout;
    checks.push(check);
  }
  const config = {
    global: { max_concurrency: maxConcurrency },
    host: { enabled: false },
    server: { listen },
    checks,
  };
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(config, null, 1));
  return file;
}

export function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

export function summary(values) {
  const sorted = Float64Array.from(values).sort();
  return {
    n: sorted.length,
    median: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
  };
}

export function round(n, digits = 3) {
  if (!Number.isFinite(n)) return n;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

let clkTck;
/** USER_HZ, the unit of utime/stime in /proc/<pid>/stat. */
export function clockTicks() {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** CPU seconds (user + system, all threads) a process has used so far. */
export function procCpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces and parentheses; fields are counted after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / clockTicks();
}

/** VmHWM (peak resident set) of a process, in bytes. */
export function peakRssBytes(pid = 'self') {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export const MB = 1024 * 1024;

/** Rejects with `message` if `promise` has not settled within `ms`. */
export function withTimeout(promise, ms, message) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]);
}

/**
 * Runs one benchmark part in a worker process with run.js's `runWorker`; a failure comes back as
 * `{ settings, error }`, for the part's printer to report instead of the numbers.
 */
export function inWorker(runWorker, part, settings, budgetMs) {
  return runWorker(part, settings, budgetMs).catch((err) => ({ settings, error: err.message }));
}
