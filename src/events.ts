import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { Transaction } from './database/unit-of-work.js';
import type { TaskStatus } from './tasks/task.entity.js';

/** Every domain event name, declared once so a rename is a compile error. */
export const DomainEvent = {
  /** A request's rows are stored and its images wait to be processed. */
  RequestCreated: 'request.created',
  /** Images of a request were put back in the queue (retry of failed images). */
  RequestRequeued: 'request.requeued',
  /** A request's last image finished. Emitted inside the transaction that records it. */
  RequestCompleted: 'request.completed',
} as const;

export interface RequestCreatedEvent {
  requestId: string;
  totalImages: number;
}

export interface RequestRequeuedEvent {
  requestId: string;
  requeuedImages: number;
}

export interface RequestCompletedEvent {
  requestId: string;
  status: TaskStatus;
  totalImages: number;
  processedImages: number;
  failedImages: number;
  webhookUrl: string | null;
  completedAt: number;
  /** The transaction recording the completion: listeners write their effects in it. */
  tx: Transaction;
}

interface DomainEventMap {
  [DomainEvent.RequestCreated]: RequestCreatedEvent;
  [DomainEvent.RequestRequeued]: RequestRequeuedEvent;
  [DomainEvent.RequestCompleted]: RequestCompletedEvent;
}

/** EventEmitter2 with the payload of each event checked at compile time. */
@Injectable()
export class DomainEvents {
  constructor(private readonly emitter: EventEmitter2) {}

  emit<K extends keyof DomainEventMap>(name: K, payload: DomainEventMap[K]): void {
    this.emitter.emit(name, payload);
  }

  /** Waits for every listener, so their work joins the caller's transaction and their errors roll it back. */
  async emitAsync<K extends keyof DomainEventMap>(name: K, payload: DomainEventMap[K]): Promise<void> {
    await this.emitter.emitAsync(name, payload);
  }
}
