// `npm run conformance`: runs the PromQL engine test scripts and prints passed/total (skipped) per file.
// Always exits 0: it reports a pass rate, the vitest floor in conformance.test.ts is what guards regressions.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORE_FILES, conformanceDir, listTestFiles, runConformanceFiles } from './runner.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dir = conformanceDir(repoRoot, process.env);
const args = process.argv.slice(2);
const verbose = args.includes('-v') || args.includes('--verbose');
const named = args.filter((a) => !a.startsWith('-'));
const files = named.length > 0 ? named : listTestFiles(dir);
const core = new Set<string>(CORE_FILES);

let passed = 0, total = 0, skipped = 0, corePassed = 0, coreTotal = 0, coreSkipped = 0;
for (const r of runConformanceFiles(dir, files)) {
  const tag = core.has(r.file) ? '' : ' [out of scope]';
  console.log(`${r.file}: ${r.passed}/${r.total} (skipped ${r.skipped})${tag}`);
  passed += r.passed;
  total += r.total;
  skipped += r.skipped;
  if (core.has(r.file)) {
    corePassed += r.passed;
    coreTotal += r.total;
    coreSkipped += r.skipped;
  }
  if (verbose) {
    for (const c of r.cases) {
      if (c.status === 'fail') console.log(`  FAIL ${r.file}.test:${c.line} ${c.expr}\n       ${c.reason ?? ''}`);
    }
  }
}
const pct = (p: number, t: number, s: number): string => (t - s > 0 ? ((100 * p) / (t - s)).toFixed(1) : '0');
console.log(`core: ${corePassed}/${coreTotal} (skipped ${coreSkipped}) = ${pct(corePassed, coreTotal, coreSkipped)}% of runnable`);
console.log(`total: ${passed}/${total} (skipped ${skipped}) = ${pct(passed, total, skipped)}% of runnable`);
