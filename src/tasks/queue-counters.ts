import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { imageCost } from '../config/image-cost.js';
import type { OutputOptions } from '../config/output-options.js';
import { execute, inList } from '../database/sql.js';
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
 * are locked in key order (requests, then owners) in every transaction, so two never wait on each other.
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

  /** Counts images that moved, one entry per image (its request's id); a claim stamps its owners. */
  async moved(tx: Transaction, taskIds: string[], move: ImageMove, claimedAt?: number): Promise<void> {
    if (taskIds.length === 0) return;
    const perTask = new Map<string, number>();
    for (const id of taskIds) perTask.set(id, (perTask.get(id) ?? 0) + 1);
    const { queued, inFlight } = MOVES[move];
    const ids = [...perTask.keys()].sort();
    const { records: tasks } = await execute<{ taskId: string; owner: string; cost: number }>(
      tx.manager,
      `${this.lockInOrder('queue_tasks', 'task_id', ids.length)}
       UPDATE queue_tasks SET queued_images = queued_images + ? * CAST(v.column2 AS INTEGER),
         in_flight_images = in_flight_images + ? * CAST(v.column2 AS INTEGER),
         in_flight_cost = in_flight_cost + ? * CAST(v.column2 AS INTEGER) * cost
        FROM (VALUES ${ids.map(() => '(?, ?)').join(', ')}) AS v
       WHERE queue_tasks.task_id = v.column1 ${this.locked('queue_tasks.task_id')}
       RETURNING task_id AS "taskId", owner, cost`,
      [
        ...(this.config.isPostgres ? ids : []),
        queued,
        inFlight,
        inFlight,
        ...ids.flatMap((id) => [id, perTask.get(id)]),
      ],
    );
    const perOwner = new Map<string, { images: number; cost: number }>();
    for (const task of tasks) {
      const owner = perOwner.get(task.owner) ?? { images: 0, cost: 0 };
      owner.images += perTask.get(task.taskId)!;
      owner.cost += perTask.get(task.taskId)! * task.cost;
      perOwner.set(task.owner, owner);
    }
    const owners = [...perOwner.keys()].sort();
    await execute(
      tx.manager,
      `${this.lockInOrder('queue_owners', 'owner', owners.length)}
       UPDATE queue_owners SET queued_images = queued_images + ? * CAST(v.column2 AS INTEGER),
         in_flight_cost = in_flight_cost + ? * CAST(v.column3 AS INTEGER)${claimedAt === undefined ? '' : ', claimed_at = ?'}
        FROM (VALUES ${owners.map(() => '(?, ?, ?)').join(', ')}) AS v
       WHERE queue_owners.owner = v.column1 ${this.locked('queue_owners.owner')}`,
      [
        ...(this.config.isPostgres ? owners : []),
        queued,
        inFlight,
        ...(claimedAt === undefined ? [] : [claimedAt]),
        ...owners.flatMap((owner) => [owner, perOwner.get(owner)!.images, perOwner.get(owner)!.cost]),
      ],
    );
  }

  /** The queue states of these requests (none for a request finished before the summary existed). */
  async statesOf(taskIds: string[]): Promise<Map<string, TaskQueueState>> {
    if (taskIds.length === 0) return new Map();
    const rows = await this.query<{ task_id: string; queued_images: number; in_flight_images: number }>(
      `SELECT task_id, queued_images, in_flight_images FROM queue_tasks WHERE task_id IN (${inList(taskIds.length)})`,
      taskIds,
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
    for (const key of this.config.apiKeys)
      await this.query('UPDATE queue_owners SET weight = ? WHERE owner = ?', [key.weight, key.name]);
  }

  /** One statement outside any transaction (`?` placeholders). */
  private query<T>(sql: string, parameters: unknown[]): Promise<T[]> {
    let index = 0;
    return this.dataSource.query(
      this.config.isPostgres ? sql.replace(/\?/g, () => `$${++index}`) : sql,
      parameters,
    );
  }

  private weightOf(owner: string): number {
    return this.config.apiKeys.find((key) => key.name === owner)?.weight ?? 1;
  }

  /**
   * PostgreSQL: a leading CTE that locks the rows in key order before the UPDATE touches them (its
   * parameters come first), so that transactions counting overlapping requests or owners queue up
   * instead of deadlocking. SQLite runs one transaction at a time.
   */
  private lockInOrder(table: string, key: string, count: number): string {
    if (!this.config.isPostgres) return '';
    return `WITH locked AS MATERIALIZED (SELECT ${key} AS key FROM ${table} WHERE ${key} IN (${inList(count)}) ORDER BY ${key} FOR UPDATE)`;
  }

  /** The UPDATE's condition that reads the CTE (an unread CTE would not run). */
  private locked(column: string): string {
    return this.config.isPostgres ? `AND ${column} IN (SELECT key FROM locked)` : '';
  }
}
