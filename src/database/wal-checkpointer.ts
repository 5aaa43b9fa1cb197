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
/** { whole: every frame of the WAL is in the database file now } or { error }. */
const checkpoint = () => {
  try {
    const [{ busy, log, checkpointed }] = db.pragma('wal_checkpoint(PASSIVE)');
    return { whole: busy === 0 && checkpointed === log };
  } catch (error) {
    return { whole: false, error: String(error && error.message) };
  }
};
const timer = setInterval(() => {
  const { error } = checkpoint();
  if (error) parentPort.postMessage({ error });
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message.checkpoint !== undefined) {
    parentPort.postMessage({ done: message.checkpoint, ...checkpoint() });
    return;
  }
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
  private nextCheckpoint = 0;
  private readonly waiting = new Map<number, (whole: boolean) => void>();

  constructor(private readonly config: AppConfig) {}

  onModuleInit(): void {
    if (this.config.database.isPostgres) return;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driver: sqliteDriverPath(),
        file: this.config.database.url.replace(/^sqlite:\/\//, ''),
        intervalMs: CHECKPOINT_INTERVAL_MS,
      },
    });
    this.worker.on('message', (message: { done?: number; whole?: boolean; error?: string }) => {
      if (message.error) this.logger.warn(`WAL checkpoint failed: ${message.error}`);
      if (message.done !== undefined) this.settle(message.done, message.whole === true);
    });
    this.worker.on('error', (error) => this.logger.warn(`WAL checkpointer stopped: ${error.message}`));
    this.worker.on('exit', () => {
      // Checkpoints asked of a stopped worker would never be answered: none are asked any more.
      this.worker = undefined;
      this.settleAll();
    });
    this.worker.unref();
  }

  /**
   * Copies the WAL back into the database now and resolves when that is done (at once on PostgreSQL,
   * or once the checkpointer has stopped). A writer that commits without pause (a large upload's slices)
   * waits for it now and then: the timer's checkpoints never catch up with it, so the WAL would grow by
   * the whole upload (~1 GB for 1.1M images), and each COMMIT would slow down with it (from ~5 ms to
   * ~30 ms, and spells of ~80 ms as the kernel throttles the writes). After a checkpoint that copied
   * every frame, the next transaction starts the WAL over. Resolves true when this one did (no commit
   * came meanwhile, no reader held it back), false otherwise; it never rejects.
   */
  checkpoint(): Promise<boolean> {
    const worker = this.worker;
    if (!worker) return Promise.resolve(false);
    const id = this.nextCheckpoint++;
    return new Promise((done) => {
      this.waiting.set(id, done);
      worker.postMessage({ checkpoint: id });
    });
  }

  private settle(id: number, whole: boolean): void {
    this.waiting.get(id)?.(whole);
    this.waiting.delete(id);
  }

  private settleAll(): void {
    for (const done of this.waiting.values()) done(false);
    this.waiting.clear();
  }

  async onApplicationShutdown(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    this.settleAll();
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
