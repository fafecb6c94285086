// A healthmon plug-in (kind: plugin): checks that a file was written recently and is not empty,
// as a nightly backup, an export or a file a cron job touches should be. A template for your own.
//
//   checks:
//     - name: nightly-backup
//       kind: plugin
//       interval: 5m
//       plugin:
//         module: ./plugins/file-age.js     # relative to the config file
//         options:
//           path: /var/backups/db.dump
//           max_age_seconds: 93600          # older than 26 h: the check fails
//           warn_age_seconds: 90000         # older than 25 h: degraded
//           min_bytes: 1024                 # smaller: the check fails
//
// The contract: a default export (or an export named `probe`) that healthmon calls on every run
// with the check's `options` (frozen) and a context {signal, timeoutMs, now(), logger, check}. It
// returns (or resolves to) {ok, message?, warning?, reason?, observations?}; throwing, or
// returning anything else, fails the check with reason internal_error. Pass ctx.signal to
// whatever can be cancelled (fetch, sockets): it aborts at the check's deadline. An optional
// `validate(options)` runs once when the config loads and returns the problems it finds.
import { stat } from 'node:fs/promises';

/** Runs at config load: nothing (or an empty list) when the options are fine, else the problems. */
export function validate(options) {
  const problems = [];
  if (typeof options.path !== 'string' || options.path === '') problems.push('path: expected the path of the file to watch');
  if (options.max_age_seconds === undefined) problems.push('max_age_seconds: required, e.g. 93600 for 26 hours');
  for (const key of ['max_age_seconds', 'warn_age_seconds', 'min_bytes']) {
    const v = options[key];
    if (v !== undefined && !(typeof v === 'number' && v >= 0)) problems.push(`${key}: expected a number >= 0, got ${JSON.stringify(v)}`);
  }
  const unknown = Object.keys(options).filter((k) => !['path', 'max_age_seconds', 'warn_age_seconds', 'min_bytes'].includes(k));
  for (const k of unknown) problems.push(`unknown option "${k}"`);
  return problems;
}

/** Runs on every check: {ok: true} when the file is fresh and big enough. */
export default async function probe(options, ctx) {
  let info;
  try {
    info = await stat(options.path);
  } catch (err) {
    return { ok: false, reason: 'condition_failed', message: `cannot stat ${options.path}: ${err.code ?? err.message}` };
  }
  // ctx.now() is healthmon's clock: tests can run the plug-in at any time they like.
  const ageSeconds = Math.max(0, (ctx.now() - info.mtimeMs) / 1000);
  // Exported as probe_plugin_value{metric="age_seconds"} and {metric="size_bytes"}.
  const observations = [
    { metric: 'age_seconds', value: ageSeconds },
    { metric: 'size_bytes', value: info.size },
  ];
  const age = `${Math.round(ageSeconds)}s old`;
  if (ageSeconds > options.max_age_seconds) {
    return { ok: false, reason: 'condition_failed', message: `${options.path} is ${age}, expected at most ${options.max_age_seconds}s`, observations };
  }
  if (options.min_bytes !== undefined && info.size < options.min_bytes) {
    return { ok: false, reason: 'condition_failed', message: `${options.path} has ${info.size} bytes, expected at least ${options.min_bytes}`, observations };
  }
  if (options.warn_age_seconds !== undefined && ageSeconds > options.warn_age_seconds) {
    return { ok: true, warning: `${options.path} is ${age}, more than ${options.warn_age_seconds}s`, observations };
  }
  return { ok: true, message: `${options.path} is ${age}, ${info.size} bytes`, observations };
}
