import { existsSync } from 'node:fs';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { filesUnder } from './durability.js';

/** Writes files into DATA_DIR/uploads as a killed process leaves them, each `ageMs` old; returns the folder. */
export async function leftUploadFiles(dataDir: string, files: Record<string, number>): Promise<string> {
  const dir = join(dataDir, 'uploads');
  await mkdir(dir, { recursive: true });
  for (const [name, ageMs] of Object.entries(files)) {
    const path = join(dir, name);
    await writeFile(path, 'S. No.,Product Name,Input Image Urls\n');
    const at = new Date(Date.now() - ageMs);
    await utimes(path, at, at);
  }
  return dir;
}

/** Every upload file under DATA_DIR/uploads, in any process's folder (relative paths, sorted). */
export function uploadFilesUnder(dataDir: string): string[] {
  const dir = join(dataDir, 'uploads');
  return existsSync(dir) ? filesUnder(dir) : [];
}
