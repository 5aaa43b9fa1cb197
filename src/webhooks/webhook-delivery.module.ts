import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SafeHttpModule } from '../http/http.module.js';
import { WebhookDelivery } from './webhook-delivery.entity.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { WebhookSigner } from './webhook-signer.js';

/** The background job that delivers the outbox: runs where the role runs workers. */
@Module({
  imports: [TypeOrmModule.forFeature([WebhookDelivery]), SafeHttpModule],
  providers: [WebhookDispatcher, WebhookSigner],
})
export class WebhookDeliveryModule {}
