import { AppConfig } from '../config/app-config.js';
import { redactQueryParameters } from './query-redaction.js';

const CENSOR = '[redacted]';

/** `user:password@` in a URL (a supplier's image URL or a webhook URL may carry credentials). */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi;

/**
 * Secret values this process knows (WEBHOOK_SECRET, its key without the `whsec_` prefix, the API keys) and
 * credentials inside URLs (`user:password@`, credential-like query parameters such as `?api_key=`), replaced
 * in any log message that would carry them: redact paths only cover fields, this covers the text of a line
 * (and the URL, referrer and error text of the HTTP lines: see loggerParams).
 */
export class SecretScrubber {
  private readonly secrets: string[];

  constructor(config: AppConfig) {
    const webhookSecret = config.webhooks.secret;
    this.secrets = [
      ...(webhookSecret ? [webhookSecret, webhookSecret.replace(/^whsec_/, '')] : []),
      ...config.access.keys.map((apiKey) => apiKey.key),
    ];
  }

  scrub(text: string): string {
    let clean = text.includes('@') ? text.replace(URL_CREDENTIALS, `$1${CENSOR}@`) : text;
    clean = redactQueryParameters(clean);
    for (const secret of this.secrets) if (clean.includes(secret)) clean = clean.replaceAll(secret, CENSOR);
    return clean;
  }
}
