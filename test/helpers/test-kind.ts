// A probe kind whose outcome the test sets, for exercising everything around probes.
import { z } from 'zod';
import type { ProbeOutcome } from '../../src/core/check-result.js';
import type { ProbeKind } from '../../src/probes/types.js';

export function createTestKind() {
  const outcomes = new Map<string, ProbeOutcome>();
  const kind: ProbeKind<{ id: string }> = {
    kind: 'test',
    schema: z.strictObject({ id: z.string() }),
    target: (s) => `test:${s.id}`,
    metrics: [{ name: 'probe_test_value', help: 'A value the test sets.' }],
    probe: async (s) => outcomes.get(s.id) ?? { ok: true, phases: {}, observations: [{ metric: 'probe_test_value', value: 42 }] },
  };
  return { kind, outcomes };
}
