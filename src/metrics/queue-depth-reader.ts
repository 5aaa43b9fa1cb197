/** Images waiting for a worker (queued) and being worked on (processing), across every process. */
export interface QueueDepth {
  queued: number;
  processing: number;
}

/**
 * A read port the images module provides, so the metrics read the queue's depth without knowing its
 * tables (metrics sits below the feature modules).
 */
export abstract class QueueDepthReader {
  abstract depth(): Promise<QueueDepth>;
}
