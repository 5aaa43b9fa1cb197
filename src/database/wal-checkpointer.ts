import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Worker } from 'node:worker_threads';
import { AppConfig } from '../config/app-config.js';
import { sqliteDriverPath } from './sqlite-driver.js';

/** How often the WAL is copied back into the database file. */
const CHECKPOINT_INTERVAL_MS = 1000;

/** Runs in a worker thread, on its own connection: a checkpoint never holds the main thread. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { timeout: 10000 });
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    parentPort.postMessage(String(error && error.message));
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * SQLite checkpoints the write-ahead log after the commit that grows it past 1,000 pages, in the
 * committing connection: after a large upload that copied hundreds of MB while the event loop waited
 * (~0.7 s for 500,000 images, seconds for a 49 MiB CSV). The main connection's automatic checkpoint
 * is off (data-source-options.ts) and this worker thread checkpoints every second instead (PASSIVE:
 * it never blocks readers or the writer).
 */
@Injectable()
export class WalCheckpointer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(WalCheckpointer.name);
  private worker?: Worker;

  constructor(private readonly config: AppConfig) {}

  onModuleInit(): void {
    if (this.config.isPostgres) return;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driver: sqliteDriverPath(),
        file: this.config.databaseUrl.replace(/^sqlite:\/\//, ''),
        intervalMs: CHECKPOINT_INTERVAL_MS,
      },
    });
    this.worker.on('message', (message: string) => this.logger.warn(`WAL checkpoint failed: ${message}`));
    this.worker.on('error', (error) => this.logger.warn(`WAL checkpointer stopped: ${error.message}`));
    this.worker.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    // Referenced again while it stops: an unreferenced worker and timer would let the process end
    // here, in the middle of Nest's shutdown, before it re-raises the signal.
    worker.ref();
    const exited = new Promise((done) => worker.once('exit', done));
    worker.postMessage('stop');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((done) => (timer = setTimeout(done, 2000)))]);
    clearTimeout(timer);
    await worker.terminate();
  }
}
