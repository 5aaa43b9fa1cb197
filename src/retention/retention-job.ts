import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { TasksService } from '../tasks/tasks.service.js';
import { RequestDeletion } from './request-deletion.js';

const DAY_MS = 86_400_000;
/** Requests deleted per transaction: small, so the image workers' transactions never wait long behind one. */
const BATCH_SIZE = 100;
/** Pause between two full batches, leaving the database and the store to the processing. */
const BATCH_PAUSE_MS = 1_000;

/**
 * The retention background job: every RETENTION_INTERVAL_MS (and once at start), deletes finished requests
 * that completed more than RETENTION_DAYS ago, with their outputs, a batch at a time. RETENTION_DAYS=0 keeps
 * everything. `runOnce(now)` takes the time, so a test injects it instead of waiting.
 */
@Injectable()
export class RetentionJob implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RetentionJob.name);
  private timer?: NodeJS.Timeout;
  private run?: Promise<unknown>;
  private stopped = false;

  constructor(
    private readonly tasks: TasksService,
    private readonly deletion: RequestDeletion,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.retention.days > 0) this.schedule(0);
  }

  /** Stops before the database closes; a batch under way finishes. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.run;
  }

  /** Deletes the requests that expired by `now` (epoch ms); returns how many. */
  async runOnce(now: number = Date.now()): Promise<number> {
    if (this.config.retention.days === 0) return 0;
    const before = now - this.config.retention.days * DAY_MS;
    let deleted = 0;
    while (!this.stopped) {
      const expired = await this.tasks.finishedBefore(before, BATCH_SIZE);
      if (expired.length > 0) deleted += await this.deletion.deleteFinished(expired);
      if (expired.length < BATCH_SIZE) break;
      await new Promise((done) => setTimeout(done, BATCH_PAUSE_MS));
    }
    if (deleted > 0)
      this.logger.log(
        `retention: deleted ${deleted} request(s) completed over ${this.config.retention.days} day(s) ago`,
      );
    return deleted;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.run = this.runOnce()
        .catch((error: Error) => this.logger.error(`retention run failed: ${error.message}`))
        .finally(() => {
          this.run = undefined;
          this.schedule(this.config.retention.intervalMs);
        });
    }, delayMs);
    this.timer.unref();
  }
}
