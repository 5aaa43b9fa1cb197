import type { TestingModuleBuilder } from '@nestjs/testing';
import { Test } from '@nestjs/testing';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { AppModule } from '../../src/app.module.js';
import { AppConfig, loadConfig } from '../../src/config/app-config.js';
import { InProcessImageQueue } from '../../src/images/queue/in-process-image-queue.js';
import { setupApp } from '../../src/setup-app.js';
import { countRows } from './database-counts.js';
import { freePort, type TestApp } from './test-app.js';

/**
 * Like startTestApp, with a hook on the testing module (to replace a provider). Private URLs are
 * allowed unless `env` says otherwise.
 */
export async function startAppWith(env: Record<string, string>, configure: (builder: TestingModuleBuilder) => TestingModuleBuilder = (b) => b): Promise<TestApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'pixelmill-hostile-'));
  const port = await freePort();
  const config = loadConfig({ DATA_DIR: dataDir, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, ALLOW_PRIVATE_URLS: 'true', ...env });
  const builder = Test.createTestingModule({ imports: [AppModule] }).overrideProvider(AppConfig).useValue(config);
  const moduleRef = await configure(builder).compile();
  const app = setupApp(moduleRef.createNestApplication({ logger: ['error'] }));
  await app.listen(port, '127.0.0.1');
  return {
    app,
    config,
    dataDir,
    http: request(app.getHttpServer()),
    async close() {
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The real app with its image worker replaced by one that never claims work: uploads are parsed and
 * stored for real, but no image is ever downloaded. For fuzzing the upload, whose mutated URLs
 * could otherwise name any host.
 */
export function startAppWithoutWorker(env: Record<string, string> = {}): Promise<TestApp> {
  return startAppWith(env, (builder) => builder.overrideProvider(InProcessImageQueue).useValue({ enqueue: async () => undefined }));
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
    const entries = await readdir(service.config.storageDir, { recursive: true, withFileTypes: true });
    return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
