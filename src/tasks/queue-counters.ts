import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { imageCost } from '../config/image-cost.js';
import type { OutputOptions } from '../config/output-options.js';
import { execute, executeAlone, executePrepared, inTextList, selectRows } from '../database/sql.js';
import type { Transaction } from '../database/unit-of-work.js';

/** A request whose images are queued, as the queue's summary knows it. */
export interface QueuedTask {
  id: string;
  /** Whose share of the workers its images use: see queueOwnerOf. */
  queueOwner: string;
  createdAt: number;
  outputOptions: OutputOptions;
}

/** Where a request's images are: waiting for a worker, or in flight (claimed, not yet finished). */
export interface TaskQueueState {
  queuedImages: number;
  inFlightImages: number;
}

/** Per image, how a state change moves the counters of its request. */
const MOVES = {
  claimed: { queued: -1, inFlight: 1 },
  requeued: { queued: 1, inFlight: -1 },
  finished: { queued: 0, inFlight: -1 },
};
export type ImageMove = keyof typeof MOVES;

/**
 * The queue's summary (tables `queue_tasks` and `queue_owners`): per request its images waiting and in
 * flight, per owner its weight, its images waiting and the cost (image-cost.ts) of those in flight.
 * The claim reads it instead of counting images. Every change is an increment in the transaction that
 * changes the images' states (an upload or a retry queues, a claim takes, a requeue gives back, a
 * recorded outcome finishes), counted from the rows that statement changed, so the counters hold
 * whatever crashes or races. Duplicates are never claimed and never counted. On PostgreSQL the rows
 * are locked in key order (requests, then owners) in every transaction, so two never deadlock.
 */
