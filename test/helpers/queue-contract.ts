import { randomUUID } from 'node:crypto';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { type AppConfig, loadConfig } from '../../src/config/app-config.js';
import type { OutputOptions } from '../../src/config/output-options.js';
import { standaloneDataSourceOptions } from '../../src/standalone-data-source.js';
import { bulkInsert, execute, type SqlResult } from '../../src/database/sql.js';
import { IMAGE_COLUMNS, IMAGE_SHARED_COLUMNS } from '../../src/images/upload-columns.js';
import { UnitOfWork } from '../../src/database/unit-of-work.js';
import { DomainEvent, DomainEvents, type RequestCompletedEvent } from '../../src/events.js';
import { FailedImageRetry } from '../../src/images/failed-image-retry.js';
import { NEVER } from '../../src/images/image.entity.js';
import { DuplicateFanOut } from '../../src/images/outcomes/duplicate-fan-out.js';
import { DuplicateImages } from '../../src/images/outcomes/duplicate-images.js';
import { FinishedImages } from '../../src/images/outcomes/finished-images.js';
import type { ImageOutcome } from '../../src/images/outcomes/image-outcome.js';
import { OutcomeRecorder } from '../../src/images/outcomes/outcome-recorder.js';
import { ReuseLedger } from '../../src/images/reuse/reuse-ledger.js';
import { OutcomeTransaction } from '../../src/images/outcomes/outcome-transaction.js';
import { TaskCompletion } from '../../src/images/outcomes/task-completion.js';
import { outputKeyOf } from '../../src/images/output-key.js';
import type { ClaimedImage, ImageHandler, ImageQueue } from '../../src/images/queue/image-queue.js';
import { LeasedImageQueue } from '../../src/images/queue/leased-image-queue.js';
import { LeaseStore } from '../../src/images/queue/lease-store.js';
import { LocalWakeSignal } from '../../src/images/queue/local-wake-signal.js';
import { PostgresWakeSignal } from '../../src/images/queue/postgres-wake-signal.js';
import type { WakeSignal } from '../../src/images/queue/wake-signal.js';
import { StorageHealth } from '../../src/storage/storage-health.js';
import type { Storage } from '../../src/storage/storage.js';
import { QueueCounters } from '../../src/tasks/queue-counters.js';
import { QueueQuota } from '../../src/tasks/queue-quota.js';
import { Task } from '../../src/tasks/task.entity.js';
import { TasksService } from '../../src/tasks/tasks.service.js';
import { WebhookOutbox } from '../../src/webhooks/webhook-outbox.js';
import { QUEUE_SUMMARY_MISMATCHES } from './queue-summary.js';
import { eventually } from './test-app.js';

/** One queue driver under test: a database (with the schema migrated) and a way to make its parts. */
interface Driver {
  config: AppConfig;
  /** The same configuration with some variables set otherwise. */
  configWith(variables: Record<string, string>): AppConfig;
  dataSource: DataSource;
  counters: QueueCounters;
  leases: LeaseStore;
  /** A wake signal as a separate process would have it (same object in-process, own connection on PostgreSQL). */
  signal(): WakeSignal;
}

/** The API keys the seeded requests belong to; HEAVY weighs 3 (API_KEY_WEIGHTS). */
const OWNER = 'contract-key';
const HEAVY = 'heavy-key';
const API_KEYS = [OWNER, HEAVY, 'a-key', 'b-key']
  .map((name, i) => `${name}:${String(i).repeat(24)}`)
  .join(',');

async function openDriver(databaseUrl: string | undefined, dataDir: string): Promise<Driver> {
  const env = {
    DATA_DIR: dataDir,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    CONCURRENCY: '4',
    LEASE_MS: '1500',
    // Longer than any wait below: a test that passes was woken by the signal, not by the poll.
    QUEUE_POLL_MS: '60000',
    SHUTDOWN_GRACE_MS: '0',
    // Small, so that batches are split and at most 8 images wait for their recording.
    RECORD_BATCH_SIZE: '4',
    API_KEYS,
    API_KEY_WEIGHTS: `${HEAVY}=3`,
  };
  const config = loadConfig(env);
  const dataSource = await new DataSource(standaloneDataSourceOptions(config)).initialize();
  const local = new LocalWakeSignal();
  const counters = new QueueCounters(config, dataSource);
  return {
    config,
    configWith: (variables) => loadConfig({ ...env, ...variables }),
    dataSource,
    counters,
    leases: new LeaseStore(config, counters),
    signal: () => (config.database.isPostgres ? new PostgresWakeSignal(dataSource, config) : local),
  };
}

