import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { DomainEvent, type RequestCreatedEvent, type RequestRequeuedEvent } from '../events.js';
import { ImageQueue } from './queue/image-queue.js';

/** Hands newly queued images to the queue. */
@Injectable()
export class RequestCreatedListener {
  constructor(private readonly queue: ImageQueue) {}

  @OnEvent(DomainEvent.RequestCreated)
  @OnEvent(DomainEvent.RequestRequeued)
  async onImagesQueued(event: RequestCreatedEvent | RequestRequeuedEvent): Promise<void> {
    await this.queue.enqueue(event.requestId);
  }
}
