import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { failureCodeLabel } from './failure-code-label.js';

export type ImageStage = 'download' | 'process' | 'store';
export type WebhookAttemptOutcome = 'delivered' | 'pending' | 'failed';

const STAGE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const HTTP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The process's Prometheus registry and the few calls the code makes to it. Counters are per process
 * (Prometheus sums the instances); every label value comes from a fixed set, so the series stay bounded.
 * One registry per app instance (not prom-client's global one), so several apps can live in one process.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  private readonly imagesProcessed = new Counter({
    name: 'pixelmill_images_processed_total',
    help: 'Images recorded done or failed by this process; code is the failure code ("none" when done)',
    labelNames: ['outcome', 'code'] as const,
    registers: [this.registry],
  });

  private readonly stageSeconds = new Histogram({
    name: 'pixelmill_image_stage_seconds',
    help: 'Time an image spent in each stage of its processing (failed attempts included)',
    labelNames: ['stage'] as const,
    buckets: STAGE_BUCKETS,
    registers: [this.registry],
  });

  private readonly bytesDownloaded = new Counter({
    name: 'pixelmill_image_input_bytes_total',
    help: 'Bytes downloaded for the images this process recorded (done or failed)',
    registers: [this.registry],
  });

  private readonly bytesStored = new Counter({
    name: 'pixelmill_image_output_bytes_total',
    help: 'Bytes of web-ready JPEG stored for the images this process recorded done',
    registers: [this.registry],
  });

  private readonly imagesReused = new Counter({
    name: 'pixelmill_images_reused_total',
    help: "Images this process recorded done with an earlier output of their owner's, by how: revalidated (the source answered 304) or content_match (the same bytes)",
    labelNames: ['how'] as const,
    registers: [this.registry],
  });

  private readonly previewsMade = new Counter({
    name: 'pixelmill_previews_made_total',
    help: 'Previews (the dashboard thumbnails) this process made from a stored output and stored, on their first request',
    registers: [this.registry],
  });

  private readonly requestsCompleted = new Counter({
    name: 'pixelmill_requests_completed_total',
    help: 'Requests this process completed, by final status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  private readonly webhookAttempts = new Counter({
    name: 'pixelmill_webhook_deliveries_total',
    help: 'Webhook attempts by outcome: delivered, retrying (failed, will be retried) or failed (given up)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private readonly httpSeconds = new Histogram({
    name: 'pixelmill_http_request_duration_seconds',
    help: 'HTTP requests served, by method, route pattern (never the raw URL) and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Series that exist from the start, so rate() and alerts see a 0 rather than nothing.
    this.imagesProcessed.inc({ outcome: 'done', code: 'none' }, 0);
    for (const status of ['completed', 'completed_with_errors', 'failed'])
      this.requestsCompleted.inc({ status }, 0);
    for (const outcome of ['delivered', 'retrying', 'failed']) this.webhookAttempts.inc({ outcome }, 0);
    for (const stage of ['download', 'process', 'store'] as const) this.stageSeconds.zero({ stage });
  }

  /** Runs one stage of an image's processing and records how long it took, whether it succeeded or not. */
  async timed<T>(stage: ImageStage, work: () => Promise<T>): Promise<T> {
    const end = this.stageSeconds.startTimer({ stage });
    try {
      return await work();
    } finally {
      end();
    }
  }

  imageDone(inputBytes: number, outputBytes: number): void {
    this.imagesProcessed.labels('done', 'none').inc();
    this.bytesDownloaded.inc(inputBytes);
    this.bytesStored.inc(outputBytes);
  }

  /** Counted besides imageDone. */
  imageReused(how: 'revalidated' | 'content_match'): void {
    this.imagesReused.labels(how).inc();
  }

  imageFailed(code: string, inputBytes: number | null): void {
    this.imagesProcessed.labels('failed', failureCodeLabel(code)).inc();
    if (inputBytes) this.bytesDownloaded.inc(inputBytes);
  }

  previewMade(): void {
    this.previewsMade.inc();
  }

  requestCompleted(status: string): void {
    this.requestsCompleted.labels(status).inc();
  }

  /** One webhook attempt, by the delivery's state after it (`pending`: it will be retried). */
  webhookAttempt(state: WebhookAttemptOutcome): void {
    this.webhookAttempts.labels(state === 'pending' ? 'retrying' : state).inc();
  }

  httpRequest(method: string, route: string, status: number, seconds: number): void {
    this.httpSeconds.labels(method, route, String(status)).observe(seconds);
  }
}
