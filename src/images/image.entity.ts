import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/epoch-ms.transformer.js';
import type { StoredRendition } from './renditions/stored-rendition.js';

export const IMAGE_STATUSES = ['queued', 'processing', 'done', 'failed'] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

/** `revalidated`: the source answered 304 to a conditional GET; `content_match`: its bytes hashed to a processed input. */
export type ImageReuse = 'revalidated' | 'content_match';

/** `available_at` of a duplicate: it is never claimed itself. */
export const NEVER = Number.MAX_SAFE_INTEGER;

/** One input URL of one row, and what became of it. */
@Entity('images')
@Index('idx_images_task_row', ['taskId', 'rowNumber', 'position'])
@Index('idx_images_leases', ['leaseUntil'], { where: "status = 'processing'" })
@Index('idx_images_task_queued', ['taskId', 'availableAt'], { where: "status = 'queued'" })
@Index('idx_images_task_failed', ['taskId', 'errorCode'], { where: "status = 'failed'" })
@Index('idx_images_waiting_duplicates', ['duplicateOf'], {
  where: "duplicate_of IS NOT NULL AND status = 'queued'",
})
export class Image {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'task_id', type: 'varchar', length: 36 })
  taskId: string;

  @Column({ name: 'row_number', type: 'integer' })
  rowNumber: number;

  /** Index of the URL within its row's cell. */
  @Column({ type: 'integer' })
  position: number;

  @Column({ name: 'input_url', type: 'text' })
  inputUrl: string;

  @Column({ type: 'varchar', length: 16 })
  status: ImageStatus;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  /** How many times its lease ran out while it was processing (its worker died); see MAX_LEASE_EXPIRIES. */
  @Column({ name: 'lease_expiries', type: 'integer', default: 0 })
  leaseExpiries: number;

  /** When a queued image may next be tried (retry backoff); never, for a duplicate. */
  @Column({ name: 'available_at', type: 'bigint', transformer: epochMs })
  availableAt: number;

  /** Until when the worker that claimed it owns it; an expired lease may be claimed again. */
  @Column({ name: 'lease_until', type: 'bigint', nullable: true, transformer: epochMs })
  leaseUntil: number | null;

  @Column({ name: 'error_code', type: 'varchar', length: 64, nullable: true })
  errorCode: string | null;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage: string | null;

  @Column({ name: 'output_key', type: 'text', nullable: true })
  outputKey: string | null;

  /** Set on a repeated URL: the image of the same request that is processed for it; this one shares its outcome. */
  @Column({ name: 'duplicate_of', type: 'varchar', length: 36, nullable: true })
  duplicateOf: string | null;

  @Column({ name: 'input_bytes', type: 'integer', nullable: true })
  inputBytes: number | null;

  @Column({ name: 'output_bytes', type: 'integer', nullable: true })
  outputBytes: number | null;

  /** The quality the output was written at (the chosen one, for quality=auto). */
  @Column({ name: 'output_quality', type: 'integer', nullable: true })
  outputQuality: number | null;

  /** For quality=auto: the measured SSIM of the output to its source. */
  @Column({ name: 'output_score', type: 'real', nullable: true })
  outputScore: number | null;

  /** Its renditions, when its request asked for some (the first is its output); else null. */
  @Column({ type: 'simple-json', nullable: true })
  renditions: StoredRendition[] | null;

  /** How a done image reused an earlier output of its owner's instead of being made: see ImageReuse; else null. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  reused: ImageReuse | null;
}
