import { IsInt, Max, Min } from 'class-validator';
import { availableParallelism } from 'node:os';
import { atMost, type Concern } from './concern.js';
import { MAX_IMAGE_COST } from './image-cost.js';
import { defaultImageMemoryBytes } from './image-memory.js';
import {
  DEFAULT_PREVIEW_CONCURRENCY,
  defaultImageThreads,
  HEADER_READS,
  IO_THREADS,
  MAX_THREAD_POOL_SIZE,
  MIN_IO_THREADS,
  threadPoolSizeFor,
} from './thread-pool.cjs';
import { asNumber, derived, MAX_TIMER_MS, Variable } from './variable.js';

const MiB = 1024 * 1024;

/**
 * Two minutes: a 12 MP photo written as AVIF with quality=auto (up to five AVIF encodes) takes about
 * that on one busy core; noise-like images, the costliest for every encoder, take longer and fail.
 */
const DEFAULT_IMAGE_TIMEOUT_MS = 120_000;

/** The queue and the image work of a process: how much at once, on which threads, in how much memory and time. */
export class WorkersConfig {
  @Variable('CONCURRENCY', {
    read: asNumber,
    // Measured by `npm run bench`: 4 images in flight per core keeps downloads, database writes and
    // files overlapped with sharp's work (2 per core left ~10% of the CPU idle; 6 per core was slower).
    default: derived(() => Math.max(4, availableParallelism() * 4)),
    shown: '`max(4, 4 × cores)`',
    description:
      "Images in flight at once (downloads, waiting for a thread or memory, sharp's work and writes overlap)",
  })
  @IsInt()
  @Min(1)
  @Max(256)
  readonly concurrency: number;

  /** The cost (see image-cost.ts) of one owner's images claimed by this process at once, at most. */
  @Variable('MAX_OWNER_COST_IN_FLIGHT', {
    read: asNumber,
    // 4 × CONCURRENCY: 16 per core, one image of the largest cost (AVIF) per core (see image-cost.ts).
    default: derived((workers: WorkersConfig) => Math.max(MAX_IMAGE_COST, 4 * workers.concurrency)),
    shown: '`4 × CONCURRENCY`',
    description: `The cost of one client's images a worker process holds at once, at most (at least ${MAX_IMAGE_COST}: one AVIF image); see [fair shares](scale-out.md#fair-shares-between-clients)`,
  })
  @IsInt()
  @Min(MAX_IMAGE_COST)
  readonly maxOwnerCostInFlight: number;

  /** Sharp jobs of image work running at once in this process (each holds one of libuv's pool threads). */
  @Variable('IMAGE_THREADS', {
    read: asNumber,
    default: derived(defaultImageThreads),
    shown: '2 × cores',
    description:
      "Images made by sharp at once per worker process (1–256): each holds one of libuv's pool threads; see [performance](performance.md#isolation)",
  })
  @IsInt()
  @Min(1)
  @Max(256)
  readonly imageThreads: number;

  /**
   * Of the image threads, how many images of a costly output (AVIF, `quality=auto`) may hold at once: the
   * others stay free for cheap images, whoever is waiting for costly ones (an AVIF encode cannot be stopped).
   */
  @Variable('COSTLY_IMAGE_THREADS', {
    read: asNumber,
    // Costly images hold their thread for seconds to minutes: their share is counted in cores, not in
    // threads (two a core by default), so that a core's worth of threads is always left to cheap ones.
    default: derived((workers: WorkersConfig) =>
      Math.max(1, Math.min(workers.imageThreads - 1, availableParallelism() - 1)),
    ),
    shown: '`min(IMAGE_THREADS, cores) − 1` (at least 1)',
    description: `Of the \`IMAGE_THREADS\`, how many may make images of a costly output (AVIF or \`quality=auto\`) at once, at most \`IMAGE_THREADS\`: the rest are kept for cheap outputs, so one client's slow encodes never hold every thread; see [performance](performance.md#isolation)`,
  })
  @IsInt()
  @Min(1)
  @Max(256)
  readonly costlyImageThreads: number;

  /** Previews made at once in this process (on their first request), at most; the others wait their turn. */
  @Variable('PREVIEW_CONCURRENCY', {
    read: asNumber,
    // Two: a page of 100 cold previews is made in well under a second (a few ms each from a stored
    // output) while leaving the other cores' worth of threads to the image workers and the API.
    default: DEFAULT_PREVIEW_CONCURRENCY,
    description:
      'Previews made at once per API process (on their first request; the others wait), 1–64: a page of 100 cold previews never crowds the image workers',
  })
  @IsInt()
  @Min(1)
  @Max(64)
  readonly previewConcurrency: number;

  /** libuv's thread pool as this process runs it: the image, header and preview threads plus at least MIN_IO_THREADS for I/O. */
  @Variable('UV_THREADPOOL_SIZE', {
    read: asNumber,
    // The entry point (main.cts) sets it before the pool starts when the operator did not.
    default: derived((workers: WorkersConfig) =>
      threadPoolSizeFor(workers.imageThreads, workers.previewConcurrency),
    ),
    shown: `\`IMAGE_THREADS + PREVIEW_CONCURRENCY + ${HEADER_READS + IO_THREADS}\``,
    description: `libuv's thread pool (files, DNS, sharp), set by the entry point (\`node dist/main.cjs\`) before the pool starts; when set, at least \`IMAGE_THREADS + PREVIEW_CONCURRENCY + ${HEADER_READS + MIN_IO_THREADS}\` (${HEADER_READS} for image headers), so file and network I/O always have threads`,
  })
  @IsInt()
  @Min(1)
  @Max(MAX_THREAD_POOL_SIZE)
  readonly threadPoolSize: number;

