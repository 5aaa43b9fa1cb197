import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { execute, executePrepared, inList } from '../../database/sql.js';
import { SqlitePlanHints } from '../../database/sqlite-plan-hints.js';
import type { Transaction } from '../../database/unit-of-work.js';
import { QueueCounters } from '../../tasks/queue-counters.js';
import { claimedImage, type LeasedImage, type TaskPart } from './claimed-image.js';
import { afterLease, type ClaimCandidate, fairShares } from './fair-share.js';
import type { ClaimedImage, ImageFailure } from './image-queue.js';

/**
 * The deals a claim makes at most: another only when a request gave fewer images than its share (its
 * other images wait out a retry's back-off), from the candidates already read, without those requests.
 * Each deal takes up to four short requests out (one a turn): eight deals get past 28 of them.
 */
const MAX_DEALS = 8;

/** The owners a claim of `limit` looks at, at most (more would only be read, never taken). */
const MAX_OWNERS = 32;

/**
 * The tasks of each owner a claim looks at: the least in flight. Its images go to these (a task
 * has many queued, as a rule); the owner's next ones come first in the next claim, as these then have
 * more in flight. Reading `limit` tasks of every owner read 16 × 16 rows for a claim of 16.
 */
const TASKS_PER_OWNER = 4;

/**
 * The leases on queued images: claim (fair between owners, then between tasks), renew, release,
 * requeue the expired. Every change of an image's state is counted in the queue's summary
 * (QueueCounters) in the same transaction, from the rows the statement changed. A claim selects with
 * SKIP LOCKED on PostgreSQL: rows another process is claiming are skipped, not waited for.
 */
@Injectable()
export class LeaseStore {
  /** The claim's walks of an index are named, and its UPDATE by ids is kept off the status's indexes. */
  private readonly hints: SqlitePlanHints;

  constructor(
    private readonly config: AppConfig,
    private readonly counters: QueueCounters,
  ) {
    this.hints = new SqlitePlanHints(config.database.isPostgres);
  }

  /**
   * Leases up to `limit` due images, fairly (see fairShares): the owners with the least cost in flight
   * for their weight come first (the least recently served among equals), within an owner the tasks
   * with the least in flight (the oldest among equals). `held`: the cost of each owner's images this
   * process holds already, kept within MAX_OWNER_COST_IN_FLIGHT. Reads the queue's summary, never
   * counts images: its cost does not grow with the backlog. A request that gives fewer images than its
   * share has no more due (a retry's back-off; on PostgreSQL, rows another process is leasing): the rest
   * is dealt again without it, in up to MAX_DEALS deals. On PostgreSQL each deal is a single statement
   * (lease and count), atomic on its own, so a claim needs no transaction (UnitOfWork.runStatements).
   */
  async claim(
    tx: Transaction,
    limit: number,
    held: ReadonlyMap<string, number> = new Map(),
  ): Promise<ClaimedImage[]> {
    const now = Date.now();
    const claimed: ClaimedImage[] = [];
    const holding = new Map(held);
    let candidates = await this.candidates(tx, limit);
    for (let deal = 0; deal < MAX_DEALS && claimed.length < limit; deal++) {
      const shares = fairShares(
        candidates,
        limit - claimed.length,
        holding,
        this.config.workers.maxOwnerCostInFlight,
      );
      if (shares.size === 0) break;
      let leased: ClaimedImage[];
      try {
        leased = await this.leaseDue(tx, shares, now);
      } catch (error) {
        // On PostgreSQL each deal is a statement of its own, committed: what earlier deals leased is
        // the worker's, to work on, rather than left to its lease's expiry. On SQLite the transaction
        // rolls every deal back.
        if (claimed.length === 0 || !this.config.database.isPostgres) throw error;
        break;
      }
      claimed.push(...leased);
      const perTask = new Map<string, number>();
      for (const image of leased) {
        perTask.set(image.taskId, (perTask.get(image.taskId) ?? 0) + 1);
        holding.set(image.queueOwner, (holding.get(image.queueOwner) ?? 0) + image.cost);
      }
      if (leased.length === [...shares.values()].reduce((sum, images) => sum + images, 0)) break;
      candidates = afterLease(candidates, shares, perTask);
    }
    return claimed;
  }

