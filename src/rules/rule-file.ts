// Rule files in Prometheus's format (groups → alerting and recording rules), validated as
// promtool 2.42 validates them, every problem reported with file and line.
import { LineCounter, parseAllDocuments } from 'yaml';
import { lineAt } from '../config/source.js';
import { parseDuration } from '../core/duration.js';
import { parseExpr, type Expr } from '../promql/index.js';
import { checkTemplate } from './template/index.js';

export interface RuleDef {
  kind: 'alert' | 'record';
  name: string;
  expr: Expr;
  exprText: string;
  forMs: number;
  keepFiringForMs: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  line: number;
}

export interface RuleGroupDef {
  file: string;
  name: string;
  intervalMs: number | undefined;
  limit: number;
  queryOffsetMs: number | undefined;
  labels: Record<string, string>;
  rules: RuleDef[];
}

export interface ParsedRuleFile {
  groups: RuleGroupDef[];
  errors: string[];
}

// Legacy (pre-UTF-8) names, as promtool 2.42 checks them: rules stay portable to older servers.
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

const GROUP_FIELDS = new Set(['name', 'interval', 'limit', 'query_offset', 'labels', 'rules']);
const RULE_FIELDS = new Set(['record', 'alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations']);

export function parseRuleFile(text: string, file: string): ParsedRuleFile {
  const lines = new LineCounter();
  // Like Prometheus, only the first YAML document is read; anchors, aliases and << merges work.
  const doc = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, merge: true })[0];
  const errors: string[] = [];
  if (!doc || Array.isArray(doc)) return { groups: [], errors };
  if (doc.errors.length > 0) {
    for (const e of doc.errors) errors.push(`${file}:${lines.linePos(e.pos[0]).line}: invalid YAML: ${e.message.split('\n')[0]}`);
    return { groups: [], errors };
  }
  // Problems about a field point at its key; aliased nodes point at the nearest written parent.
  const at: At = (path, message) => errors.push(`${file}:${line(path)}: ${message}`);
  const line = (path: Path) => lineAt(doc, lines, path, typeof path.at(-1) === 'string' ? (path.at(-1) as string) : undefined) ?? 0;
  const root: unknown = doc.toJS({ maxAliasCount: 1000 });
  const groups: RuleGroupDef[] = [];
  if (root === null || root === undefined) return { groups, errors };
  if (!isRecord(root)) {
    at([], 'expected a mapping with "groups"');
    return { groups, errors };
  }
  unknownFields(root, new Set(['groups']), 'rule file', [], at);
  if (root.groups === undefined || root.groups === null) return { groups, errors };
  if (!Array.isArray(root.groups)) {
    at(['groups'], '"groups" must be a list');
    return { groups, errors };
  }
  const seen = new Set<string>();
  root.groups.forEach((g: unknown, gi: number) => {
    const path = ['groups', gi];
    if (!isRecord(g)) {
      at(path, 'a group must be a mapping');
      return;
    }
    unknownFields(g, GROUP_FIELDS, 'group', path, at);
    const name = asText(g.name);
    if (!name) {
      at(path, 'groupname must not be empty');
      return;
    }
    if (seen.has(name)) at([...path, 'name'], `groupname: "${name}" is repeated in the same file`);
    seen.add(name);
    const group: RuleGroupDef = {
      file,
      name,
      intervalMs: durationField(g, 'interval', path, at),
      limit: Number(asText(g.limit) ?? 0),
      queryOffsetMs: durationField(g, 'query_offset', path, at),
      labels: stringMap(g.labels),
      rules: [],
    };
    if (Array.isArray(g.rules)) {
      g.rules.forEach((r: unknown, ri: number) => {
        const rulePath = [...path, 'rules', ri];
        if (!isRecord(r)) {
          at(rulePath, `group "${name}", rule ${ri + 1}: a rule must be a mapping`);
          return;
        }
        const rule = parseRule(r, ri + 1, name, rulePath, at, line(rulePath));
        if (rule) group.rules.push(rule);
      });
    }
    groups.push(group);
  });
  return { groups, errors };
}

type Path = ReadonlyArray<string | number>;
type At = (path: Path, message: string) => void;

function parseRule(r: Record<string, unknown>, index: number, group: string, path: Path, at: At, line: number): RuleDef | undefined {
  unknownFields(r, RULE_FIELDS, 'rule', path, at);
  const record = asText(r.record);
  const alert = asText(r.alert);
  const name = record ?? alert ?? '';
  const where = `group "${group}", rule ${index}, ${JSON.stringify(name)}`;
  let problems = 0;
  const fail = (field: string | undefined, message: string) => {
    problems++;
    at(field === undefined ? path : [...path, field], `${where}: ${message}`);
  };
  if (record !== undefined && alert !== undefined) fail(undefined, "only one of 'record' and 'alert' must be set");
  if (record === undefined && alert === undefined) fail(undefined, "one of 'record' or 'alert' must be set");
  const exprText = asText(r.expr);
  let expr: Expr | undefined;
  if (exprText === undefined || exprText === '') fail(undefined, "field 'expr' must be set in rule");
  else {
    try {
      expr = parseExpr(exprText);
    } catch (err) {
      fail('expr', `could not parse expression: ${(err as Error).message}`);
    }
  }
  if (record !== undefined) {
    for (const field of ['for', 'keep_firing_for', 'annotations']) {
      if (r[field] !== undefined) fail(field, `invalid field '${field}' in recording rule`);
    }
    if (!METRIC_NAME.test(record)) fail('record', `invalid recording rule name: ${record}`);
  }
  const labels = stringMap(r.labels);
  const annotations = stringMap(r.annotations);
  for (const [k, v] of Object.entries(labels)) {
    if (!LABEL_NAME.test(k) || k === '__name__') fail('labels', `invalid label name: ${k}`);
    else if (alert !== undefined) {
      const problem = checkTemplate(v, alert);
      if (problem) fail('labels', `label "${k}": ${problem}`);
    }
  }
  for (const [k, v] of Object.entries(annotations)) {
    if (!LABEL_NAME.test(k)) fail('annotations', `invalid annotation name: ${k}`);
    else if (alert !== undefined) {
      const problem = checkTemplate(v, alert);
      if (problem) fail('annotations', `annotation "${k}": ${problem}`);
    }
  }
  const forMs = durationField(r, 'for', path, (p, m) => fail(String(p.at(-1)), m)) ?? 0;
  const keepFiringForMs = durationField(r, 'keep_firing_for', path, (p, m) => fail(String(p.at(-1)), m)) ?? 0;
  if (problems > 0 || !expr) return undefined;
  return { kind: alert !== undefined ? 'alert' : 'record', name, expr, exprText: exprText!, forMs, keepFiringForMs, labels, annotations, line };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function unknownFields(map: Record<string, unknown>, known: ReadonlySet<string>, what: string, path: Path, at: At): void {
  for (const key of Object.keys(map)) if (!known.has(key)) at([...path, key], `field ${key} not found in ${what}`);
}

function asText(v: unknown): string | undefined {
  if (v === null || v === undefined || typeof v === 'object') return undefined;
  return String(v);
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isRecord(v)) for (const [k, x] of Object.entries(v)) out[k] = asText(x) ?? '';
  return out;
}

function durationField(map: Record<string, unknown>, field: string, path: Path, at: At): number | undefined {
  const value = asText(map[field]);
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined) at([...path, field], `invalid duration ${JSON.stringify(value)} in ${field}`);
  return ms;
}
