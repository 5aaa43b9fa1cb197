import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppConfig } from '../config/app-config.js';
import { storageRetryDelay } from './storage-retry-delay.js';
import { Storage } from './storage.js';

/** While storage is failing, at most one probe per this long (and only when an upload asks). */
const RECHECK_MS = 5_000;

/**
 * Whether this process last found storage writable: the image processor and the readiness probe report
 * each write's outcome, and uploads consult it without touching the store. While it is failing, an
 * upload may trigger one probe every RECHECK_MS (shared by concurrent callers), so a store that came back
 * is noticed even when no image is waiting to be written; and the image queue, which stops claiming,
 * waits in whenWritable() for a probe with backoff to find it writable again.
 */
@Injectable()
export class StorageHealth implements OnApplicationShutdown {
  private failure?: { at: number; message: string };
  private probe?: Promise<void>;
  /** Settled by the next success, for whenWritable()'s callers. */
  private recovery?: { promise: Promise<void>; resolve: () => void };
  /** The probe loop that runs while someone waits in whenWritable(). */
  private probing?: Promise<void>;
  private readonly stopping = new AbortController();

  constructor(
    private readonly storage: Storage,
    private readonly config: AppConfig,
  ) {}

  reportFailure(error: Error): void {
    this.failure = { at: Date.now(), message: error.message };
  }

  reportSuccess(): void {
    this.failure = undefined;
    this.recovery?.resolve();
    this.recovery = undefined;
  }

  /** Whether the last write (or probe) failed. */
  get failing(): boolean {
    return this.failure !== undefined;
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

  /**
   * Resolves at once while storage is writable; else once a write or a probe succeeds. Meanwhile one probe
   * loop (for every caller) tries the store after STORAGE_RETRY_BASE_MS, then twice as long each time, up
   * to STORAGE_RETRY_MAX_MS (with jitter). Never resolves once the process is shutting down.
   */
  whenWritable(): Promise<void> {
    if (!this.failure) return Promise.resolve();
    if (!this.recovery) {
      let resolve!: () => void;
      const promise = new Promise<void>((done) => (resolve = done));
      this.recovery = { promise, resolve };
    }
    this.probing ??= this.probeUntilWritable().finally(() => (this.probing = undefined));
    return this.recovery.promise;
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

  onApplicationShutdown(): void {
    this.stopping.abort();
  }

  private async probeUntilWritable(): Promise<void> {
    const { retryBaseMs, retryMaxMs } = this.config.storage;
    for (let failures = 1; this.failure; failures++) {
      const delay = storageRetryDelay(failures, retryBaseMs, retryMaxMs);
      try {
        await sleep(delay, undefined, { signal: this.stopping.signal, ref: false });
      } catch {
        return; // shutting down
      }
      if (!this.failure) return;
      await this.checkWritable(this.stopping.signal).catch(() => undefined);
    }
  }
}
