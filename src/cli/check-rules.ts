// `healthmon check rules FILE…`: promtool's `check rules`, with its output shape and exit code.
import { readFileSync } from 'node:fs';
import { parseRuleFile } from '../rules/rule-file.js';

export function checkRules(files: readonly string[], out: (s: string) => void, err: (s: string) => void): 0 | 1 {
  let failed = false;
  for (const file of files) {
    out(`Checking ${file}\n`);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      err(`  FAILED:\n${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      failed = true;
      continue;
    }
    const { groups, errors } = parseRuleFile(text, file);
    if (errors.length > 0) {
      err(`  FAILED:\n${errors.join('\n')}\n`);
      failed = true;
      continue;
    }
    out(`  SUCCESS: ${groups.reduce((n, g) => n + g.rules.length, 0)} rules found\n`);
  }
  return failed ? 1 : 0;
}
