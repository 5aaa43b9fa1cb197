import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { AppConfig } from '../config/app-config.js';
import { DomainEvent } from '../events.js';
import { LogContext } from '../logging/log-context.js';
import { Metrics } from '../metrics/metrics.js';
import { DeliverySlots } from './delivery-slots.js';
import { nextRetryDelay } from './retry-schedule.js';
import { type ClaimedDelivery, WebhookDeliveryStore } from './webhook-delivery-store.js';
import { type AttemptOutcome, WebhookSender } from './webhook-sender.js';

/** The longest the dispatcher sleeps when nothing wakes it (another process may have written a delivery). */
const MAX_IDLE_MS = 2_000;

/**
 * Delivers pending outbox rows: signed POSTs (WebhookSender), retried on the Standard Webhooks schedule.
 * Each attempt runs on its own: as soon as one ends, the next due delivery starts, within the attempts in
 * flight that DeliverySlots allows overall, per receiver and per API key, so a receiver that hangs delays
 * only its own deliveries (and its key's, past that key's share). Claims are atomic (see
 * WebhookDeliveryStore.claimDue): several dispatchers on one PostgreSQL database never send the same attempt.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private readonly attempts = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;
  private filling?: Promise<void>;
  private fillAgain = false;
  private stopped = false;

  constructor(
    private readonly store: WebhookDeliveryStore,
    private readonly slots: DeliverySlots,
    private readonly sender: WebhookSender,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    this.wake();
  }

  /** Starts no more attempts; those under way finish first (each is bounded by WEBHOOK_TIMEOUT_MS). */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.filling;
    await Promise.all(this.attempts);
  }

  /**
   * Starts the due deliveries there is room for, now: at start, when an attempt ends, when the timer set for
   * the next due one fires, and when a completion that committed in this process may have written one.
   */
  @OnEvent(DomainEvent.RequestCompleted)
  wake(): void {
    if (this.stopped) return;
    if (this.filling) {
      this.fillAgain = true;
      return;
    }
    clearTimeout(this.timer);
    this.filling = LogContext.run({}, () => this.fill()).finally(() => {
      this.filling = undefined;
      if (this.fillAgain) {
        this.fillAgain = false;
        this.wake();
      }
    });
  }

  private async fill(): Promise<void> {
    let sleepMs = MAX_IDLE_MS;
    try {
      await this.startDue();
      sleepMs = await this.store.msUntilNextDue(MAX_IDLE_MS);
    } catch (error) {
      this.logger.error(`webhook dispatch failed: ${(error as Error).message}`);
    }
    if (!this.stopped) this.timer = setTimeout(() => this.wake(), sleepMs);
  }

  /**
   * Claims for each owner with pending deliveries (the least busy first) as many as it has room for, round
   * after round while a round started something: a round that found an owner's next deliveries all for one
   * receiver took what that receiver had room for, and the next round looks past it.
   */
  private async startDue(): Promise<void> {
    const owners = this.slots.leastBusyFirst(await this.store.pendingOwners());
    for (let started = true; started && !this.stopped && this.slots.free > 0;) {
      started = false;
      for (const owner of owners) {
        const room = this.slots.roomFor(owner);
        if (room === 0) continue;
        const claimed = await this.store.claimDue(owner, room, this.slots.fullReceivers(), (origin) =>
          this.slots.roomAt(origin),
        );
        for (const delivery of claimed) this.start(delivery);
        started ||= claimed.length > 0;
      }
    }
  }

  private start(delivery: ClaimedDelivery): void {
    this.slots.take(delivery);
    const attempt = LogContext.run({ request_id: delivery.taskId }, () => this.deliver(delivery))
      .catch((error: Error) =>
        this.logger.error(
          `webhook ${delivery.id}: recording attempt ${delivery.attempts} failed: ${error.message}`,
        ),
      )
      .finally(() => {
        this.slots.release(delivery);
        this.attempts.delete(attempt);
        this.wake();
      });
    this.attempts.add(attempt);
  }

  /** Makes the attempt the claim counted (`delivery.attempts` includes it) and records its outcome. */
  private async deliver(delivery: ClaimedDelivery): Promise<void> {
    const outcome = await this.sender.attempt(delivery).catch((error: Error): AttemptOutcome => {
      this.logger.error(error.stack ?? error.message);
      return { status: null, error: `internal_error: ${error.message}` };
    });
    const delivered = outcome.status !== null && outcome.status >= 200 && outcome.status < 300;
    const retryDelay =
      delivered || outcome.permanent
        ? undefined
        : nextRetryDelay(this.config.webhooks.retryDelaysMs, delivery.attempts, outcome.retryAfterMs);
    const status = delivered ? 'delivered' : retryDelay === undefined ? 'failed' : 'pending';
    await this.store.record(delivery.id, {
      status,
      lastStatus: outcome.status,
      lastError: outcome.error,
      nextAttemptAt: retryDelay === undefined ? null : Date.now() + retryDelay,
    });
    this.metrics.webhookAttempt(status);
    const what = `webhook ${delivery.id} for request ${delivery.taskId} attempt ${delivery.attempts}`;
    if (delivered) this.logger.log(`${what}: delivered (HTTP ${outcome.status})`);
    else
      this.logger.warn(
        `${what}: ${outcome.error ?? `HTTP ${outcome.status}`}${outcome.detail ? ` [${outcome.detail}]` : ''}; ${status === 'pending' ? `retry in ${retryDelay} ms` : 'giving up'}`,
      );
  }
}
