// One fixture per config error message, each asserted against its exact text (blackbox's habit).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROBE_KINDS } from '../probes/index.js';
import { ConfigError } from './issues.js';
import { loadConfig, loadConfigAsync } from './load.js';

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
    ['invalid-exec-missing-program.yaml', 'checks[0].exec.command[0] (invalid-exec-missing-program.yaml:5): no such file: /nonexistent/check_disk'],
    ['invalid-exec-not-executable.yaml', 'checks[0].exec.command[0] (invalid-exec-not-executable.yaml:5): /etc/passwd is not executable'],
    ['invalid-exec-command-string.yaml', 'checks[0].exec.command (invalid-exec-command-string.yaml:5): expected a list like [/usr/bin/check_thing, --flag], got a string (set shell: true to run it through /bin/sh -c)'],
    ['invalid-exec-unquoted-arg.yaml', 'checks[0].exec.command[2] (invalid-exec-unquoted-arg.yaml:5): expected a string, got 5 (quote it)'],
    ['invalid-exec-cwd.yaml', 'checks[0].exec.cwd (invalid-exec-cwd.yaml:6): no such directory: /nonexistent/dir'],
    ['invalid-process-no-selector.yaml', 'checks[0].process (invalid-process-no-selector.yaml:5): expected one of pid, pid_file, name or cmdline to find the process by'],
    ['invalid-process-pid-and-pid-file.yaml', 'checks[0].process.pid_file (invalid-process-pid-and-pid-file.yaml:6): pid and pid_file exclude each other; set one'],
    ['invalid-process-count-with-pid.yaml', 'checks[0].process.min_count (invalid-process-count-with-pid.yaml:6): min_count counts the processes matching name or cmdline; with pid or pid_file there is one process'],
    ['invalid-postgres-url.yaml', 'checks[0].postgres.url (invalid-postgres-url.yaml:5): expected a postgres:// or postgresql:// URL (not shown: it may hold a password)'],
    ['invalid-postgres-given-twice.yaml', 'checks[0].postgres.host (invalid-postgres-given-twice.yaml:6): host is given in the url too; give it once'],
    ['invalid-postgres-no-user.yaml', 'checks[0].postgres.user (invalid-postgres-no-user.yaml:5): required: a user (or a url with one)'],
    ['invalid-postgres-sslmode.yaml', 'checks[0].postgres.url (invalid-postgres-sslmode.yaml:5): expected sslmode one of disable, prefer, require, verify-ca, verify-full in the url, got "allow"'],
    ['invalid-postgres-expect-rows.yaml', 'checks[0].postgres.expect_rows (invalid-postgres-expect-rows.yaml:6): expected a row count like 1 or a comparison like ">= 1", got "some"'],
    ['invalid-redis-info.yaml', 'checks[0].redis.info[1] (invalid-redis-info.yaml:8): invalid condition "role < master": < compares numbers, got "master"'],
    ['invalid-redis-username.yaml', 'checks[0].redis.username (invalid-redis-username.yaml:6): a username needs a password (password or password_file)'],
    ['invalid-api-network.yaml', 'server.api.deny_networks[1] (invalid-api-network.yaml:3): expected a network like "10.0.0.0/8" or "fd00::/8" (or one address), got "10.0.0.0/33"'],
    ['invalid-api-token-twice.yaml', 'server.api.token_file (invalid-api-token-twice.yaml:4): give either token or token_file, not both'],
    ['invalid-web-config-missing.yaml', 'web/no-such-web.yml: cannot read the web config file: ENOENT'],
  ])('%s', (file, message) => {
    expect(problems(file)).toEqual([message]);
  });

  it('names an unknown kind and its stray block', () => {
    expect(problems('invalid-unknown-kind.yaml')).toEqual([
      'checks[0].htp (invalid-unknown-kind.yaml:4): unknown key "htp"',
      `checks[0].kind (invalid-unknown-kind.yaml:3): unknown kind "htp"; expected one of ${Object.keys(PROBE_KINDS).sort().join(', ')}`,
    ]);
  });

  it('reports every problem of the web config file, each with its line', () => {
    expect(problems('invalid-web-config.yaml')).toEqual([
      'tls_server_config.cipher_suites (web/invalid-web.yml:4): "cipher_suites" is an exporter-toolkit setting that healthmon does not support',
      'tls_server_config.key_file (web/invalid-web.yml:2): required: the server key (PEM) file',
      'tls_server_config.client_auth_type (web/invalid-web.yml:3): RequireAndVerifyClientCert needs client_ca_file to verify client certificates against',
      'tls_server_config.cert_file (web/invalid-web.yml:2): cannot read "no-such.crt": ENOENT',
      'basic_auth_users.alice (web/invalid-web.yml:6): expected a bcrypt hash like "$2y$10$…" (htpasswd -nBC 10 alice), got something else',
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

// Plug-in modules are imported by loadConfigAsync, after everything else is valid.
describe('plug-in config errors', () => {
  const asyncProblems = async (file: string): Promise<string[]> => {
    try {
      await loadConfigAsync(join(DIR, file), { kinds: PROBE_KINDS, env: {} });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      return err.problems.map((p) => p.replaceAll(`${DIR}/`, ''));
    }
    return [];
  };

  it.each([
    ['invalid-plugin-missing.yaml', 'checks[0].plugin.module (invalid-plugin-missing.yaml:5): cannot find "./plugins/no-such-check.js": no file at plugins/no-such-check.js'],
    ['invalid-plugin-no-function.yaml', 'checks[0].plugin.module (invalid-plugin-no-function.yaml:5): plugins/no-function.js has no probe function: expected a default export or an export named "probe"; it exports name ("queue-depth")'],
    ['invalid-plugin-throws.yaml', 'checks[0].plugin.module (invalid-plugin-throws.yaml:5): cannot load plugins/throws-at-load.js: Error: QUEUE_URL is not set'],
    ['invalid-plugin-options.yaml', 'checks[0].plugin.options (invalid-plugin-options.yaml:7): max_depth: expected a number, got "lots"'],
  ])('%s', async (file, message) => {
    expect(await asyncProblems(file)).toEqual([message]);
  });

  it('invalid-plugin-syntax.yaml', async () => {
    // Node says `SyntaxError: Unexpected token ';'`; under vitest, Vite parses the module first and
    // words it its own way (test/local-kinds-cli.test.ts checks Node's text through the real CLI).
    const [problem, ...more] = await asyncProblems('invalid-plugin-syntax.yaml');
    expect(more).toEqual([]);
    expect(problem).toMatch(/^checks\[0\]\.plugin\.module \(invalid-plugin-syntax\.yaml:5\): cannot load plugins\/syntax-error\.js: \w*Error: /);
  });

  it('is a bug to load a plug-in check with the synchronous loader', () => {
    expect(() => loadConfig(join(DIR, 'invalid-plugin-options.yaml'), { kinds: PROBE_KINDS, env: {} })).toThrow(/use loadConfigAsync/);
  });
});

describe('config loading', () => {
  it('applies defaults, global overrides and environment variables', () => {
    const config = loadConfig(join(DIR, 'valid-full.yaml'), { kinds: PROBE_KINDS, env: { API_TOKEN: 'sekret' } });
    expect(config.maxConcurrency).toBe(10);
    expect(config.server).toEqual({ host: '127.0.0.1', port: 9469, api: { allowNetworks: [], denyNetworks: [] } });
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

  it('reads a postgres url_file and a redis password_file, and shows neither secret in the target', () => {
    const files: Record<string, string> = {
      [join(DIR, 'pg-url')]: 'postgres://probe:pg-secret@db.internal:6432/app?sslmode=require\n',
      [join(DIR, 'redis-password')]: 'redis-secret\n',
    };
    const text = [
      'host: {enabled: false}',
      'checks:',
      '  - {name: db, kind: postgres, postgres: {url_file: pg-url, query: "SELECT 1"}}',
      '  - {name: cache, kind: redis, redis: {host: cache.internal, password_file: redis-password, info: ["role == master"]}}',
      '',
    ].join('\n');
    const config = loadConfig(join(DIR, 'secrets.yaml'), {
      kinds: PROBE_KINDS,
      env: {},
      readFile: (p) => {
        if (p.endsWith('secrets.yaml')) return text;
        const found = files[p];
        if (found === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
        return found;
      },
    });
    const [db, cache] = config.checks;
    expect(db!.settings).toMatchObject({ host: 'db.internal', port: 6432, user: 'probe', password: 'pg-secret', database: 'app', sslmode: 'require' });
    expect(db!.target).toBe('db.internal:6432/app');
    expect(cache!.settings).toMatchObject({ host: 'cache.internal', password: 'redis-secret' });
    expect(cache!.target).toBe('cache.internal:6379');
  });
});
