import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './loopback-server.js';
import { requireBuild, ServerProcess } from './server-process.js';

/** The built server writing JSON log lines, on a temporary DATA_DIR; `stop()` kills it and removes the folder. */
export interface JsonLogServer {
  server: ServerProcess;
  dataDir: string;
  /** Every JSON line the server printed so far (its other lines are not JSON: see the operations suite). */
  lines(): Array<Record<string, any>>;
  stop(): Promise<void>;
}

export async function startJsonLogServer(env: Record<string, string>): Promise<JsonLogServer> {
  requireBuild();
  const dataDir = await mkdtemp(join(tmpdir(), 'pixelmill-logs-'));
  const port = await freePort();
  const server = new ServerProcess(
    {
      DATA_DIR: dataDir,
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      ALLOW_PRIVATE_URLS: 'true',
      DOWNLOAD_RETRIES: '0',
      LOG_FORMAT: 'json',
      ...env,
    },
    port,
  );
  await server.start();
  return {
    server,
    dataDir,
    lines: () =>
      server.runs
        .join('')
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, any>),
    async stop() {
      await server.kill();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
