// Checks registered through the API: kept in the database as the `checks:` item the user sent,
// validated by the config file's own code (validateCheck), and merged after the file's checks on
// start and on every reload. The file stays the source for the names it defines: such a name
// cannot be registered, and an API check whose name the file takes later is set aside, not run.
// What a token may register is narrower than what the file may say: nothing that runs commands
// or reads local files, and only targets the network policy allows.
import type { CheckSpec, HealthmonConfig } from '../config/config.js';
import { formatPath } from '../config/issues.js';
import { checkDependencies, validateCheck, type KindTable } from '../config/load.js';
import { SECRET_KEYS } from '../core/secret-keys.js';
import type { Db, Migration } from '../store/database.js';
import { migrate } from '../store/database.js';
import { targetHosts, type NetworkPolicy } from './network-policy.js';

export const API_CHECK_MIGRATIONS: readonly Migration[] = [
  {
    id: 'api-checks:1',
    sql: `
      CREATE TABLE api_checks (
        name TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        updated_by TEXT NOT NULL
      );
    `,
  },
];

export interface StoredCheck {
  name: string;
  /** The check as sent: one `checks:` item. */
  body: Record<string, unknown>;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  updatedBy: string;
}

export type Refusal = { ok: false; status: 400 | 403 | 404 | 409 | 422; detail: string; errors?: string[] };
export type Change = { ok: true; stored: StoredCheck; before?: StoredCheck };
export type Removal = { ok: true; before: StoredCheck };

export interface ApiChecksDeps {
  db: Db;
  kinds: KindTable;
  now(): number;
  policy(): NetworkPolicy;
  /** The config as loaded from the file (without API checks). */
  fileConfig(): HealthmonConfig;
  /** Called after every change that was written, to merge and apply the checks again. */
  changed(): void;
}

export interface ApiChecks {
  /** The file's checks, then the stored ones that still validate against this file; the others are named in `skipped`. */
  merge(file: HealthmonConfig): { checks: CheckSpec[]; skipped: Array<{ name: string; problem: string }> };
  list(): StoredCheck[];
  get(name: string): StoredCheck | undefined;
  /** Whether the config file defines this name (and so a stored check of that name is set aside). */
  fileDefines(name: string): boolean;
  create(body: unknown, actor: string): Promise<Change | Refusal>;
  replace(name: string, body: unknown, actor: string): Promise<Change | Refusal>;
  remove(name: string): Removal | Refusal;
}

interface Row {
  name: string;
  body: string;
  created_at: number;
  created_by: string;
  updated_at: number;
  updated_by: string;
}

const fromRow = (r: Row): StoredCheck => ({
  name: r.name, body: JSON.parse(r.body) as Record<string, unknown>, createdAt: r.created_at, createdBy: r.created_by, updatedAt: r.updated_at, updatedBy: r.updated_by,
});

const refuse = (status: Refusal['status'], detail: string, errors?: string[]): Refusal => ({ ok: false, status, detail, ...(errors ? { errors } : {}) });

/** `*_file` keys of secrets anywhere in the body: reading local files is the config file's alone. */
function secretFileKeys(value: unknown, path: Array<string | number> = []): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => secretFileKeys(v, [...path, i]));
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => {
    const here = [...path, k];
    if (k.endsWith('_file') && SECRET_KEYS.has(k.slice(0, -'_file'.length))) return [formatPath(here)];
    return secretFileKeys(v, here);
  });
}

