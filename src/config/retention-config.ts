import { IsInt, Max, Min } from 'class-validator';
import type { Concern } from './concern.js';
import { asNumber, MAX_TIMER_MS, Variable } from './variable.js';

/** How long finished requests are kept. */
export class RetentionConfig {
  /** Finished requests are deleted, with their outputs, this many days after they completed; 0 keeps them forever. */
  @Variable('RETENTION_DAYS', {
    read: asNumber,
    default: 30,
    description:
      'Finished requests are deleted, with their outputs, this many days after they completed; `0` keeps them forever (see [retention](operations.md#retention))',
  })
  @IsInt()
  @Min(0)
  @Max(36_500)
  readonly days: number;

  /** How often the retention job looks for expired requests. */
  @Variable('RETENTION_INTERVAL_MS', {
    read: asNumber,
    default: 3_600_000,
    aside: '1 h',
    description: 'How often the retention job runs (also once at start), where the role runs workers',
  })
  @IsInt()
  @Min(1000)
  @Max(MAX_TIMER_MS)
  readonly intervalMs: number;
}

export const retention: Concern<RetentionConfig> = { title: 'Retention', schema: RetentionConfig };
