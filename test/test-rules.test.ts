// `healthmon test rules` against the real `promtool test rules` (Debian's Prometheus 2.42) on Prometheus's
// own unit-test fixtures (from Prometheus 3.14) and on the bundled rules' tests, plus the CLI end to end.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testRules } from '../src/cli/test-rules.js';
import { findPeer } from './helpers/peers.js';

const REPO = resolve(import.meta.dirname, '..');
const CONFORMANCE = process.env.HEALTHMON_CONFORMANCE_DIR ?? resolve(REPO, '..', 'shared', 'conformance');
const PROMTOOL_DIR = join(CONFORMANCE, 'promtool');
const present = existsSync(PROMTOOL_DIR);
/** The fixtures that are unit-test files: a top-level `tests:` key (the others are rule files). */
const UNIT_TEST_FILES = present
  ? readdirSync(PROMTOOL_DIR).filter((f) => f.endsWith('.yml') && /^tests:/m.test(readFileSync(join(PROMTOOL_DIR, f), 'utf8'))).sort()
  : [];

const promtool = findPeer('promtool');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** healthmon in-process, with the paths as given, relative to `cwd`. */
function healthmon(files: string[], cwd: string): Run {
  let stdout = '';
  let stderr = '';
  const prev = process.cwd();
  process.chdir(cwd);
  try {
    const code = testRules(files, (s) => (stdout += s), (s) => (stderr += s));
    return { code, stdout, stderr };
  } finally {
    process.chdir(prev);
  }
}

function realPromtool(files: string[], cwd: string): Run {
  const r = spawnSync(promtool!, ['test', 'rules', ...files], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `expr: "…", time: …` of every PromQL test that failed, from promtool-shaped output. */
function failedExprs(stderr: string): string[] {
  return [...stderr.matchAll(/^ {4}expr: (".*"), time: ([^,]+),/gm)].map((m) => `${m[1]} @ ${m[2]}`);
}

/** A copy of a fixture (and the rules it names) in a temp dir, rewritten by `edit`. */
function editedCopy(file: string, edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'healthmon-test-rules-'));
  copyFileSync(join(PROMTOOL_DIR, 'rules.yml'), join(dir, 'rules.yml'));
  writeFileSync(join(dir, file), edit(readFileSync(join(PROMTOOL_DIR, file), 'utf8')));
  return dir;
}

