import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { selectRows } from '../database/sql.js';
import { type DeliveryState, DeliveryStateReader } from '../tasks/delivery-state-reader.js';
import { WebhookDelivery } from './webhook-delivery.entity.js';

/** The delivery state GET /status shows, read from the outbox (provides the tasks module's read port). */
@Injectable()
export class WebhookDeliveryStates extends DeliveryStateReader {
  constructor(@InjectRepository(WebhookDelivery) private readonly deliveries: Repository<WebhookDelivery>) {
    super();
  }

  async stateOf(requestId: string): Promise<DeliveryState | null> {
    const [state] = await selectRows<DeliveryState>(
      this.deliveries.manager,
      `SELECT status, attempts, last_status AS "lastStatus", last_error AS "lastError"
         FROM webhook_deliveries WHERE task_id = ? ORDER BY created_at DESC LIMIT 1`,
      [requestId],
    );
    return state ?? null;
  }
}
