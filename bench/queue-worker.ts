/**
 * One worker process of the bench's queue phase (bench/queue-phase.ts, bench/queue-backlog.ts): the
 * service's own queue (LeaseStore, LeasedImageQueue, PostgresWakeSignal, or on a SQLite file the
 * in-process signal and the WAL checkpointer) consuming with the service's own ImageProcessor,
 * whose download, sharp pipeline and storage do nothing. So each image costs what the queue and the
 * completion path cost: its share of a batched claim, then its share of the OutcomeRecorder's batched
 * transaction that marks finished images done (FinishedImages.markDone) and counts them per request
 * (TasksService.recordImageOutcome), completing a request on its last image.
 *
 * Configured like the service (DATABASE_URL, CONCURRENCY, QUEUE_POLL_MS…); prints `ready` once it is
 * consuming, and on SIGTERM gives its leases back, prints `claim-ms {...}` (how long each claim
 * took, in ms) and `statements N` (the statements it sent PostgreSQL, `BEGIN` and `COMMIT` included)
 * and exits.
 */
import 'reflect-metadata';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../src/config/app-config.js';
import { standaloneDataSourceOptions } from '../src/standalone-data-source.js';
import { type Transaction, UnitOfWork } from '../src/database/unit-of-work.js';
import { WalCheckpointer } from '../src/database/wal-checkpointer.js';
import { DomainEvents } from '../src/events.js';
import type { SafeHttpClient } from '../src/http/safe-http-client.js';
import type { ImageAdmission } from '../src/images/image-admission.js';
import { ImageProcessor } from '../src/images/image-processor.js';
import { ImageWorker } from '../src/images/image-worker.js';
import { DuplicateFanOut } from '../src/images/outcomes/duplicate-fan-out.js';
import { DuplicateImages } from '../src/images/outcomes/duplicate-images.js';
import { FinishedImages } from '../src/images/outcomes/finished-images.js';
import { OutcomeRecorder } from '../src/images/outcomes/outcome-recorder.js';
import { OutcomeTransaction } from '../src/images/outcomes/outcome-transaction.js';
import { TaskCompletion } from '../src/images/outcomes/task-completion.js';
import { LeasedImageQueue } from '../src/images/queue/leased-image-queue.js';
import { LeaseStore } from '../src/images/queue/lease-store.js';
import { LocalWakeSignal } from '../src/images/queue/local-wake-signal.js';
import { PostgresWakeSignal } from '../src/images/queue/postgres-wake-signal.js';
import { RenditionOutputs } from '../src/images/renditions/rendition-outputs.js';
import { ReuseLedger } from '../src/images/reuse/reuse-ledger.js';
import { SourceMemory } from '../src/images/reuse/source-memory.js';
import { SourceReuse } from '../src/images/reuse/source-reuse.js';
import { Metrics } from '../src/metrics/metrics.js';
import type { Storage } from '../src/storage/storage.js';
import { QueueCounters } from '../src/tasks/queue-counters.js';
import { Task } from '../src/tasks/task.entity.js';
import { TasksService } from '../src/tasks/tasks.service.js';
import { WebhookOutbox } from '../src/webhooks/webhook-outbox.js';
import { StorageHealth } from '../src/storage/storage-health.js';

/**
 * Times the claims (the queue's runStatements; a claim's result is its list of claimed images, maybe
 * empty): the claim's statements alone, and (PostgreSQL) the whole, from taking a connection to giving
 * it back. On SQLite the whole would include the wait behind the recorder's transactions (one
 * connection, one transaction at a time).
 */
class ClaimTimingUnitOfWork extends UnitOfWork {
  readonly statementsMs: number[] = [];
  readonly wholeMs: number[] = [];

  override async runStatements<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    const start = performance.now();
    const result = await super.runStatements(async (tx) => {
      const begun = performance.now();
      const claimed = await work(tx);
      if (Array.isArray(claimed)) this.statementsMs.push(round(performance.now() - begun));
      return claimed;
    });
    if (Array.isArray(result) && config.database.isPostgres)
      this.wholeMs.push(round(performance.now() - start));
    return result;
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/** Every statement node-postgres sends, on any connection of this process. */
let statements = 0;
const query = Reflect.get(pg.Client.prototype, 'query') as (this: pg.Client, ...args: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  statements++;
  return query.apply(this, args);
} as typeof pg.Client.prototype.query;

const config = loadConfig(process.env);
const dataSource = await new DataSource(standaloneDataSourceOptions(config)).initialize();
const unitOfWork = new ClaimTimingUnitOfWork(dataSource);
const counters = new QueueCounters(config, dataSource);
const leases = new LeaseStore(config, counters);
const signal = config.database.isPostgres
  ? new PostgresWakeSignal(dataSource, config)
  : new LocalWakeSignal();
const checkpointer = new WalCheckpointer(config);
checkpointer.onModuleInit();
const storage = { put: async () => undefined, remove: async () => undefined } as unknown as Storage;
const storageHealth = new StorageHealth(storage, config);
const queue = new LeasedImageQueue(leases, signal, unitOfWork, storageHealth, config);

// The I/O of an image, done in no time: its URL's bytes downloaded (distinct sources: none is reused
// by its content), one byte "converted" and "stored".
const bytes = Buffer.from([0xff]);
const http = {
  download: async (url: string) => ({
    body: Buffer.from(url),
    validators: { etag: null, lastModified: null },
  }),
} as unknown as SafeHttpClient;
const admission = {
  encode: async () => ({ data: bytes, format: 'jpeg', quality: 50, score: null }),
} as unknown as ImageAdmission;

const fanOut = new DuplicateFanOut(new DuplicateImages(config), unitOfWork, config);
const completion = new TaskCompletion(
  new TasksService(dataSource.getRepository(Task), counters),
  new WebhookOutbox(config),
  new DomainEvents(new EventEmitter2()),
);
const recorder = new OutcomeRecorder(
  new OutcomeTransaction(new FinishedImages(), fanOut, completion, unitOfWork, new ReuseLedger(config)),
  fanOut,
  config,
);
const metrics = new Metrics();
const processor = new ImageProcessor(
  http,
  admission,
  storage,
  storageHealth,
  recorder,
  queue,
  config,
  metrics,
  new RenditionOutputs(admission, storage, metrics),
  new SourceReuse(new SourceMemory(unitOfWork, config), config),
);

await new ImageWorker(queue, processor).onApplicationBootstrap();
process.stdout.write('ready\n');

process.once('SIGTERM', () => {
  void (async () => {
    await queue.beforeApplicationShutdown();
    await (signal as Partial<PostgresWakeSignal>).onApplicationShutdown?.();
    await checkpointer.onApplicationShutdown();
    process.stdout.write(
      `claim-ms ${JSON.stringify({ statements: unitOfWork.statementsMs, whole: unitOfWork.wholeMs })}\nstatements ${statements}\n`,
    );
    await dataSource.destroy();
    process.exit(0);
  })();
});
