/**
 * Where queued images wait for a worker. The images table is the source of truth (an image is
 * queued, processing under a lease, done or failed), so a queue only decides who works when.
 */
export abstract class ImageQueue {
  /** Tells the workers that a request has queued images. */
  abstract enqueue(requestId: string): Promise<void>;
}
