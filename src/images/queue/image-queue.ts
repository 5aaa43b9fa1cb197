import type { ClaimedImage } from './lease-store.js';

/** Processes one claimed image; must not throw (a thrown error is logged and the lease runs out). */
export type ImageHandler = (image: ClaimedImage) => Promise<void>;

/**
 * Where queued images wait for a worker, with both sides: the producer (`enqueue`, used by upload and
 * retry, in every role) and the consumer (`work`, started only where the role runs image workers).
 * The images table is the source of truth (queued, processing under a lease, done or failed), so a
 * driver decides who works when and how idle workers learn of new work.
 */
export abstract class ImageQueue {
  /** Tells the workers, wherever they run, that a request's images are queued (after its commit). */
  abstract enqueue(requestId: string): Promise<void>;

  /** Starts consuming (resolves once started): `handler` gets each claimed image, CONCURRENCY at a time, until shutdown. */
  abstract work(handler: ImageHandler): Promise<void>;
}
