import { performance } from 'node:perf_hooks';

/**
 * How many images a worker process leases beyond its slots: CLAIM_AHEAD_MS of work at the pace it
 * started images since its earlier claims (halving the weight of each older one), at least CONCURRENCY
 * (a slot freed starts the next image at once), at most RECORD_BATCH_SIZE (and a client's share stays
 * within MAX_OWNER_COST_IN_FLIGHT). Quick images (re-imports, duplicates, a database-bound run) so cost
 * one claim per many; slow ones are claimed CONCURRENCY ahead. The pace is that of images already
 * started: when quick work gives way to slow, one larger claim may wait in the buffer for longer than
 * CLAIM_AHEAD_MS, until the next claim measures the slower pace.
 */
export class ClaimPace {
  /** Images started per ms, smoothed. */
  private pace = 0;
  private started = 0;
  private since: number;

  constructor(
    private readonly aheadMs: number,
    private readonly least: number,
    private readonly most: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.since = now();
  }

  /** An image started. */
  start(): void {
    this.started++;
  }

  /** At a claim: the images to hold beyond those in slots. */
  ahead(): number {
    const now = this.now();
    if (now > this.since) this.pace = (this.pace + this.started / (now - this.since)) / 2;
    this.started = 0;
    this.since = now;
    return Math.max(this.least, Math.min(this.most, Math.round(this.pace * this.aheadMs)));
  }
}
