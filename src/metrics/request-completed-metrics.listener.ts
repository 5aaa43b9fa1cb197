import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { DomainEvent, type RequestCompletedEvent } from '../events.js';
import { Metrics } from './metrics.js';

/** Counts a completed request once its transaction has committed (a rolled-back completion never happened). */
@Injectable()
export class RequestCompletedMetricsListener {
  constructor(private readonly metrics: Metrics) {}

  @OnEvent(DomainEvent.RequestCompleted, { suppressErrors: false })
  onRequestCompleted(event: RequestCompletedEvent): void {
    event.tx.afterCommit(() => this.metrics.requestCompleted(event.status));
  }
}
