import { IsInt, Max, Min } from 'class-validator';
import { atMost, type Concern } from './concern.js';
import { asNumber, derived, MAX_TIMER_MS, Variable } from './variable.js';

/** The progress streams of requests (`GET /requests/:id/events`). */
export class ProgressConfig {
  /** How often an open progress stream reads its request's counters. */
  @Variable('SSE_POLL_MS', {
    read: asNumber,
    default: 500,
    description:
      "How often open progress streams (`GET /requests/:id/events`) read their requests' counters from the database (one query for all streams)",
  })
  @IsInt()
  @Min(50)
  @Max(60_000)
  readonly pollMs: number;

  /** How often an idle progress stream sends a comment, so proxies keep it open. */
  @Variable('SSE_HEARTBEAT_MS', {
    read: asNumber,
    default: 15_000,
    description: 'How often an idle progress stream sends a keep-alive comment (so proxies keep it open)',
  })
  @IsInt()
  @Min(1000)
  @Max(MAX_TIMER_MS)
  readonly heartbeatMs: number;

  /** Progress streams open at once in this process, at most; one more is answered 503. */
  @Variable('SSE_MAX_STREAMS', {
    read: asNumber,
    default: 100,
    description: 'Progress streams open at once per API process; one more is answered `503`',
  })
  @IsInt()
  @Min(1)
  @Max(100_000)
  readonly maxStreams: number;

  /** …of which for one API key (one client address while the service is open) at most; one more is answered 429. */
  @Variable('SSE_MAX_STREAMS_PER_KEY', {
    read: asNumber,
    default: derived((progress: ProgressConfig) => Math.min(10, progress.maxStreams)),
    shown: '`min(10, SSE_MAX_STREAMS)`',
    description:
      '…of which for one API key (one client address while the service is open) at most; one more is answered `429`; at most `SSE_MAX_STREAMS`',
  })
  @IsInt()
  @Min(1)
  @Max(100_000)
  readonly maxStreamsPerKey: number;
}

export const progress: Concern<ProgressConfig> = {
  title: 'Progress streams',
  schema: ProgressConfig,
  check: (values, _config, refuse) =>
    atMost(refuse, 'SSE_MAX_STREAMS_PER_KEY', values.maxStreamsPerKey, 'SSE_MAX_STREAMS', values.maxStreams),
};
