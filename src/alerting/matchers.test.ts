import { describe, expect, it } from 'vitest';
import { formatMatchers, matchesLabels, parseMatcher, parseMatchers } from './matchers.js';

describe('Alertmanager matchers', () => {
  it('parses every operator, quoted and bare values, and brace lists', () => {
    const ms = parseMatchers(['severity = critical', 'team!="a \\"b\\""', '{check=~"db-.*", env!~"dev|test"}']);
    expect(ms.map((m) => m.matcher)).toEqual([
      { name: 'severity', op: '=', value: 'critical' },
      { name: 'team', op: '!=', value: 'a "b"' },
      { name: 'check', op: '=~', value: 'db-.*' },
      { name: 'env', op: '!~', value: 'dev|test' },
    ]);
    expect(formatMatchers(ms.slice(0, 1))).toBe('{severity="critical"}');
  });

  it('anchors regexes and treats a missing label as empty', () => {
    const [db] = parseMatchers(['check=~"db"']);
    expect(matchesLabels([db!], { check: 'db' })).toBe(true);
    expect(matchesLabels([db!], { check: 'db-1' })).toBe(false);
    expect(matchesLabels(parseMatchers(['team=""']), {})).toBe(true);
    expect(matchesLabels(parseMatchers(['team!=""']), {})).toBe(false);
  });

  it('rejects malformed matchers with the text in the message', () => {
    expect(() => parseMatcher('severity critical')).toThrow('bad matcher "severity critical": expected name=value');
    expect(() => parseMatcher('a=~"("')).toThrow('bad matcher "a=~\\"(\\""');
    expect(() => parseMatcher('a="unterminated')).toThrow('bad matcher');
    expect(() => parseMatchers(['{a="b"'])).toThrow('missing closing brace');
  });
});
