import { randomUUID } from 'node:crypto';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { type AppConfig, loadConfig } from '../../src/config/app-config.js';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import { bulkInsert, execute, type SqlResult } from '../../src/database/sql.js';
import { IMAGE_COLUMNS } from '../../src/images/upload-columns.js';
import { UnitOfWork } from '../../src/database/unit-of-work.js';
import { DomainEvent, DomainEvents, type RequestCompletedEvent } from '../../src/events.js';
import { Image, NEVER } from '../../src/images/image.entity.js';
import { ImagesService } from '../../src/images/images.service.js';
import { type ImageOutcome, OutcomeRecorder } from '../../src/images/outcome-recorder.js';
import { outputKeyOf } from '../../src/images/output-key.js';
import { Product } from '../../src/images/product.entity.js';
import type { ImageHandler, ImageQueue } from '../../src/images/queue/image-queue.js';
import { LeasedImageQueue } from '../../src/images/queue/leased-image-queue.js';
import { LeaseStore } from '../../src/images/queue/lease-store.js';
import { LocalWakeSignal } from '../../src/images/queue/local-wake-signal.js';
import { PostgresWakeSignal } from '../../src/images/queue/postgres-wake-signal.js';
import type { WakeSignal } from '../../src/images/queue/wake-signal.js';
import { StorageHealth } from '../../src/storage/storage-health.js';
import type { Storage } from '../../src/storage/storage.js';
import { Task } from '../../src/tasks/task.entity.js';
import { TasksService } from '../../src/tasks/tasks.service.js';
import { WebhookOutbox } from '../../src/webhooks/webhook-outbox.js';
import { eventually } from './test-app.js';

/** One queue driver under test: a database (with the schema migrated) and a way to make its parts. */
interface Driver {
  config: AppConfig;
  dataSource: DataSource;
  /** A wake signal as a separate process would have it (same object in-process, own connection on PostgreSQL). */
  signal(): WakeSignal;
}

async function openDriver(databaseUrl: string | undefined, dataDir: string): Promise<Driver> {
  const config = loadConfig({
    DATA_DIR: dataDir,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    CONCURRENCY: '4',
    LEASE_MS: '1500',
    // Longer than any wait below: a test that passes was woken by the signal, not by the poll.
    QUEUE_POLL_MS: '60000',
    SHUTDOWN_GRACE_MS: '0',
  });
  const dataSource = await new DataSource(dataSourceOptions(config)).initialize();
  const local = new LocalWakeSignal();
  return {
    config,
    dataSource,
    signal: () => (config.isPostgres ? new PostgresWakeSignal(dataSource, config) : local),
  };
}

/** Runs one statement (`?` placeholders) in its own transaction, through the project's SQL helper. */
function run(dataSource: DataSource, sql: string, parameters: unknown[] = []): Promise<SqlResult<any>> {
  return new UnitOfWork(dataSource).run((tx) => execute(tx.manager, sql, parameters));
}

/** The API key name every seeded request belongs to. */
const OWNER = 'contract-key';

/** A stored request with `count` queued images (rows are what the queue reads; products are not needed). */
async function seedRequest(dataSource: DataSource, count: number, createdAt = Date.now()): Promise<string[]> {
  const taskId = randomUUID();
  await run(
    dataSource,
    `INSERT INTO tasks (id, owner, status, total_images, processed_images, failed_images, csv_headers, content_hash, created_at)
     VALUES (?, ?, 'processing', ?, 0, 0, '[]', 'x', ?)`,
    [taskId, OWNER, count, createdAt],
  );
  const ids = Array.from({ length: count }, () => randomUUID());
  await new UnitOfWork(dataSource).run((tx) =>
    bulkInsert(
      tx.manager,
      'images',
      IMAGE_COLUMNS,
      ids.map((id, position) => [
        id,
        taskId,
        2,
        position,
        'http://example.test/x.jpg',
        'queued',
        0,
        Date.now(),
        null,
      ]),
    ),
  );
  return ids;
}

/**
 * The contract every image-queue driver passes (run against the embedded SQLite file and against
 * PostgreSQL): exactly-once hand-over, fairness across requests, waking idle workers, leases given back,
 * finished images recorded in batches exactly once.
 */
