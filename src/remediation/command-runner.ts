// Runs an on_failure command as the exec kind runs its commands: an argv without a shell, a
// minimal environment (PATH only, so healthmon's secrets stay out), a process group killed at the
// deadline, output capped; keeps the first lines of output for the log and the history.
import { DEFAULT_PATH, runCommand } from '../probes/run-command.js';
import type { CommandRunner } from './remediator.js';

const MAX_OUTPUT_BYTES = 16 * 1024;
const OUTPUT_LINES = 10;

export const runRemediationCommand: CommandRunner = async (argv, { timeoutMs, signal }) => {
  const [program, ...args] = argv;
  const run = await runCommand({ argv: [program!, ...args], env: { PATH: DEFAULT_PATH }, maxOutputBytes: MAX_OUTPUT_BYTES }, AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]));
  const output = `${run.stdout.text()}${run.stderr.text()}`.split('\n').filter((l) => l.trim() !== '').slice(0, OUTPUT_LINES).join('\n');
  return {
    ...(run.exit ? { exitCode: run.exit.code } : {}),
    timedOut: run.timedOut,
    ...(run.spawnError === undefined ? {} : { spawnError: run.spawnError }),
    output,
    durationMs: run.durationMs,
  };
};
