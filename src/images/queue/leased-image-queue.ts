import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppConfig } from '../../config/app-config.js';
import { UnitOfWork } from '../../database/unit-of-work.js';
import { LogContext } from '../../logging/log-context.js';
import { StorageHealth } from '../../storage/storage-health.js';
import {
  type ClaimListener,
  type ClaimedImage,
  type ImageFailure,
  type ImageHandler,
  ImageQueue,
  type WorkerSlot,
} from './image-queue.js';
import { ClaimPace } from './claim-pace.js';
import { LeaseStore } from './lease-store.js';
import { WakeSignal } from './wake-signal.js';

/** A leased image being worked on or recorded; `slot`: it still holds one of the CONCURRENCY worker slots. */
interface InFlight {
  image: ClaimedImage;
  work: Promise<void>;
  slot: boolean;
}

/**
 * The queue is the images table: each worker process works on up to CONCURRENCY queued images at a
 * time (fairly between owners, then requests, see LeaseStore.claim), renews their leases while it works
 * and until they are recorded (a recording holds no worker slot, up to 2 × RECORD_BATCH_SIZE), and takes
 * back images whose lease expired (their worker died). On the embedded SQLite file it is the only
 * worker; on PostgreSQL any number of processes share the work (claims skip rows locked by a
 * neighbour), woken by the WakeSignal when work is queued, polling as a safety net. While storage is
 * known to be down it claims nothing (see pauseForStorage).
 */
@Injectable()
export class LeasedImageQueue extends ImageQueue implements BeforeApplicationShutdown {
  private readonly logger = new Logger(LeasedImageQueue.name);
  private readonly inFlight = new Map<string, InFlight>();
  /** Images in flight that hold a worker slot (the others wait only for their recording). */
  private working = 0;
  private readonly buffered: ClaimedImage[] = [];
  /** Images in flight waiting to retake a slot: served before the buffer. */
  private readonly retaking: Array<() => void> = [];
  private handler?: ImageHandler;
  private claimListener?: ClaimListener;
  /** The claim under way, if any: one at a time. */
  private claiming?: Promise<void>;
  private refillRequested = false;
  /** Set while storage is down: nothing is claimed or started until it is writable again. */
  private storagePause?: Promise<void>;
  private stopped = false;
  private idleTimer?: NodeJS.Timeout;
  private leaseTimer?: NodeJS.Timeout;
  private readonly pace: ClaimPace;

  constructor(
    private readonly leases: LeaseStore,
    private readonly signal: WakeSignal,
    private readonly unitOfWork: UnitOfWork,
    private readonly storageHealth: StorageHealth,
    private readonly config: AppConfig,
  ) {
    super();
    const { claimAheadMs, concurrency, recordBatchSize } = config.workers;
    this.pace = new ClaimPace(claimAheadMs, concurrency, Math.max(concurrency, recordBatchSize));
  }

  async enqueue(): Promise<void> {
    await this.signal.notify();
  }

  async work(handler: ImageHandler, claimed?: ClaimListener): Promise<void> {
    this.handler = handler;
    this.claimListener = claimed;
    // A SQLite file has one process: whatever is `processing` was left by a dead run. A PostgreSQL
    // database may be shared by several processes, so there only expired leases are taken back
    // (by maintainLeases), never the live lease of a running neighbour.
    if (!this.config.database.isPostgres) {
      const released = await this.unitOfWork.run((tx) => this.leases.requeueAbandoned(tx));
      if (released > 0) this.logger.log(`requeued ${released} image(s) left processing by a previous run`);
    }
    this.leaseTimer = setInterval(() => void this.maintainLeases(), this.config.workers.leaseMs / 3);
    this.leaseTimer.unref();
    this.signal.subscribe(() => this.refill());
    this.refill();
  }

  async retryLater(
    image: ClaimedImage,
    delayMs: number,
    failure: ImageFailure,
    options?: { countAttempt?: boolean },
  ): Promise<void> {
    await this.unitOfWork.run((tx) => this.leases.retryLater(tx, image.id, delayMs, failure, options));
  }

