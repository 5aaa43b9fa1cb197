import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import type { OutputOptions } from '../config/output-options.js';
import { execute, executePrepared, findOneWhere, inList, keyOrderLock } from '../database/sql.js';
import type { Transaction } from '../database/unit-of-work.js';
import type { Owner } from '../access/owner.js';
import { QueueCounters } from './queue-counters.js';
import { RequestNotFoundError } from './request-not-found.error.js';
import { Task, TASK_STATUSES, TaskStatus } from './task.entity.js';

export interface NewTask {
  id: string;
  owner: Owner;
  totalImages: number;
  webhookUrl: string | null;
  csvHeaders: string[];
  idempotencyKey: string | null;
  contentHash: string;
  outputOptions: OutputOptions;
  /** The name the CSV was uploaded as; absent or null: none. */
  fileName?: string | null;
}

/** The statuses of a request whose images are all finished: it may be deleted. */
const FINISHED_STATUSES = TASK_STATUSES.filter((status) => status !== 'processing');

/** SQL that derives a finished request's status from its count of failed images (an expression). */
const finishedStatusSql = (failed: string) =>
  `CASE WHEN ${failed} = 0 THEN 'completed' WHEN ${failed} >= total_images THEN 'failed' ELSE 'completed_with_errors' END`;

/** The requests (tasks) and their counters. Counters only ever change in single atomic UPDATEs. */
/** What finished images add to their request's counters: how many, how many failed, the done ones' bytes. */
export interface ImageOutcomeCounts {
  processed: number;
  failed: number;
  inputBytes?: number;
  outputBytes?: number;
  /** Of the done ones, those that reused an earlier output. */
  reused?: number;
}

@Injectable()
export class TasksService {
  constructor(
    @InjectRepository(Task) private readonly tasks: Repository<Task>,
    private readonly queueCounters: QueueCounters,
  ) {}

  async create(tx: Transaction, task: NewTask): Promise<void> {
    await tx.manager.insert(Task, {
      ...task,
      status: 'processing',
      processedImages: 0,
      failedImages: 0,
      createdAt: Date.now(),
      completedAt: null,
    });
  }

  /** The owner's task, or RequestNotFoundError (the client asked for a request): another owner's is as unknown as a made-up id. */
  async getOrFail(taskId: string, owner: Owner): Promise<Task> {
    const task = await findOneWhere(this.tasks, 'id = ? AND owner = ?', [taskId, owner]);
    if (!task) throw new RequestNotFoundError(taskId);
    return task;
  }

  /** The requests among these ids that exist (whoever owns them). */
  findByIds(ids: string[]): Promise<Task[]> {
    return this.tasks.findBy({ id: In(ids) });
  }

  findByIdempotencyKey(owner: Owner, key: string): Promise<Task | null> {
    return this.tasks.findOneBy({ owner, idempotencyKey: key });
  }

  /** The owner's images not yet finished (queued or processing), from the counters of its unfinished requests. */
  async unfinishedImages(tx: Transaction, owner: Owner): Promise<number> {
    const { records } = await execute<{ unfinished: number | string | null }>(
      tx.manager,
      "SELECT SUM(total_images - processed_images) AS unfinished FROM tasks WHERE owner = ? AND status = 'processing'",
      [owner],
    );
    return Number(records[0]?.unfinished ?? 0);
  }

  /** One page of the owner's requests, newest first, after the cursor's request (keyset paging). */
  page(owner: Owner, limit: number, after?: { createdAt: number; id: string }): Promise<Task[]> {
    const query = this.tasks
      .createQueryBuilder('task')
      .where('task.owner = :owner', { owner })
      .orderBy('task.created_at', 'DESC')
      .addOrderBy('task.id', 'DESC')
      .limit(limit);
    if (after) {
      query.andWhere(
        '(task.created_at < :createdAt OR (task.created_at = :createdAt AND task.id < :id))',
        after,
      );
    }
    return query.getMany();
  }

