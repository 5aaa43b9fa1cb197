import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageWorker } from '../../src/images/image-worker.js';
import { countRows } from './database-counts.js';
import { startTestApp, type TestApp } from './test-app.js';

/**
 * The real app with its image worker replaced by one that never claims work: uploads are parsed and
 * stored for real, but no image is ever downloaded. For fuzzing the upload, whose mutated URLs
 * could otherwise name any host.
 */
export function startAppWithoutWorker(env: Record<string, string> = {}): Promise<TestApp> {
  return startTestApp(env, {
    configure: (builder) =>
      builder.overrideProvider(ImageWorker).useValue({ onApplicationBootstrap: async () => undefined }),
  });
}

export interface StoredCounts {
  tasks: number;
  products: number;
  images: number;
  webhook_deliveries: number;
}

/** Row counts read straight from the SQLite file, read-only. */
export function storedCounts(service: TestApp): StoredCounts {
  return {
    tasks: countRows(service.dataDir, 'tasks'),
    products: countRows(service.dataDir, 'products'),
    images: countRows(service.dataDir, 'images'),
    webhook_deliveries: countRows(service.dataDir, 'webhook_deliveries'),
  };
}

/** Every file under STORAGE_DIR (none when it does not exist). */
export async function storedFiles(service: TestApp): Promise<string[]> {
  try {
    const entries = await readdir(service.config.storage.dir, { recursive: true, withFileTypes: true });
    return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
