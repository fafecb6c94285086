// `healthmon check rules` accepts and rejects exactly what the real promtool does on
// Prometheus's own fixtures, and says where each problem is.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPeer } from '../../test/helpers/peers.js';
import { parseRuleFile } from './rule-file.js';

const CONFORMANCE = process.env.HEALTHMON_CONFORMANCE_DIR ?? resolve(import.meta.dirname, '..', '..', '..', 'shared', 'conformance');
const FILES = [
  ...readdirSync(join(CONFORMANCE, 'rulefmt')).map((f) => join(CONFORMANCE, 'rulefmt', f)),
  ...readdirSync(join(CONFORMANCE, 'promtool'))
    .filter((f) => f.endsWith('.yml'))
    .map((f) => join(CONFORMANCE, 'promtool', f)),
];
const promtool = findPeer('promtool');

const check = (file: string) => parseRuleFile(readFileSync(file, 'utf8'), file);

describe.skipIf(!promtool)('check rules against promtool', () => {
  it.each(FILES.map((f) => [f.slice(CONFORMANCE.length + 1), f]))('%s', (_name, file) => {
    const real = spawnSync(promtool!, ['check', 'rules', file], { encoding: 'utf8' });
    const ours = check(file);
    expect({ accepted: ours.errors.length === 0 }).toEqual({ accepted: real.status === 0 });
    for (const e of ours.errors) expect(e).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: `));
  });
});

describe('rule files', () => {
  it.each([
    ['bad_expr.bad.yaml', ':5: group "yolo", rule 1, "yolo": could not parse expression: 1:6: parse error: expected type range vector in call to function "rate", got instant vector'],
    ['duplicate_grp.bad.yaml', ':3: groupname: "yolo" is repeated in the same file'],
    ['invalid_record_name.bad.yaml', ':4: group "yolo", rule 1, "strawberry{flavor=\\"sweet\\"}": invalid recording rule name: strawberry{flavor="sweet"}'],
    ['no_rec_alert.bad.yaml', `:4: group "yolo", rule 1, "": one of 'record' or 'alert' must be set`],
    ['noexpr.bad.yaml', `:4: group "yolo", rule 1, "ylo": field 'expr' must be set in rule`],
    ['record_and_for.bad.yaml', `:6: group "yolo", rule 1, "Hello": invalid field 'for' in recording rule`],
    ['bad_field.bad.yaml', ':8: field annotation not found in rule'],
  ])('%s says what and where', (name, message) => {
    const file = join(CONFORMANCE, 'rulefmt', name);
    expect(check(file).errors).toEqual([`${file}${message}`]);
  });

  it('reads groups and rules with their settings', () => {
    const { groups, errors } = check(join(CONFORMANCE, 'promtool', 'rules.yml'));
    expect(errors).toEqual([]);
    expect(groups.flatMap((g) => g.rules.map((r) => `${r.kind}:${r.name}`)).length).toBe(5);
  });

  it('names the template problem promtool names', () => {
    const file = join(CONFORMANCE, 'promtool', 'rules-bad.yml');
    expect(check(file).errors.join('\n')).toContain('annotation "summary": template: __alert_InstanceDown:1: undefined variable "$label"');
  });
});
