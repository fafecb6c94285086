// The icmp kind: echo requests through the system's `ping` (iputils), as Uptime Kuma does, since
// Node has no ICMP sockets. One ping process per probe, run without a shell through
// ./run-command.ts (own process group, killed at the deadline, output capped); healthmon resolves
// the host itself, so the resolve phase is timed and a bad name is a dns_error, and gives ping the
// address.
//
// `ping -n -c COUNT -i INTERVAL -W WAIT -4|-6 ADDRESS` sends exactly COUNT requests and exits once
// every reply is in, or after lingering for the missing ones. ping's own deadline (-w) is not
// used: with -c it makes ping keep sending until COUNT replies came, and iputils 20221126 takes
// it in whole seconds only. Instead ping gets SIGINT shortly before the check's deadline, on
// which it prints its statistics and exits; the process group's SIGKILL at the deadline is for a
// ping that does not. Replies are read from the per-reply lines (a reply later than `timeout`
// counts as lost), the number sent from the statistics line.
//
// ping needs an ICMP socket: an unprivileged one where net.ipv4.ping_group_range holds one of the
// process's groups, else a raw one, which needs CAP_NET_RAW in the ping process. Whether it will
// get one is judged when the config loads (prepare), from /proc and the ping program's own
// privilege, so a check that could never work is a config error saying what to change.
import dns, { type LookupAddress } from 'node:dns';
import { constants as fsConstants, promises as fsp } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import type { Observation, ProbeOutcome } from '../core/check-result.js';
import { duration, shown } from '../config/fields.js';
import { DNS_LOOKUP_METRIC, failureFrom, type Failure } from './dial.js';
import { clip, DEFAULT_PATH, firstLine, MESSAGE_CHARS, printable, runCommand, type Run } from './run-command.js';
import { hostField } from './tcp.js';
import type { Prepared, ProbeContext, ProbeKind } from './types.js';

export interface IcmpSettings {
  /** A host name or an IP address. */
  host: string;
  count: number;
  intervalMs: number;
  /** How long a reply may take; absent: until the check's deadline. */
  timeoutMs?: number;
  /** The preferred address family, the other one as a fallback; absent: the resolver's first address. */
  family?: 4 | 6;
  /** The loss ratio above which the check fails; at 1 it fails only when no reply came. */
  maxLoss: number;
}

const MAX_COUNT = 1000;
/** iputils refuses shorter intervals to users other than root. */
const MIN_INTERVAL_MS = 2;
/** Far more than ping prints for MAX_COUNT replies. */
const MAX_OUTPUT = 256 * 1024;
/** ping's statistics must be read before the deadline's kill: it gets SIGINT this much earlier, at most. */
const REPORT_MARGIN_MS = 100;
const CAP_NET_RAW = 13n;

/** A loss ratio (0.2) or a percentage ("20%"). */
const lossField = () =>
  z.unknown().transform((value, ctx): number => {
    const text = typeof value === 'string' ? value.trim() : undefined;
    const ratio = typeof value === 'number' ? value : text !== undefined && /^\d+(?:\.\d+)?%$/.test(text) ? Number(text.slice(0, -1)) / 100 : Number.NaN;
    if (!(ratio >= 0 && ratio <= 1)) {
      ctx.addIssue({ code: 'custom', message: `expected a loss ratio from 0 to 1 or a percentage like "20%", got ${shown(value)}` });
      return z.NEVER;
    }
    return ratio;
  });

const schema = z
  .strictObject({
    host: hostField(),
    count: z.int().min(1).max(MAX_COUNT).default(1),
    interval: duration()
      .refine((ms) => ms >= MIN_INTERVAL_MS, { message: `expected at least ${MIN_INTERVAL_MS}ms (ping's limit for users other than root)` })
      .optional(),
    timeout: duration()
      .refine((ms) => ms >= 1, { message: 'expected a duration of at least 1ms' })
      .optional(),
    ip_protocol: z.enum(['ip4', 'ip6']).optional(),
    max_loss: lossField().optional(),
  })
  .transform(
    (b): IcmpSettings => ({
      host: b.host,
      count: b.count,
      intervalMs: b.interval ?? 1000,
      timeoutMs: b.timeout,
      family: b.ip_protocol === 'ip4' ? 4 : b.ip_protocol === 'ip6' ? 6 : undefined,
      maxLoss: b.max_loss ?? 1,
    }),
  );

