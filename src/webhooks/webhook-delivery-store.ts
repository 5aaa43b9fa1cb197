import { Injectable } from '@nestjs/common';
import type { Owner } from '../access/owner.js';
import { AppConfig } from '../config/app-config.js';
import { execute, inList } from '../database/sql.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import type { DeliveryStatus } from '../tasks/delivery-state-reader.js';

/** A delivery a dispatcher claimed: its attempt is counted, and no other dispatcher will make it. */
export interface ClaimedDelivery {
  id: string;
  taskId: string;
  url: string;
  payload: string;
  origin: string;
  owner: Owner;
  /** Attempts so far, the claimed one included. */
  attempts: number;
}

/** What an attempt leaves on its delivery. */
export interface DeliveryRecord {
  status: DeliveryStatus;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: number | null;
}

/**
 * The outbox as the dispatcher works it: which owners have pending deliveries, claiming an owner's due
 * ones, recording attempts. Every read of pending rows goes through the index of pending deliveries by owner
 * (idx_deliveries_pending_owner), so one owner's backlog is never stepped over to find another's.
 */
@Injectable()
export class WebhookDeliveryStore {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly config: AppConfig,
  ) {}

  /** The owners with pending deliveries (due or not): a skip scan of the index, one probe per owner. */
  pendingOwners(): Promise<Owner[]> {
    return this.unitOfWork.run(async ({ manager }) => {
      const { records } = await execute<{ owner: Owner }>(
        manager,
        `WITH RECURSIVE owners(owner) AS (
           SELECT (SELECT owner FROM webhook_deliveries WHERE status = 'pending' ORDER BY owner LIMIT 1)
           UNION ALL
           SELECT (SELECT d.owner FROM webhook_deliveries d
                    WHERE d.status = 'pending' AND d.owner > owners.owner ORDER BY d.owner LIMIT 1)
             FROM owners WHERE owners.owner IS NOT NULL)
         SELECT owner FROM owners WHERE owner IS NOT NULL`,
      );
      return records.map((record) => record.owner);
    });
  }

  /**
   * Claims up to `limit` of the owner's due deliveries, longest due first, none to a receiver in
   * `fullReceivers` and at most `roomAt(origin)` to any other. One conditional UPDATE counts each attempt and
   * moves its next_attempt_at past the attempt's timeout: a delivery another dispatcher claimed first is no
   * longer due, so two dispatchers never send the same attempt, and a crash mid-attempt only delays the
   * retry. On PostgreSQL the rows another dispatcher is claiming are skipped, not waited for.
   */
  claimDue(
    owner: Owner,
    limit: number,
    fullReceivers: string[],
    roomAt: (origin: string) => number,
  ): Promise<ClaimedDelivery[]> {
    return this.unitOfWork.run(async ({ manager }) => {
      const now = Date.now();
      const notFull = fullReceivers.length > 0 ? ` AND origin NOT IN (${inList(fullReceivers.length)})` : '';
      const skipLocked = this.config.database.isPostgres ? ' FOR UPDATE SKIP LOCKED' : '';
      const due = await execute<{ id: string; origin: string }>(
        manager,
        `SELECT id, origin FROM webhook_deliveries
          WHERE status = 'pending' AND owner = ? AND next_attempt_at <= ?${notFull}
          ORDER BY next_attempt_at LIMIT ?${skipLocked}`,
        [owner, now, ...fullReceivers, limit],
      );
      const picked = new Map<string, number>();
      const ids = due.records.flatMap(({ id, origin }) => {
        const taken = picked.get(origin) ?? 0;
        if (taken >= roomAt(origin)) return [];
        picked.set(origin, taken + 1);
        return [id];
      });
      if (ids.length === 0) return [];
      const claimed = await execute<ClaimedDelivery>(
        manager,
        `UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ?
          WHERE id IN (${inList(ids.length)}) AND status = 'pending' AND next_attempt_at <= ?
          RETURNING id, task_id AS "taskId", url, payload, origin, owner, attempts`,
        [now + this.config.webhooks.timeoutMs * 2, ...ids, now],
      );
      return claimed.records;
    });
  }

  async record(id: string, record: DeliveryRecord): Promise<void> {
    await this.unitOfWork.run(({ manager }) =>
      execute(
        manager,
        'UPDATE webhook_deliveries SET status = ?, last_status = ?, last_error = ?, next_attempt_at = ? WHERE id = ?',
        [record.status, record.lastStatus, record.lastError, record.nextAttemptAt, id],
      ),
    );
  }

  /** Milliseconds until the next pending delivery falls due, at most `maxMs` (those due already are not waited for). */
  msUntilNextDue(maxMs: number): Promise<number> {
    return this.unitOfWork.run(async ({ manager }) => {
      const now = Date.now();
      const { records } = await execute<{ next: number | string | null }>(
        manager,
        `SELECT MIN(next_attempt_at) AS "next" FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at > ?`,
        [now],
      );
      const next = records[0]?.next;
      return next === null || next === undefined ? maxMs : Math.min(maxMs, Math.max(0, Number(next) - now));
    });
  }
}
