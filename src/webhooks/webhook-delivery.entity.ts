import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/epoch-ms.transformer.js';

import type { DeliveryStatus } from '../tasks/delivery-state-reader.js';

/** The outbox: one webhook message, written with the completion it announces, delivered by the dispatcher. */
@Entity('webhook_deliveries')
@Index('idx_deliveries_due', ['status', 'nextAttemptAt'])
@Index('idx_deliveries_pending_owner', ['owner', 'nextAttemptAt'], { where: "status = 'pending'" })
export class WebhookDelivery {
  /** Also the `webhook-id` header: the same on every attempt, so receivers can de-duplicate. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id: string;

  @Column({ name: 'task_id', type: 'varchar', length: 36 })
  @Index('idx_deliveries_task')
  taskId: string;

  @Column({ type: 'text' })
  url: string;

  /** The receiver: the URL's origin (see receiverOrigin), for WEBHOOK_CONCURRENCY_PER_RECEIVER. */
  @Column({ type: 'text', default: '' })
  origin: string;

  /** The request's owner (its API key's name; '' while the service is open), for WEBHOOK_CONCURRENCY_PER_KEY. */
  @Column({ type: 'varchar', length: 64, default: '' })
  owner: string;

  @Column({ type: 'text' })
  payload: string;

  @Column({ type: 'varchar', length: 16 })
  status: DeliveryStatus;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'next_attempt_at', type: 'bigint', nullable: true, transformer: epochMs })
  nextAttemptAt: number | null;

  @Column({ name: 'last_status', type: 'integer', nullable: true })
  lastStatus: number | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt: number;
}
