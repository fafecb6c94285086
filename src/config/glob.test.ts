import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandGlob } from './glob.js';

describe('expandGlob', () => {
  const dir = mkdtempSync(join(tmpdir(), 'healthmon-glob-'));
  for (const f of ['a/x.yaml', 'a/y.yml', 'b/z.yaml', 'b/.hidden.yaml', 'c.yaml']) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), '');
  }

  it('matches *, ? and classes within segments, in any segment, sorted', () => {
    expect(expandGlob('*/*.yaml', dir)).toEqual([join(dir, 'a/x.yaml'), join(dir, 'b/.hidden.yaml'), join(dir, 'b/z.yaml')]);
    expect(expandGlob('a/?.y[a-z]l', dir)).toEqual([join(dir, 'a/y.yml')]);
    expect(expandGlob(join(dir, '[^a]/z.yaml'), '/elsewhere')).toEqual([join(dir, 'b/z.yaml')]);
  });

  it('returns plain paths that exist and nothing for those that do not', () => {
    expect(expandGlob('c.yaml', dir)).toEqual([join(dir, 'c.yaml')]);
    expect(expandGlob('a', dir)).toEqual([]);
    expect(expandGlob('nope/*.yaml', dir)).toEqual([]);
  });
});
