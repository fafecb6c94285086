// File globs as Prometheus's rule_files take them (Go's filepath.Glob): `*`, `?` and `[…]` within
// one path segment, any segment; no `**`. Matches come back sorted, like Go's.
import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve, sep } from 'node:path';

const MAGIC = /[*?[]/;

export function hasGlob(pattern: string): boolean {
  return MAGIC.test(pattern);
}

/** The files `pattern` matches, relative patterns taken from `baseDir`; none is not an error. */
export function expandGlob(pattern: string, baseDir: string): string[] {
  const abs = isAbsolute(pattern) ? pattern : resolve(baseDir, pattern);
  if (!hasGlob(abs)) return isFile(abs) ? [abs] : [];
  const segments = abs.split(sep);
  let dirs = [segments[0] === '' ? sep : segments[0]!];
  for (const seg of segments.slice(1)) {
    if (seg === '') continue;
    if (!hasGlob(seg)) {
      dirs = dirs.map((d) => join(d, seg));
      continue;
    }
    const re = segmentRegex(seg);
    dirs = dirs.flatMap((d) => listDir(d).filter((name) => re.test(name)).map((name) => join(d, name)));
  }
  return dirs.filter(isFile).sort();
}

function segmentRegex(seg: string): RegExp {
  let out = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 2);
      if (end < 0) {
        out += '\\[';
        continue;
      }
      const body = seg.slice(i + 1, end);
      out += `[${body.startsWith('^') ? `^${body.slice(1)}` : body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else out += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
