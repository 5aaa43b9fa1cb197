import { Injectable } from '@nestjs/common';
import { Storage } from './storage.js';

/** While storage is failing, at most one probe per this long (and only when an upload asks). */
const RECHECK_MS = 5_000;

/**
 * Whether this process last found storage writable: the image processor and the readiness probe report
 * each write's outcome, and uploads consult it without touching the store. While it is failing, an
 * upload may trigger one probe every RECHECK_MS (shared by concurrent callers), so a store that came back
 * is noticed even when no image is waiting to be written.
 */
@Injectable()
export class StorageHealth {
  private failure?: { at: number; message: string };
  private probe?: Promise<void>;

  constructor(private readonly storage: Storage) {}

  reportFailure(error: Error): void {
    this.failure = { at: Date.now(), message: error.message };
  }

  reportSuccess(): void {
    this.failure = undefined;
  }

  /** undefined when storage was last found writable; else why not. */
  async unwritableReason(): Promise<string | undefined> {
    if (this.failure && Date.now() - this.failure.at >= RECHECK_MS) {
      this.probe ??= this.checkWritable()
        .catch(() => undefined)
        .finally(() => (this.probe = undefined));
      await this.probe;
    }
    return this.failure?.message;
  }

  /** Probes the store and records the outcome; rejects as Storage.checkWritable does. */
  async checkWritable(signal?: AbortSignal): Promise<void> {
    try {
      await this.storage.checkWritable(signal);
      this.reportSuccess();
    } catch (error) {
      this.reportFailure(error as Error);
      throw error;
    }
  }
}