/** unittest.yml without its native-histogram series and cases, which promtool 2.42 cannot read. */
function withoutHistograms(text: string): string {
  const out = text
    .replace(/\n {6}- series: test_histogram\w*\n {8}values: [^\n]*\n/g, '\n')
    .replace(/\n {6}# Histograms\n[\s\S]*?\n\n(?= {6}# Ensure a value is stale)/, '\n\n');
  if (out.includes('histogram')) throw new Error('unittest.yml changed: update withoutHistograms()');
  return out;
}

/**
 * How Prometheus 3 (the version the fixtures come from) ends each file, which healthmon must match. Where
 * promtool 2.42 disagrees, `promtool242` says why, and the test checks that reason and only that reason.
 */
const EXPECTED: Record<string, { code: 0 | 1; promtool242?: string }> = {
  'at-modifier-test.yml': { code: 0 },
  'bad-input-series.yml': { code: 1 },
  'bad-promql.yml': { code: 1 },
  'failing.yml': { code: 1 },
  'long-period.yml': { code: 0 },
  'negative-offset-test.yml': { code: 0 },
  'no-test-group-interval.yml': { code: 0, promtool242: 'has no default for a test group interval (load step 0)' },
  'unittest.yml': { code: 0, promtool242: 'does not know the `histogram` field of exp_samples' },
};

describe.skipIf(!present)('promtool test rules fixtures', () => {
  it('finds exactly the unit-test files among the fixtures', () => {
    expect(UNIT_TEST_FILES).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(UNIT_TEST_FILES)('%s ends as in Prometheus 3', (file) => {
    const ours = healthmon([file], PROMTOOL_DIR);
    expect({ code: ours.code, stderr: ours.stderr }).toMatchObject({ code: EXPECTED[file]?.code });
    expect(ours.stdout.startsWith(`Unit Testing:  ${file}\n`)).toBe(true);
    expect(ours.stderr).not.toMatch(/\n\s+at /);
  });

  it('says where the bad input is', () => {
    expect(healthmon(['bad-input-series.yml'], PROMTOOL_DIR).stderr).toBe(
      '  FAILED:\nbad-input-series.yml:3: tests[0].input_series[0].series: parse error: unterminated label set in "up{job=\\"prometheus\\", instance=\\"localhost:9090\\""\n',
    );
    expect(healthmon(['bad-promql.yml'], PROMTOOL_DIR).stderr).toMatch(
      /^ {2}FAILED:\n {4}expr: "join_1 \+ on\(a\) join_2", time: 0s, err: bad-promql\.yml:12: found duplicate series for the match group \{a="1"\} on the right hand-side of the operation: .*many-to-many matching not allowed: matching labels must be unique on one side\n$/,
    );
  });
});

describe.skipIf(!present || !promtool)('promtool test rules fixtures, against promtool 2.42', () => {
  it.each(UNIT_TEST_FILES.filter((f) => EXPECTED[f]?.promtool242 === undefined))('%s: same verdict as promtool', (file) => {
    const real = realPromtool([file], PROMTOOL_DIR);
    const ours = healthmon([file], PROMTOOL_DIR);
    expect(ours.code).toBe(real.code);
    expect(ours.stdout).toBe(real.stdout);
  });

  it('failing.yml: the same report, byte for byte', () => {
    const real = realPromtool(['failing.yml'], PROMTOOL_DIR);
    expect(healthmon(['failing.yml'], PROMTOOL_DIR)).toEqual(real);
  });

  it('no-test-group-interval.yml: 2.42 loads the samples with step 0 (no default interval); given one, it agrees', () => {
    // Prometheus 3 defaults a test group's interval to evaluation_interval; 2.42 loads every sample
    // at t=0, so `test` is still 0 at 1m. That one check is the only thing 2.42 fails.
    const real = realPromtool(['no-test-group-interval.yml'], PROMTOOL_DIR);
    expect(real.code).toBe(1);
    expect(failedExprs(real.stderr)).toEqual(['"test" @ 1m']);
    const dir = editedCopy('no-test-group-interval.yml', (t) => t.replace('  - input_series:', '  - interval: 1m\n    input_series:'));
    expect(realPromtool(['no-test-group-interval.yml'], dir).code).toBe(0);
    expect(healthmon(['no-test-group-interval.yml'], dir).code).toBe(0);
  });

  it('unittest.yml: 2.42 rejects only the native-histogram expectations, and otherwise differs only by v2 closed windows', () => {
    const real = realPromtool(['unittest.yml'], PROMTOOL_DIR);
    expect(real.code).toBe(1);
    expect(real.stderr).toBe(
      '  FAILED:\nyaml: unmarshal errors:\n'
      + '  line 66: field histogram not found in type main.sample\n'
      + '  line 72: field histogram not found in type main.sample\n'
      + '  line 78: field histogram not found in type main.sample\n',
    );
    // Without the histograms 2.42 reads the file, and fails exactly the checks whose answer changed in
    // Prometheus 3: lookback and range windows became left-open, (t-5m, t] instead of [t-5m, t], so the
    // sample exactly 5m (or 1m, 1h) back no longer counts.
    const dir = editedCopy('unittest.yml', withoutHistograms);
    const stripped = realPromtool(['unittest.yml'], dir);
    expect(failedExprs(stripped.stderr)).toEqual([
      '"timestamp(test_missing)" @ 5m',
      '"count_over_time(fixed_data[1h])" @ 1h',
      '"job:test:count_over_time1m" @ 1m',
      '"job:test:count_over_time1m" @ 2m',
    ]);
    expect(healthmon(['unittest.yml'], dir).code).toBe(0);
  });
});

describe('bundled rules unit tests (rules/tests)', () => {
  const dir = join(REPO, 'rules', 'tests');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.yml')).sort().map((f) => join('rules', 'tests', f)) : [];

  it('exist', () => {
    expect(files, `no rules/tests/*.yml under ${REPO}`).not.toEqual([]);
  });

  it.each(files)('%s passes in healthmon', (file) => {
    const ours = healthmon([file], REPO);
    expect(ours.stderr).toBe('');
    expect(ours).toMatchObject({ code: 0, stdout: `Unit Testing:  ${file}\n  SUCCESS\n\n` });
  });

  it.skipIf(!promtool).each(files)('%s passes in promtool', (file) => {
    const real = realPromtool([file], REPO);
    expect(real.stderr).toBe('');
    expect(real.code).toBe(0);
  });
});

describe('healthmon test rules (CLI)', () => {
  const MAIN = join(REPO, 'src', 'main.ts');
  const cli = (args: string[]) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: REPO, encoding: 'utf8', timeout: 20_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const dir = mkdtempSync(join(tmpdir(), 'healthmon-test-rules-cli-'));
  writeFileSync(join(dir, 'rules.yml'), 'groups:\n  - name: g\n    rules:\n      - alert: Down\n        expr: up == 0\n        for: 1m\n        labels: {severity: page}\n');
  const test = (exp: string) => `rule_files: [rules.yml]
tests:
  - interval: 1m
    input_series:
      - series: 'up{instance="a"}'
        values: 1 0 0 0
    alert_rule_test:
      - eval_time: 2m
        alertname: Down
        exp_alerts: ${exp}
`;
  writeFileSync(join(dir, 'pass.yml'), test('[{exp_labels: {severity: page, instance: a}}]'));
  writeFileSync(join(dir, 'fail.yml'), test('[]'));
  writeFileSync(join(dir, 'bad.yml'), 'tests:\n  - promql_expr_test:\n      - expr: "up +"\n');

  it('exits 0 and prints SUCCESS when every test passes', () => {
    const pass = join(dir, 'pass.yml');
    expect(cli(['test', 'rules', pass])).toEqual({ code: 0, stdout: `Unit Testing:  ${pass}\n  SUCCESS\n\n`, stderr: '' });
  });

  it('exits 1 with promtool-shaped failures, and goes on to the next file', () => {
    const [fail, pass, bad] = ['fail.yml', 'pass.yml', 'bad.yml'].map((f) => join(dir, f)) as [string, string, string];
    const run = cli(['test', 'rules', fail, pass, bad]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(`Unit Testing:  ${fail}\n\n\nUnit Testing:  ${pass}\n  SUCCESS\n\nUnit Testing:  ${bad}\n\n\n`);
    expect(run.stderr).toBe(`  FAILED:
    alertname: Down, time: 2m, 
        exp:[], 
        got:[
            0:
              Labels:{alertname="Down", instance="a", severity="page"}
              Annotations:{}
            ]
  FAILED:
    expr: "up +", time: 0s, err: ${bad}:3: 1:5: parse error: unexpected end of input
`);
  });

  it('exits 1 without a stack trace for a file that is missing or not YAML, 2 without a file', () => {
    const missing = cli(['test', 'rules', join(dir, 'none.yml')]);
    expect(missing).toMatchObject({ code: 1, stderr: `  FAILED:\n${join(dir, 'none.yml')}: cannot read: ENOENT\n` });
    writeFileSync(join(dir, 'notyaml.yml'), 'tests: [\n');
    const notYaml = cli(['test', 'rules', join(dir, 'notyaml.yml')]);
    expect(notYaml.code).toBe(1);
    expect(notYaml.stderr).toMatch(new RegExp(`^ {2}FAILED:\\n${join(dir, 'notyaml.yml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: invalid YAML: `));
    expect(notYaml.stderr).not.toMatch(/\n\s+at /);
    const usage = cli(['test', 'rules']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('test rules needs a FILE');
  });
});
