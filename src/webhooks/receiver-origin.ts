/**
 * The receiver a webhook URL names, for the per-receiver limit: its origin (`https://hooks.example.com`,
 * the port when not the scheme's default). The outbox only holds URLs the upload validated; anything else is
 * its own receiver.
 */
export function receiverOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