  /** On shutdown: takes no more work, lets in-flight images finish for SHUTDOWN_GRACE_MS, requeues the rest. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.idleTimer);
    clearInterval(this.leaseTimer);
    await this.claiming; // its images land in the buffer, released below
    const finished = Promise.allSettled([...this.inFlight.values()].map(({ work }) => work));
    await Promise.race([finished, sleep(this.config.server.shutdownGraceMs, undefined, { ref: false })]);
    const unfinished = [...this.inFlight.keys(), ...this.buffered.splice(0).map((image) => image.id)];
    if (unfinished.length === 0) return;
    const released = await this.unitOfWork.run((tx) => this.leases.release(tx, unfinished));
    this.logger.log(`shutdown: requeued ${released} unfinished image(s)`);
  }

  /**
   * Keeps CONCURRENCY images worked on. Leases are taken in batches into a small local buffer (leased
   * and renewed like the rest: CONCURRENCY images, more when images are quick, see ClaimPace), so a
   * freed slot starts the next image at once and claims cost one transaction per batch, not per image;
   * the claim listener hears of each batch first. Images past their work (waiting for their recording)
   * hold no slot; when 2 × RECORD_BATCH_SIZE of them wait (the database is slow), no more images start
   * until they are recorded, and nothing is claimed while the buffer holds images.
   */
  private refill(): void {
    if (this.stopped || !this.handler || this.storagePause) return;
    if (this.storageHealth.failing) return this.pauseForStorage();
    const { concurrency, recordBatchSize } = this.config.workers;
    while (this.working < concurrency && this.retaking.length > 0) this.retaking.shift()!();
    const recordingRoom = () => this.inFlight.size - this.working < 2 * recordBatchSize;
    while (this.working < concurrency && recordingRoom() && this.buffered.length > 0)
      this.start(this.buffered.shift()!);
    const held = this.working + this.buffered.length;
    if (held > concurrency || this.buffered.length > 0) return;
    if (this.claiming) {
      this.refillRequested = true;
      return;
    }
    clearTimeout(this.idleTimer);
    this.claiming = this.unitOfWork
      .runStatements((tx) => this.leases.claim(tx, concurrency + this.pace.ahead() - held, this.heldCost()))
      .then((claimed) => {
        this.buffered.push(...claimed);
        if (claimed.length > 0 && !this.stopped) this.tellClaimed(claimed);
        if (claimed.length === 0)
          this.idleTimer = setTimeout(() => this.refill(), this.config.workers.queuePollMs);
      })
      .catch((error: Error) => {
        this.logger.error(`claiming images failed: ${error.message}`);
        this.idleTimer = setTimeout(() => this.refill(), this.config.workers.queuePollMs);
      })
      .finally(() => {
        this.claiming = undefined;
        if (this.refillRequested || this.buffered.length > 0) {
          this.refillRequested = false;
          this.refill();
        }
      });
  }

  /** The claim listener hears of a claim; its failure costs no image (they are in the buffer already). */
  private tellClaimed(images: readonly ClaimedImage[]): void {
    try {
      this.claimListener?.(images);
    } catch (error) {
      this.logger.error(`the claim listener failed: ${(error as Error).message}`);
    }
  }

  /**
   * Storage is down: an image would be downloaded and processed only to go back to the queue. Claims stop,
   * and leased images wait in the buffer (their leases renewed), until StorageHealth's probes (backing off
   * from STORAGE_RETRY_BASE_MS to STORAGE_RETRY_MAX_MS) find the store writable; then work resumes at once.
   */
  private pauseForStorage(): void {
    this.logger.warn('storage is not writable: no images are claimed until it is');
    this.storagePause = this.storageHealth.whenWritable().then(() => {
      this.storagePause = undefined;
      this.logger.log('storage is writable again: claiming resumed');
      this.refill();
    });
  }

  private start(image: ClaimedImage): void {
    // The owner is the API key's name (never the key); none while the service is open.
    const fields = {
      request_id: image.taskId,
      image_id: image.id,
      ...(image.owner && { owner: image.owner }),
    };
    const entry: InFlight = { image, work: Promise.resolve(), slot: true };
    const freeSlot = () => {
      if (!entry.slot) return;
      entry.slot = false;
      this.working--;
    };
    const slot: WorkerSlot = {
      release: () => {
        freeSlot();
        queueMicrotask(() => this.refill()); // not from inside the handler's call
      },
      retake: () => {
        if (entry.slot) return Promise.resolve();
        return new Promise((taken) => {
          this.retaking.push(() => {
            entry.slot = true;
            this.working++;
            taken();
          });
          this.refill();
        });
      },
    };
    this.working++;
    this.pace.start();
    this.inFlight.set(image.id, entry);
    entry.work = LogContext.run(fields, () => this.handler!(image, slot))
      .catch((error: Error) => {
        const message = `request ${image.taskId} image ${image.id}: ${error.message}`;
        if (this.stopped) this.logger.warn(`${message} (abandoned at shutdown; requeued for the next start)`);
        else this.logger.error(message);
      })
      .finally(() => {
        this.inFlight.delete(image.id);
        freeSlot();
        this.refill();
      });
  }

  /**
   * The cost of the images this process works on or has buffered, per queue owner (images waiting only
   * for their recording use no worker: they do not count against MAX_OWNER_COST_IN_FLIGHT).
   */
  private heldCost(): Map<string, number> {
    const held = new Map<string, number>();
    const working = [...this.inFlight.values()].filter((entry) => entry.slot).map((entry) => entry.image);
    for (const image of [...working, ...this.buffered])
      held.set(image.queueOwner, (held.get(image.queueOwner) ?? 0) + image.cost);
    return held;
  }

  /** Renews the leases this process holds, and takes back images whose worker died. */
  private async maintainLeases(): Promise<void> {
    try {
      await this.unitOfWork.run(async (tx) => {
        await this.leases.renew(tx, [...this.inFlight.keys(), ...this.buffered.map((image) => image.id)]);
        await this.leases.requeueExpired(tx);
      });
      this.refill();
    } catch (error) {
      this.logger.error(`maintaining leases failed: ${(error as Error).message}`);
    }
  }
}
