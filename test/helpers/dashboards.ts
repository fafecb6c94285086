// The bundled Grafana dashboards as tests read them: every panel (rows unfolded), every query,
// the template variables, and a query with its variables replaced as Grafana's Prometheus data
// source replaces them.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Expr, VectorSelector } from '../../src/promql/index.js';
import { parseExpr } from '../../src/promql/index.js';

export const DASHBOARD_DIR = join(import.meta.dirname, '..', '..', 'grafana', 'dashboards');

export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Target {
  refId: string;
  expr?: string;
  instant?: boolean;
  range?: boolean;
  format?: string;
  legendFormat?: string;
  datasource?: { type?: string; uid?: string };
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: GridPos;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
}

export interface Variable {
  name: string;
  type: string;
  query?: string | { query?: string };
  datasource?: { type?: string; uid?: string };
  multi?: boolean;
  includeAll?: boolean;
}

export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Variable[] };
}

export interface LoadedDashboard {
  file: string;
  dashboard: Dashboard;
}

export function loadDashboards(dir = DASHBOARD_DIR): LoadedDashboard[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, dashboard: JSON.parse(readFileSync(join(dir, file), 'utf8')) as Dashboard }));
}

/** Every panel, including those inside collapsed rows; rows themselves are left out. */
export function allPanels(d: Dashboard): Panel[] {
  const out: Panel[] = [];
  for (const p of d.panels) {
    if (p.type === 'row') out.push(...(p.panels ?? []));
    else out.push(p);
  }
  return out;
}

export interface Query {
  dashboard: string;
  panel: string;
  refId: string;
  expr: string;
  instant: boolean;
}

export function allQueries(d: Dashboard): Query[] {
  return allPanels(d).flatMap((p) =>
    (p.targets ?? []).map((t) => ({ dashboard: d.title, panel: p.title, refId: t.refId, expr: t.expr ?? '', instant: t.instant === true })),
  );
}

export function variableQuery(v: Variable): string | undefined {
  return typeof v.query === 'string' ? v.query : v.query?.query;
}

/** `label_values(selector, label)` or `label_values(label)`, as Grafana's variable editor writes them. */
export function parseLabelValues(query: string): { selector: string | undefined; label: string } | undefined {
  const m = /^\s*label_values\(\s*(?:(.*),\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$/s.exec(query);
  if (!m) return undefined;
  return { selector: m[1]?.trim() || undefined, label: m[2]! };
}

/** What the test pretends the user picked: one value, or several for a multi-value variable. */
export type Selection = string | string[];

/** Grafana's escaping of a multi-value variable's values for a Prometheus regex matcher. */
function regexEscape(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}]/g, '\\\\$&');
}

function format(value: Selection, multiOrAll: boolean): string {
  if (!multiOrAll) return Array.isArray(value) ? value[0]! : value;
  const values = (Array.isArray(value) ? value : [value]).map(regexEscape);
  return values.length === 1 ? values[0]! : `(${values.join('|')})`;
}

/**
 * Replaces `$name`, `${name}` and `[[name]]` with the selected values (built-ins such as
 * `$__rate_interval` come in `values` too). Throws on a variable it does not know, so a
 * misspelt one cannot pass unnoticed.
 */
export function substitute(expr: string, values: Record<string, Selection>, multi: ReadonlySet<string> = new Set()): string {
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g, (all: string, a: string | undefined, b: string | undefined, c: string | undefined) => {
    const name = (a ?? b ?? c)!;
    // label_replace's "$1" is a capture group, not a variable: Grafana leaves it alone too.
    if (/^\d+$/.test(name)) return all;
    const value = values[name];
    if (value === undefined) throw new Error(`unknown variable $${name} in ${JSON.stringify(expr)}`);
    return format(value, multi.has(name));
  });
}

/** The metric names an expression selects (`{__name__=…}` matchers included when exact). */
export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  const visit = (e: Expr): void => {
    switch (e.kind) {
      case 'VectorSelector':
        selectorName(e, names);
        return;
      case 'MatrixSelector':
        selectorName(e.vector, names);
        return;
      case 'Subquery':
      case 'Paren':
      case 'Unary':
        visit(e.expr);
        return;
      case 'Aggregate':
        visit(e.expr);
        if (e.param) visit(e.param);
        return;
      case 'Call':
        e.args.forEach(visit);
        return;
      case 'Binary':
        visit(e.lhs);
        visit(e.rhs);
        return;
      default:
    }
  };
  visit(parseExpr(expr));
  return [...names].sort();
}

function selectorName(s: VectorSelector, names: Set<string>): void {
  if (s.name) names.add(s.name);
  else for (const m of s.matchers) if (m.name === '__name__' && m.op === '=') names.add(m.value);
}