  /**
   * Counts finished images (a batch of them, duplicates included) per request: how many, `failed` of
   * them failed, and the bytes in and out of the done ones; their rows locked in id order (two batches
   * never wait on each other). Returns the requests this very call finished: their status changes once,
   * so completion is detected exactly once even when the last two images finish together. `outOfFlight`:
   * the request of each image a worker finished (not its duplicates), out of the queue's in-flight
   * counters in the same transaction. On PostgreSQL all of it is one statement.
   */
  async recordImageOutcomes(
    tx: Transaction,
    outcomes: Map<string, ImageOutcomeCounts>,
    outOfFlight: string[] = [],
  ): Promise<Task[]> {
    const ids = [...outcomes.keys()].sort();
    if (ids.length === 0) return [];
    const values = ids.flatMap((id) => {
      const outcome = outcomes.get(id)!;
      return [
        id,
        outcome.processed,
        outcome.failed,
        outcome.inputBytes ?? 0,
        outcome.outputBytes ?? 0,
        outcome.reused ?? 0,
      ];
    });
    const counters = `processed_images = processed_images + CAST(v.column2 AS INTEGER),
          failed_images = failed_images + CAST(v.column3 AS INTEGER),
          input_bytes = input_bytes + CAST(v.column4 AS BIGINT), output_bytes = output_bytes + CAST(v.column5 AS BIGINT),
          reused_images = reused_images + CAST(v.column6 AS INTEGER)`;
    const batch = `FROM (VALUES ${ids.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}) AS v WHERE tasks.id = v.column1`;
    const { lock, locked } = keyOrderLock(tx.manager, 'tasks', 'id', ids.length);
    let finished: string[];
    if (lock) {
      // PostgreSQL (keyOrderLock is empty on SQLite).
      // The status changes in the same UPDATE (its right-hand sides read the row before it), and
      // RETURNING tells the rows whose count this very statement took to their total.
      const reaches =
        "status = 'processing' AND processed_images + CAST(v.column2 AS INTEGER) >= total_images";
      const queue = this.queueCounters.movedCtes(outOfFlight, 'finished');
      const { records } = await executePrepared<{ id: string }>(
        tx.manager,
        `${lock}, counted AS (
           UPDATE tasks SET ${counters},
             status = CASE WHEN ${reaches} THEN ${finishedStatusSql('failed_images + CAST(v.column3 AS INTEGER)')} ELSE status END,
             completed_at = CASE WHEN ${reaches} THEN ? ELSE completed_at END
           ${batch} ${locked('tasks.id')}
           RETURNING tasks.id, tasks.status <> 'processing'
             AND tasks.processed_images - CAST(v.column2 AS INTEGER) < tasks.total_images AS finished)
         ${queue.sql ? `, ${queue.sql}` : ''}
         SELECT id FROM counted WHERE finished`,
        [...ids, Date.now(), ...values, ...queue.parameters],
      );
      finished = records.map((task) => task.id);
    } else {
      await execute(tx.manager, `UPDATE tasks SET ${counters} ${batch}`, values);
      const { records } = await execute<{ id: string }>(
        tx.manager,
        `UPDATE tasks SET status = ${finishedStatusSql('failed_images')}, completed_at = ?
          WHERE id IN (${inList(ids.length)}) AND status = 'processing' AND processed_images >= total_images
          RETURNING id`,
        [Date.now(), ...ids],
      );
      finished = records.map((task) => task.id);
      await this.queueCounters.moved(tx, outOfFlight, 'finished');
    }
    return finished.length === 0 ? [] : tx.manager.findBy(Task, { id: In(finished) });
  }

  /** Puts a finished request back to processing because `count` of its failed images are queued again. */
  async reopen(tx: Transaction, taskId: string, count: number): Promise<void> {
    await tx.manager
      .createQueryBuilder()
      .update(Task)
      .set({
        status: 'processing' satisfies TaskStatus,
        completedAt: null,
        processedImages: () => `processed_images - ${Number(count)}`,
        failedImages: () => `failed_images - ${Number(count)}`,
      })
      .where('id = :taskId', { taskId })
      .execute();
  }

  /**
   * Deletes the request's row if it is finished; false when it is processing (or gone). The condition is
   * in the statement itself, so a retry that reopens the request at the same moment wins or loses whole.
   */
  async deleteFinished(tx: Transaction, taskId: string): Promise<boolean> {
    const deleted = await execute(
      tx.manager,
      `DELETE FROM tasks WHERE id = ? AND status IN (${inList(FINISHED_STATUSES.length)})`,
      [taskId, ...FINISHED_STATUSES],
    );
    return deleted.affected === 1;
  }

  /** Ids of finished requests that completed before `before` (epoch ms), oldest first. */
  async finishedBefore(before: number, limit: number): Promise<string[]> {
    const tasks = await this.tasks
      .createQueryBuilder('task')
      .select('task.id', 'id')
      .where('task.status IN (:...statuses)', { statuses: FINISHED_STATUSES })
      .andWhere('task.completed_at < :before', { before })
      .orderBy('task.completed_at', 'ASC')
      .limit(limit)
      .getRawMany<{ id: string }>();
    return tasks.map((task) => task.id);
  }
}
