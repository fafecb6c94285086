// Alertmanager's routing tree: each alert walks it depth first; the first matching child wins
// unless it says `continue`; when no child matches, the node itself takes the alert. Settings a
// child does not give are inherited from its parent.
import { formatMatchers, matchesLabels, type CompiledMatcher } from './matchers.js';

export interface Route {
  receiver: string;
  /** Label names to group by; 'all' is Alertmanager's `...` (every label). */
  groupBy: readonly string[] | 'all';
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  matchers: readonly CompiledMatcher[];
  continue: boolean;
  /** An alert still firing this long after it first was notified also goes to `receiver`. */
  escalate: { afterMs: number; receiver: string } | undefined;
  routes: readonly Route[];
  /** The path of matchers from the root, `{}/{team="x"}`: part of every group key. */
  key: string;
}

/** The routes that take an alert with these labels, in tree order. */
export function matchRoutes(root: Route, labels: Readonly<Record<string, string>>): Route[] {
  const out: Route[] = [];
  walk(root, labels, out);
  return out;
}

function walk(route: Route, labels: Readonly<Record<string, string>>, out: Route[]): boolean {
  if (!matchesLabels(route.matchers, labels)) return false;
  let matchedChild = false;
  for (const child of route.routes) {
    if (!walk(child, labels, out)) continue;
    matchedChild = true;
    if (!child.continue) break;
  }
  if (!matchedChild) out.push(route);
  return true;
}

/** The labels an alert is grouped by on this route. */
export function groupLabelsOf(route: Route, labels: Readonly<Record<string, string>>): Record<string, string> {
  if (route.groupBy === 'all') return { ...labels };
  const out: Record<string, string> = {};
  for (const name of route.groupBy) if (labels[name] !== undefined && labels[name] !== '') out[name] = labels[name]!;
  return out;
}

/** Alertmanager's group key: `<route key>:<group labels>`, e.g. `{}/{team="x"}:{alertname="A"}`. */
export function groupKeyOf(route: Route, groupLabels: Readonly<Record<string, string>>): string {
  return `${route.key}:${formatLabelSet(groupLabels)}`;
}

/** A label set as Alertmanager prints one: sorted, `{a="1", b="2"}`. */
export function formatLabelSet(labels: Readonly<Record<string, string>>): string {
  return `{${Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(', ')}}`;
}

/** The key of a child route under `parentKey`. */
export function childKey(parentKey: string | undefined, matchers: readonly CompiledMatcher[]): string {
  const own = formatMatchers(matchers);
  return parentKey === undefined ? own : `${parentKey}/${own}`;
}
