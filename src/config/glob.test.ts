import { normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BadPatternError, glob, segmentRegExp, type GlobFs } from './glob.js';

const tree: Record<string, string[]> = {
  '.': ['a.yml', 'b.yaml', '.hidden.yml', 'rules'],
  rules: ['x.yml', 'y.yml', 'z.txt'],
  '/abs': ['one.yml', 'two.yml'],
  '/abs/sub1': ['r.yml'],
  '/abs/sub2': ['r.yml', 's.yml'],
};
const fs: GlobFs = {
  exists: (p) => Object.values(tree).some((names) => names.includes(p.split('/').pop() ?? '')) || p in tree,
  list: (dir) => (dir === '/abs' ? [...(tree['/abs'] ?? []), 'sub1', 'sub2'] : (tree[normalize(dir)] ?? [])),
};

describe('glob (Go filepath.Glob)', () => {
  it.each([
    ['*.yml', ['.hidden.yml', 'a.yml']],
    ['rules/*.yml', ['rules/x.yml', 'rules/y.yml']],
    ['./rules/[xz].*', ['rules/x.yml', 'rules/z.txt']],
    ['rules/[^x].yml', ['rules/y.yml']],
    ['/abs/sub?/r.yml', ['/abs/sub1/r.yml', '/abs/sub2/r.yml']],
    ['/abs/*/s.yml', ['/abs/sub2/s.yml']],
    ['rules/x.yml', ['rules/x.yml']],
    ['rules/none.yml', []],
    ['nodir/*.yml', []],
  ])('%s', (pattern, want) => {
    expect(glob(pattern, fs)).toEqual(want);
  });

  it('rejects malformed patterns, as Go does', () => {
    expect(() => glob('rules/[a', fs)).toThrow(BadPatternError);
    expect(() => glob('x\\', fs)).toThrow(BadPatternError);
  });

  it('never lets a wildcard cross a directory', () => {
    expect(segmentRegExp('*').test('a/b')).toBe(false);
    expect(segmentRegExp('a\\*').test('a*')).toBe(true);
  });
});
