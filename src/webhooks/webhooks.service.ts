import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Repository } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { DomainEvent, type RequestCompletedEvent } from '../events.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { requestCompletedPayload } from './webhook-payload.js';
import { DeliveryStatus, WebhookDelivery } from './webhook-delivery.entity.js';

export interface WebhookState {
  status: DeliveryStatus;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
}

/** Writes the outbox row in the transaction that completes a request, and reports delivery state. */
@Injectable()
export class WebhooksService {
  constructor(
    @InjectRepository(WebhookDelivery) private readonly deliveries: Repository<WebhookDelivery>,
    private readonly dispatcher: WebhookDispatcher,
    private readonly config: AppConfig,
  ) {}

  @OnEvent(DomainEvent.RequestCompleted, { suppressErrors: false })
  async onRequestCompleted(event: RequestCompletedEvent): Promise<void> {
    if (!event.webhookUrl) return;
    const now = Date.now();
    await event.tx.manager.insert(WebhookDelivery, {
      id: `msg_${randomUUID().replaceAll('-', '')}`,
      taskId: event.requestId,
      url: event.webhookUrl,
      payload: JSON.stringify(requestCompletedPayload(event, this.config.publicUrl)),
      status: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      lastStatus: null,
      lastError: null,
      createdAt: now,
    });
    event.tx.afterCommit(() => this.dispatcher.wake());
  }

  /** The newest delivery of the request's webhook, or null when there is none (yet). */
  async stateOf(requestId: string): Promise<WebhookState | null> {
    const delivery = await this.deliveries.findOne({
      where: { taskId: requestId },
      order: { createdAt: 'DESC' },
    });
    return (
      delivery && {
        status: delivery.status,
        attempts: delivery.attempts,
        lastStatus: delivery.lastStatus,
        lastError: delivery.lastError,
      }
    );
  }
}
