// Guards the PromQL conformance pass count over the core test files; raise FLOOR as the engine improves.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CORE_FILES, conformanceDir, runConformanceFiles } from './runner.js';

/** Passed eval cases over CORE_FILES; never lower this. */
const FLOOR = 1243;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dir = conformanceDir(repoRoot, process.env);
const present = existsSync(path.join(dir, 'promql'));

describe.skipIf(!present)('PromQL conformance (Prometheus engine tests)', () => {
  it(`passes at least ${FLOOR} core eval cases`, () => {
    const results = runConformanceFiles(dir, CORE_FILES);
    const passed = results.reduce((n, r) => n + r.passed, 0);
    const failures = results.flatMap((r) => r.cases.filter((c) => c.status === 'fail').map((c) => `${r.file}:${c.line} ${c.expr}: ${c.reason ?? ''}`));
    expect(passed, failures.slice(0, 20).join('\n')).toBeGreaterThanOrEqual(FLOOR);
  });
});
