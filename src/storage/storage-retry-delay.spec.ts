import { storageRetryDelay } from './storage-retry-delay.js';

describe('storageRetryDelay', () => {
  it.each([
    [1, 500, 1000],
    [2, 1000, 2000],
    [7, 30_000, 60_000],
    [8, 30_000, 60_000],
    [5000, 30_000, 60_000],
  ])(
    'after %i failed probes in a row: between %i and %i ms (the ceiling stops at the maximum)',
    (failures, low, high) => {
      expect(storageRetryDelay(failures, 1000, 60_000, () => 0)).toBe(low);
      expect(storageRetryDelay(failures, 1000, 60_000, () => 1)).toBe(high);
    },
  );
});
