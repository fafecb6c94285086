// Real peer programs (promtool, node_exporter, …): found on PATH or in /usr/bin. A missing peer
// skips its tests loudly, or fails them when HEALTHMON_E2E=required (as CI sets).
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** `extraDirs` are searched after PATH, e.g. /usr/lib/postgresql/15/bin where Debian keeps postgres. */
export function findPeer(binary: string, extraDirs: readonly string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/sbin', ...extraDirs];
  for (const dir of dirs) {
    const path = join(dir, binary);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  if (process.env.HEALTHMON_E2E === 'required') {
    throw new Error(`${binary} is required (HEALTHMON_E2E=required) but was not found; install its Debian package`);
  }
  console.warn(`\n*** SKIPPING tests that need ${binary}: it is not installed (set HEALTHMON_E2E=required to fail instead) ***\n`);
  return undefined;
}
