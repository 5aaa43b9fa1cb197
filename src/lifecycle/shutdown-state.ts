import { Injectable, OnModuleDestroy } from '@nestjs/common';

/**
 * Whether the process is shutting down. Nest runs every onModuleDestroy before any
 * beforeApplicationShutdown, so the flag is up before the queue starts draining and
 * while the HTTP server still answers.
 */
@Injectable()
export class ShutdownState implements OnModuleDestroy {
  private shuttingDown = false;

  get draining(): boolean {
    return this.shuttingDown;
  }

  onModuleDestroy(): void {
    this.shuttingDown = true;
  }
}
