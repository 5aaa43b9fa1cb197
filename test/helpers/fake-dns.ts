import { vi } from 'vitest';
import type { LookupAllFunction } from '../../src/http/address-policy.js';

/** A DNS lookup (a vi.fn, to see what was asked) that answers every name with the given addresses. */
export function fakeDns(...addresses: string[]) {
  return vi.fn<LookupAllFunction>((_hostname, _options, callback) =>
    callback(
      null,
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    ),
  );
}