@Injectable()
export class QueueCounters implements OnApplicationBootstrap {
  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
  ) {}

  /**
   * Counts `images` more queued images of the request (an upload: its new row; a retry: added to it).
   * The owner's weight is the one this process's API_KEY_WEIGHTS gives.
   */
  async queued(tx: Transaction, task: QueuedTask, images: number): Promise<void> {
    const { records } = await execute<{ owner: string }>(
      tx.manager,
      `INSERT INTO queue_tasks (task_id, owner, created_at, cost, queued_images) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (task_id) DO UPDATE SET queued_images = queue_tasks.queued_images + excluded.queued_images
       RETURNING owner`,
      [task.id, task.queueOwner, task.createdAt, imageCost(task.outputOptions), images],
    );
    await execute(
      tx.manager,
      `INSERT INTO queue_owners (owner, weight, queued_images) VALUES (?, ?, ?)
       ON CONFLICT (owner) DO UPDATE SET queued_images = queue_owners.queued_images + excluded.queued_images,
         weight = excluded.weight`,
      [records[0].owner, this.weightOf(records[0].owner), images],
    );
  }

  /**
   * Counts images that moved, one entry per image (its request's id); a claim stamps its owners. On
   * PostgreSQL one statement: the requests' rows, then their owners', each locked in key order.
   */
  async moved(tx: Transaction, taskIds: string[], move: ImageMove, claimedAt?: number): Promise<void> {
    if (taskIds.length === 0) return;
    const perTask = new Map<string, number>();
    for (const id of taskIds) perTask.set(id, (perTask.get(id) ?? 0) + 1);
    const ids = [...perTask.keys()].sort();
    const values = ids.flatMap((id) => [id, perTask.get(id)]);
    if (this.config.database.isPostgres) {
      const counting = this.movedCtes(taskIds, move, claimedAt);
      await executePrepared(
        tx.manager,
        `WITH ${counting.sql} SELECT COUNT(*) FROM counted_owners`,
        counting.parameters,
      );
      return;
    }
    const { queued, inFlight } = MOVES[move];
    const updateTasks = `UPDATE queue_tasks SET queued_images = queued_images + ? * CAST(v.column2 AS INTEGER),
         in_flight_images = in_flight_images + ? * CAST(v.column2 AS INTEGER),
         in_flight_cost = in_flight_cost + ? * CAST(v.column2 AS INTEGER) * cost
        FROM (VALUES ${ids.map(() => '(?, ?)').join(', ')}) AS v WHERE queue_tasks.task_id = v.column1`;
    const tasksParameters = [queued, inFlight, inFlight, ...values];
    const ownersSet = `queued_images = queued_images + ? * p.images, in_flight_cost = in_flight_cost + ? * p.cost${claimedAt === undefined ? '' : ', claimed_at = ?'}`;
    const ownersParameters = [queued, inFlight, ...(claimedAt === undefined ? [] : [claimedAt])];
    // SQLite's RETURNING sees only the updated table: the counts per owner are summed here.
    const { records: tasks } = await execute<{ taskId: string; owner: string; cost: number }>(
      tx.manager,
      `${updateTasks} RETURNING task_id AS "taskId", owner, cost`,
      tasksParameters,
    );
    const perOwner = new Map<string, { images: number; cost: number }>();
    for (const task of tasks) {
      const owner = perOwner.get(task.owner) ?? { images: 0, cost: 0 };
      owner.images += perTask.get(task.taskId)!;
      owner.cost += perTask.get(task.taskId)! * task.cost;
      perOwner.set(task.owner, owner);
    }
    await execute(
      tx.manager,
      `UPDATE queue_owners SET ${ownersSet}
         FROM (SELECT column1 AS owner, column2 AS images, column3 AS cost
                 FROM (VALUES ${[...perOwner.keys()].map(() => '(?, ?, ?)').join(', ')})) AS p
        WHERE queue_owners.owner = p.owner`,
      [...ownersParameters, ...[...perOwner].flatMap(([owner, { images, cost }]) => [owner, images, cost])],
    );
  }

  /**
   * PostgreSQL: `moved` as CTEs for another statement's WITH (`sql` without a leading comma; empty, with
   * no parameters, when no image moved), so that statement's transaction counts them without another
   * round trip.
   */
  movedCtes(taskIds: string[], move: ImageMove, claimedAt?: number): { sql: string; parameters: unknown[] } {
    if (taskIds.length === 0) return { sql: '', parameters: [] };
    const perTask = new Map<string, number>();
    for (const id of taskIds) perTask.set(id, (perTask.get(id) ?? 0) + 1);
    const ids = [...perTask.keys()].sort();
    const counting = this.countingCtes('moves', move, claimedAt);
    return {
      sql: `moves AS (SELECT column1 AS task_id, CAST(column2 AS INTEGER) AS images
                        FROM (VALUES ${ids.map(() => '(?, ?)').join(', ')}) AS v),
            ${counting.sql}`,
      parameters: [...ids.flatMap((id) => [id, perTask.get(id)]), ...counting.parameters],
    };
  }

  /**
   * PostgreSQL: the CTEs (to follow others in one WITH) that count the images of `moves`, a relation of
   * (task_id, images) defined before them, as having moved: the requests' rows, then their owners',
   * each locked in key order; the last, counted_owners, must be read or is run at the end anyway (a
   * data-modifying CTE always runs). So a statement can change images and count them at once. Rows are
   * found by `= ANY (ARRAY(…))`: an index lookup whatever the plan (a prepared statement's generic plan
   * joined CTEs to a scan of every request's row).
   */
  countingCtes(moves: string, move: ImageMove, claimedAt?: number): { sql: string; parameters: unknown[] } {
    const { queued, inFlight } = MOVES[move];
    return {
      sql: `locked_tasks AS MATERIALIZED (
          SELECT task_id FROM queue_tasks WHERE task_id = ANY (ARRAY(SELECT task_id FROM ${moves})) ORDER BY task_id FOR UPDATE),
        counted_tasks AS (
          UPDATE queue_tasks q SET queued_images = q.queued_images + ? * m.images,
                 in_flight_images = q.in_flight_images + ? * m.images, in_flight_cost = q.in_flight_cost + ? * m.images * q.cost
            FROM ${moves} m WHERE q.task_id = m.task_id AND q.task_id = ANY (ARRAY(SELECT task_id FROM locked_tasks))
          RETURNING q.owner, m.images, m.images * q.cost AS cost),
        per_owner AS (SELECT owner, SUM(images) AS images, SUM(cost) AS cost FROM counted_tasks GROUP BY owner),
        locked_owners AS MATERIALIZED (
          SELECT owner FROM queue_owners WHERE owner = ANY (ARRAY(SELECT owner FROM per_owner)) ORDER BY owner FOR UPDATE),
        counted_owners AS (
          UPDATE queue_owners o SET queued_images = o.queued_images + ? * p.images,
                 in_flight_cost = o.in_flight_cost + ? * p.cost${claimedAt === undefined ? '' : ', claimed_at = ?'}
            FROM per_owner p WHERE o.owner = p.owner AND o.owner = ANY (ARRAY(SELECT owner FROM locked_owners))
          RETURNING 1)`,
      parameters: [
        queued,
        inFlight,
        inFlight,
        queued,
        inFlight,
        ...(claimedAt === undefined ? [] : [claimedAt]),
      ],
    };
  }

  /** The queue states of these requests (none for a request finished before the summary existed). */
  async statesOf(taskIds: string[]): Promise<Map<string, TaskQueueState>> {
    if (taskIds.length === 0) return new Map();
    const { manager } = this.dataSource;
    const ids = inTextList(manager, 'task_id', taskIds);
    const rows = await selectRows<{ task_id: string; queued_images: number; in_flight_images: number }>(
      manager,
      `SELECT task_id, queued_images, in_flight_images FROM queue_tasks WHERE ${ids.sql}`,
      [ids.parameter],
    );
    return new Map(
      rows.map((row) => [
        row.task_id,
        { queuedImages: row.queued_images, inFlightImages: row.in_flight_images },
      ]),
    );
  }

  /** At start, where API keys are configured: their owners' rows take this configuration's weights. */
  async onApplicationBootstrap(): Promise<void> {
    for (const key of this.config.access.keys)
      await executeAlone(this.dataSource.manager, 'UPDATE queue_owners SET weight = ? WHERE owner = ?', [
        key.weight,
        key.name,
      ]);
  }

  private weightOf(owner: string): number {
    return this.config.access.keys.find((key) => key.name === owner)?.weight ?? 1;
  }
}
