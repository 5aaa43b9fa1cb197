import type { INestApplication } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { AppModule } from '../../src/app.module.js';
import { AppConfig, loadConfig } from '../../src/config/app-config.js';
import { setupApp } from '../../src/setup-app.js';
import { freePort, listenOnLoopback } from './loopback-server.js';

export { freePort };

export interface TestApp {
  app: INestApplication;
  config: AppConfig;
  dataDir: string;
  http: ReturnType<typeof request>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Start on this DATA_DIR (to restart on the same data); it is then left in place by `close()`. */
  dataDir?: string;
  /** Adjusts the testing module, e.g. to replace a provider. */
  configure?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
}

/**
 * The real Nest app on a temporary DATA_DIR, listening on 127.0.0.1; private URLs allowed (unless `env`
 * says otherwise) so it can fetch the local fixtures. `close()` removes a DATA_DIR it made. The database
 * is the SQLite file in DATA_DIR, unless `env.DATABASE_URL` names another.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  options: TestAppOptions = {},
): Promise<TestApp> {
  const existingDataDir = options.dataDir;
  const dataDir = existingDataDir ?? (await mkdtemp(join(tmpdir(), 'pixelmill-test-')));
  // The server listens first, on the port the system picks, so the config can name that port (no other
  // process can take it between a lookup and the listen); the app is attached to it below.
  const server = createServer();
  const { port } = await listenOnLoopback(server);
  const config = loadConfig({
    DATA_DIR: dataDir,
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    ALLOW_PRIVATE_URLS: 'true',
    LOG_LEVEL: 'warn', // no line per HTTP request in test output
    RATE_LIMIT_UPLOADS_PER_MIN: '0', // suites post many uploads a minute; the limit has its own test
    READINESS_STORAGE_CACHE_MS: '0', // suites break and mend storage between calls; the cache has its own test
    ...env,
  });
  const builder = Test.createTestingModule({ imports: [AppModule.forConfig(config)] });
  const moduleRef = await (options.configure?.(builder) ?? builder)
    .compile()
    .catch(async (error: unknown) => {
      await new Promise((done) => server.close(done));
      throw error;
    });
  const adapter = new ExpressAdapter();
  const app = setupApp(moduleRef.createNestApplication(adapter, { logger: ['error', 'warn'] }), config);
  adapter.setHttpServer(server); // app.close() closes it
  server.on('request', adapter.getInstance());
  await app.init();
  return {
    app,
    config,
    dataDir,
    http: request(app.getHttpServer()),
    async close() {
      await app.close();
      if (!existingDataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls GET /status until the request is final or the deadline passes. */
export async function waitForCompletion(
  http: TestApp['http'],
  requestId: string,
  timeoutMs = 60_000,
): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await http.get(`/status/${requestId}`).expect(200);
    if (body.status !== 'processing') return body;
    if (Date.now() > deadline)
      throw new Error(`request ${requestId} still processing: ${JSON.stringify(body)}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

/** Polls until the check passes (returns a truthy value) or the deadline passes. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((done) => setTimeout(done, 50));
  }
}
