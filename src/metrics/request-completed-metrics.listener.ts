import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { DomainEvent, type RequestCompletedEvent } from '../events.js';
import { Metrics } from './metrics.js';

/** Counts a completed request (the event is published after the completing transaction commits). */
@Injectable()
export class RequestCompletedMetricsListener {
  constructor(private readonly metrics: Metrics) {}

  @OnEvent(DomainEvent.RequestCompleted)
  onRequestCompleted(event: RequestCompletedEvent): void {
    this.metrics.requestCompleted(event.status);
  }
}
