import { Injectable, Logger, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThanOrEqual, Repository } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { DomainEvent } from '../events.js';
import { FetchError } from '../http/fetch-error.js';
import { SafeHttpClient } from '../http/safe-http-client.js';
import { LogContext } from '../logging/log-context.js';
import { Metrics } from '../metrics/metrics.js';
import { nextRetryDelay } from './retry-schedule.js';
import { WebhookDelivery } from './webhook-delivery.entity.js';
import { WebhookSigner } from './webhook-signer.js';

const MAX_IDLE_MS = 2_000;
const BATCH_SIZE = 10;

interface AttemptOutcome {
  status: number | null;
  error: string | null;
  /** For the log only (see FetchError.detail). */
  detail?: string;
  retryAfterMs?: number;
  /** Retrying cannot help: the URL is refused by policy (blocked or invalid address), or the receiver said 410 Gone. */
  permanent?: boolean;
}

const PERMANENT_FETCH_ERRORS = ['blocked_address', 'invalid_url'];

/**
 * Delivers pending outbox rows: signed POSTs through the SSRF-checked client, retried on the
 * Standard Webhooks schedule. A claim counts the attempt and pushes next_attempt_at past the
 * attempt's timeout, so a crash mid-attempt only delays the retry (and the attempt the receiver may
 * have seen still counts), and two dispatchers never send the same attempt.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private timer?: NodeJS.Timeout;
  private tick?: Promise<void>;
  private wakeRequested = false;
  private stopped = false;

  constructor(
    @InjectRepository(WebhookDelivery) private readonly deliveries: Repository<WebhookDelivery>,
    private readonly unitOfWork: UnitOfWork,
    private readonly http: SafeHttpClient,
    private readonly signer: WebhookSigner,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  /** Stops before the database closes; an attempt under way finishes (it is bounded by WEBHOOK_TIMEOUT_MS). */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.tick;
  }

  /** Looks for due deliveries now: a completion that committed in this process may have written one. */
  @OnEvent(DomainEvent.RequestCompleted)
  wake(): void {
    if (this.tick) this.wakeRequested = true;
    else this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.tick = LogContext.run({}, () => this.runTick()).finally(() => (this.tick = undefined));
    }, delayMs);
  }

  private async runTick(): Promise<void> {
    let nextDelay = MAX_IDLE_MS;
    try {
      const claimed = await this.claimDue();
      await Promise.all(
        claimed.map((delivery) =>
          LogContext.run({ request_id: delivery.taskId }, () => this.deliver(delivery)),
        ),
      );
      nextDelay = claimed.length === BATCH_SIZE ? 0 : await this.msUntilNextDue();
    } catch (error) {
      this.logger.error(`webhook dispatch failed: ${(error as Error).message}`);
    }
    this.schedule(this.wakeRequested ? 0 : nextDelay);
    this.wakeRequested = false;
  }

  private claimDue(): Promise<WebhookDelivery[]> {
    return this.unitOfWork.run(async ({ manager }) => {
      const now = Date.now();
      const due = await manager.find(WebhookDelivery, {
        where: { status: 'pending', nextAttemptAt: LessThanOrEqual(now) },
        order: { nextAttemptAt: 'ASC' },
        take: BATCH_SIZE,
      });
      const claimed: WebhookDelivery[] = [];
      for (const delivery of due) {
        const attempts = delivery.attempts + 1;
        const result = await manager.update(
          WebhookDelivery,
          { id: delivery.id, status: 'pending', nextAttemptAt: delivery.nextAttemptAt! },
          { attempts, nextAttemptAt: now + this.config.webhookTimeoutMs * 2 },
        );
        if (result.affected === 1) claimed.push(Object.assign(delivery, { attempts }));
      }
      return claimed;
    });
  }

  private async msUntilNextDue(): Promise<number> {
    const next = await this.deliveries.findOne({
      where: { status: 'pending' },
      order: { nextAttemptAt: 'ASC' },
    });
    if (!next?.nextAttemptAt) return MAX_IDLE_MS;
    return Math.min(MAX_IDLE_MS, Math.max(0, next.nextAttemptAt - Date.now()));
  }

  /** Makes the attempt the claim counted (`delivery.attempts` includes it) and records its outcome. */
  private async deliver(delivery: WebhookDelivery): Promise<void> {
    const outcome = await this.attempt(delivery);
    const attempts = delivery.attempts;
    const delivered = outcome.status !== null && outcome.status >= 200 && outcome.status < 300;
    const retryDelay =
      delivered || outcome.permanent
        ? undefined
        : nextRetryDelay(this.config.webhookRetryDelaysMs, attempts, outcome.retryAfterMs);
    const status = delivered ? 'delivered' : retryDelay === undefined ? 'failed' : 'pending';
    await this.unitOfWork.run(({ manager }) =>
      manager.update(
        WebhookDelivery,
        { id: delivery.id },
        {
          status,
          lastStatus: outcome.status,
          lastError: outcome.error,
          nextAttemptAt: retryDelay === undefined ? null : Date.now() + retryDelay,
        },
      ),
    );
    this.metrics.webhookAttempt(status);
    const what = `webhook ${delivery.id} for request ${delivery.taskId} attempt ${attempts}`;
    if (delivered) this.logger.log(`${what}: delivered (HTTP ${outcome.status})`);
    else
      this.logger.warn(
        `${what}: ${outcome.error ?? `HTTP ${outcome.status}`}${outcome.detail ? ` [${outcome.detail}]` : ''}; ${status === 'pending' ? `retry in ${retryDelay} ms` : 'giving up'}`,
      );
  }

  private async attempt(delivery: WebhookDelivery): Promise<AttemptOutcome> {
    try {
      const headers = this.signer.headersFor(delivery.id, delivery.payload);
      const response = await this.http.postJson(delivery.url, delivery.payload, headers);
      const ok = response.status >= 200 && response.status < 300;
      return {
        status: response.status,
        error: ok ? null : `HTTP ${response.status}`,
        retryAfterMs: response.retryAfterMs,
        permanent: response.status === 410,
      };
    } catch (error) {
      if (error instanceof FetchError) {
        return {
          status: null,
          error: `${error.code}: ${error.message}`,
          detail: error.detail,
          retryAfterMs: error.retryAfterMs,
          permanent: PERMANENT_FETCH_ERRORS.includes(error.code),
        };
      }
      throw error;
    }
  }
}
