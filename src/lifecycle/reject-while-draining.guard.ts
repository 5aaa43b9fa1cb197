import { CanActivate, ExecutionContext, Injectable, ServiceUnavailableException } from '@nestjs/common';
import type { Response } from 'express';
import { ShutdownState } from './shutdown-state.js';

const RETRY_AFTER_SECONDS = 30;

/** New work is refused with 503 and Retry-After while the process drains for shutdown. */
@Injectable()
export class RejectWhileDrainingGuard implements CanActivate {
  constructor(private readonly shutdown: ShutdownState) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.shutdown.draining) return true;
    context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    throw new ServiceUnavailableException('the service is shutting down; retry shortly');
  }
}
