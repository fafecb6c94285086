// Prometheus-compatible alert templates: expands label and annotation templates (Go
// text/template syntax plus Prometheus' functions) exactly as Prometheus' rule evaluator does.

import { BUILTINS } from './builtins.js';
import { executeTemplate, TemplateExecError } from './exec.js';
import { parseTemplate, TemplateParseError, type ParsedTemplate } from './parser.js';
import { PROM_FUNC_NAMES, promFuncs, type QueryFn } from './prom-funcs.js';
import { GoMap, GoStruct, type Value } from './values.js';

export type { QueryFn, QuerySample } from './prom-funcs.js';

export interface TemplateData {
  readonly labels: Readonly<Record<string, string>>;
  readonly externalLabels: Readonly<Record<string, string>>;
  readonly externalURL: string;
  readonly value: number;
}

export interface ExpandOptions {
  /** PromQL instant query at the evaluation time, for {{ query "…" }}. */
  readonly query?: QueryFn;
  /** Evaluation time in epoch ms, for {{ now }}. Defaults to the wall clock. */
  readonly now?: () => number;
  /** Alert name; the template is named "__alert_<name>" in error messages, as in Prometheus. */
  readonly name?: string;
}

/** The definitions Prometheus puts in front of every alert label and annotation template. */
export const TEMPLATE_PREFIX =
  '{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}';

const DATA_TYPE = 'struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value float64 }';

const hasFunction = (name: string): boolean => BUILTINS.has(name) || PROM_FUNC_NAMES.has(name);

type Parsed = { readonly ok: true; readonly tpl: ParsedTemplate } | { readonly ok: false; readonly error: string };

/** Parsed trees by (name, text); rule templates are few and re-expanded on every evaluation. */
const cache = new Map<string, Parsed>();
const CACHE_LIMIT = 10_000;

function parseCached(name: string, text: string): Parsed {
  const key = `${name}\u0000${text}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  let parsed: Parsed;
  try {
    parsed = { ok: true, tpl: parseTemplate(name, TEMPLATE_PREFIX + text, hasFunction) };
  } catch (e) {
    if (!(e instanceof TemplateParseError)) throw e;
    parsed = { ok: false, error: e.message };
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, parsed);
  return parsed;
}

const templateName = (alertName: string | undefined): string => `__alert_${alertName ?? ''}`;

/**
 * Expands an alert label or annotation template. Never throws: a template that fails to parse
 * or execute yields "<error expanding template: …>", as Prometheus does.
 */
export function expandTemplate(text: string, data: TemplateData, options: ExpandOptions = {}): string {
  const name = templateName(options.name);
  try {
    const parsed = parseCached(name, text);
    if (!parsed.ok) return `<error expanding template: error parsing template ${name}: ${parsed.error}>`;
    const funcs = new Map(BUILTINS);
    for (const [k, f] of promFuncs({ query: options.query, nowMs: options.now ?? Date.now, externalURL: data.externalURL })) {
      funcs.set(k, f);
    }
    const root: Value = new GoStruct(DATA_TYPE, new Map<string, Value>([
      ['Labels', GoMap.ofStrings(data.labels)],
      ['ExternalLabels', GoMap.ofStrings(data.externalLabels)],
      ['ExternalURL', data.externalURL],
      ['Value', data.value],
    ]), false);
    return executeTemplate(parsed.tpl, root, funcs);
  } catch (e) {
    if (e instanceof TemplateExecError) return `<error expanding template: error executing template ${name}: ${e.message}>`;
    // Prometheus recovers panics the same way rather than failing the rule evaluation.
    const msg = e instanceof Error ? e.message : String(e);
    return `<error expanding template: panic expanding template ${name}: ${msg}>`;
  }
}

/**
 * Parses a template the way `promtool check rules` does; returns the parse error
 * ("template: __alert_X:1: …") or undefined when the template is valid.
 */
export function checkTemplate(text: string, alertName?: string): string | undefined {
  const parsed = parseCached(templateName(alertName), text);
  return parsed.ok ? undefined : parsed.error;
}
