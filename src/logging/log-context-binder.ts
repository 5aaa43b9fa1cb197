import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { LogContext } from './log-context.js';

/** Connects the static LogContext to this app's logger while the app runs. */
@Injectable()
export class LogContextBinder implements OnModuleInit, OnModuleDestroy {
  constructor(private readonly logger: PinoLogger) {}

  onModuleInit(): void {
    LogContext.bind(this.logger);
  }

  onModuleDestroy(): void {
    LogContext.bind(undefined);
  }
}
