import { Module } from '@nestjs/common';
import { SafeHttpModule } from '../http/safe-http.module.js';
import { DeliverySlots } from './delivery-slots.js';
import { WebhookDeliveryStore } from './webhook-delivery-store.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { WebhookSender } from './webhook-sender.js';
import { WebhookSigner } from './webhook-signer.js';

/** The background job that delivers the outbox: runs where the role runs workers. */
@Module({
  imports: [SafeHttpModule],
  providers: [WebhookDispatcher, WebhookDeliveryStore, DeliverySlots, WebhookSender, WebhookSigner],
})
export class WebhooksWorkerModule {}
