import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { type DeliveryState, DeliveryStateReader } from '../tasks/delivery-state-reader.js';
import { WebhookDelivery } from './webhook-delivery.entity.js';

/** The delivery state GET /status shows, read from the outbox (provides the tasks module's read port). */
@Injectable()
export class WebhookDeliveryStates extends DeliveryStateReader {
  constructor(@InjectRepository(WebhookDelivery) private readonly deliveries: Repository<WebhookDelivery>) {
    super();
  }

  async stateOf(requestId: string): Promise<DeliveryState | null> {
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