  /** The owners next in line and, for each, its tasks next in line (in that order), from the queue's summary. */
  private async candidates(tx: Transaction, limit: number): Promise<ClaimCandidate[]> {
    const ownerCount = Math.min(limit, MAX_OWNERS);
    const tasks = Math.min(limit, TASKS_PER_OWNER);
    const owners = `SELECT owner, weight, in_flight_cost, claimed_at FROM queue_owners WHERE queued_images > 0
      ORDER BY CAST(in_flight_cost AS REAL) / weight, claimed_at LIMIT ?`;
    const tasksOf = (owner: string) => `SELECT task_id, cost, in_flight_cost, queued_images, created_at
      FROM queue_tasks ${this.hints.indexedBy('idx_queue_tasks_claim')}
      WHERE owner = ${owner} AND queued_images > 0 ORDER BY in_flight_cost, created_at LIMIT ?`;
    if (this.config.database.isPostgres) {
      const { records } = await executePrepared<ClaimCandidate>(
        tx.manager,
        `SELECT o.owner AS "queueOwner", o.weight, o.in_flight_cost AS "ownerCost", q.task_id AS "taskId",
                q.cost, q.in_flight_cost AS "taskCost", q.queued_images AS "queued"
           FROM (${owners}) o CROSS JOIN LATERAL (${tasksOf('o.owner')}) q
          ORDER BY CAST(o.in_flight_cost AS REAL) / o.weight, o.claimed_at, o.owner, q.in_flight_cost, q.created_at`,
        [ownerCount, tasks],
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
      `SELECT * FROM (${ownerRows.map((_, rank) => `SELECT ${rank} AS rank, * FROM (${tasksOf('?')})`).join(' UNION ALL ')})
        ORDER BY rank, in_flight_cost, created_at`,
      ownerRows.flatMap((owner) => [owner.owner, tasks]),
    );
    const candidates = records.map((task): ClaimCandidate => {
      const owner = ownerRows[task.rank];
      return {
        queueOwner: owner.owner,
        weight: owner.weight,
        ownerCost: owner.in_flight_cost,
        taskId: task.task_id,
        cost: task.cost,
        taskCost: task.in_flight_cost,
        queued: task.queued_images,
      };
    });
    return candidates;
  }

  /**
   * Leases each task's share of its due images (oldest due first), counts them in the queue's summary,
   * and returns them with their task's part. On PostgreSQL one statement for every task, whose rows locked by another
   * process's claim are skipped; the choice is a materialized CTE, made once (as a subquery of the
   * UPDATE, a plan that rescanned it found the rows it had just updated skipped, and went on to the
   * next ones: every queued image of the task). The UPDATE finds them by `= ANY (ARRAY(…))`, by primary
   * key whatever the plan: the prepared plan, which cannot know the claim's size, hash-joined a scan of
   * every image at 10,000 images.
   */
  private async leaseDue(tx: Transaction, shares: Map<string, number>, now: number): Promise<ClaimedImage[]> {
    // `status = 'queued'` stays a literal: the partial index it names is usable for that term alone.
    const due = (task: string, count: string) =>
      `SELECT id FROM images ${this.hints.indexedBy('idx_images_task_queued')}
        WHERE task_id = ${task} AND status = 'queued' AND available_at <= ? ORDER BY available_at LIMIT ${count}`;
    const lease = (chosenIds: string) =>
      `UPDATE images SET status = 'processing', lease_until = ?, attempts = attempts + 1
        WHERE ${chosenIds} AND ${this.hints.noIndex}status = 'queued'
        RETURNING id, task_id AS "taskId", input_url AS "inputUrl", attempts, lease_expiries AS "leaseExpiries"`;
    const taskPart = `SELECT t.id, t.owner, q.owner AS "queueOwner", q.cost, t.output_options AS "outputOptions"
      FROM tasks t JOIN queue_tasks q ON q.task_id = t.id`;
    if (this.config.database.isPostgres) {
      const counting = this.counters.countingCtes('moves', 'claimed', now);
      const { records } = await executePrepared<LeasedImage & TaskPart>(
        tx.manager,
        `WITH chosen AS MATERIALIZED (
           SELECT d.id FROM (VALUES ${[...shares].map(() => '(?, ?)').join(', ')}) AS s
            CROSS JOIN LATERAL (${due('s.column1', 'CAST(s.column2 AS INTEGER)')} FOR UPDATE SKIP LOCKED) d),
         leased AS (${lease('id = ANY (ARRAY(SELECT id FROM chosen))')}),
         moves AS (SELECT "taskId" AS task_id, COUNT(*) AS images FROM leased GROUP BY "taskId"),
         ${counting.sql}
         SELECT l.*, r.owner, r."queueOwner", r.cost, r."outputOptions"
           FROM leased l JOIN (${taskPart} WHERE t.id = ANY (ARRAY(SELECT "taskId" FROM leased))) r ON r.id = l."taskId"`,
        [...[...shares].flat(), now, now + this.config.workers.leaseMs, ...counting.parameters],
      );
      return records.map((row) => claimedImage(row, row));
    }
    const { records: dueRows } = await execute<{ id: string }>(
      tx.manager,
      [...shares].map(() => `SELECT id FROM (${due('?', '?')})`).join(' UNION ALL '),
      [...shares].flatMap(([taskId, count]) => [taskId, now, count]),
    );
    const ids = dueRows.map((row) => row.id);
    if (ids.length === 0) return [];
    const { records: leased } = await execute<LeasedImage>(
      tx.manager,
      lease(`id IN (${inList(ids.length)})`),
      [now + this.config.workers.leaseMs, ...ids],
    );
    const { records: taskParts } = await execute<TaskPart & { id: string }>(
      tx.manager,
      `${taskPart} WHERE t.id IN (${inList(shares.size)})`,
      [...shares.keys()],
    );
    const byId = new Map(taskParts.map((task) => [task.id, task]));
    await this.counters.moved(
      tx,
      leased.map((image) => image.taskId),
      'claimed',
      now,
    );
    return leased.map((image) => claimedImage(image, byId.get(image.taskId)!));
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
