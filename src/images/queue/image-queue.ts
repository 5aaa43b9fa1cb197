import type { OutputOptions } from '../../config/output-options.js';

/** What a worker needs of a claimed image (plain data: no entity is hydrated on the hot path). */
export interface ClaimedImage {
  id: string;
  taskId: string;
  inputUrl: string;
  /** Attempts so far, this one included. */
  attempts: number;
  /** How many times a lease on it ran out before (a worker died processing it): see MAX_LEASE_EXPIRIES. */
  leaseExpiries: number;
  /** The request's owner (the API key's name, never the key), for log lines. */
  owner: string;
  /** Whose share of the workers it uses (see queueOwnerOf), and what it costs (see image-cost.ts). */
  queueOwner: string;
  cost: number;
  /** How its request's outputs are written. */
  outputOptions: OutputOptions;
}

/** Why an image failed, as stored on it: a stable machine-readable code and a message. */
export interface ImageFailure {
  code: string;
  message: string;
}

/**
 * The worker slot a claimed image holds (one of CONCURRENCY). `release` once the image's work is done
 * and only its recording remains: the slot goes to the next image, so a slot never waits for a
 * database commit. `retake` waits for a slot again (before the images waiting in the queue), for work
 * found to be needed after all.
 */
export interface WorkerSlot {
  release(): void;
  retake(): Promise<void>;
}

/** Processes one claimed image in its slot; must not throw (a thrown error is logged and the lease runs out). */
export type ImageHandler = (image: ClaimedImage, slot: WorkerSlot) => Promise<void>;

/**
 * Told of each claim's images as they are leased, before any of them starts (some wait in the buffer):
 * what each will read can be read for all of them at once. Must not throw.
 */
export type ClaimListener = (images: readonly ClaimedImage[]) => void;

/**
 * Where queued images wait for a worker, with both sides: the producer (`enqueue`, used by upload and
 * retry, in every role) and the consumer (`work` and `retryLater`, used only where the role runs image
 * workers). The images table is the source of truth (queued, processing under a lease, done or failed),
 * so a driver decides who works when and how idle workers learn of new work.
 */
export abstract class ImageQueue {
  /** Tells the workers, wherever they run, that a request's images are queued (after its commit). */
  abstract enqueue(requestId: string): Promise<void>;

  /**
   * Starts consuming (resolves once started): `handler` gets each claimed image, CONCURRENCY at a time
   * (images waiting only for their recording hold no slot), until shutdown; `claimed`, if given, hears
   * of each claim first.
   */
  abstract work(handler: ImageHandler, claimed?: ClaimListener): Promise<void>;

  /**
   * Gives a claimed image back to the queue after a transient failure, to be claimed again in `delayMs`,
   * recording why. `countAttempt: false` gives back the attempt its claim counted (the failure was not
   * the image's: storage was down), so it never uses up its retries. Nothing happens if its lease was lost.
   */
  abstract retryLater(
    image: ClaimedImage,
    delayMs: number,
    failure: ImageFailure,
    options?: { countAttempt?: boolean },
  ): Promise<void>;
}
