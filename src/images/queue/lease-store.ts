import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import type { OutputOptions } from '../../config/output-options.js';
import { execute, inList } from '../../database/sql.js';
import type { Transaction } from '../../database/unit-of-work.js';
import type { ImageFailure } from '../images.service.js';

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
  /** How its request's outputs are written. */
  outputOptions: OutputOptions;
}

/**
 * The leases on queued images: claim (fair across requests), renew, release, requeue the expired.
 * Every statement is one atomic UPDATE or a SELECT that skips rows another process is locking.
 */
@Injectable()
export class LeaseStore {
  constructor(private readonly config: AppConfig) {}

  /**
   * Leases up to `limit` due images, fairly across requests: the requests with the least work in
   * flight (processing images) come first, oldest first among equals, and the batch is shared between
   * them, so a small request never waits behind another's backlog. `limit` requests are considered at
   * most, each for its share of the batch.
   */
  async claim(tx: Transaction, limit: number): Promise<ClaimedImage[]> {
    const now = Date.now();
    const requests = await execute<{ id: string; owner: string; outputOptions: string }>(
      tx.manager,
      `SELECT t.id, t.owner, t.output_options AS "outputOptions" FROM tasks t
        WHERE t.status = 'processing'
          AND EXISTS (SELECT 1 FROM images q WHERE q.task_id = t.id AND q.status = 'queued' AND q.available_at <= ?)
        ORDER BY (SELECT COUNT(*) FROM images p WHERE p.task_id = t.id AND p.status = 'processing'), t.created_at
        LIMIT ?`,
      [now, limit],
    );
    if (requests.records.length === 0) return [];
    const share = Math.ceil(limit / requests.records.length);
    // On PostgreSQL, rows another process is claiming right now are skipped, not waited for.
    const skipLocked = this.config.isPostgres ? ' FOR UPDATE SKIP LOCKED' : '';
    const ids: string[] = [];
    for (const request of requests.records) {
      const due = await execute<{ id: string }>(
        tx.manager,
        `SELECT id FROM images WHERE task_id = ? AND status = 'queued' AND available_at <= ? ORDER BY available_at LIMIT ?${skipLocked}`,
        [request.id, now, Math.min(share, limit - ids.length)],
      );
      ids.push(...due.records.map((row) => row.id));
      if (ids.length >= limit) break;
    }
    if (ids.length === 0) return [];
    const claimed = await execute<Omit<ClaimedImage, 'owner' | 'outputOptions'>>(
      tx.manager,
      `UPDATE images SET status = 'processing', lease_until = ?, attempts = attempts + 1
        WHERE id IN (${inList(ids.length)}) AND status = 'queued'
        RETURNING id, task_id AS "taskId", input_url AS "inputUrl", attempts, lease_expiries AS "leaseExpiries"`,
      [now + this.config.leaseMs, ...ids],
    );
    const requestsById = new Map(requests.records.map((request) => [request.id, request]));
    return claimed.records.map((image) => {
      const request = requestsById.get(image.taskId)!;
      return {
        ...image,
        owner: request.owner,
        outputOptions: JSON.parse(request.outputOptions) as OutputOptions,
      };
    });
  }

  /** Extends the leases of images a worker is still processing. */
  async renew(tx: Transaction, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await execute(
      tx.manager,
      `UPDATE images SET lease_until = ? WHERE status = 'processing' AND id IN (${inList(ids.length)})`,
      [Date.now() + this.config.leaseMs, ...ids],
    );
  }

  /**
   * Puts images whose lease ran out (their worker died) back in the queue, counting the expiry: the next
   * claim of one that expired more than MAX_LEASE_EXPIRIES times records it failed (see ImageProcessor).
   */
  async requeueExpired(tx: Transaction): Promise<number> {
    const result = await execute(
      tx.manager,
      `UPDATE images SET status = 'queued', lease_until = NULL, lease_expiries = lease_expiries + 1
        WHERE status = 'processing' AND lease_until < ?`,
      [Date.now()],
    );
    return result.affected;
  }

  /**
   * At the start of the one process of a SQLite file: every processing image was left by a run that died
   * (a graceful shutdown releases its images), so each is queued again with its expiry counted.
   */
  async requeueAbandoned(tx: Transaction): Promise<number> {
    const result = await execute(
      tx.manager,
      "UPDATE images SET status = 'queued', lease_until = NULL, lease_expiries = lease_expiries + 1 WHERE status = 'processing'",
    );
    return result.affected;
  }

  /** Puts the given processing images back in the queue, now (a shutdown's unfinished work: no expiry). */
  async release(tx: Transaction, ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await execute(
      tx.manager,
      `UPDATE images SET status = 'queued', lease_until = NULL WHERE status = 'processing' AND id IN (${inList(ids.length)})`,
      ids,
    );
    return result.affected;
  }

  /**
   * Queues a leased image again in `delayMs` after a transient failure, recording why. `countAttempt:
   * false` gives back the attempt its claim counted (the failure was not the image's: storage was
   * down), so it never uses up its retries.
   */
  async retryLater(
    tx: Transaction,
    id: string,
    delayMs: number,
    failure: ImageFailure,
    { countAttempt = true } = {},
  ): Promise<void> {
    await execute(
      tx.manager,
      `UPDATE images SET status = 'queued', lease_until = NULL, available_at = ?, error_code = ?, error_message = ?${countAttempt ? '' : ', attempts = attempts - 1'}
        WHERE id = ? AND status = 'processing'`,
      [Date.now() + delayMs, failure.code, failure.message, id],
    );
  }
}
