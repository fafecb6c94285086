// Go's filepath.Glob, which promtool applies to `rule_files`: `*`, `?`, `[…]` (negated with `^`) and `\`
// escapes within one path segment, no `**`, matches sorted per directory, and a pattern without
// wildcards matching only itself when it exists. Node 20 has no fs.glob, and its semantics differ anyway.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export class BadPatternError extends Error {
  override readonly name = 'BadPatternError';
}

export interface GlobFs {
  exists(path: string): boolean;
  /** Entry names of a directory; empty when it is not one or cannot be read. */
  list(dir: string): string[];
}

export const nodeGlobFs: GlobFs = {
  exists(path) {
    try {
      statSync(path);
      return true;
    } catch {
      return false;
    }
  },
  list(dir) {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  },
};

const META = /[*?[\\]/;

/** Whether a pattern has any wildcard, i.e. whether matching nothing is expected rather than a mistake. */
export function hasMeta(pattern: string): boolean {
  return META.test(pattern);
}

/** The paths matching `pattern`, as Go's filepath.Glob; throws BadPatternError for a malformed one. */
export function glob(pattern: string, fs: GlobFs = nodeGlobFs): string[] {
  // Go checks the whole pattern first, so a malformed one fails even where nothing is on disk.
  for (const part of pattern.split('/')) segmentRegExp(part);
  if (!META.test(pattern)) return fs.exists(pattern) ? [pattern] : [];
  const cut = pattern.lastIndexOf('/');
  const file = pattern.slice(cut + 1);
  const rawDir = pattern.slice(0, cut + 1);
  const dir = rawDir === '' ? '.' : rawDir === '/' ? '/' : rawDir.slice(0, -1);
  const dirs = META.test(dir) ? glob(dir, fs) : [dir];
  const re = segmentRegExp(file);
  const out: string[] = [];
  for (const d of dirs) {
    for (const n of fs.list(d).filter((name) => re.test(name)).sort(byBytes)) out.push(join(d, n));
  }
  return out;
}

function byBytes(a: string, b: string): number {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return Buffer.compare(x, y);
}

/** One path segment of a Go glob as an anchored RegExp. */
export function segmentRegExp(segment: string): RegExp {
  let re = '^';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      i++;
      if (i >= segment.length) throw new BadPatternError('syntax error in pattern');
      re += escape(segment[i] as string);
    } else if (c === '[') {
      const close = classEnd(segment, i);
      re += classRegExp(segment.slice(i + 1, close));
      i = close;
    } else re += escape(c);
  }
  return new RegExp(`${re}$`, 'u');
}

function classEnd(s: string, open: number): number {
  let i = open + 1;
  if (s[i] === '^') i++;
  let first = true;
  while (i < s.length) {
    const c = s[i];
    if (c === ']' && !first) return i;
    if (c === '\\') i++;
    i++;
    first = false;
  }
  throw new BadPatternError('syntax error in pattern');
}

function classRegExp(body: string): string {
  let i = 0;
  let out = '[';
  if (body[0] === '^') {
    out += '^';
    i++;
  }
  if (i >= body.length) throw new BadPatternError('syntax error in pattern');
  const char = (): string => {
    let c = body[i];
    if (c === '\\') c = body[++i];
    if (c === undefined || c === '-') throw new BadPatternError('syntax error in pattern');
    i++;
    return c;
  };
  while (i < body.length) {
    const lo = char();
    if (body[i] === '-') {
      i++;
      const hi = char();
      if (hi < lo) throw new BadPatternError('syntax error in pattern');
      out += `${escapeInClass(lo)}-${escapeInClass(hi)}`;
    } else out += escapeInClass(lo);
  }
  // A negated class never matches the separator, as in Go.
  return `${out}${out.startsWith('[^') ? '/' : ''}]`;
}

function escape(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function escapeInClass(c: string): string {
  return c.replace(/[\]\\^\-[]/g, '\\$&');
}
