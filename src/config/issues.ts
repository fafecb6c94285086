// Config problems as users read them: `checks[2].timeout (healthmon.yaml:41): expected a
// duration like "5s", got "5"`. Zod issues are turned into these texts here and only here.
import type { core } from 'zod';
import { shown } from './fields.js';

export type IssuePath = ReadonlyArray<string | number>;

export interface ConfigIssue {
  path: IssuePath;
  message: string;
  /** Set when the issue is about a key that should not be there: the line is the key's. */
  key?: string;
}

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function formatPath(path: IssuePath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out === '' ? '(top level)' : out;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

/** Turns one zod issue into one or more config issues (one per unknown key). */
export function fromZodIssue(issue: core.$ZodIssue, prefix: IssuePath = []): ConfigIssue[] {
  const path = [...prefix, ...(issue.path as Array<string | number>)];
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: [...path, key], key, message: `unknown key "${key}"` }));
    case 'invalid_type': {
      const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
      if (input === undefined) return [{ path, message: `required: expected ${expected}` }];
      return [{ path, message: `expected ${expected}, got ${shown(input)}` }];
    }
    case 'invalid_value':
      return [{ path, message: `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${shown(input)}` }];
    case 'too_small':
      if (issue.origin === 'number') {
        return [{ path, message: `expected a number ${issue.inclusive ? '>=' : '>'} ${issue.minimum}, got ${shown(input)}` }];
      }
      if (issue.origin === 'array') return [{ path, message: `expected at least ${issue.minimum} item(s)` }];
      return [{ path, message: `expected at least ${issue.minimum} character(s), got ${shown(input)}` }];
    case 'too_big':
      if (issue.origin === 'number') {
        return [{ path, message: `expected a number ${issue.inclusive ? '<=' : '<'} ${issue.maximum}, got ${shown(input)}` }];
      }
      return [{ path, message: `expected at most ${issue.maximum} item(s)` }];
    case 'invalid_union':
      return [{ path, message: `expected one of the allowed forms, got ${shown(input)}` }];
    default:
      // custom and invalid_format issues carry the message written where they are raised.
      return [{ path, message: issue.message }];
  }
}