export function describeQueueContract(name: string, databaseUrl: () => Promise<string | undefined>): void {
  describe(`image queue contract: ${name}`, () => {
    let driver: Driver;
    let dataDir: string;
    const queues: LeasedImageQueue[] = [];
    const signals: WakeSignal[] = [];

    beforeEach(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'pixelmill-queue-'));
      driver = await openDriver(await databaseUrl(), dataDir);
    });

    afterEach(async () => {
      for (const queue of queues.splice(0)) await queue.beforeApplicationShutdown();
      for (const signal of signals.splice(0))
        await (signal as Partial<PostgresWakeSignal>).onApplicationShutdown?.();
      if (driver.config.isPostgres)
        await run(driver.dataSource, 'TRUNCATE images, tasks, webhook_deliveries');
      await driver.dataSource.destroy();
      await rm(dataDir, { recursive: true, force: true });
    });

    function makeQueue(): LeasedImageQueue {
      const signal = driver.signal();
      signals.push(signal);
      const queue = new LeasedImageQueue(
        new LeaseStore(driver.config),
        signal,
        new UnitOfWork(driver.dataSource),
        // Storage is never down here: the queue claims whenever work is due.
        new StorageHealth({} as Storage, driver.config),
        driver.config,
      );
      queues.push(queue);
      return queue;
    }

    /** A handler that records each image and marks it done, like the real processor's outcome. */
    function recordingHandler(seen: string[], inFlight = { now: 0, max: 0 }): ImageHandler {
      return async (image) => {
        inFlight.max = Math.max(inFlight.max, ++inFlight.now);
        seen.push(image.id);
        await new Promise((done) => setTimeout(done, 5));
        await run(driver.dataSource, "UPDATE images SET status = 'done', lease_until = NULL WHERE id = ?", [
          image.id,
        ]);
        inFlight.now--;
      };
    }

    it('hands every queued image to the handler exactly once, CONCURRENCY at a time at most', async () => {
      const ids = await seedRequest(driver.dataSource, 40);
      const seen: string[] = [];
      const inFlight = { now: 0, max: 0 };
      await makeQueue().work(recordingHandler(seen, inFlight));
      await eventually(() => seen.length === 40 || undefined, 20_000);
      expect([...seen].sort()).toEqual([...ids].sort());
      expect(inFlight.max).toBeLessThanOrEqual(driver.config.concurrency);
    });

    it('is fair across requests: a small request queued behind a large one is served in the first batch', async () => {
      await seedRequest(driver.dataSource, 200, Date.now() - 60_000);
      const small = await seedRequest(driver.dataSource, 3);
      const seen: string[] = [];
      await makeQueue().work(recordingHandler(seen));
      await eventually(() => small.every((id) => seen.includes(id)) || undefined, 20_000);
      // FIFO would hand over all 200 first; a fair claim serves the small request in its first batch.
      expect(Math.max(...small.map((id) => seen.indexOf(id)))).toBeLessThan(2 * driver.config.concurrency);
    });

    it('wakes an idle worker when work is queued (the poll is 60 s here)', async () => {
      const seen: string[] = [];
      const worker = makeQueue();
      await worker.work(recordingHandler(seen));
      const producer: ImageQueue = makeQueue(); // as an API process would: enqueue only
      await new Promise((done) => setTimeout(done, 300)); // the worker has found nothing and is idle
      expect(seen).toEqual([]);
      const ids = await seedRequest(driver.dataSource, 3);
      await producer.enqueue('the request of these images');
      await eventually(() => seen.length === 3 || undefined, 10_000);
      expect([...seen].sort()).toEqual([...ids].sort());
    });

    it('gives back the images it holds at shutdown, and takes back images whose lease expired', async () => {
      const ids = await seedRequest(driver.dataSource, 6);
      const started: string[] = [];
      const first = makeQueue();
      await first.work(async (image) => {
        started.push(image.id);
        await new Promise(() => undefined); // never finishes: a stuck worker
      });
      await eventually(() => started.length > 0 || undefined, 10_000);
      await first.beforeApplicationShutdown();
      const statuses = await run(driver.dataSource, 'SELECT status FROM images');
      expect(statuses.records.map((row: { status: string }) => row.status)).toEqual(ids.map(() => 'queued'));

      // A worker that died holding a lease: once the lease runs out, another worker takes the image.
      const [abandoned] = await new UnitOfWork(driver.dataSource).run((tx) =>
        new LeaseStore(driver.config).claim(tx, 1),
      );
      expect(abandoned).toMatchObject({ owner: OWNER, leaseExpiries: 0 });
      const seen: string[] = [];
      const expiries = new Map<string, number>();
      const record = recordingHandler(seen);
      await makeQueue().work((image) => {
        expiries.set(image.id, image.leaseExpiries);
        return record(image);
      });
      await eventually(() => seen.length === 6 || undefined, 20_000);
      expect([...seen].sort()).toEqual([...ids].sort());
      // The expiry is counted (MAX_LEASE_EXPIRIES); the shutdown's release above was not.
      expect([...expiries].filter(([, count]) => count > 0)).toEqual([[abandoned.id, 1]]);
    });

    it('records a batch of finished images exactly once: per-request counts, duplicates, lost leases, one completion', async () => {
      const [a0, a1, a2] = await seedRequest(driver.dataSource, 3);
      const [b0, b1] = await seedRequest(driver.dataSource, 2);
      const taskOf = async (imageId: string) =>
        (await run(driver.dataSource, 'SELECT task_id FROM images WHERE id = ?', [imageId])).records[0]
          .task_id as string;
      const [taskA, taskB] = [await taskOf(a0), await taskOf(b0)];
      // Request A also names a0's URL a second time (a duplicate, never claimed) and has a webhook.
      const duplicate = randomUUID();
      await run(
        driver.dataSource,
        `INSERT INTO images (id, task_id, row_number, position, input_url, status, attempts, available_at, duplicate_of)
         VALUES (?, ?, 3, 0, 'http://example.test/x.jpg', 'queued', 0, ?, ?)`,
        [duplicate, taskA, NEVER, a0],
      );
      await run(
        driver.dataSource,
        "UPDATE tasks SET total_images = 4, webhook_url = 'http://hooks.test/a' WHERE id = ?",
        [taskA],
      );
      const claimed = await new UnitOfWork(driver.dataSource).run((tx) =>
        new LeaseStore(driver.config).claim(tx, 10),
      );
      expect(claimed.map((image) => image.id).sort()).toEqual([a0, a1, a2, b0, b1].sort());
      // b1's lease ran out and the image went back to the queue: its outcome must not count.
      await run(driver.dataSource, "UPDATE images SET status = 'queued', lease_until = NULL WHERE id = ?", [
        b1,
      ]);

      const emitter = new EventEmitter2();
      const completions: RequestCompletedEvent[] = [];
      emitter.on(DomainEvent.RequestCompleted, (event: RequestCompletedEvent) => completions.push(event));
      const recorder = new OutcomeRecorder(
        new ImagesService(
          driver.dataSource.getRepository(Image),
          driver.dataSource.getRepository(Product),
          driver.config,
        ),
        new TasksService(driver.dataSource.getRepository(Task)),
        new WebhookOutbox(driver.config),
        new UnitOfWork(driver.dataSource),
        new DomainEvents(emitter),
        driver.config,
      );
      const byId = new Map(claimed.map((image) => [image.id, image]));
      const done = (id: string): ImageOutcome => ({
        kind: 'done',
        image: byId.get(id)!,
        result: {
          outputKey: outputKeyOf(id, 'jpeg'),
          inputBytes: 100,
          outputBytes: 10,
          outputQuality: 50,
          outputScore: null,
        },
      });
      const failed: ImageOutcome = {
        kind: 'failed',
        image: byId.get(a1)!,
        failure: { code: 'http_404', message: 'HTTP 404 Not Found' },
        inputBytes: null,
      };
      // Five outcomes at once with CONCURRENCY 4: a full batch, then the one that arrived meanwhile.
      const outcomes = [done(a0), failed, done(a2), done(b0), done(b1)];
      expect(await Promise.all(outcomes.map((outcome) => recorder.record(outcome)))).toEqual([
        true,
        true,
        true,
        true,
        false,
      ]);

      const images = await run(driver.dataSource, 'SELECT id, status, output_key FROM images');
      expect(
        Object.fromEntries(
          images.records.map((row: { id: string; status: string; output_key: string | null }) => [
            row.id,
            [row.status, row.output_key],
          ]),
        ),
      ).toEqual({
        [a0]: ['done', outputKeyOf(a0)],
        [a1]: ['failed', null],
        [a2]: ['done', outputKeyOf(a2)],
        [duplicate]: ['done', outputKeyOf(a0)],
        [b0]: ['done', outputKeyOf(b0)],
        [b1]: ['queued', null],
      });
      const tasks = await run(
        driver.dataSource,
        'SELECT id, status, processed_images, failed_images, input_bytes, output_bytes FROM tasks ORDER BY total_images',
      );
      // The byte totals count done images only, a duplicate as its original (PostgreSQL's bigint is a string).
      expect(
        tasks.records.map((row: Record<string, unknown>) => ({
          ...row,
          input_bytes: Number(row.input_bytes),
          output_bytes: Number(row.output_bytes),
        })),
      ).toEqual([
        {
          id: taskB,
          status: 'processing',
          processed_images: 1,
          failed_images: 0,
          input_bytes: 100,
          output_bytes: 10,
        },
        {
          id: taskA,
          status: 'completed_with_errors',
          processed_images: 4,
          failed_images: 1,
          input_bytes: 300,
          output_bytes: 30,
        },
      ]);
      expect(completions).toMatchObject([{ requestId: taskA, processedImages: 4, failedImages: 1 }]);
      const deliveries = await run(driver.dataSource, 'SELECT task_id FROM webhook_deliveries');
      expect(deliveries.records).toEqual([{ task_id: taskA }]);
    });
  });
}
