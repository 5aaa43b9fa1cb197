import { Injectable } from '@nestjs/common';
import { OPEN_OWNER, type Owner } from '../access/owner.js';
import { AppConfig } from '../config/app-config.js';

/** What an attempt in flight counts against: its receiver and its request's owner. */
export interface SlotHolder {
  origin: string;
  owner: Owner;
}

/**
 * The webhook attempts in flight in this process, counted against WEBHOOK_CONCURRENCY, and per receiver
 * (WEBHOOK_CONCURRENCY_PER_RECEIVER) and per API key (WEBHOOK_CONCURRENCY_PER_KEY), so that a receiver
 * that hangs holds only its own slots, and one key's receivers at most its share. The per-key limit does not
 * apply to OPEN_OWNER: while the service is open every request has that owner, and the per-receiver limit
 * is what keeps one client's receivers from another's.
 */
@Injectable()
export class DeliverySlots {
  private inFlight = 0;
  private readonly byReceiver = new Map<string, number>();
  private readonly byOwner = new Map<Owner, number>();

  constructor(private readonly config: AppConfig) {}

  get free(): number {
    return this.config.webhooks.concurrency - this.inFlight;
  }

  /** How many more attempts for `owner` may start now. */
  roomFor(owner: Owner): number {
    if (owner === OPEN_OWNER) return this.free;
    return Math.max(
      0,
      Math.min(this.free, this.config.webhooks.concurrencyPerKey - count(this.byOwner, owner)),
    );
  }

  /** How many more attempts to `origin` may start now (within the overall room). */
  roomAt(origin: string): number {
    return Math.max(
      0,
      Math.min(this.free, this.config.webhooks.concurrencyPerReceiver - count(this.byReceiver, origin)),
    );
  }

  /** The receivers at their limit: no attempt to them may start. */
  fullReceivers(): string[] {
    const limit = this.config.webhooks.concurrencyPerReceiver;
    return [...this.byReceiver].flatMap(([origin, n]) => (n >= limit ? [origin] : []));
  }

  /** The owners with the fewest attempts in flight first (the order keeps ties as given). */
  leastBusyFirst(owners: Owner[]): Owner[] {
    return [...owners].sort((a, b) => count(this.byOwner, a) - count(this.byOwner, b));
  }

  take(holder: SlotHolder): void {
    this.inFlight++;
    this.byReceiver.set(holder.origin, count(this.byReceiver, holder.origin) + 1);
    this.byOwner.set(holder.owner, count(this.byOwner, holder.owner) + 1);
  }

  release(holder: SlotHolder): void {
    this.inFlight--;
    decrement(this.byReceiver, holder.origin);
    decrement(this.byOwner, holder.owner);
  }
}

const count = <K>(counts: Map<K, number>, key: K) => counts.get(key) ?? 0;

/** Counts that reach 0 are dropped, so the maps hold only what is in flight. */
function decrement<K>(counts: Map<K, number>, key: K): void {
  const left = count(counts, key) - 1;
  if (left > 0) counts.set(key, left);
  else counts.delete(key);
}
