import type { AppConfig } from '../config/app-config.js';
import { StorageHealth } from './storage-health.js';
import { StorageUnavailableError } from './storage-unavailable.error.js';
import type { Storage } from './storage.js';

describe('StorageHealth', () => {
  let writable: boolean;
  let probes: number;
  let health: StorageHealth;

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    writable = false;
    probes = 0;
    const storage = {
      checkWritable: async () => {
        probes++;
        if (!writable) throw new StorageUnavailableError('writing a probe: ENOSPC: no space left on device');
      },
    } as unknown as Storage;
    health = new StorageHealth(storage, { storage: { retryBaseMs: 10, retryMaxMs: 20 } } as AppConfig);
  });
  afterEach(() => vi.useRealTimers());

  it('is writable until a failure is reported, and again after a success, without probing', async () => {
    expect(await health.unwritableReason()).toBeUndefined();
    health.reportFailure(new StorageUnavailableError('storing ab/x.jpg: ENOSPC: no space left on device'));
    expect(await health.unwritableReason()).toBe('storing ab/x.jpg: ENOSPC: no space left on device');
    health.reportSuccess();
    expect(await health.unwritableReason()).toBeUndefined();
    expect(probes).toBe(0);
  });

  it('probes at most once per 5 s while failing, one probe for concurrent callers, and clears on success', async () => {
    health.reportFailure(new StorageUnavailableError('storing: ENOSPC'));
    await Promise.all([health.unwritableReason(), health.unwritableReason()]);
    expect(probes).toBe(0);
    vi.setSystemTime(Date.now() + 5_000);
    const reasons = await Promise.all([health.unwritableReason(), health.unwritableReason()]);
    expect(probes).toBe(1);
    expect(reasons).toEqual([expect.stringContaining('ENOSPC'), expect.stringContaining('ENOSPC')]);
    expect(await health.unwritableReason()).toContain('ENOSPC');
    expect(probes).toBe(1);
    writable = true;
    vi.setSystemTime(Date.now() + 5_000);
    expect(await health.unwritableReason()).toBeUndefined();
    expect(probes).toBe(2);
  });

  it('records the readiness probe outcome', async () => {
    await expect(health.checkWritable()).rejects.toThrow(StorageUnavailableError);
    expect(await health.unwritableReason()).toContain('ENOSPC');
    writable = true;
    await health.checkWritable();
    expect(await health.unwritableReason()).toBeUndefined();
  });

  it('whenWritable: at once while writable; while failing, one probe loop for every caller until a probe succeeds', async () => {
    await health.whenWritable();
    expect(probes).toBe(0);
    health.reportFailure(new StorageUnavailableError('storing: ENOSPC'));
    let resumed = false;
    const waiting = Promise.all([health.whenWritable(), health.whenWritable()]).then(() => (resumed = true));
    await vi.waitFor(() => expect(probes).toBeGreaterThanOrEqual(2), { timeout: 5_000 });
    expect(resumed).toBe(false);
    writable = true;
    await waiting;
    expect(health.failing).toBe(false);
    health.onApplicationShutdown();
  });

  it('whenWritable: a successful write elsewhere resumes the waiters at once', async () => {
    health.reportFailure(new StorageUnavailableError('storing: ENOSPC'));
    const waiting = health.whenWritable().then(() => 'resumed');
    health.reportSuccess();
    // Before any timer could fire (setImmediate runs once the promise jobs are done), and without a probe.
    const stillWaiting = new Promise((done) => setImmediate(() => done('still waiting')));
    expect(await Promise.race([waiting, stillWaiting])).toBe('resumed');
    expect(probes).toBe(0);
    health.onApplicationShutdown();
  });
});
