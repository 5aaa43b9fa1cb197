export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** The state of a request's newest webhook delivery, as GET /status shows it. */
export interface DeliveryState {
  status: DeliveryStatus;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
}

/**
 * A read port the webhooks module provides, so the request status can show the delivery without the
 * tasks module depending on webhooks (webhooks sits above tasks).
 */
export abstract class DeliveryStateReader {
  /** The newest delivery of the request's webhook, or null when there is none (yet). */
  abstract stateOf(requestId: string): Promise<DeliveryState | null>;
}