// --- ping's output ---------------------------------------------------------------------------

export interface PingReply {
  rttMs: number;
  /** The reply's TTL (IPv4) or hop limit (IPv6). */
  ttl: number;
}

export interface PingOutput {
  /** Echo replies by sequence number, duplicates dropped. */
  replies: Map<number, PingReply>;
  /** The first ICMP error a router sent back, e.g. `From 10.0.0.1 icmp_seq=1 Destination Host Unreachable`. */
  icmpError?: string;
  /** Requests sent, from the statistics line; absent when ping printed none. */
  transmitted?: number;
}

// `64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.045 ms`, possibly followed by ` (DUP!)`.
const REPLY = /^\d+ bytes from \S+: icmp_seq=(\d+) ttl=(\d+) time=(\d+(?:\.\d+)?) ms/;
const ICMP_ERROR = /^From \S+ icmp_seq=\d+ \S/;
const STATISTICS = /^(\d+) packets transmitted, \d+ received/;

/** Reads iputils ping's output (with -n); lines it does not know are skipped. */
export function parsePingOutput(text: string): PingOutput {
  const out: PingOutput = { replies: new Map() };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const reply = REPLY.exec(line);
    if (reply) {
      const seq = Number(reply[1]);
      if (!out.replies.has(seq)) out.replies.set(seq, { ttl: Number(reply[2]), rttMs: Number(reply[3]) });
      continue;
    }
    if (out.icmpError === undefined && ICMP_ERROR.test(line)) out.icmpError = clip(printable(line), MESSAGE_CHARS);
    const stats = STATISTICS.exec(line);
    if (stats) out.transmitted = Number(stats[1]);
  }
  return out;
}

// --- the probe -------------------------------------------------------------------------------

interface Target {
  address: string;
  family: 4 | 6;
}

function lookupAll(host: string, signal: AbortSignal): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    // dns.lookup cannot be cancelled; the answer, if it comes, is dropped.
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    dns.lookup(host, { all: true }, (err, addresses) => {
      signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(addresses);
    });
  });
}

/** The address to ping: the preferred family's first, else the first of any (blackbox's fallback). */
async function resolveTarget(s: IcmpSettings, ctx: ProbeContext): Promise<Target | Failure> {
  const literal = net.isIP(s.host);
  if (literal !== 0) return { address: s.host, family: literal === 6 ? 6 : 4 };
  let found: LookupAddress[];
  try {
    found = await lookupAll(s.host, ctx.signal);
  } catch (err) {
    const failure = failureFrom(err, 'resolve', ctx);
    if (failure.reason === 'timeout') return failure;
    return { reason: 'dns_error', message: `cannot resolve ${JSON.stringify(s.host)} (${(err as NodeJS.ErrnoException).code ?? failure.message})` };
  }
  const pick = found.find((a) => a.family === s.family) ?? found[0];
  if (!pick) return { reason: 'dns_error', message: `no address for ${JSON.stringify(s.host)}` };
  return { address: pick.address, family: pick.family === 6 ? 6 : 4 };
}

/** Milliseconds as ping takes seconds: "1", "0.2", "0.002". */
const seconds = (ms: number) => String(Math.max(1, Math.round(ms)) / 1000);

const percent = (ratio: number) => `${Number((ratio * 100).toFixed(1))}%`;

/** What ping wrote to stderr, on one line. */
function stderrOf(run: Run): string {
  return clip(run.stderr.text().split('\n').map(printable).filter((l) => l !== '').join('; '), MESSAGE_CHARS);
}

