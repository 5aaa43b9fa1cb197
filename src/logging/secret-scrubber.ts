import { AppConfig } from '../config/app-config.js';

const CENSOR = '[redacted]';

/**
 * Secret values this process knows (WEBHOOK_SECRET, its key without the `whsec_` prefix), replaced in any
 * log message that would carry one: redact paths only cover fields, this covers the text of a line.
 */
export class SecretScrubber {
  private readonly secrets: string[];

  constructor(config: AppConfig) {
    const webhookSecret = config.webhookSecret;
    this.secrets = webhookSecret ? [webhookSecret, webhookSecret.replace(/^whsec_/, '')] : [];
  }

  scrub(text: string): string {
    let clean = text;
    for (const secret of this.secrets) if (clean.includes(secret)) clean = clean.replaceAll(secret, CENSOR);
    return clean;
  }
}
