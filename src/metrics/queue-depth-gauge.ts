import { Injectable, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { Metrics } from './metrics.js';
import { type QueueDepth, QueueDepthReader } from './queue-depth-reader.js';

const STATUSES = ['queued', 'processing'] as const;
/** A scrape within this long of the last count reuses it: a scraper in a loop cannot keep the database busy. */
const REUSE_MS = 1_000;

/**
 * `pixelmill_queue_images{status}`: read from the database at scrape time (QueueDepthReader), so every
 * process reports the shared queue. Concurrent scrapes share one read, and a count less than a second
 * old is reused.
 */
@Injectable()
export class QueueDepthGauge implements OnModuleInit {
  private inFlight?: Promise<QueueDepth>;
  private last?: { at: number; depth: QueueDepth };

  constructor(
    private readonly metrics: Metrics,
    private readonly reader: QueueDepthReader,
  ) {}

  onModuleInit(): void {
    const gauge: Gauge<'status'> = new Gauge({
      name: 'pixelmill_queue_images',
      help: 'Images waiting (queued) or being worked on (processing), across every process sharing the database',
      labelNames: ['status'] as const,
      registers: [this.metrics.registry],
      collect: async () => {
        const depth = await this.depth();
        for (const status of STATUSES) gauge.labels(status).set(depth[status]);
      },
    });
  }

  private async depth(): Promise<QueueDepth> {
    if (this.last && Date.now() - this.last.at < REUSE_MS) return this.last.depth;
    this.inFlight ??= this.reader
      .depth()
      .then((depth) => {
        this.last = { at: Date.now(), depth };
        return depth;
      })
      .finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }
}
