import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The bench's temporary directories, removed whatever happens: on exit, on a signal, or one by one
 * as each phase is done with its own. (The service children are killed on exit by ServerProcess.)
 */
const tempDirs = new Set<string>();

export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `pixelmill-bench-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** Synchronous so it also runs from the 'exit' handler. */
export function removeTempDirs(): void {
  for (const dir of tempDirs) removeTempDir(dir);
}

/** Removes the directories on exit and on SIGINT, SIGTERM and SIGHUP (which end the bench with 130). */
export function removeTempDirsOnExit(): void {
  process.on('exit', removeTempDirs);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      console.error(`\nbench: ${signal}, cleaning up`);
      removeTempDirs();
      process.exit(130);
    });
  }
}
