import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SafeHttpModule } from '../http/http.module.js';
import { WebhookDelivery } from './webhook-delivery.entity.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { WebhookSigner } from './webhook-signer.js';
import { WebhooksService } from './webhooks.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([WebhookDelivery]), SafeHttpModule],
  providers: [WebhooksService, WebhookDispatcher, WebhookSigner],
  exports: [WebhooksService],
})
export class WebhooksModule {}
