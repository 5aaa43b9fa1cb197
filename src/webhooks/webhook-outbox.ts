import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Owner } from '../access/owner.js';
import { AppConfig } from '../config/app-config.js';
import { execute } from '../database/sql.js';
import type { Transaction } from '../database/unit-of-work.js';
import type { RequestCompletedEvent } from '../events.js';
import { WebhookDelivery } from './webhook-delivery.entity.js';
import { receiverOrigin } from './receiver-origin.js';
import { requestCompletedPayload } from './webhook-payload.js';

/**
 * Writes the webhook message of a completion in the transaction that records it (an explicit call
 * by the writer, not an event listener): the completion and its message commit, or roll back, together.
 */
@Injectable()
export class WebhookOutbox {
  constructor(private readonly config: AppConfig) {}

  async add(
    tx: Transaction,
    webhook: { url: string; owner: Owner },
    completion: RequestCompletedEvent,
  ): Promise<void> {
    const now = Date.now();
    await tx.manager.insert(WebhookDelivery, {
      id: `msg_${randomUUID().replaceAll('-', '')}`,
      taskId: completion.requestId,
      url: webhook.url,
      origin: receiverOrigin(webhook.url),
      owner: webhook.owner,
      payload: JSON.stringify(requestCompletedPayload(completion, this.config.server.publicUrl)),
      status: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      lastStatus: null,
      lastError: null,
      createdAt: now,
    });
  }

  /** Deletes a request's webhook messages (delivered or not) in the caller's transaction. */
  async deleteForTask(tx: Transaction, taskId: string): Promise<void> {
    await execute(tx.manager, 'DELETE FROM webhook_deliveries WHERE task_id = ?', [taskId]);
  }
}