/** The failures ping names on stderr that explain why nothing came back. */
function knownPingError(said: string): Failure | undefined {
  if (/socket: (?:Operation not permitted|Permission denied)/.test(said)) {
    return { reason: 'exec_error', message: `ping cannot open an ICMP socket (${said}): allow it with net.ipv4.ping_group_range or CAP_NET_RAW` };
  }
  if (/Network is unreachable|No route to host/.test(said)) return { reason: 'network_unreachable', message: said };
  return undefined;
}

function pingFailed(run: Run, said: string): Failure {
  const status = run.exit?.code === null ? `killed by ${run.exit.signal}` : `exit status ${run.exit?.code}`;
  return { reason: 'exec_error', message: `ping failed (${status})${said === '' ? '' : `: ${said}`}` };
}

function stats(values: number[]): { min: number; avg: number; max: number; stddev: number } {
  const avg = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - avg) ** 2, 0) / values.length;
  return { min: Math.min(...values), avg, max: Math.max(...values), stddev: Math.sqrt(variance) };
}

async function probeIcmp(s: IcmpSettings, ctx: ProbeContext, ping: string): Promise<ProbeOutcome> {
  const phases = { resolve: 0, setup: 0, rtt: 0 };
  const observations: Observation[] = [];
  const outcome = (result: Failure | { warning?: string } | undefined): ProbeOutcome => {
    observations.push(
      { metric: DNS_LOOKUP_METRIC.name, value: phases.resolve / 1000 },
      ...(['resolve', 'setup', 'rtt'] as const).map((phase) => ({ metric: 'probe_icmp_duration_seconds', value: phases[phase] / 1000, labels: { phase } })),
    );
    if (result && 'reason' in result) return { ok: false, reason: result.reason, message: result.message, phases, observations };
    return { ok: true, ...(result?.warning ? { warning: result.warning, message: result.warning } : {}), phases, observations };
  };

  const t0 = performance.now();
  const target = await resolveTarget(s, ctx);
  // As blackbox: an address needs no resolving, so its resolve phase is 0.
  if (net.isIP(s.host) === 0) phases.resolve = performance.now() - t0;
  if ('reason' in target) return outcome(target);
  observations.push({ metric: 'probe_ip_protocol', value: target.family });

  const budgetMs = ctx.timeoutMs - phases.resolve;
  const run = await runCommand(
    {
      argv: [ping, '-n', '-c', String(s.count), '-i', seconds(s.intervalMs), '-W', seconds(s.timeoutMs ?? budgetMs), `-${target.family}`, target.address],
      env: { PATH: DEFAULT_PATH, LC_ALL: 'C' },
      maxOutputBytes: MAX_OUTPUT,
      interruptAfterMs: Math.max(0, budgetMs - Math.min(REPORT_MARGIN_MS, budgetMs / 10)),
    },
    ctx.signal,
  );
  phases.setup = run.firstOutputMs ?? run.durationMs;
  if (run.spawnError !== undefined) return outcome({ reason: 'exec_error', message: `${run.spawnError} (the icmp kind runs ping from iputils-ping)` });

  const out = parsePingOutput(run.stdout.text());
  if (run.timedOut) {
    return outcome({ reason: 'timeout', message: `ping did not finish within ${ctx.timeoutMs}ms and was killed with its process group (${out.replies.size} replies so far)` });
  }
  if (run.stdout.truncated) return outcome({ reason: 'too_large', message: `ping wrote more than ${MAX_OUTPUT / 1024}KiB, far more than ${s.count} requests take` });
  // iputils catches SIGINT; a ping that dies of it had not started yet when the time was up.
  if (run.exit?.signal === 'SIGINT' && run.interrupted) return outcome({ reason: 'timeout', message: `ping had not started when the check's ${ctx.timeoutMs}ms were nearly up` });
  const said = stderrOf(run);
  // iputils exits with 0 (replies came) or 1 (none came) after its statistics, 2 on an error.
  const exitedNormally = run.exit?.code === 0 || run.exit?.code === 1;
  if (out.transmitted === undefined) {
    if (exitedNormally) return outcome({ reason: 'protocol_error', message: `ping printed no statistics line; its output began: ${JSON.stringify(firstLine(run.stdout.text()))}` });
    return outcome(knownPingError(said) ?? pingFailed(run, said));
  }

  const sent = out.transmitted;
  const replies = [...out.replies].filter(([seq]) => seq >= 1 && seq <= sent).sort(([a], [b]) => a - b).map(([, r]) => r);
  const inTime = replies.filter((r) => s.timeoutMs === undefined || r.rttMs <= s.timeoutMs);
  const late = replies.length - inTime.length;
  const lost = sent - inTime.length;
  const loss = sent === 0 ? 1 : lost / sent;
  observations.push(
    { metric: 'healthmon_icmp_packets_sent', value: sent },
    { metric: 'healthmon_icmp_packets_received', value: inTime.length },
    { metric: 'healthmon_icmp_packet_loss_ratio', value: loss },
  );
  if (inTime.length > 0) {
    const rtt = stats(inTime.map((r) => r.rttMs / 1000));
    phases.rtt = rtt.avg * 1000;
    observations.push({ metric: 'probe_icmp_reply_hop_limit', value: inTime[0]!.ttl });
    for (const stat of ['min', 'avg', 'max', 'stddev'] as const) observations.push({ metric: 'healthmon_icmp_rtt_seconds', value: rtt[stat], labels: { stat } });
  }

  const lateNote = late === 0 ? '' : `; ${late} came later than the ${s.timeoutMs}ms timeout`;
  if (inTime.length === 0) {
    const known = knownPingError(said);
    if (known) return outcome(known);
    if (out.icmpError !== undefined) return outcome({ reason: 'network_unreachable', message: `no echo reply from ${target.address}: ${out.icmpError}` });
    if (!exitedNormally) return outcome(pingFailed(run, said));
    const waited = s.timeoutMs === undefined ? `within ${ctx.timeoutMs}ms` : `within the ${s.timeoutMs}ms timeout`;
    return outcome({ reason: 'timeout', message: `no echo reply from ${target.address} ${waited} (${sent} sent${lateNote})` });
  }
  if (sent < s.count && run.interrupted) {
    return outcome({
      reason: 'timeout',
      message: `only ${sent} of ${s.count} echo requests were sent within the check's ${ctx.timeoutMs}ms timeout: it must cover (count - 1) × interval and the wait for the last reply`,
    });
  }
  const lossText = `packet loss ${percent(loss)} (${lost} of ${sent} lost${lateNote})`;
  if (loss > s.maxLoss) return outcome({ reason: 'condition_failed', message: `${lossText}, expected at most ${percent(s.maxLoss)} (max_loss)` });
  return outcome(lost > 0 ? { warning: lossText } : undefined);
}

