// Alert state kept across restarts in one JSON file in the data directory: written atomically
// (temporary file, then rename), so a crash mid-write leaves the previous state intact.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SavedGroupState } from './rule-group.js';

export interface SavedRuleState {
  /** When the state was written, epoch ms: the downtime is counted from here. */
  savedAt: number;
  /** By group id (`file;group`). */
  groups: Record<string, SavedGroupState>;
}

/** The saved state, or undefined when there is none; a damaged file is reported, not fatal. */
export function readRuleState(file: string): { state?: SavedRuleState; problem?: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    return { problem: `cannot read ${file}: ${(err as Error).message}` };
  }
  try {
    const state = JSON.parse(text) as SavedRuleState;
    if (typeof state.savedAt !== 'number' || typeof state.groups !== 'object' || state.groups === null) throw new Error('not a rule state file');
    return { state };
  } catch (err) {
    return { problem: `ignoring ${file}: ${(err as Error).message}` };
  }
}

export function writeRuleState(file: string, state: SavedRuleState): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, file);
}
