#!/usr/bin/env node
// The CLI entry: arguments, signals, exit codes. The only module that reads process.*.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createApp } from './app.js';
import { checkRules } from './cli/check-rules.js';
import { formatTable, onceExitCode, onceRows } from './cli/once.js';
import { planDashboard, planReport, runDashboard, runReport, type ReportPlan } from './cli/report-command.js';
import { testRules } from './cli/test-rules.js';
import { ConfigError } from './config/issues.js';
import { loadConfigAsync } from './config/load.js';
import { shardSpec } from './config/schema.js';
import { ownedChecks, type Shard } from './config/shard.js';
import { systemClock } from './core/clock.js';
import { createLogger } from './core/logger.js';
import { PROBE_KINDS } from './probes/index.js';

const USAGE = `Usage:
  healthmon [--config FILE]                run: probe on schedule, serve /metrics
  healthmon once [--config FILE] [--json]  run every check once and exit (also: --once)
  healthmon check config FILE…             validate config files and exit
  healthmon check rules FILE…              validate Prometheus rule files as promtool does
  healthmon test rules FILE…               run rule unit-test files as 'promtool test rules' does
  healthmon report [daily|weekly] [--since D] [--format F] [--out FILE]
                                           uptime, latency, incidents and SLOs from history
                                           (also: --report); daily: 24h by the hour, weekly:
                                           7d by the day; default: --since 24h
  healthmon dashboard [--out FILE]         the summary and a row per check as JSON, from
                                           history (also: --dashboard)

Options:
  --config FILE        config file, YAML or JSON (default: healthmon.yaml)
  --json               machine-readable output for 'once' (and 'report': --format json)
  --since DURATION     report span, e.g. 24h, 7d, 30d (at most 400d)
  --format FORMAT      report format: markdown (default), json or html
  --out FILE           write the report or dashboard to FILE instead of stdout
  --shard I/N          probe only this replica's share of the checks (0 ≤ I < N; see README)
  --log-level LEVEL    trace, debug, info, warn, error (default: info)
  --log-format FORMAT  json or pretty (default: pretty on a terminal, else json)
  --version, --help

Exit codes: 0 ok; 1 a critical check is down ('once'), a rule file is bad or a rule unit test
fails, there is no history to report on ('report'); 2 bad config or usage.
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function fail(message: string, code = 2): never {
  process.stderr.write(message.endsWith('\n') ? message : `${message}\n`);
  process.exit(code);
}

async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c', default: 'healthmon.yaml' },
        once: { type: 'boolean', default: false },
        report: { type: 'boolean', default: false },
        dashboard: { type: 'boolean', default: false },
        since: { type: 'string' },
        format: { type: 'string' },
        out: { type: 'string' },
        json: { type: 'boolean', default: false },
        shard: { type: 'string' },
        'log-level': { type: 'string', default: 'info' },
        'log-format': { type: 'string' },
        version: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    fail(`${(err as Error).message}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (values.version) {
    process.stdout.write(`healthmon ${version()} (node ${process.versions.node})\n`);
    return;
  }
  const command = positionals.join(' ');
  const env = process.env;
  // Asynchronous because plug-in modules are imported while the config loads.
  let shard: Shard | undefined;
  if (values.shard !== undefined) {
    const parsed = shardSpec().safeParse(values.shard);
    if (!parsed.success) fail(`--shard: ${parsed.error.issues[0]!.message}\n\n${USAGE}`);
    shard = parsed.data;
  }
  const load = async (file: string) => {
    const config = await loadConfigAsync(file, { kinds: PROBE_KINDS, env });
    if (shard) config.shard = shard;
    return config;
  };
  /** The config, or exit 2 with its problems. */
  const loadOrFail = async (file: string) => {
    try {
      return await load(file);
    } catch (err) {
      if (err instanceof ConfigError) fail(err.message);
      throw err;
    }
  };

  if (command.startsWith('check config')) {
    const files = positionals.slice(2);
    if (files.length === 0) fail(`check config needs a FILE\n\n${USAGE}`);
    let bad = false;
    for (const file of files) {
      try {
        const config = await load(file);
        const rules = config.rules.groups.reduce((n, g) => n + g.rules.length, 0);
        const receivers = config.alerting.receivers.length;
        process.stdout.write(`${file}: ok, ${config.checks.length} check(s), ${rules} rule(s), ${receivers} receiver(s)\n`);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        process.stderr.write(`${err.message}\n`);
        bad = true;
      }
    }
    process.exit(bad ? 2 : 0);
  }
  if (command.startsWith('check rules')) {
    const files = positionals.slice(2);
    if (files.length === 0) fail(`check rules needs a FILE\n\n${USAGE}`);
    process.exit(checkRules(files, (s) => process.stdout.write(s), (s) => process.stderr.write(s)));
  }
  if (command.startsWith('test rules')) {
    const files = positionals.slice(2);
    if (files.length === 0) fail(`test rules needs a FILE\n\n${USAGE}`);
    process.exit(testRules(files, (s) => process.stdout.write(s), (s) => process.stderr.write(s)));
  }
  // report and dashboard read history (read-only) while a server may be writing it.
  const isReport = values.report || positionals[0] === 'report';
  const isDashboard = values.dashboard || positionals[0] === 'dashboard';
  if (isReport || isDashboard) {
    if (isReport && isDashboard) fail(`report and dashboard are two commands; give one\n\n${USAGE}`);
    const rest = positionals[0] === 'report' || positionals[0] === 'dashboard' ? positionals.slice(1) : positionals;
    const args = { rest, format: values.format, out: values.out, since: values.since, json: values.json };
    const io = { now: () => Date.now(), stdout: (t: string) => process.stdout.write(t), stderr: (t: string) => process.stderr.write(t) };
    const plan = isReport ? planReport(args, io.now()) : planDashboard(args);
    if ('error' in plan) fail(`${plan.error}\n\n${USAGE}`);
    const config = await loadOrFail(values.config);
    process.exitCode = isReport ? runReport(config, plan as ReportPlan, io) : runDashboard(config, plan, io);
    return;
  }
  if (command !== '' && command !== 'once' && command !== 'run') fail(`unknown command "${command}"\n\n${USAGE}`);

  const once = command === 'once' || values.once;
  const pretty = values['log-format'] === undefined ? process.stderr.isTTY === true : values['log-format'] === 'pretty';
  const logger = createLogger({ level: once ? 'warn' : values['log-level'], pretty });

  const config = await loadOrFail(values.config);
  const app = createApp(config, {
    clock: systemClock,
    logger,
    kinds: PROBE_KINDS,
    build: { version: version(), nodeVersion: process.versions.node },
    loadConfig: () => load(values.config),
    apiToken: env.HEALTHMON_API_TOKEN,
  });

  if (once) {
    const results = await app.runOnce();
    const rows = onceRows(ownedChecks(config.checks, config.shard), results);
    process.stdout.write(values.json ? `${JSON.stringify(rows, null, 2)}\n` : formatTable(rows));
    await app.stop(0);
    process.exit(onceExitCode(rows));
  }

  try {
    await app.start();
  } catch (err) {
    fail(`cannot listen on ${config.server.host}:${config.server.port}: ${(err as Error).message}`, 1);
  }
  process.on('SIGHUP', () => {
    void app.reload();
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: letting checks in flight finish');
    void app.stop(10_000).then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  // Only a bug reaches here; say so plainly and keep the detail for the report.
  process.stderr.write(`healthmon: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(70);
});
