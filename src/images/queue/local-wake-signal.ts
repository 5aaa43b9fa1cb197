import { Injectable } from '@nestjs/common';
import { WakeSignal } from './wake-signal.js';

/** One process: the producer and the workers share memory. */
@Injectable()
export class LocalWakeSignal extends WakeSignal {
  private readonly listeners: Array<() => void> = [];

  async notify(): Promise<void> {
    for (const listener of this.listeners) listener();
  }

  subscribe(listener: () => void): void {
    this.listeners.push(listener);
  }
}
