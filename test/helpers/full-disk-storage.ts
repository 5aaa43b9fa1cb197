import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { LocalStorage } from '../../src/storage/local-storage.js';
import { StorageUnavailableError } from '../../src/storage/storage-unavailable.error.js';
import { Storage, type StoredObject } from '../../src/storage/storage.js';

/**
 * The local driver, with a switch: while `full`, every write fails as a full disk does (ENOSPC, reported as
 * StorageUnavailableError, exactly as LocalStorage reports it); reads and removals still work.
 */
export class FullDiskStorage extends Storage implements OnModuleInit, OnApplicationShutdown {
  full = false;
  /** Writes refused because the disk was full. */
  refused = 0;

  constructor(private readonly disk: LocalStorage) {
    super();
  }

  onModuleInit(): Promise<void> {
    return this.disk.onModuleInit();
  }

  onApplicationShutdown(): Promise<void> {
    return this.disk.onApplicationShutdown();
  }

  async put(key: string, body: Buffer): Promise<void> {
    this.refuseWhileFull(`storing ${key}`);
    await this.disk.put(key, body);
  }

  remove(key: string): Promise<void> {
    return this.disk.remove(key);
  }

  open(key: string): Promise<StoredObject | undefined> {
    return this.disk.open(key);
  }

  read(key: string): Promise<Buffer | undefined> {
    return this.disk.read(key);
  }

  publicUrl(key: string): string {
    return this.disk.publicUrl(key);
  }

  async checkWritable(signal?: AbortSignal): Promise<void> {
    this.refuseWhileFull('writing a probe');
    await this.disk.checkWritable(signal);
  }

  private refuseWhileFull(what: string): void {
    if (!this.full) return;
    this.refused++;
    const cause = Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
      errno: -28,
      syscall: 'write',
    });
    throw new StorageUnavailableError(`${what}: ${cause.message}`, { cause });
  }
}
