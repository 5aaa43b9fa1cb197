import { Logger, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AppConfig } from '../config/app-config.js';
import { ApiKeyGuard } from './api-key.guard.js';

/** API keys in front of the HTTP API (where the role serves it). */
@Module({ providers: [{ provide: APP_GUARD, useClass: ApiKeyGuard }] })
export class AccessApiModule implements OnApplicationBootstrap {
  constructor(private readonly config: AppConfig) {}

  onApplicationBootstrap(): void {
    if (this.config.access.keys.length === 0) {
      new Logger('Access').warn(
        'API_KEYS is not set: anyone who can reach this port can upload and read every request',
      );
    }
  }
}
