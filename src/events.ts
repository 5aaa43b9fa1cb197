import type { Rendition } from './config/output-presets.js';
import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { TaskStatus } from './tasks/task.entity.js';

/** Every domain event name, declared once so a rename is a compile error. */
export const DomainEvent = {
  /** A request's rows are stored and its images wait to be processed. */
  RequestCreated: 'request.created',
  /** Images of a request were put back in the queue (retry of failed images). */
  RequestRequeued: 'request.requeued',
  /** A request's last image finished. Published after the transaction that records it commits. */
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
  /** Done images that reused an earlier output (absent in a message queued before it was counted). */
  reusedImages?: number;
  webhookUrl: string | null;
  completedAt: number;
  /** The renditions the request asked for; absent when none. */
  renditions?: Rendition[];
}

interface DomainEventMap {
  [DomainEvent.RequestCreated]: RequestCreatedEvent;
  [DomainEvent.RequestRequeued]: RequestRequeuedEvent;
  [DomainEvent.RequestCompleted]: RequestCompletedEvent;
}

/**
 * EventEmitter2 with the payload of each event checked at compile time. Events are published after the
 * transaction that caused them commits, and their payloads are plain data: a listener (metrics, live
 * progress, waking a worker) can neither roll back nor block the write it hears about.
 */
@Injectable()
export class DomainEvents {
  constructor(private readonly emitter: EventEmitter2) {}

  emit<K extends keyof DomainEventMap>(name: K, payload: DomainEventMap[K]): void {
    this.emitter.emit(name, payload);
  }
}
