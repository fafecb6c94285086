// Alertmanager's matcher syntax, as routes, inhibit rules and silences take it:
// `name op value` with op one of = != =~ !~, the value quoted ("…", Go escapes) or bare;
// a list may also be written `{a="b", c=~"d"}`. Regexes are fully anchored RE2, as in PromQL.
import type { LabelMatcher, MatchOp } from '../promql/ast.js';
import { unquoteString } from '../promql/literals.js';
import { compileMatcher, type CompiledMatcher } from '../promql/matchers.js';

export type { CompiledMatcher };

const MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_]*|"(?:[^"\\]|\\.)*")\s*(=~|!~|!=|=)\s*(.*?)\s*$/s;

/** Parses one matcher; throws Error with a message fit for a config problem. */
export function parseMatcher(text: string): CompiledMatcher {
  const m = MATCHER.exec(text);
  if (!m) throw new Error(`bad matcher ${JSON.stringify(text)}: expected name=value, name!=value, name=~regex or name!~regex`);
  const name = m[1]!.startsWith('"') ? unquote(m[1]!, text) : m[1]!;
  let value = m[3]!;
  if (value.startsWith('"')) value = unquote(value, text);
  else if (/[",{}]/.test(value)) throw new Error(`bad matcher ${JSON.stringify(text)}: quote a value that contains ", comma or braces`);
  const matcher: LabelMatcher = { name, op: m[2] as MatchOp, value };
  try {
    return compileMatcher(matcher);
  } catch (err) {
    throw new Error(`bad matcher ${JSON.stringify(text)}: ${(err as Error).message}`);
  }
}

/** A list of matchers, each a string; one string may also hold a `{…}` list. */
export function parseMatchers(list: readonly string[]): CompiledMatcher[] {
  return list.flatMap((item) => {
    const t = item.trim();
    if (!t.startsWith('{')) return [parseMatcher(t)];
    if (!t.endsWith('}')) throw new Error(`bad matchers ${JSON.stringify(item)}: missing closing brace`);
    return splitTopLevel(t.slice(1, -1)).filter((s) => s.trim() !== '').map(parseMatcher);
  });
}

/** Whether every matcher holds; a missing label is the empty string. */
export function matchesLabels(matchers: readonly CompiledMatcher[], labels: Readonly<Record<string, string>>): boolean {
  for (const m of matchers) if (!m.matches(labels[m.name] ?? '')) return false;
  return true;
}

/** One matcher as written in config: `c=~"d"`. */
export function formatMatcher(m: CompiledMatcher): string {
  return `${m.name}${m.matcher.op}${JSON.stringify(m.matcher.value)}`;
}

/** The matchers as Alertmanager prints them: `{a="b",c=~"d"}`. */
export function formatMatchers(matchers: readonly CompiledMatcher[]): string {
  return `{${matchers.map(formatMatcher).join(',')}}`;
}

function unquote(quoted: string, text: string): string {
  try {
    return unquoteString(quoted);
  } catch (err) {
    throw new Error(`bad matcher ${JSON.stringify(text)}: ${(err as Error).message}`);
  }
}

/** Splits at commas outside double quotes. */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quoted && c === '\\') {
      cur += c + (s[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}