export function createApiChecks(deps: ApiChecksDeps): ApiChecks {
  const { db, kinds } = deps;
  migrate(db, API_CHECK_MIGRATIONS);
  const all = db.prepare<[], Row>('SELECT * FROM api_checks ORDER BY created_at, name');
  const one = db.prepare<[string], Row>('SELECT * FROM api_checks WHERE name = ?');
  const insert = db.prepare('INSERT INTO api_checks (name, body, created_at, created_by, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?)');
  const update = db.prepare('UPDATE api_checks SET body = ?, updated_at = ?, updated_by = ? WHERE name = ?');
  const del = db.prepare('DELETE FROM api_checks WHERE name = ?');

  const list = () => all.all().map(fromRow);
  const get = (name: string) => {
    const row = one.get(name);
    return row ? fromRow(row) : undefined;
  };
  const fileDefines = (name: string) => deps.fileConfig().checks.some((c) => c.name === name);

  /** The checks that would run if `replacing` (if any) were swapped for `spec`: for dependency checks. */
  const mergedWith = (spec: CheckSpec): CheckSpec[] => {
    const { checks } = merge(deps.fileConfig());
    return [...checks.filter((c) => c.name !== spec.name), spec];
  };

  /** Everything short of writing: shape, API limits, the file's validation, dependencies, network policy. */
  const validate = async (body: unknown): Promise<{ ok: true; spec: CheckSpec; body: Record<string, unknown> } | Refusal> => {
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      return refuse(400, 'expected the check as a JSON (or YAML) object, like one item of checks: in the config file');
    }
    const raw = body as Record<string, unknown>;
    if (typeof raw.name === 'string' && fileDefines(raw.name)) {
      return refuse(409, `check "${raw.name}" is defined in the config file (${deps.fileConfig().file}); change it there`);
    }
    const limits: string[] = [];
    if (raw.on_failure !== undefined) limits.push('on_failure: runs a command on this host, so it can be set only in the config file');
    const kind = typeof raw.kind === 'string' ? kinds[raw.kind] : undefined;
    if (kind && (kind.runsCode || kind.prepare)) limits.push(`kind: ${raw.kind} checks run code on this host, so they can be defined only in the config file`);
    for (const path of secretFileKeys(raw)) limits.push(`${path}: secrets are read from files only for checks in the config file; send the value itself`);
    if (limits.length > 0) return refuse(422, `the check cannot be registered through the API: ${limits[0]}`, limits);

    const checked = validateCheck(raw, kinds, deps.fileConfig().checkDefaults);
    if (!checked.ok) {
      const errors = checked.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
      return refuse(422, `the check is not valid: ${errors[0]}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`, errors);
    }
    const { spec } = checked;
    const depIssues: Parameters<typeof checkDependencies>[1] = [];
    const merged = mergedWith(spec);
    checkDependencies(merged, depIssues);
    // The others were valid together before, so whatever is wrong now comes with this check.
    if (depIssues.length > 0) {
      const errors = depIssues.map((i) => `${formatPath(i.path.slice(2))}: ${i.message}`);
      return refuse(422, `the check is not valid: ${errors[0]}`, errors);
    }

    const hosts = targetHosts(spec.settings);
    if (kind?.fromTarget && hosts.length === 0) return refuse(422, `cannot tell which host this ${spec.kind} check probes, so it cannot be checked against the network policy`);
    const why = await deps.policy().check(hosts);
    if (why) return refuse(403, why);
    return { ok: true, spec, body: raw };
  };

  const merge: ApiChecks['merge'] = (file) => {
    const fileNames = new Set(file.checks.map((c) => c.name));
    const skipped: Array<{ name: string; problem: string }> = [];
    let api: CheckSpec[] = [];
    for (const stored of list()) {
      if (fileNames.has(stored.name)) {
        skipped.push({ name: stored.name, problem: 'the config file defines a check of this name now; the file\'s is used' });
        continue;
      }
      const checked = validateCheck(stored.body, kinds, file.checkDefaults);
      if (checked.ok) api.push(checked.spec);
      else skipped.push({ name: stored.name, problem: checked.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ') });
    }
    // A dependency the file no longer has sets its dependents aside, and theirs in turn.
    for (;;) {
      const issues: Parameters<typeof checkDependencies>[1] = [];
      const checks = [...file.checks, ...api];
      checkDependencies(checks, issues);
      const bad = new Set(issues.map((i) => checks[i.path[1] as number]?.name).filter((n): n is string => n !== undefined && !fileNames.has(n)));
      if (bad.size === 0) break;
      for (const i of issues) {
        const name = checks[i.path[1] as number]?.name;
        if (name !== undefined && bad.has(name)) skipped.push({ name, problem: `${formatPath(i.path.slice(2))}: ${i.message}` });
      }
      api = api.filter((c) => !bad.has(c.name));
    }
    return { checks: [...file.checks, ...api], skipped };
  };

  return {
    merge,
    list,
    get,
    fileDefines,
    async create(body, actor) {
      const v = await validate(body);
      if (!v.ok) return v;
      const now = deps.now();
      const name = v.spec.name;
      if (get(name)) return refuse(409, `check "${name}" is already registered; PUT /health/services/${encodeURIComponent(name)} changes it`);
      try {
        insert.run(name, JSON.stringify(v.body), now, actor, now, actor);
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return refuse(409, `check "${name}" is already registered`);
        throw err;
      }
      deps.changed();
      return { ok: true, stored: get(name)! };
    },
    async replace(name, body, actor) {
      if (fileDefines(name)) return refuse(409, `check "${name}" is defined in the config file (${deps.fileConfig().file}); change it there`);
      const before = get(name);
      if (!before) return refuse(404, `no check named "${name}" was registered through the API; POST /health/services registers one`);
      if (body && typeof body === 'object' && !Array.isArray(body)) {
        const given = (body as Record<string, unknown>).name;
        if (given !== undefined && given !== name) {
          return refuse(400, `the body names the check ${JSON.stringify(given)} but the URL names "${name}"; a check cannot be renamed: DELETE it and POST it anew`);
        }
        body = { name, ...(body as Record<string, unknown>) };
      }
      const v = await validate(body);
      if (!v.ok) return v;
      const result = update.run(JSON.stringify(v.body), deps.now(), actor, name);
      if (result.changes === 0) return refuse(404, `no check named "${name}" was registered through the API`);
      deps.changed();
      return { ok: true, stored: get(name)!, before };
    },
    remove(name) {
      if (fileDefines(name)) return refuse(409, `check "${name}" is defined in the config file (${deps.fileConfig().file}); remove it there`);
      const before = get(name);
      if (!before) return refuse(404, `no check named "${name}" was registered through the API`);
      const dependents = merge(deps.fileConfig()).checks.filter((c) => c.dependsOn.includes(name)).map((c) => c.name);
      if (dependents.length > 0) return refuse(409, `check "${name}" is a dependency of ${dependents.map((d) => `"${d}"`).join(', ')}; change those first`);
      del.run(name);
      deps.changed();
      return { ok: true, before };
    },
  };
}