/** Runs one statement (`?` placeholders) in its own transaction, through the project's SQL helper. */
function run(dataSource: DataSource, sql: string, parameters: unknown[] = []): Promise<SqlResult<any>> {
  return new UnitOfWork(dataSource).run((tx) => execute(tx.manager, sql, parameters));
}

const DEFAULT_OUTPUT: OutputOptions = { format: 'jpeg', quality: 50, maxWidth: null, maxHeight: null };
const AVIF: OutputOptions = { ...DEFAULT_OUTPUT, format: 'avif' };

/**
 * A stored request with `count` queued images (rows are what the queue reads; products are not needed),
 * counted in the queue's summary as an upload counts them.
 */
async function seedRequest(
  driver: Driver,
  count: number,
  { createdAt = Date.now(), owner = OWNER, output = DEFAULT_OUTPUT } = {},
): Promise<string[]> {
  const taskId = randomUUID();
  const ids = Array.from({ length: count }, () => randomUUID());
  await new UnitOfWork(driver.dataSource).run(async (tx) => {
    await execute(
      tx.manager,
      `INSERT INTO tasks (id, owner, status, total_images, processed_images, failed_images, csv_headers, content_hash, created_at, output_options)
       VALUES (?, ?, 'processing', ?, 0, 0, '[]', 'x', ?, ?)`,
      [taskId, owner, count, createdAt, JSON.stringify(output)],
    );
    await bulkInsert(
      tx.manager,
      'images',
      IMAGE_COLUMNS,
      ids.map((id, position) => [id, 2, position, 'http://example.test/x.jpg', Date.now(), null]),
      { columns: IMAGE_SHARED_COLUMNS, values: [taskId, 'queued', 0] },
    );
    await driver.counters.queued(
      tx,
      { id: taskId, queueOwner: owner, createdAt, outputOptions: output },
      count,
    );
  });
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
      if (driver.config.database.isPostgres)
        await run(driver.dataSource, 'TRUNCATE images, tasks, webhook_deliveries, queue_tasks, queue_owners');
      await driver.dataSource.destroy();
      await rm(dataDir, { recursive: true, force: true });
    });

    function makeQueue(config = driver.config, leases = driver.leases): LeasedImageQueue {
      const signal = driver.signal();
      signals.push(signal);
      const queue = new LeasedImageQueue(
        leases,
        signal,
        new UnitOfWork(driver.dataSource),
        // Storage is never down here: the queue claims whenever work is due.
        new StorageHealth({} as Storage, config),
        config,
      );
      queues.push(queue);
      return queue;
    }

    /** The service's recorder of outcomes (batched; per-request counters, the queue's summary, completions). */
    function makeRecorder(emitter = new EventEmitter2(), config = driver.config): OutcomeRecorder {
      const unitOfWork = new UnitOfWork(driver.dataSource);
      const fanOut = new DuplicateFanOut(new DuplicateImages(driver.config), unitOfWork, driver.config);
      const completion = new TaskCompletion(
        new TasksService(driver.dataSource.getRepository(Task), driver.counters),
        new WebhookOutbox(driver.config),
        new DomainEvents(emitter),
      );
      const transaction = new OutcomeTransaction(
        new FinishedImages(),
        fanOut,
        completion,
        unitOfWork,
        new ReuseLedger(driver.config),
      );
      return new OutcomeRecorder(transaction, fanOut, config);
    }

    const doneOutcome = (image: ClaimedImage): ImageOutcome => ({
      kind: 'done',
      image,
      result: {
        outputKey: outputKeyOf(image.id, 'jpeg'),
        inputBytes: 100,
        outputBytes: 10,
        outputQuality: 50,
        outputScore: null,
      },
    });

    /**
     * A handler that records each image done through the recorder, like the real processor: its work
     * (`working`, counted) done, it gives up its worker slot and waits for its recording.
     */
    function recordingHandler(seen: string[], working = { now: 0, max: 0 }): ImageHandler {
      const recorder = makeRecorder();
      return async (image, slot) => {
        working.max = Math.max(working.max, ++working.now);
        seen.push(image.id);
        await new Promise((done) => setTimeout(done, 5));
        working.now--;
        slot.release();
        await recorder.record(doneOutcome(image));
      };
    }

    /** The queue's summary disagrees with the images nowhere. */
    async function expectExactSummary(): Promise<void> {
      expect((await run(driver.dataSource, QUEUE_SUMMARY_MISMATCHES)).records).toEqual([]);
    }

    /** Claims `batches` times `limit` images, nothing finishing meanwhile; returns them in claim order. */
    async function claimBatches(batches: number, limit: number): Promise<ClaimedImage[]> {
      const claimed: ClaimedImage[] = [];
      for (let batch = 0; batch < batches; batch++)
        claimed.push(
          ...(await new UnitOfWork(driver.dataSource).run((tx) => driver.leases.claim(tx, limit))),
        );
      return claimed;
    }

    const countBy = (images: ClaimedImage[], key: (image: ClaimedImage) => string) => {
      const counts: Record<string, number> = {};
      for (const image of images) counts[key(image)] = (counts[key(image)] ?? 0) + 1;
      return counts;
    };

    it('hands every queued image to the handler exactly once, CONCURRENCY at a time at most', async () => {
      const ids = await seedRequest(driver, 40);
      const seen: string[] = [];
      const working = { now: 0, max: 0 };
      await makeQueue().work(recordingHandler(seen, working));
      await eventually(() => seen.length === 40 || undefined, 20_000);
      expect([...seen].sort()).toEqual([...ids].sort());
      expect(working.max).toBeLessThanOrEqual(driver.config.workers.concurrency);
      await eventually(
        async () =>
          (await run(driver.dataSource, "SELECT COUNT(*) AS n FROM images WHERE status = 'done'")).records[0]
            .n == 40 || undefined,
        10_000,
      );
      await expectExactSummary();
    });

    it('leases further ahead when images are quick (up to RECORD_BATCH_SIZE), telling the listener of each claim first', async () => {
      const ids = await seedRequest(driver, 300);
      // A client's share as large as the claims may grow: RECORD_BATCH_SIZE is the bound under test.
      const config = driver.configWith({
        RECORD_BATCH_SIZE: '32',
        CLAIM_AHEAD_MS: '1000',
        MAX_OWNER_COST_IN_FLIGHT: '64',
      });
      const { concurrency, recordBatchSize } = config.workers;
      const leases = new LeaseStore(config, driver.counters);
      const claims = vi.spyOn(leases, 'claim');
      const told = new Set<string>();
      const untold: string[] = [];
      const seen: string[] = [];
      const handle = recordingHandler(seen);
      await makeQueue(config, leases).work(
        (image, slot) => {
          if (!told.has(image.id)) untold.push(image.id);
          return handle(image, slot);
        },
        (images) => images.forEach((image) => told.add(image.id)),
      );
      await eventually(() => seen.length === 300 || undefined, 20_000);
      expect([...seen].sort()).toEqual([...ids].sort());
      expect(untold).toEqual([]);
      const limits = claims.mock.calls.map(([, limit]) => limit);
      const sizes = claims.mock.settledResults.map((claim) =>
        claim.type === 'fulfilled' ? claim.value.length : 0,
      );
      // The first claim knows no pace: CONCURRENCY ahead. Quick images then take bigger claims.
      expect(limits[0]).toBe(2 * concurrency);
      expect(Math.max(...sizes)).toBeGreaterThan(2 * concurrency);
      expect(Math.max(...limits)).toBeLessThanOrEqual(concurrency + recordBatchSize);
      await expectExactSummary();
    });

    it('frees the slot of an image that waits only for its recording, up to 2 × RECORD_BATCH_SIZE waiting', async () => {
      const ids = await seedRequest(driver, 40);
      const { concurrency, recordBatchSize } = driver.config.workers;
      const started: string[] = [];
      const waiting: Array<() => void> = [];
      const claims = vi.spyOn(driver.leases, 'claim');
      await makeQueue().work(async (image, slot) => {
        started.push(image.id);
        slot.release();
        await new Promise<void>((recorded) => waiting.push(recorded)); // a recording that takes its time
      });
      // The recording room is full and the buffer (2 × CONCURRENCY) too: no claim under way.
      await eventually(() => {
        const results = claims.mock.settledResults;
        const leased = results.reduce(
          (sum, claim) => sum + (claim.type === 'fulfilled' ? claim.value.length : 0),
          0,
        );
        const settled = results.every((claim) => claim.type !== 'incomplete');
        return (leased === 2 * recordBatchSize + 2 * concurrency && settled) || undefined;
      }, 10_000);
      await new Promise((turn) => setImmediate(turn));
      // Beyond CONCURRENCY (their slots were freed), but no more than the recording room.
      expect(started).toHaveLength(2 * recordBatchSize);
      expect(2 * recordBatchSize).toBeGreaterThan(concurrency);
      await eventually(() => {
        for (const recorded of waiting.splice(0)) recorded();
        return started.length === 40 || undefined;
      }, 10_000);
      expect([...started].sort()).toEqual([...ids].sort());
    });

    it('claims nothing while the recording room is full and images wait in the buffer', async () => {
      const { recordBatchSize } = driver.config.workers;
      await seedRequest(driver, 2 * recordBatchSize + 1);
      const claims = vi.spyOn(driver.leases, 'claim');
      const waiting: Array<() => void> = [];
      await makeQueue().work(async (_image, slot) => {
        slot.release();
        await new Promise<void>((recorded) => waiting.push(recorded)); // a slow recording
      });
      const settled = () => claims.mock.settledResults.every((claim) => claim.type !== 'incomplete');
      const leased = () =>
        claims.mock.settledResults.reduce(
          (sum, claim) => sum + (claim.type === 'fulfilled' ? claim.value.length : 0),
          0,
        );
      // The room is full, the last image waits in the buffer: no claim under way, none looping.
      await eventually(() => (leased() === 2 * recordBatchSize + 1 && settled()) || undefined, 10_000);
      const claimsMade = claims.mock.calls.length;
      for (let turn = 0; turn < 3; turn++) await new Promise((next) => setImmediate(next));
      expect(claims.mock.calls.length).toBe(claimsMade);
      expect(claimsMade).toBeLessThanOrEqual(3);
      expect(waiting).toHaveLength(2 * recordBatchSize);
      waiting.splice(0).forEach((recorded) => recorded());
      await eventually(() => waiting.length === 1 || undefined, 10_000);
      waiting.splice(0).forEach((recorded) => recorded());
    });

    it('gives slots retaken after their release within CONCURRENCY', async () => {
      const ids = await seedRequest(driver, 12);
      const { concurrency } = driver.config.workers;
      const holding = { now: 0, max: 0 };
      const order: string[] = [];
      const recordings: Array<() => void> = [];
      const retaken = new Set<string>();
      await makeQueue().work(async (image, slot) => {
        order.push(`start ${image.id}`);
        slot.release();
        await new Promise<void>((recorded) => recordings.push(recorded));
        if (retaken.size >= 2 * concurrency) return; // more than CONCURRENCY are made again
        retaken.add(image.id);
        await slot.retake();
        order.push(`retook ${image.id}`);
        holding.max = Math.max(holding.max, ++holding.now);
        await new Promise((done) => setTimeout(done, 20));
        holding.now--;
      });
      await eventually(() => {
        recordings.splice(0).forEach((recorded) => recorded());
        return order.filter((step) => step.startsWith('start')).length === 12 || undefined;
      }, 10_000);
      await eventually(
        () => order.filter((step) => step.startsWith('retook')).length === 2 * concurrency || undefined,
      );
      expect(holding.max).toBeLessThanOrEqual(concurrency);
      expect(
        order
          .filter((step) => step.startsWith('start'))
          .map((step) => step.slice(6))
          .sort(),
      ).toEqual([...ids].sort());
    });

    it('is fair across requests: a small request queued behind a large one is served in the first batch', async () => {
      await seedRequest(driver, 200, { createdAt: Date.now() - 60_000 });
      const small = await seedRequest(driver, 3);
      const seen: string[] = [];
      await makeQueue().work(recordingHandler(seen));
      await eventually(() => small.every((id) => seen.includes(id)) || undefined, 20_000);
      // FIFO would hand over all 200 first; a fair claim serves the small request in its first batch.
      expect(Math.max(...small.map((id) => seen.indexOf(id)))).toBeLessThan(
        2 * driver.config.workers.concurrency,
      );
    });

    it('wakes an idle worker when work is queued (the poll is 60 s here)', async () => {
      const seen: string[] = [];
      const claims = vi.spyOn(driver.leases, 'claim');
      const worker = makeQueue();
      await worker.work(recordingHandler(seen));
      const producer: ImageQueue = makeQueue(); // as an API process would: enqueue only
      // The worker is idle: its claim found nothing (it now waits for a wake-up or the 60 s poll).
      await eventually(() =>
        claims.mock.settledResults.some((claim) => claim.type === 'fulfilled' && claim.value.length === 0),
      );
      expect(seen).toEqual([]);
      const ids = await seedRequest(driver, 3);
      await producer.enqueue('the request of these images');
      await eventually(() => seen.length === 3 || undefined, 10_000);
      expect([...seen].sort()).toEqual([...ids].sort());
    });

    it('gives back the images it holds at shutdown, and takes back images whose lease expired', async () => {
      const ids = await seedRequest(driver, 6);
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
      await expectExactSummary();

      // A worker that died holding a lease: once the lease runs out, another worker takes the image.
      const [abandoned] = await new UnitOfWork(driver.dataSource).run((tx) => driver.leases.claim(tx, 1));
      expect(abandoned).toMatchObject({ owner: OWNER, leaseExpiries: 0 });
      const seen: string[] = [];
      const expiries = new Map<string, number>();
      const record = recordingHandler(seen);
      await makeQueue().work((image, slot) => {
        expiries.set(image.id, image.leaseExpiries);
        return record(image, slot);
      });
      await eventually(() => seen.length === 6 || undefined, 20_000);
      expect([...seen].sort()).toEqual([...ids].sort());
      // The expiry is counted (MAX_LEASE_EXPIRIES); the shutdown's release above was not.
      expect([...expiries].filter(([, count]) => count > 0)).toEqual([[abandoned.id, 1]]);
      await eventually(
        async () =>
          (await run(driver.dataSource, "SELECT COUNT(*) AS n FROM images WHERE status = 'done'")).records[0]
            .n == 6 || undefined,
        10_000,
      );
      await expectExactSummary();
    });

    it('takes back an image given back with retryLater: again at once after no delay (its attempt given back on request), not before a delay', async () => {
      const [again, notCounted, later] = await seedRequest(driver, 3);
      const unavailable = { code: 'http_503', message: 'HTTP 503 Service Unavailable' };
      const attempts = new Map<string, number[]>();
      const seen: string[] = [];
      const record = recordingHandler(seen);
      const queue = makeQueue();
      const before = Date.now();
      await queue.work(async (image, slot) => {
        const ofImage = [...(attempts.get(image.id) ?? []), image.attempts];
        attempts.set(image.id, ofImage);
        if (ofImage.length > 1) return record(image, slot);
        if (image.id === later) return queue.retryLater(image, 60_000, unavailable);
        const countAttempt = image.id !== notCounted;
        await queue.retryLater(image, 0, unavailable, { countAttempt });
      });
      await eventually(() => seen.length === 2 || undefined, 10_000);
      expect([...seen].sort()).toEqual([again, notCounted].sort());
      expect(Object.fromEntries(attempts)).toEqual({ [again]: [1, 2], [notCounted]: [1, 1], [later]: [1] });
      const { records } = await run(
        driver.dataSource,
        'SELECT status, error_code, available_at FROM images WHERE id = ?',
        [later],
      );
      expect(records[0]).toMatchObject({ status: 'queued', error_code: 'http_503' });
      expect(Number(records[0].available_at)).toBeGreaterThanOrEqual(before + 60_000);
      // Not due yet: a claim leaves it where it is.
      expect(await new UnitOfWork(driver.dataSource).run((tx) => driver.leases.claim(tx, 10))).toEqual([]);
      await expectExactSummary();
    });

    it('lets outcomes that arrive while a batch is written wait out RECORD_BATCH_MS from their arrival, then share a batch', async () => {
      const ids = await seedRequest(driver, 3);
      const claimed = await new UnitOfWork(driver.dataSource).run((tx) => driver.leases.claim(tx, 3));
      expect(claimed.map((image) => image.id).sort()).toEqual([...ids].sort());
      let finishFirst!: () => void;
      const firstHeld = new Promise<void>((finish) => (finishFirst = finish));
      const recorder = makeRecorder(undefined, driver.configWith({ RECORD_BATCH_MS: '1000' }));
      const writes = spyOnFirstWriteOf(recorder, async (write) => {
        await firstHeld; // a slow commit
        return write();
      });
      try {
        const first = recorder.record(doneOutcome(claimed[0]));
        await eventually(() => writes.calls().length === 1 || undefined);
        const rest = claimed.slice(1).map((image) => recorder.record(doneOutcome(image)));
        finishFirst();
        await first;
        for (let turn = 0; turn < 5; turn++) await new Promise((next) => setImmediate(next));
        expect(writes.calls().length).toBe(1); // not written back to back with the first
        expect(await Promise.all(rest)).toEqual([true, true]);
        expect(writes.calls().map(([outcomes]) => outcomes.length)).toEqual([1, 2]);
      } finally {
        writes.restore();
      }
    });

    it('writes nothing during the pause after a failed batch, however soon outcomes arrive', async () => {
      await seedRequest(driver, 3);
      const claimed = await new UnitOfWork(driver.dataSource).run((tx) => driver.leases.claim(tx, 3));
      let fail!: (error: Error) => void;
      const recorder = makeRecorder(undefined, driver.configWith({ RECORD_BATCH_MS: '0' }));
      const writes = spyOnFirstWriteOf(recorder, () => new Promise((_, reject) => (fail = reject)));
      try {
        const first = recorder.record(doneOutcome(claimed[0]));
        await eventually(() => writes.calls().length === 1 || undefined);
        const second = recorder.record(doneOutcome(claimed[1])); // waits for the batch being written
        fail(new Error('database away'));
        await expect(first).rejects.toThrow('database away');
        const third = recorder.record(doneOutcome(claimed[2]));
        for (let turn = 0; turn < 5; turn++) await new Promise((next) => setImmediate(next));
        expect(writes.calls()).toHaveLength(1); // both wait out the pause
        expect(await Promise.all([second, third])).toEqual([true, true]);
        expect(writes.calls().map(([outcomes]) => outcomes.length)).toEqual([1, 2]);
      } finally {
        writes.restore();
      }
    });

    it('records a batch of finished images exactly once: per-request counts, duplicates, lost leases, one completion', async () => {
      const [a0, a1, a2] = await seedRequest(driver, 3);
      const [b0, b1] = await seedRequest(driver, 2);
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
      const claimed = await new UnitOfWork(driver.dataSource).run((tx) => driver.leases.claim(tx, 10));
      expect(claimed.map((image) => image.id).sort()).toEqual([a0, a1, a2, b0, b1].sort());
      // b1's lease ran out and the image went back to the queue: its outcome must not count.
      await new UnitOfWork(driver.dataSource).run((tx) => driver.leases.release(tx, [b1]));

      const emitter = new EventEmitter2();
      const completions: RequestCompletedEvent[] = [];
      emitter.on(DomainEvent.RequestCompleted, (event: RequestCompletedEvent) => completions.push(event));
      const recorder = makeRecorder(emitter);
      const byId = new Map(claimed.map((image) => [image.id, image]));
      const done = (id: string) => doneOutcome(byId.get(id)!);
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
      // Out of the queue's summary: A's images (its duplicate never counted), B's but the one requeued.
      expect(await driver.counters.statesOf([taskA, taskB])).toEqual(
        new Map([
          [taskA, { queuedImages: 0, inFlightImages: 0 }],
          [taskB, { queuedImages: 1, inFlightImages: 0 }],
        ]),
      );
      await expectExactSummary();
    });

    it('shares the workers between owners first: an owner with 6 requests gets what an owner with 1 gets', async () => {
      for (let request = 0; request < 6; request++) await seedRequest(driver, 10, { owner: 'a-key' });
      await seedRequest(driver, 60, { owner: 'b-key' });
      const claimed = await claimBatches(4, 3); // nothing finishes meanwhile
      // Fair between requests alone would give a-key 6 images in 7.
      expect(countBy(claimed, (image) => image.queueOwner)).toEqual({ 'a-key': 6, 'b-key': 6 });
      // Within an owner, still fair between its requests: a-key's 6 images come from its 6 requests.
      const ofA = claimed.filter((image) => image.queueOwner === 'a-key');
      expect(new Set(ofA.map((image) => image.taskId)).size).toBe(6);
      await expectExactSummary();
    });

    it('deals a claim of 16 in four turns: four requests of four clients, then the next four', async () => {
      for (let owner = 0; owner < 8; owner++) await seedRequest(driver, 10, { owner: `key-${owner}` });
      const [first, second] = [await claimBatches(1, 16), await claimBatches(1, 16)];
      const perRequest = (images: ClaimedImage[]) => Object.values(countBy(images, (image) => image.taskId));
      expect(perRequest(first)).toEqual([4, 4, 4, 4]);
      expect(perRequest(second)).toEqual([4, 4, 4, 4]);
      // Every client served once in the two claims: the second went to those with nothing in flight.
      expect(new Set([...first, ...second].map((image) => image.queueOwner)).size).toBe(8);
      await expectExactSummary();
    });

    it("deals again past requests waiting out a back-off: four clients' retries never empty a claim", async () => {
      const backedOff: string[] = [];
      // Four requests each: when one comes up short, the client's next takes its turn in the next deal.
      for (let owner = 0; owner < 4; owner++)
        for (let request = 0; request < 4; request++)
          backedOff.push(...(await seedRequest(driver, 1, { owner: `slow-${owner}` })));
      const leased = await claimBatches(1, 16);
      expect(leased.map((image) => image.id).sort()).toEqual([...backedOff].sort());
      const tooMany = { code: 'http_429', message: 'HTTP 429 Too Many Requests' };
      for (const image of leased)
        await new UnitOfWork(driver.dataSource).run((tx) =>
          driver.leases.retryLater(tx, image.id, 60_000, tooMany),
        );
      for (let owner = 0; owner < 4; owner++) await seedRequest(driver, 10, { owner: `ok-${owner}` });
      // The other clients served once (then given back), the back-off's are the least recently served:
      // with nothing in flight, the first deal is theirs, and none of their images is due.
      const served = await claimBatches(1, 16);
      expect(new Set(served.map((image) => image.queueOwner)).size).toBe(4);
      await new UnitOfWork(driver.dataSource).run((tx) =>
        driver.leases.release(
          tx,
          served.map((image) => image.id),
        ),
      );
      const claimed = await claimBatches(1, 16);
      expect(claimed).toHaveLength(16);
      expect(new Set(claimed.map((image) => image.queueOwner))).toEqual(
        new Set(['ok-0', 'ok-1', 'ok-2', 'ok-3']),
      );
      await expectExactSummary();
    });

    it('weighs owners by API_KEY_WEIGHTS: a key of weight 3 gets three images for one', async () => {
      await seedRequest(driver, 40, { owner: HEAVY });
      await seedRequest(driver, 40, { owner: OWNER });
      const claimed = await claimBatches(4, 4);
      expect(countBy(claimed, (image) => image.queueOwner)).toEqual({ [HEAVY]: 12, [OWNER]: 4 });
    });

    it('counts an image by the cost of its output options: one AVIF image weighs as much as 16 JPEG ones', async () => {
      await seedRequest(driver, 20, { owner: 'a-key', output: AVIF });
      await seedRequest(driver, 40, { owner: 'b-key' });
      // One claim of 12 (shared within it), then one of 4 (from the counters): the cost counts in both.
      const claimed = [...(await claimBatches(1, 12)), ...(await claimBatches(1, 4))];
      expect(countBy(claimed, (image) => `${image.queueOwner} ×${image.cost}`)).toEqual({
        'a-key ×16': 1,
        'b-key ×1': 15,
      });
      expect(claimed[0].outputOptions).toEqual(claimed[0].queueOwner === 'a-key' ? AVIF : DEFAULT_OUTPUT);
      await expectExactSummary();
    });

    it("holds at most MAX_OWNER_COST_IN_FLIGHT of one owner's images in a process: another client's images are not kept waiting", async () => {
      await seedRequest(driver, 8, { owner: 'a-key', output: AVIF });
      const avifStarted: string[] = [];
      const seen: string[] = [];
      let finishAvif!: () => void;
      const avifHeld = new Promise<void>((done) => (finishAvif = done));
      const record = recordingHandler(seen);
      const queue = makeQueue();
      await queue.work(async (image, slot) => {
        if (image.queueOwner === 'a-key') {
          avifStarted.push(image.id);
          await avifHeld;
        }
        await record(image, slot);
      });
      await eventually(() => avifStarted.length > 0 || undefined, 10_000);
      const jpeg = await seedRequest(driver, 3, { owner: 'b-key' });
      await queue.enqueue();
      await eventually(() => jpeg.every((id) => seen.includes(id)) || undefined, 10_000);
      // 16 per owner here (4 × CONCURRENCY 4): one AVIF image (cost 16) at a time, not CONCURRENCY of them.
      expect(avifStarted).toHaveLength(1);
      finishAvif();
      await eventually(() => seen.length === 11 || undefined, 20_000);
      expect(avifStarted).toHaveLength(8);
    });

    it('keeps the summary exact through every move: claim, retry later, release, expiry, outcomes, retry of failed images, deletion', async () => {
      const [first] = await seedRequest(driver, 6);
      const taskId = (await run(driver.dataSource, 'SELECT task_id FROM images WHERE id = ?', [first]))
        .records[0].task_id as string;
      const unitOfWork = new UnitOfWork(driver.dataSource);
      const claimed = await unitOfWork.run((tx) => driver.leases.claim(tx, 6));
      await unitOfWork.run((tx) =>
        driver.leases.retryLater(tx, claimed[0].id, 0, { code: 'http_503', message: 'HTTP 503' }),
      );
      await unitOfWork.run((tx) => driver.leases.release(tx, [claimed[1].id]));
      await run(driver.dataSource, 'UPDATE images SET lease_until = 1 WHERE id = ?', [claimed[2].id]);
      expect(await unitOfWork.run((tx) => driver.leases.requeueExpired(tx))).toBe(1);
      expect(await driver.counters.statesOf([taskId])).toEqual(
        new Map([[taskId, { queuedImages: 3, inFlightImages: 3 }]]),
      );
      await expectExactSummary();

      const recorder = makeRecorder();
      const failed = (image: ClaimedImage): ImageOutcome => ({
        kind: 'failed',
        image,
        failure: { code: 'http_404', message: 'HTTP 404 Not Found' },
        inputBytes: null,
      });
      await Promise.all(
        [failed(claimed[3]), doneOutcome(claimed[4]), doneOutcome(claimed[5])].map((outcome) =>
          recorder.record(outcome),
        ),
      );
      const rest = await unitOfWork.run((tx) => driver.leases.claim(tx, 6));
      expect(rest).toHaveLength(3);
      await Promise.all(rest.map((image) => recorder.record(doneOutcome(image))));
      await expectExactSummary();

      const tasks = new TasksService(driver.dataSource.getRepository(Task), driver.counters);
      const retry = new FailedImageRetry(
        tasks,
        new QueueQuota(tasks, driver.config),
        unitOfWork,
        new DomainEvents(new EventEmitter2()),
        driver.counters,
      );
      expect(await retry.retry(taskId, OWNER)).toMatchObject({ requeued_images: 1, status: 'processing' });
      expect(await driver.counters.statesOf([taskId])).toEqual(
        new Map([[taskId, { queuedImages: 1, inFlightImages: 0 }]]),
      );
      const [again] = await unitOfWork.run((tx) => driver.leases.claim(tx, 6));
      expect(again.id).toBe(claimed[3].id);
      await recorder.record(doneOutcome(again));
      await expectExactSummary();

      // A deleted request takes its row of the summary with it; its owner has nothing left counted.
      expect(await unitOfWork.run((tx) => tasks.deleteFinished(tx, taskId))).toBe(true);
      expect(await driver.counters.statesOf([taskId])).toEqual(new Map());
      expect(
        (await run(driver.dataSource, 'SELECT owner, queued_images, in_flight_cost FROM queue_owners'))
          .records,
      ).toEqual([{ owner: OWNER, queued_images: 0, in_flight_cost: 0 }]);
    });

    it("detects a request's completion exactly once when its last images are counted in parallel transactions", async () => {
      const [first] = await seedRequest(driver, 40);
      const taskId = (await run(driver.dataSource, 'SELECT task_id FROM images WHERE id = ?', [first]))
        .records[0].task_id as string;
      const tasks = new TasksService(driver.dataSource.getRepository(Task), driver.counters);
      const claimed = await claimBatches(3, 16); // an owner's 16 at most per claim here
      expect(claimed).toHaveLength(40);
      // Each image in its own transaction at once: a pool of connections on PostgreSQL, one queue on SQLite.
      const unitOfWork = new UnitOfWork(driver.dataSource);
      const finished = await Promise.all(
        claimed.map((image, index) =>
          unitOfWork.run(async (tx) => {
            await execute(tx.manager, "UPDATE images SET status = 'done' WHERE id = ?", [image.id]);
            const counts = { processed: 1, failed: index % 4 === 0 ? 1 : 0 };
            return tasks.recordImageOutcomes(tx, new Map([[taskId, counts]]), [taskId]);
          }),
        ),
      );
      expect(
        finished.flat().map((task) => [task.id, task.status, task.processedImages, task.failedImages]),
      ).toEqual([[taskId, 'completed_with_errors', 40, 10]]);
      await expectExactSummary();
    });
  });
}

