import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DeliveryStateReader } from '../tasks/delivery-state-reader.js';
import { WebhookDelivery } from './webhook-delivery.entity.js';
import { WebhookDeliveryStates } from './webhook-delivery-states.js';
import { WebhookOutbox } from './webhook-outbox.js';

/**
 * The webhook outbox, in every role: written with completions, read for GET /status (the tasks
 * module's DeliveryStateReader, provided globally so tasks never imports webhooks).
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([WebhookDelivery])],
  providers: [
    WebhookOutbox,
    WebhookDeliveryStates,
    { provide: DeliveryStateReader, useExisting: WebhookDeliveryStates },
  ],
  exports: [WebhookOutbox, DeliveryStateReader],
})
export class WebhooksModule {}