// --- may ping open an ICMP socket? -----------------------------------------------------------

/** What decides whether `ping`, run by healthmon, gets an ICMP socket (Linux). */
export interface IcmpAccessFacts {
  /** The ping program, or undefined when there is none. */
  ping?: {
    path: string;
    /** Owned by root with the setuid bit: it runs as root. */
    setuidRoot: boolean;
    /** Whether it carries the file capability cap_net_raw; undefined when that could not be read. */
    fileCapNetRaw: boolean | undefined;
  };
  euid: number;
  /** The effective group and the supplementary ones, which the kernel matches against ping_group_range. */
  gids: number[];
  /** CAP_NET_RAW in healthmon's effective, ambient and bounding sets. */
  netRaw: { effective: boolean; ambient: boolean; bounding: boolean };
  /** no_new_privs (systemd's NoNewPrivileges=yes): a program's setuid bit and file capabilities are void. */
  noNewPrivs: boolean;
  /** net.ipv4.ping_group_range; undefined when the kernel has no unprivileged ICMP sockets. */
  pingGroupRange?: [number, number];
}

const SYSCTL_FIX = 'let its group open ICMP sockets: sysctl -w net.ipv4.ping_group_range="0 2147483647" (and keep it in /etc/sysctl.d/)';

/** Why ping cannot get an ICMP socket, and what to change; undefined when it can. */
export function icmpAccessProblem(f: IcmpAccessFacts): string | undefined {
  if (!f.ping) return `ping was not found in ${DEFAULT_PATH}: install iputils-ping (apt-get install iputils-ping)`;
  const range = f.pingGroupRange;
  if (range && f.gids.some((g) => g >= range[0] && g <= range[1])) return undefined;
  const selfPrivileged = f.ping.setuidRoot || f.ping.fileCapNetRaw === true;
  // A raw socket needs CAP_NET_RAW in ping itself: root gets its bounding set at exec, others
  // only their ambient capabilities, or what a setuid or file-capability ping raises itself to.
  if (f.netRaw.bounding && (f.euid === 0 || f.netRaw.ambient || (selfPrivileged && !f.noNewPrivs))) return undefined;

  const why = [range ? `net.ipv4.ping_group_range is "${range[0]} ${range[1]}", which holds none of healthmon's groups (${f.gids.join(', ')})` : 'the kernel has no unprivileged ICMP sockets (no net.ipv4.ping_group_range)'];
  const fixes = range ? [SYSCTL_FIX] : [];
  if (!f.netRaw.bounding) {
    why.push('CAP_NET_RAW is not in healthmon\'s bounding set (a container without NET_RAW?)');
    fixes.push('give its container NET_RAW (docker run --cap-add NET_RAW)');
  } else {
    why.push(
      f.netRaw.effective
        ? `healthmon runs as uid ${f.euid} with CAP_NET_RAW, but not as an ambient capability, so ping, which it runs, does not get it`
        : `healthmon runs as uid ${f.euid} without CAP_NET_RAW`,
    );
    fixes.push('give healthmon CAP_NET_RAW as an ambient capability (systemd: AmbientCapabilities=CAP_NET_RAW)');
    const path = f.ping.path;
    if (selfPrivileged) {
      why.push(`${path} is ${f.ping.setuidRoot ? 'setuid root' : 'given cap_net_raw'}, which no_new_privs voids`);
      fixes.push('run healthmon without no_new_privs (systemd: NoNewPrivileges=no)');
    } else {
      why.push(f.ping.fileCapNetRaw === undefined ? `${path} is not setuid root and its file capabilities could not be read (no getcap)` : `${path} is neither setuid root nor given cap_net_raw`);
      fixes.push(`setcap cap_net_raw+p ${path}`);
    }
  }
  return `ping cannot open an ICMP socket when healthmon runs it: ${why.join('; ')}. Do one of: ${fixes.join('; or ')}`;
}

