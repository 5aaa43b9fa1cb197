import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import type { OutputOptions } from '../../config/output-options.js';
import { execute, executePrepared, inList } from '../../database/sql.js';
import type { Transaction } from '../../database/unit-of-work.js';
import { QueueCounters } from '../../tasks/queue-counters.js';
import type { ImageFailure } from '../images.service.js';
import { type ClaimCandidate, fairShares } from './fair-share.js';

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

/** What a claimed image takes from its request (the output options as stored: JSON). */
interface RequestPart {
  owner: string;
  queueOwner: string;
  cost: number;
  outputOptions: string;
}

/** A leased image as the claim's statements return it. */
type LeasedRow = Omit<ClaimedImage, keyof RequestPart> & RequestPart;

/** The owners a claim of `limit` looks at, at most (more would only be read, never taken). */
const MAX_OWNERS = 32;

/**
 * The requests of each owner a claim looks at: the least in flight. Its images go to these (a request
 * has many queued, as a rule); the owner's next ones come first in the next claim, as these then have
 * more in flight. Reading `limit` requests of every owner read 16 × 16 rows for a claim of 16.
 */
const REQUESTS_PER_OWNER = 4;

/**
 * The leases on queued images: claim (fair between owners, then between requests), renew, release,
 * requeue the expired. Every change of an image's state is counted in the queue's summary
 * (QueueCounters) in the same transaction, from the rows the statement changed. A claim selects with
 * SKIP LOCKED on PostgreSQL: rows another process is claiming are skipped, not waited for.
 */
@Injectable()
export class LeaseStore {
  constructor(
    private readonly config: AppConfig,
    private readonly counters: QueueCounters,
  ) {}

  /**
   * Leases up to `limit` due images, fairly (see fairShares): the owners with the least cost in flight
   * for their weight come first (the least recently served among equals), within an owner the requests
   * with the least in flight (the oldest among equals). `held`: the cost of each owner's images this
   * process holds already, kept within MAX_OWNER_COST_IN_FLIGHT. Reads the queue's summary, never
   * counts images: its cost does not grow with the backlog. On PostgreSQL its one write is a single
   * statement (lease and count), so it needs no transaction (UnitOfWork.runStatements).
   */
  async claim(
    tx: Transaction,
    limit: number,
    held: ReadonlyMap<string, number> = new Map(),
  ): Promise<ClaimedImage[]> {
    const now = Date.now();
    const shares = fairShares(
      await this.candidates(tx, limit),
      limit,
      held,
      this.config.workers.maxOwnerCostInFlight,
    );
    if (shares.size === 0) return [];
    const claimed = await this.leaseDue(tx, shares, now);
    return claimed.map(({ outputOptions, ...image }) => ({
      ...image,
      outputOptions: JSON.parse(outputOptions) as OutputOptions,
    }));
  }

