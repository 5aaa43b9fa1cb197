import { type DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from './app-config.js';

/**
 * Provides the configuration to every module: the one the entry point loaded (a bad environment stops
 * it before Nest starts), so the environment is read once per process.
 */
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      global: true,
      providers: [{ provide: AppConfig, useValue: config }],
      exports: [AppConfig],
    };
  }
}