async function executable(path: string): Promise<boolean> {
  return fsp.access(path, fsConstants.X_OK).then(() => true, () => false);
}

/** A program as spawn finds it with PATH=DEFAULT_PATH; a path is taken as it is. */
async function findProgram(name: string): Promise<string | undefined> {
  if (name.includes('/')) return (await executable(name)) ? name : undefined;
  for (const dir of DEFAULT_PATH.split(':')) if (await executable(join(dir, name))) return join(dir, name);
  return undefined;
}

/** Whether getcap shows cap_net_raw in the file's permitted set (`/usr/bin/ping cap_net_raw=ep`). */
async function fileCapNetRaw(path: string): Promise<boolean | undefined> {
  const getcap = await findProgram('getcap');
  if (!getcap) return undefined;
  const run = await runCommand({ argv: [getcap, path], env: { PATH: DEFAULT_PATH, LC_ALL: 'C' }, maxOutputBytes: 4096 }, AbortSignal.timeout(5000));
  if (run.exit?.code !== 0) return undefined;
  return /\bcap_net_raw\b[\w,]*[=+][a-z]*p/.test(run.stdout.text());
}

/** CAP_NET_RAW in a capability set as /proc shows it (hex). */
function hasNetRaw(hex: string | undefined): boolean {
  return hex !== undefined && /^[0-9a-f]+$/i.test(hex) && ((BigInt(`0x${hex}`) >> CAP_NET_RAW) & 1n) === 1n;
}

