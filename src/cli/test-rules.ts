// `healthmon test rules FILE…`: promtool's `test rules`, with its output shape and exit code.
import { readFileSync } from 'node:fs';
import { glob } from '../config/glob.js';
import { writeFileReport } from '../rules/unit-test/report.js';
import { runTestFile, type RunIo } from '../rules/unit-test/run.js';

const nodeIo: RunIo = { readFile: (path) => readFileSync(path, 'utf8'), glob: (pattern) => glob(pattern) };

export function testRules(files: readonly string[], out: (s: string) => void, err: (s: string) => void, io: RunIo = nodeIo): 0 | 1 {
  let failed = false;
  for (const file of files) {
    const outcome = runTestFile(file, io);
    writeFileReport(outcome, { out, err });
    if (outcome.failures.length > 0) failed = true;
  }
  return failed ? 1 : 0;
}
