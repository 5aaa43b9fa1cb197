import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** Every output file under a local STORAGE_DIR, as storage keys (staging folders and previews left out). */
export async function storedFiles(storageDir: string): Promise<string[]> {
  return (await everyStoredFile(storageDir)).filter((key) => !key.startsWith('thumbs/'));
}

/** Every preview (`thumbs/…`) under a local STORAGE_DIR, as storage keys. */
export async function storedPreviews(storageDir: string): Promise<string[]> {
  return (await everyStoredFile(storageDir)).filter((key) => key.startsWith('thumbs/'));
}

/** Every file under a local STORAGE_DIR (outputs and previews), as storage keys (staging folders left out). */
export async function everyStoredFile(storageDir: string): Promise<string[]> {
  const entries = await readdir(storageDir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(storageDir, join(entry.parentPath, entry.name)))
    .filter((key) => !key.startsWith('.incoming'))
    .sort();
}
