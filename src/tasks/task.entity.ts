import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { OutputOptions } from '../config/output-options.js';
import { bigintNumber } from '../database/bigint-number.transformer.js';
import { epochMs } from '../database/epoch-ms.transformer.js';

export const TASK_STATUSES = ['processing', 'completed', 'completed_with_errors', 'failed'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** One uploaded CSV: the request a client polls. */
@Entity('tasks')
@Index('idx_tasks_status_created', ['status', 'createdAt'])
@Index('idx_tasks_owner_idempotency_key', ['owner', 'idempotencyKey'], { unique: true })
@Index('idx_tasks_owner_created', ['owner', 'createdAt', 'id'])
@Index('idx_tasks_status_completed', ['status', 'completedAt'])
export class Task {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ type: 'varchar', length: 32 })
  status: TaskStatus;

  @Column({ name: 'total_images', type: 'integer' })
  totalImages: number;

  @Column({ name: 'processed_images', type: 'integer', default: 0 })
  processedImages: number;

  @Column({ name: 'failed_images', type: 'integer', default: 0 })
  failedImages: number;

  /** Bytes downloaded for the done images (a duplicate counts as its original). */
  @Column({ name: 'input_bytes', type: 'bigint', default: 0, transformer: bigintNumber })
  inputBytes: number;

  /** Done images that reused an earlier output instead of being made (see Image.reused). */
  @Column({ name: 'reused_images', type: 'integer', default: 0 })
  reusedImages: number;

  /** Bytes of the done images' outputs. */
  @Column({ name: 'output_bytes', type: 'bigint', default: 0, transformer: bigintNumber })
  outputBytes: number;

  @Column({ name: 'webhook_url', type: 'text', nullable: true })
  webhookUrl: string | null;

  /** The name the CSV was uploaded as (sanitised, at most MAX_FILE_NAME_LENGTH characters); null when the upload gave none. */
  @Column({ name: 'file_name', type: 'varchar', length: 255, nullable: true })
  fileName: string | null;

  /** The uploaded header names, in their order, for the export. */
  @Column({ name: 'csv_headers', type: 'simple-json' })
  csvHeaders: string[];

  /** The name of the API key that created it; '' while the service is open (see src/access/owner.ts). */
  @Column({ type: 'varchar', length: 64, default: '' })
  owner: string;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 255, nullable: true })
  idempotencyKey: string | null;

  @Column({ name: 'content_hash', type: 'varchar', length: 64 })
  contentHash: string;

  /** How its images are written: the upload's fields, or the defaults of the time. */
  @Column({ name: 'output_options', type: 'simple-json' })
  outputOptions: OutputOptions;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt: number;

  @Column({ name: 'completed_at', type: 'bigint', nullable: true, transformer: epochMs })
  completedAt: number | null;
}