  @Variable('IMAGE_MEMORY_MB', {
    read: asNumber,
    default: derived((workers: WorkersConfig) => defaultImageMemoryBytes(workers.imageThreads) / MiB),
    shown: '`min(128 × IMAGE_THREADS, memory ÷ 4)`',
    description:
      "Estimated working memory of the images being made at once, in MiB (16 and up); memory is the cgroup's limit, else the machine's. An image over it runs alone",
  })
  @IsInt()
  @Min(16)
  @Max(1_048_576)
  readonly imageMemoryMb: number;

  /** How long making one image may take once it has its thread and memory; then it fails with `image_timeout`. */
  @Variable('IMAGE_TIMEOUT_MS', {
    read: asNumber,
    default: DEFAULT_IMAGE_TIMEOUT_MS,
    description:
      'How long making one image may take once it has its thread and memory (1000 and up); then it fails with `image_timeout`',
  })
  @IsInt()
  @Min(1000)
  @Max(MAX_TIMER_MS)
  readonly imageTimeoutMs: number;

  /** How long a finished image waits for others to share its recording transaction (0: none, group commit only). */
  @Variable('RECORD_BATCH_MS', {
    read: asNumber,
    // Measured by the bench's queue phase: batches of what arrives in 20 ms cost 0.77 statements per
    // image, against 0.87 in 5 ms; the wait holds no worker slot, so it costs latency only.
    default: 20,
    description:
      'How long a finished image waits for others to share its recording transaction (0–1000; a batch is written at once when `RECORD_BATCH_SIZE` wait). The wait holds no worker slot',
  })
  @IsInt()
  @Min(0)
  @Max(1000)
  readonly recordBatchMs: number;

  /**
   * The finished images one recording transaction takes, at most. Twice as many may wait for theirs
   * (one batch written, the next gathering) before workers stop starting images.
   */
  @Variable('RECORD_BATCH_SIZE', {
    read: asNumber,
    default: 64,
    description:
      'Finished images recorded in one transaction, at most (1–1000); up to twice as many may wait for their recording (holding no worker slot) before workers wait for the database',
  })
  @IsInt()
  @Min(1)
  @Max(1000)
  readonly recordBatchSize: number;

  /**
   * How far ahead of its slots a worker process leases, in time at its own recent pace: quick images
   * (re-imports, duplicates) are claimed in batches of that many, at most RECORD_BATCH_SIZE; slow ones
   * never more than CONCURRENCY ahead.
   */
  @Variable('CLAIM_AHEAD_MS', {
    read: asNumber,
    default: 50,
    description:
      "How much work a worker process leases ahead of its free slots, in time at its recent pace (0–1000): quick images are claimed many per transaction (up to `RECORD_BATCH_SIZE`, one client's within `MAX_OWNER_COST_IN_FLIGHT`), slow ones `CONCURRENCY` ahead; `0`: always `CONCURRENCY` ahead",
  })
  @IsInt()
  @Min(0)
  @Max(1000)
  readonly claimAheadMs: number;

  @Variable('LEASE_MS', {
    read: asNumber,
    default: 60_000,
    description: 'How long a worker owns an image it processes before another may take it',
  })
  @IsInt()
  @Min(1000)
  @Max(MAX_TIMER_MS)
  readonly leaseMs: number;

  /** An image whose lease ran out (its worker died) more often than this fails with `worker_crashed`. */
  @Variable('MAX_LEASE_EXPIRIES', {
    read: asNumber,
    default: 3,
    description:
      'An image whose worker died while processing it (its lease ran out) more often than this fails with `worker_crashed` instead of being tried again (`0`–`100`)',
  })
  @IsInt()
  @Min(0)
  @Max(100)
  readonly maxLeaseExpiries: number;

  @Variable('QUEUE_POLL_MS', {
    read: asNumber,
    default: 1000,
    description:
      'How often an idle worker looks for due work when nothing wakes it (retries whose backoff passed, expired leases); new requests wake workers at once',
  })
  @IsInt()
  @Min(50)
  @Max(600_000)
  readonly queuePollMs: number;

  /** The estimated working memory of the images being made at once, in bytes, at most (one larger image runs alone). */
  get imageMemoryBytes(): number {
    return this.imageMemoryMb * MiB;
  }
}

export const workers: Concern<WorkersConfig> = {
  title: 'Queue and workers',
  schema: WorkersConfig,
  check: (values, _config, refuse) => {
    const { imageThreads, previewConcurrency } = values;
    const least = imageThreads + previewConcurrency + HEADER_READS + MIN_IO_THREADS;
    const pool =
      values.threadPoolSize < least
        ? [
            refuse(
              'UV_THREADPOOL_SIZE',
              `must leave at least ${MIN_IO_THREADS} threads for I/O beyond IMAGE_THREADS + PREVIEW_CONCURRENCY (${imageThreads} + ${previewConcurrency}) and ${HEADER_READS} for image headers: at least ${least}`,
            ),
          ]
        : [];
    return [
      ...pool,
      ...atMost(refuse, 'COSTLY_IMAGE_THREADS', values.costlyImageThreads, 'IMAGE_THREADS', imageThreads),
    ];
  },
};
