import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The bench's temporary directories, removed whatever happens: on exit or on a signal, and not before.
 * A phase that removed its files when done would tax the next phase's writes on ext4 without a journal
 * (this bench's machines): there, each file created scans past the inodes of its block group deleted in
 * the last one to six minutes (the kernel's recently_deleted()), which measured 0.4–0.7 ms of CPU per
 * file after a few thousand removals, against 0.1 ms without. (The service children are killed on exit
 * by ServerProcess.)
 */
const tempDirs = new Set<string>();

export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `pixelmill-bench-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

/** Synchronous so it also runs from the 'exit' handler. */
export function removeTempDirs(): void {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
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
