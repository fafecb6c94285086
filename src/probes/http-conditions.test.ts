import { describe, expect, it } from 'vitest';
import { checkJsonCondition, checkStatus, parseJsonCondition, statusCodes } from './http-conditions.js';
import { evaluateJsonPath, parseJsonPath } from './json-path.js';

const doc = { status: 'DOWN', 'odd key': { n: 2 }, items: [{ id: 1 }, { id: 2 }], tags: ['a'], version: '1.9', big: 'x'.repeat(200) };

describe('json paths', () => {
  it.each([
    ['$', doc],
    ['$.status', 'DOWN'],
    ['$["odd key"].n', 2],
    ["$['odd key']['n']", 2],
    ['$.items[1].id', 2],
    ['$.items[-1].id', 2],
    ['$.items[5].id', undefined],
    ['$.status.length', undefined],
  ])('%s', (text, value) => {
    const { path, rest } = parseJsonPath(text);
    expect(rest).toBe('');
    expect(evaluateJsonPath(doc, path)).toEqual(value);
  });

  it.each([
    ['status', 'a path must start with "$"'],
    ['$.', 'expected a field name after "." at "$."'],
    ['$[x]', 'expected [index] or ["name"] at "[x]"'],
    ['$.tags.0', 'expected a field name after "." at "$.tags."'],
  ])('rejects %s', (text, message) => {
    expect(() => parseJsonPath(text)).toThrow(message);
  });
});

describe('json conditions', () => {
  it.each([
    ['$.status == "UP"', '$.status was "DOWN", expected "UP"'],
    ['$.status != "DOWN"', '$.status was "DOWN", expected != "DOWN"'],
    ['$.items[0].id > 1', '$.items[0].id was 1, expected > 1'],
    ['$.version >= "2.0"', '$.version was "1.9", expected >= "2.0"'],
    ['$.status < 3', '$.status was "DOWN", expected < 3'],
    ['$.tags contains "b"', '$.tags was ["a"], expected to contain "b"'],
    ['$.version matches "^2\\\\."', '$.version was "1.9", expected to match /^2\\./'],
    ['$.items == []', '$.items was [{"id":1},{"id":2}], expected []'],
    ['$.nothing == null', '$.nothing was missing, expected null'],
    ['$.big == ""', `$.big was "${'x'.repeat(99)}…, expected ""`],
  ])('%s fails with a message showing both sides', (text, message) => {
    expect(checkJsonCondition(doc, parseJsonCondition(text))).toBe(message);
  });

  it.each([['$.status == "DOWN"'], ['$.items[1] == {"id": 2}'], ['$.tags contains "a"'], ['$.status contains "OW"'], ['$.version < "2"'], ['$["odd key"].n <= 2']])(
    '%s holds',
    (text) => {
      expect(checkJsonCondition(doc, parseJsonCondition(text))).toBeUndefined();
    },
  );

  it.each([
    ['$.a < true', '< compares numbers or strings, got true'],
    ['$.a matches 1', 'matches takes a regular expression in a JSON string, got 1'],
    ['$.a matches "("', /^invalid regular expression "\(": /],
  ])('rejects %s', (text, message) => {
    expect(() => parseJsonCondition(text)).toThrow(message);
  });
});

describe('status codes', () => {
  it('allows codes and classes', () => {
    const codes = statusCodes().parse([204, '3xx', '418']);
    expect(codes.text).toBe('204, 3xx, 418');
    expect([204, 301, 399, 418].map((s) => checkStatus(s, codes))).toEqual([undefined, undefined, undefined, undefined]);
    expect(checkStatus(200, codes)).toBe('status 200, expected 204, 3xx, 418');
  });
});