/** Reads the facts from `procRoot` (/proc) and the ping program; undefined without /proc (not Linux). */
export async function readIcmpAccessFacts(ping: string, procRoot: string): Promise<IcmpAccessFacts | undefined> {
  let status: string;
  try {
    status = await fsp.readFile(join(procRoot, 'self/status'), 'utf8');
  } catch {
    return undefined;
  }
  const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'm').exec(status)?.[1]?.trim();
  const ids = (name: string) => (field(name) ?? '').split(/\s+/).filter((x) => x !== '').map(Number);
  const range = await fsp.readFile(join(procRoot, 'sys/net/ipv4/ping_group_range'), 'utf8').then(
    (text) => text.trim().split(/\s+/).map(Number),
    () => undefined,
  );
  const path = await findProgram(ping);
  const st = path === undefined ? undefined : await fsp.stat(path).catch(() => undefined);
  const program = path && st ? { path, setuidRoot: (st.mode & 0o4000) !== 0 && st.uid === 0, fileCapNetRaw: await fileCapNetRaw(path) } : undefined;
  return {
    ping: program,
    euid: ids('Uid')[1] ?? Number.NaN,
    gids: [...new Set([ids('Gid')[1] ?? Number.NaN, ...ids('Groups')])],
    netRaw: { effective: hasNetRaw(field('CapEff')), ambient: hasNetRaw(field('CapAmb')), bounding: hasNetRaw(field('CapBnd')) },
    noNewPrivs: field('NoNewPrivs') === '1',
    pingGroupRange: range?.length === 2 && range.every(Number.isInteger) ? [range[0]!, range[1]!] : undefined,
  };
}

// --- the kind --------------------------------------------------------------------------------

export interface IcmpKindDeps {
  /** The ping program: a name looked up in DEFAULT_PATH, or a path. Default "ping". */
  ping?: string;
  /** Where /proc is mounted; tests point it at a made-up one. */
  procRoot?: string;
}

export function createIcmpKind(deps: IcmpKindDeps = {}): ProbeKind<IcmpSettings> {
  const ping = deps.ping ?? 'ping';
  const procRoot = deps.procRoot ?? '/proc';
  // The checks of one load are prepared together: they share one look at the facts.
  let judging: Promise<string | undefined> | undefined;
  const accessProblem = () =>
    (judging ??= readIcmpAccessFacts(ping, procRoot)
      .then((facts) => (facts ? icmpAccessProblem(facts) : undefined))
      .finally(() => {
        judging = undefined;
      }));
  return {
    kind: 'icmp',
    schema,
    probe: (s, ctx) => probeIcmp(s, ctx, ping),
    target: (s) => s.host,
    fromTarget: (target) => ({ host: target.replace(/^\[(.*)\]$/, '$1') }),
    async prepare(settings): Promise<Prepared<IcmpSettings>> {
      const problem = await accessProblem();
      return problem === undefined ? { ok: true, settings } : { ok: false, issues: [{ path: [], message: problem }] };
    },
    metrics: [
      {
        name: 'probe_icmp_duration_seconds',
        help: 'Duration of the ICMP probe by phase, in seconds: resolve, setup (until ping had its socket), rtt (the average round trip).',
        labels: ['phase'],
      },
      { name: 'probe_icmp_reply_hop_limit', help: 'Hop limit (TTL) of the first echo reply.' },
      { name: 'probe_ip_protocol', help: 'IP protocol of the probe: 4 or 6.' },
      DNS_LOOKUP_METRIC,
      { name: 'healthmon_icmp_packets_sent', help: 'Echo requests the last ICMP probe sent.' },
      { name: 'healthmon_icmp_packets_received', help: 'Echo replies the last ICMP probe received in time, duplicates not counted.' },
      { name: 'healthmon_icmp_packet_loss_ratio', help: 'Share of the echo requests of the last ICMP probe without a reply in time, 0 to 1.' },
      { name: 'healthmon_icmp_rtt_seconds', help: 'Round-trip times of the echo replies of the last ICMP probe: min, avg, max and stddev.', labels: ['stat'] },
    ],
  };
}

export const icmpKind = createIcmpKind();
