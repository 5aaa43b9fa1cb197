import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from '../config/app-config.js';
import { LogContextBinder } from './log-context-binder.js';
import { loggerParams } from './logger-params.js';
import { RequestIdLogInterceptor } from './request-id-log.interceptor.js';

/** Structured logs (nestjs-pino): JSON lines or readable ones, a request-scoped id on every HTTP line, secrets redacted. */
@Module({
  imports: [LoggerModule.forRootAsync({ inject: [AppConfig], useFactory: loggerParams })],
  providers: [LogContextBinder, { provide: APP_INTERCEPTOR, useClass: RequestIdLogInterceptor }],
})
export class LoggingModule {}
