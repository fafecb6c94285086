// Label matchers compiled once per selector: = != =~ !~ with Prometheus's fully anchored RE2 regex semantics.
// RE2 syntax JS lacks (inline (?i) flags, \Q…\E, POSIX classes, (?P<name>) is translated in re2-to-js.ts.

import type { LabelMatcher } from './ast.js';
import type { LabelSet } from './labels.js';
import { compileAnchoredRegex } from './re2-to-js.js';

export interface CompiledMatcher {
  readonly name: string;
  readonly matcher: LabelMatcher;
  matches(value: string): boolean;
}

export function compileMatcher(m: LabelMatcher): CompiledMatcher {
  switch (m.op) {
    case '=':
      return { name: m.name, matcher: m, matches: (v) => v === m.value };
    case '!=':
      return { name: m.name, matcher: m, matches: (v) => v !== m.value };
    case '=~': {
      const fast = literalAlternatives(m.value);
      if (fast) return { name: m.name, matcher: m, matches: (v) => fast.has(v) };
      const re = compileAnchoredRegex(m.value);
      return { name: m.name, matcher: m, matches: (v) => re.test(v) };
    }
    case '!~': {
      const fast = literalAlternatives(m.value);
      if (fast) return { name: m.name, matcher: m, matches: (v) => !fast.has(v) };
      const re = compileAnchoredRegex(m.value);
      return { name: m.name, matcher: m, matches: (v) => !re.test(v) };
    }
  }
}

/** `a|b|c` of plain literals is by far the most common regex in rules; a Set lookup beats a RegExp. */
function literalAlternatives(re: string): Set<string> | null {
  if (!/^[a-zA-Z0-9_:\-/ |]*$/.test(re)) return null;
  return new Set(re.split('|'));
}

export function matchesAll(ls: LabelSet, matchers: readonly CompiledMatcher[]): boolean {
  for (const m of matchers) {
    if (!m.matches(ls.get(m.name))) return false;
  }
  return true;
}
