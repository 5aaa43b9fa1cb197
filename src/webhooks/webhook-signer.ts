import { Injectable } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { AppConfig } from '../config/app-config.js';

/** Standard Webhooks headers; signed (`webhook-signature: v1,<base64 HMAC>`) when WEBHOOK_SECRET is set. */
@Injectable()
export class WebhookSigner {
  private readonly webhook?: Webhook;

  constructor(config: AppConfig) {
    if (config.webhooks.secret) this.webhook = new Webhook(config.webhooks.secret);
  }

  headersFor(messageId: string, body: string, at = new Date()): Record<string, string> {
    const headers: Record<string, string> = {
      'webhook-id': messageId,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    };
    if (this.webhook) headers['webhook-signature'] = this.webhook.sign(messageId, at, body);
    return headers;
  }
}
