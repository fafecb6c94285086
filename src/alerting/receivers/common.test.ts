import { describe, expect, it } from 'vitest';
import { goJson, goTime, humanDuration, humanTime, pack, subjectOf, truncate, urlSecrets, viewOf } from './common.js';
import { fixture, FIRING_CRITICAL, FIRING_WARNING, resolvedFixture } from '../../../test/helpers/receivers.js';

describe('goTime', () => {
  it.each([
    [undefined, '0001-01-01T00:00:00Z'],
    [Date.UTC(2026, 0, 1), '2026-01-01T00:00:00Z'],
    [Date.UTC(2026, 0, 1, 0, 0, 10, 500), '2026-01-01T00:00:10.5Z'],
    [Date.UTC(2026, 0, 1, 0, 0, 10, 50), '2026-01-01T00:00:10.05Z'],
    [Date.UTC(2026, 0, 1, 0, 0, 10, 123), '2026-01-01T00:00:10.123Z'],
  ])('%j → %s, as Go marshals a time.Time', (ms, text) => {
    expect(goTime(ms)).toBe(text);
  });
});

describe('goJson', () => {
  it('escapes as Go\'s encoder does and stays valid JSON', () => {
    const v = { a: '<a href="x">&</a>', b: 'x\u2028y\u2029z', c: 'ü 🚨' };
    expect(goJson(v)).toBe('{"a":"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e","b":"x\\u2028y\\u2029z","c":"ü 🚨"}');
    expect(JSON.parse(goJson(v))).toEqual(v);
  });
});

describe('truncate', () => {
  it.each([
    ['short', 10, 'short'],
    ['exactly10!', 10, 'exactly10!'],
    ['a longer text', 8, 'a longe…'],
    // Cutting here would split the pair of 🚨; the whole character goes.
    ['ab🚨cd', 4, 'ab…'],
    ['ab🚨cd', 5, 'ab🚨…'],
    ['abc', 1, '…'],
  ])('%j to %d → %j', (text, max, out) => {
    expect(truncate(text, max)).toBe(out);
    expect(out.length).toBeLessThanOrEqual(max);
  });
});

describe('pack', () => {
  const more = (n: number) => `+${n}`;
  it('keeps whole blocks and says how many are left out', () => {
    expect(pack(['aaaa', 'bbbb', 'cccc'], 100, '\n', more)).toBe('aaaa\nbbbb\ncccc');
    expect(pack(['aaaa', 'bbbb', 'cccc'], 12, '\n', more)).toBe('aaaa\nbbbb\n+1');
    expect(pack(['aaaa', 'bbbb', 'cccc'], 9, '\n', more)).toBe('aaaa\n+2');
    expect(pack(['aaaa', 'bbbb', 'cccc'], 14, '\n', more)).toBe('aaaa\nbbbb\ncccc');
  });

  it('cuts a first block that alone is too long', () => {
    expect(pack(['aaaaaaaaaa', 'b'], 8, '\n', more)).toBe('aaaa…\n+1');
    expect(pack(['aaaaaaaaaa'], 8, '\n', more)).toBe('aaaaaaa…');
  });
});

describe('subjectOf', () => {
  it('writes Alertmanager\'s subject', () => {
    expect(subjectOf(viewOf(fixture(), fixture().alerts))).toBe('[FIRING:2] ServiceDown (team=core)');
    expect(subjectOf(viewOf(resolvedFixture(), resolvedFixture().alerts))).toBe('[RESOLVED] ServiceDown (check=api instance=api.internal:8080 severity=critical team=core)');
  });

  it('names a group without group labels by its alertname', () => {
    const n = fixture({ groupLabels: {} });
    expect(subjectOf(viewOf(n, n.alerts))).toBe('[FIRING:2] ServiceDown (team=core)');
    const m = fixture({ groupLabels: {}, commonLabels: {} });
    expect(subjectOf(viewOf(m, m.alerts))).toBe('[FIRING:2] alerts');
  });

  it('recomputes the common labels over a subset', () => {
    const n = fixture();
    const v = viewOf(n, [FIRING_CRITICAL, FIRING_WARNING]);
    expect(v.commonLabels).toEqual({ alertname: 'ServiceDown', team: 'core' });
    expect(viewOf(n, [FIRING_WARNING]).commonLabels).toEqual(FIRING_WARNING.labels);
  });
});

describe('urlSecrets', () => {
  it('lists the URL, its path and its query; a bare host holds none', () => {
    expect(urlSecrets('https://hooks.slack.com/services/T/B/x')).toEqual(['https://hooks.slack.com/services/T/B/x', '/services/T/B/x']);
    expect(urlSecrets('https://h.example/p?token=t')).toEqual(['https://h.example/p?token=t', '/p?token=t', 'token=t']);
    expect(urlSecrets('https://api.datadoghq.eu/')).toEqual([]);
  });
});

describe('human times', () => {
  it('reads well', () => {
    expect(humanTime(Date.UTC(2026, 0, 1, 11, 50, 0, 500))).toBe('2026-01-01 11:50:00 UTC');
    expect(humanDuration(3_723_400)).toBe('1h2m3s');
    expect(humanDuration(-5)).toBe('0s');
  });
});
