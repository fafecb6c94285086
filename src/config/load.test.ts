// One fixture per config error message, each asserted against its exact text (blackbox's habit).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROBE_KINDS } from '../probes/index.js';
import { ConfigError } from './issues.js';
import { loadConfig } from './load.js';

const DIR = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'config');

function problems(file: string, env: Record<string, string> = {}): string[] {
  try {
    loadConfig(join(DIR, file), { kinds: PROBE_KINDS, env });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.map((p) => p.replaceAll(`${DIR}/`, ''));
  }
  return [];
}

describe('config errors', () => {
  it.each([
    ['invalid-boolean.yaml', 'checks[0].critical (invalid-boolean.yaml:4): expected true or false, got "yes"'],
    ['invalid-checks-not-a-list.yaml', 'checks (invalid-checks-not-a-list.yaml:2): expected a list, got a mapping'],
    ['invalid-duplicate-name.yaml', 'checks[1].name (invalid-duplicate-name.yaml:5): duplicate check name "api" (first used by checks[0])'],
    ['invalid-duration-number.yaml', 'global.interval (invalid-duration-number.yaml:2): expected a duration like "5s", got 30'],
    ['invalid-duration.yaml', 'checks[0].timeout (invalid-duration.yaml:4): expected a duration like "5s", got "5"'],
    ['invalid-env.yaml', 'checks[0].http.url (invalid-env.yaml:5): environment variable API_HOST is not set (write ${API_HOST:-default} for a default)'],
    ['invalid-kind-field.yaml', 'checks[0].http.url (invalid-kind-field.yaml:5): expected an http:// or https:// URL, got nothing'],
    ['invalid-listen.yaml', 'server.listen (invalid-listen.yaml:2): expected an address like ":9469" or "127.0.0.1:9469", got "9469"'],
    ['invalid-missing-name.yaml', 'checks[0].name (invalid-missing-name.yaml:2): required: expected a string'],
    ['invalid-other-kind-block.yaml', 'checks[0].tcp (invalid-other-kind-block.yaml:6): a tcp block on a check of kind http'],
    ['invalid-reserved-label.yaml', 'checks[0].labels.check (invalid-reserved-label.yaml:5): label "check" is set by healthmon itself; choose another name'],
    ['invalid-secret-file.yaml', 'checks[0].http.bearer_token_file (invalid-secret-file.yaml:6): cannot read "./no-such-token": ENOENT'],
    ['invalid-threshold.yaml', 'global.failure_threshold (invalid-threshold.yaml:2): expected a number >= 1, got 0'],
    ['invalid-timeout-over-interval.yaml', 'checks[0].timeout (invalid-timeout-over-interval.yaml:5): the timeout (10s) is longer than the interval (5s)'],
    ['invalid-unknown-key.yaml', 'checks[0].intervl (invalid-unknown-key.yaml:4): unknown key "intervl"'],
    ['invalid-unknown-top-level-key.yaml', 'chekcs (invalid-unknown-top-level-key.yaml:1): unknown key "chekcs"'],
    ['invalid-yaml-syntax.yaml', 'invalid-yaml-syntax.yaml:4: invalid YAML: bad indentation of a sequence entry'],
    ['invalid-duplicate-key.yaml', 'invalid-duplicate-key.yaml:3: invalid YAML: duplicated mapping key'],
    ['invalid.json', 'checks[0].interval (invalid.json:3): expected a duration like "5s", got 10'],
    ['invalid-rule-file-missing.yaml', 'rule_files[0] (invalid-rule-file-missing.yaml:1): no rule file at rules/no-such.yaml'],
    ['invalid-rule-file.yaml', 'rules/bad-expr.yaml:5: group "g", rule 1, "HighLatency": could not parse expression: 1:6: parse error: expected type range vector in call to function "rate", got instant vector'],
    ['invalid-dependency-loop.yaml', 'checks[0].depends_on (invalid-dependency-loop.yaml:4): dependencies go round in a loop: api → db → api'],
    ['invalid-dependency-unknown.yaml', 'checks[0].depends_on[0] (invalid-dependency-unknown.yaml:4): no check named "dbx"'],
    ['invalid-evaluation-interval.yaml', 'global.evaluation_interval (invalid-evaluation-interval.yaml:2): expected a duration like "5s", got "soon"'],
  ])('%s', (file, message) => {
    expect(problems(file)).toEqual([message]);
  });

  it('names an unknown kind and its stray block', () => {
    expect(problems('invalid-unknown-kind.yaml')).toEqual([
      'checks[0].htp (invalid-unknown-kind.yaml:4): unknown key "htp"',
      'checks[0].kind (invalid-unknown-kind.yaml:3): unknown kind "htp"; expected one of dns, http, tcp, tls',
    ]);
  });

  it('reports every problem of a file at once', () => {
    expect(problems('invalid-many.yaml')).toEqual([
      'global.interval (invalid-many.yaml:2): expected a duration like "5s", got "soon"',
      'checks[0].retries (invalid-many.yaml:6): expected a number >= 0, got -1',
      'checks[0].http.metod (invalid-many.yaml:9): unknown key "metod"',
      'checks[1].tcp.colour (invalid-many.yaml:15): unknown key "colour"',
    ]);
  });
});

describe('config loading', () => {
  it('applies defaults, global overrides and environment variables', () => {
    const config = loadConfig(join(DIR, 'valid-full.yaml'), { kinds: PROBE_KINDS, env: { API_TOKEN: 'sekret' } });
    expect(config.maxConcurrency).toBe(10);
    expect(config.server).toEqual({ host: '127.0.0.1', port: 9469 });
    const [api, db] = config.checks;
    expect(api).toMatchObject({
      name: 'api',
      kind: 'http',
      intervalMs: 30_000,
      timeoutMs: 5_000,
      retries: 2,
      retryBackoffMs: 500,
      failureThreshold: 3,
      successThreshold: 2,
      critical: true,
      expectedResponseTimeMs: 250,
      labels: { env: 'test', team: 'payments' },
    });
    expect(JSON.stringify(api!.settings)).toContain('Bearer sekret');
    expect(db).toMatchObject({ intervalMs: 10_000, timeoutMs: 2_000, target: '127.0.0.1:5432', critical: false });
  });

  it('loads JSON configs', () => {
    const config = loadConfig(join(DIR, 'valid.json'), { kinds: PROBE_KINDS, env: {} });
    expect(config.checks.map((c) => [c.name, c.intervalMs])).toEqual([['api', 10_000]]);
  });

  it('reads secrets from *_file relative to the config file, and env defaults', () => {
    const files: Record<string, string> = { [join(DIR, 'token')]: 'from-file\n' };
    const config = loadConfig(join(DIR, 'valid-full.yaml'), {
      kinds: PROBE_KINDS,
      env: {},
      readFile: (p) => {
        if (p.endsWith('valid-full.yaml')) return 'host: {enabled: false}\nchecks:\n  - name: a\n    kind: http\n    http:\n      url: ${URL:-http://127.0.0.1:1/}\n      bearer_token_file: token\n';
        const text = files[p];
        if (text === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
        return text;
      },
    });
    expect(JSON.stringify(config.checks[0]!.settings)).toContain('Bearer from-file');
    expect(config.checks[0]!.target).toBe('http://127.0.0.1:1/');
  });
});