  /** The owners next in line and, for each, its requests next in line (in that order), from the queue's summary. */
  private async candidates(tx: Transaction, limit: number): Promise<ClaimCandidate[]> {
    const ownerCount = Math.min(limit, MAX_OWNERS);
    const requests = Math.min(limit, REQUESTS_PER_OWNER);
    const owners = `SELECT owner, weight, in_flight_cost, claimed_at FROM queue_owners WHERE queued_images > 0
      ORDER BY CAST(in_flight_cost AS REAL) / weight, claimed_at LIMIT ?`;
    const requestsOf = (owner: string) => `SELECT task_id, cost, in_flight_cost, queued_images, created_at
      FROM queue_tasks ${this.sqliteIndexedBy('idx_queue_tasks_claim')}
      WHERE owner = ${owner} AND queued_images > 0 ORDER BY in_flight_cost, created_at LIMIT ?`;
    if (this.config.database.isPostgres) {
      const { records } = await executePrepared<ClaimCandidate>(
        tx.manager,
        `SELECT o.owner AS "queueOwner", o.weight, o.in_flight_cost AS "ownerCost", q.task_id AS "taskId",
                q.cost, q.in_flight_cost AS "taskCost", q.queued_images AS "queued"
           FROM (${owners}) o CROSS JOIN LATERAL (${requestsOf('o.owner')}) q
          ORDER BY CAST(o.in_flight_cost AS REAL) / o.weight, o.claimed_at, o.owner, q.in_flight_cost, q.created_at`,
        [ownerCount, requests],
      );
      return records;
    }
    // SQLite has no LATERAL: each owner's walk of the claim index is a branch of one UNION ALL.
    const { records: ownerRows } = await execute<{ owner: string; weight: number; in_flight_cost: number }>(
      tx.manager,
      owners,
      [ownerCount],
    );
    if (ownerRows.length === 0) return [];
    const { records } = await execute<{
      rank: number;
      task_id: string;
      cost: number;
      in_flight_cost: number;
      queued_images: number;
    }>(
      tx.manager,
      `SELECT * FROM (${ownerRows.map((_, rank) => `SELECT ${rank} AS rank, * FROM (${requestsOf('?')})`).join(' UNION ALL ')})
        ORDER BY rank, in_flight_cost, created_at`,
      ownerRows.flatMap((owner) => [owner.owner, requests]),
    );
    const candidates = records.map((request): ClaimCandidate => {
      const owner = ownerRows[request.rank];
      return {
        queueOwner: owner.owner,
        weight: owner.weight,
        ownerCost: owner.in_flight_cost,
        taskId: request.task_id,
        cost: request.cost,
        taskCost: request.in_flight_cost,
        queued: request.queued_images,
      };
    });
    return candidates;
  }

  /**
   * Leases each request's share of its due images (oldest due first), counts them in the queue's summary,
   * and returns them with their request's part. On PostgreSQL one statement for every request, whose rows locked by another
   * process's claim are skipped; the choice is a materialized CTE, made once (as a subquery of the
   * UPDATE, a plan that rescanned it found the rows it had just updated skipped, and went on to the
   * next ones: every queued image of the request).
   */
  private async leaseDue(tx: Transaction, shares: Map<string, number>, now: number): Promise<LeasedRow[]> {
    const due = (task: string, count: string) =>
      `SELECT id FROM images ${this.sqliteIndexedBy('idx_images_task_status')}
        WHERE task_id = ${task} AND status = 'queued' AND available_at <= ? ORDER BY available_at LIMIT ${count}`;
    const lease = (chosen: string) =>
      `UPDATE images SET status = 'processing', lease_until = ?, attempts = attempts + 1
        WHERE id IN (${chosen}) AND ${this.config.database.isPostgres ? '' : '+'}status = 'queued'
        RETURNING id, task_id AS "taskId", input_url AS "inputUrl", attempts, lease_expiries AS "leaseExpiries"`;
    const requestPart = `SELECT t.id, t.owner, q.owner AS "queueOwner", q.cost, t.output_options AS "outputOptions"
      FROM tasks t JOIN queue_tasks q ON q.task_id = t.id`;
    if (this.config.database.isPostgres) {
      const counting = this.counters.countingCtes('moves', 'claimed', now);
      const { records } = await executePrepared<LeasedRow>(
        tx.manager,
        `WITH chosen AS MATERIALIZED (
           SELECT d.id FROM (VALUES ${[...shares].map(() => '(?, ?)').join(', ')}) AS s
            CROSS JOIN LATERAL (${due('s.column1', 'CAST(s.column2 AS INTEGER)')} FOR UPDATE SKIP LOCKED) d),
         leased AS (${lease('SELECT id FROM chosen')}),
         moves AS (SELECT "taskId" AS task_id, COUNT(*) AS images FROM leased GROUP BY "taskId"),
         ${counting.sql}
         SELECT l.*, r.owner, r."queueOwner", r.cost, r."outputOptions"
           FROM leased l JOIN (${requestPart} WHERE t.id = ANY (ARRAY(SELECT "taskId" FROM leased))) r ON r.id = l."taskId"`,
        [...[...shares].flat(), now, now + this.config.workers.leaseMs, ...counting.parameters],
      );
      return records;
    }
    const { records: dueRows } = await execute<{ id: string }>(
      tx.manager,
      [...shares].map(() => `SELECT id FROM (${due('?', '?')})`).join(' UNION ALL '),
      [...shares].flatMap(([taskId, count]) => [taskId, now, count]),
    );
    const ids = dueRows.map((row) => row.id);
    if (ids.length === 0) return [];
    const { records: leased } = await execute<Omit<LeasedRow, keyof RequestPart>>(
      tx.manager,
      lease(inList(ids.length)),
      [now + this.config.workers.leaseMs, ...ids],
    );
    const { records: requests } = await execute<RequestPart & { id: string }>(
      tx.manager,
      `${requestPart} WHERE t.id IN (${inList(shares.size)})`,
      [...shares.keys()],
    );
    const byId = new Map(requests.map(({ id, ...request }) => [id, request]));
    await this.counters.moved(
      tx,
      leased.map((image) => image.taskId),
      'claimed',
      now,
    );
    return leased.map((image) => ({ ...image, ...byId.get(image.taskId)! }));
  }

