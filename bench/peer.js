// 2. The peer: Debian's prometheus-blackbox-exporter probing the same targets, driven by wrk at
// /probe?module=http_2xx. Its CPU comes from /proc/<pid>/stat; wrk's and the targets' do not
// count. A Lua script rotates the targets and counts only probes whose body says success.
import { spawn, execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort, procCpuSeconds, round, sleep } from './lib.js';

export const BLACKBOX = '/usr/bin/prometheus-blackbox-exporter';
export const WRK = '/usr/bin/wrk';

const BLACKBOX_CONFIG = `modules:
  http_2xx:
    prober: http
    timeout: 5s
    http:
      valid_status_codes: [200]
      preferred_ip_protocol: ip4
      ip_protocol_fallback: false
`;

function wrkScript(ports) {
  return `-- Rotates over the bench targets and counts probes by the probe_success the exporter reports.
local ports = {${ports.join(', ')}}
local threads = {}
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  ok = 0
  bad = 0
  i = id
end
function request()
  i = i + 1
  local port = ports[(i % #ports) + 1]
  return wrk.format("GET", "/probe?module=http_2xx&target=http://127.0.0.1:" .. port .. "/")
end
function response(status, headers, body)
  if status == 200 and string.find(body, "\\nprobe_success 1", 1, true) then ok = ok + 1 else bad = bad + 1 end
end
function done(summary, latency, requests)
  local o, b = 0, 0
  for _, t in ipairs(threads) do
    o = o + t:get("ok")
    b = b + t:get("bad")
  end
  io.write(string.format("BENCH_PROBES ok=%d bad=%d\\n", o, b))
end
`;
}

function runWrk(args, timeoutMs) {
  return new Promise((resolve, reject) => {
    execFile(WRK, args, { timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`wrk failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

export function parseWrk(stdout) {
  const m = /BENCH_PROBES ok=(\d+) bad=(\d+)/.exec(stdout);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
  const total = /(\d+) requests in ([\d.]+)(m?s)/.exec(stdout);
  const errors = /Socket errors: (.*)/.exec(stdout);
  return {
    ok: m ? Number(m[1]) : NaN,
    bad: m ? Number(m[2]) : NaN,
    requestsPerSecond: rps ? Number(rps[1]) : NaN,
    requests: total ? Number(total[1]) : NaN,
    seconds: total ? Number(total[2]) / (total[3] === 'ms' ? 1000 : 1) : NaN,
    socketErrors: errors ? errors[1].trim() : undefined,
  };
}

/** Starts the exporter, drives it with wrk, stops it. `track` registers the PID for cleanup. */
export async function runPeer({ ports, dir, durationS, connections, threads, track }) {
  const missing = [BLACKBOX, WRK].filter((p) => !existsSync(p));
  if (missing.length > 0) return { skipped: `not installed: ${missing.join(', ')}` };

  const configFile = join(dir, 'blackbox.yml');
  writeFileSync(configFile, BLACKBOX_CONFIG);
  const scriptFile = join(dir, 'rotate.lua');
  writeFileSync(scriptFile, wrkScript(ports));
  const port = await freePort();
  const child = spawn(BLACKBOX, [`--config.file=${configFile}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=error'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  track(child);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  try {
    const base = `http://127.0.0.1:${port}`;
    // Bounded wait for the exporter to listen.
    let up = false;
    for (let i = 0; i < 100 && !up && child.exitCode === null; i++) {
      up = await fetch(`${base}/-/healthy`).then((r) => r.ok, () => false);
      if (!up) await sleep(100);
    }
    if (!up) throw new Error(`blackbox_exporter did not come up on ${base}: ${stderr}`);
    const sample = await (await fetch(`${base}/probe?module=http_2xx&target=http://127.0.0.1:${ports[0]}/`)).text();
    if (!/^probe_success 1$/m.test(sample)) throw new Error(`blackbox_exporter's probe of a target failed:\n${sample}`);

    const url = `${base}/`;
    const common = ['-t', String(threads), '-c', String(connections), '-s', scriptFile, '--timeout', '5s'];
    await runWrk([...common, '-d', '2s', url], 30_000); // warm-up, not measured
    const cpu0 = procCpuSeconds(child.pid);
    const t0 = performance.now();
    const stdout = await runWrk([...common, '-d', `${durationS}s`, url], (durationS + 30) * 1000);
    const wallS = (performance.now() - t0) / 1000;
    const cpuS = procCpuSeconds(child.pid) - cpu0;
    const w = parseWrk(stdout);
    return {
      version: '0.23.0 (Debian)',
      connections,
      wrkThreads: threads,
      wallSeconds: round(wallS, 2),
      requests: w.requests,
      probesOk: w.ok,
      probesFailed: w.bad,
      socketErrors: w.socketErrors,
      probesPerSecond: round(w.ok / w.seconds, 0),
      cpuSeconds: round(cpuS, 3),
      cpuSecondsPer1000Probes: round((cpuS / w.ok) * 1000, 4),
      probesPerCpuSecond: round(w.ok / cpuS, 0),
    };
  } finally {
    child.kill('SIGTERM');
    await Promise.race([new Promise((r) => child.once('exit', r)), sleep(3000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
