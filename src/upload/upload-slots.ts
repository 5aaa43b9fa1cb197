import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';

/** Counts the uploads being read and handled at once; at most MAX_CONCURRENT_UPLOADS. */
@Injectable()
export class UploadSlots {
  private taken = 0;

  constructor(private readonly config: AppConfig) {}

  get limit(): number {
    return this.config.limits.maxConcurrentUploads;
  }

  /** Takes a slot if one is free; the caller releases it exactly once. */
  tryAcquire(): boolean {
    if (this.taken >= this.config.limits.maxConcurrentUploads) return false;
    this.taken++;
    return true;
  }

  release(): void {
    this.taken = Math.max(0, this.taken - 1);
  }
}