type WriteResult = ReturnType<OutcomeTransaction['write']>;

/**
 * A spy on OutcomeTransaction.write that sees the recorder's own transaction alone: a recorder of an
 * earlier test may still be writing (its images' work outlives the test), and its writes are not this
 * one's. `first` stands in for that transaction's first write (`write` runs the real one); every other
 * write runs as ever. `calls`: the own transaction's writes.
 */
function spyOnFirstWriteOf(
  recorder: OutcomeRecorder,
  first: (write: () => WriteResult) => WriteResult,
): { calls: () => Array<Parameters<OutcomeTransaction['write']>>; restore: () => void } {
  const own = Reflect.get(recorder, 'transaction') as OutcomeTransaction;
  const write = Reflect.get(OutcomeTransaction.prototype, 'write') as OutcomeTransaction['write'];
  const writes = vi.spyOn(OutcomeTransaction.prototype, 'write');
  let replaced = false;
  writes.mockImplementation(function (this: OutcomeTransaction, outcomes) {
    const real = () => write.call(this, outcomes);
    if (this !== own || replaced) return real();
    replaced = true;
    return first(real);
  });
  return {
    calls: () => writes.mock.calls.filter((_, index) => writes.mock.contexts[index] === own),
    restore: () => writes.mockRestore(),
  };
}
