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
