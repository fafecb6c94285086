import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runRemediationCommand } from './command-runner.js';

const never = new AbortController().signal;

describe('on_failure commands', () => {
  it('runs an argv without a shell and keeps the first lines of output', async () => {
    const out = await runRemediationCommand(['/bin/echo', 'restarted; $HOME', '|', 'x'], { timeoutMs: 5_000, signal: never });
    expect(out).toMatchObject({ exitCode: 0, timedOut: false, output: 'restarted; $HOME | x' });
  });

  it('reports the exit code, a command that cannot start, and kills one that overruns', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'healthmon-remedy-'));
    const script = join(dir, 'fix.sh');
    writeFileSync(script, '#!/bin/sh\necho "env: $HEALTHMON_SECRET"\nexit 3\n', { mode: 0o755 });
    expect(await runRemediationCommand([script], { timeoutMs: 5_000, signal: never })).toMatchObject({ exitCode: 3, output: 'env: ' });
    expect((await runRemediationCommand([join(dir, 'missing')], { timeoutMs: 5_000, signal: never })).spawnError).toMatch(/ENOENT|no such file/i);
    const slow = await runRemediationCommand(['/bin/sleep', '30'], { timeoutMs: 200, signal: never });
    expect(slow).toMatchObject({ timedOut: true });
    expect(slow.exitCode).toBeUndefined();
  });
});
