// Reads a YAML or JSON config file into plain values, finds where a value was written when a
// problem needs its line, and applies the two load-time expansions: `${ENV}` in strings and
// `<secret>_file` keys. Values come from js-yaml (60 ms and 70 MB for 10,000 checks); the
// position-keeping parser costs fifteen times that, so it runs only to report a problem.
import { dirname, resolve } from 'node:path';
import jsYaml from 'js-yaml';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { ConfigIssue, IssuePath } from './issues.js';
import { SECRET_KEYS } from '../core/secret-keys.js';

export interface ConfigSource {
  file: string;
  value: unknown;
  /** The 1-based line where the value at `path` (or its key) was written, if known. */
  lineOf(path: IssuePath, key?: string): number | undefined;
}

export interface ExpandDeps {
  env: Record<string, string | undefined>;
  readFile: (path: string) => string;
}

export type ParseResult = { ok: true; source: ConfigSource; issues: ConfigIssue[] } | { ok: false; problems: string[] };

export function parseConfigText(text: string, file: string, deps: ExpandDeps): ParseResult {
  let raw: unknown;
  try {
    // The core schema is YAML 1.2's: no dates or other types a config does not want.
    raw = jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA, filename: file });
  } catch (err) {
    const e = err as { mark?: { line: number }; reason?: string; message: string };
    return { ok: false, problems: [`${file}:${(e.mark?.line ?? 0) + 1}: invalid YAML: ${e.reason ?? e.message}`] };
  }
  let located: { doc: Document; lines: LineCounter } | undefined;
  const lineOf = (path: IssuePath, key?: string) => {
    if (!located) {
      const lines = new LineCounter();
      located = { doc: parseDocument(text, { lineCounter: lines, prettyErrors: false }), lines };
    }
    return lineAt(located.doc, located.lines, path, key);
  };
  const issues: ConfigIssue[] = [];
  const value = expand(raw ?? {}, [], issues, { ...deps, baseDir: dirname(resolve(file)) });
  return { ok: true, source: { file, value, lineOf }, issues };
}

export function readConfigFile(file: string, deps: ExpandDeps): ParseResult {
  let text: string;
  try {
    text = deps.readFile(file);
  } catch (err) {
    return { ok: false, problems: [`${file}: cannot read the config file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`] };
  }
  return parseConfigText(text, file, deps);
}

/** The line of the deepest node on `path` the document has; with `key`, of that key. */
export function lineAt(doc: Document, lines: LineCounter, path: IssuePath, key?: string): number | undefined {
  // Walk as deep as the document goes; an issue about a missing field points at its parent.
  let node: unknown = doc.contents;
  let best: Node | undefined = doc.contents ?? undefined;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === part);
      if (!pair) break;
      if (part === key && isScalar(pair.key)) {
        best = pair.key;
        break;
      }
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number') {
      node = node.items[part];
    } else break;
    if (node && typeof node === 'object' && 'range' in node) best = node as Node;
  }
  const offset = best?.range?.[0];
  return offset === undefined ? undefined : lines.linePos(offset).line;
}

const ENV_RE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

function expand(value: unknown, path: IssuePath, issues: ConfigIssue[], deps: ExpandDeps & { baseDir: string }): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_RE, (match, name: string | undefined, fallback: string | undefined) => {
      if (match === '$$') return '$';
      const v = deps.env[name!];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      issues.push({ path, message: `environment variable ${name} is not set (write \${${name}:-default} for a default)` });
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => expand(v, [...path, i], issues, deps));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const secret = k.endsWith('_file') ? k.slice(0, -'_file'.length) : undefined;
      // server.api.token_file stays a path: the token is read when needed, so it can be rotated.
      const keptPath = k === 'token_file' && path.length === 2 && path[0] === 'server' && path[1] === 'api';
      if (secret !== undefined && SECRET_KEYS.has(secret) && !keptPath) {
        if (k in out || secret in (value as object)) {
          issues.push({ path: [...path, k], key: k, message: `give either ${secret} or ${k}, not both` });
          continue;
        }
        const file = expand(v, [...path, k], issues, deps);
        if (typeof file !== 'string') {
          issues.push({ path: [...path, k], message: `expected a file path, got a ${typeof file}` });
          continue;
        }
        try {
          out[secret] = deps.readFile(resolve(deps.baseDir, file)).replace(/\r?\n$/, '');
        } catch (err) {
          issues.push({ path: [...path, k], message: `cannot read ${JSON.stringify(file)}: ${(err as NodeJS.ErrnoException).code ?? 'error'}` });
        }
        continue;
      }
      out[k] = expand(v, [...path, k], issues, deps);
    }
    return out;
  }
  return value;
}