  /**
   * SQLite plans without statistics (see ImagesService): the claim's walks of an index are named, and its
   * UPDATE by ids is kept off the status index (`+status`), which would scan every queued image.
   */
  private sqliteIndexedBy(index: string): string {
    return this.config.database.isPostgres ? '' : `INDEXED BY ${index}`;
  }

  /** Extends the leases of images a worker is still processing. */
  async renew(tx: Transaction, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await execute(
      tx.manager,
      `UPDATE images SET lease_until = ? WHERE status = 'processing' AND id IN (${inList(ids.length)})`,
      [Date.now() + this.config.workers.leaseMs, ...ids],
    );
  }

  /**
   * Puts images whose lease ran out (their worker died) back in the queue, counting the expiry: the next
   * claim of one that expired more than MAX_LEASE_EXPIRIES times records it failed (see ImageProcessor).
   */
  requeueExpired(tx: Transaction): Promise<number> {
    return this.requeue(
      tx,
      `UPDATE images SET status = 'queued', lease_until = NULL, lease_expiries = lease_expiries + 1
        WHERE status = 'processing' AND lease_until < ?`,
      [Date.now()],
    );
  }

  /**
   * At the start of the one process of a SQLite file: every processing image was left by a run that died
   * (a graceful shutdown releases its images), so each is queued again with its expiry counted.
   */
  requeueAbandoned(tx: Transaction): Promise<number> {
    return this.requeue(
      tx,
      "UPDATE images SET status = 'queued', lease_until = NULL, lease_expiries = lease_expiries + 1 WHERE status = 'processing'",
    );
  }

  /** Puts the given processing images back in the queue, now (a shutdown's unfinished work: no expiry). */
  async release(tx: Transaction, ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return this.requeue(
      tx,
      `UPDATE images SET status = 'queued', lease_until = NULL WHERE status = 'processing' AND id IN (${inList(ids.length)})`,
      ids,
    );
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
    await this.requeue(
      tx,
      `UPDATE images SET status = 'queued', lease_until = NULL, available_at = ?, error_code = ?, error_message = ?${countAttempt ? '' : ', attempts = attempts - 1'}
        WHERE id = ? AND status = 'processing'`,
      [Date.now() + delayMs, failure.code, failure.message, id],
    );
  }

  /** Runs an UPDATE that puts processing images back in the queue, and counts those it did; returns how many. */
  private async requeue(tx: Transaction, update: string, parameters: unknown[] = []): Promise<number> {
    const { records } = await executePrepared<{ taskId: string }>(
      tx.manager,
      `${update} RETURNING task_id AS "taskId"`,
      parameters,
    );
    await this.counters.moved(
      tx,
      records.map((image) => image.taskId),
      'requeued',
    );
    return records.length;
  }
}
