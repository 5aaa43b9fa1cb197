import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { SafeHttpClient } from './safe-http-client.js';

/** Provides SafeHttpClient; AppConfig comes from the global config module. */
@Module({
  imports: [HttpModule],
  providers: [SafeHttpClient],
  exports: [SafeHttpClient],
})
export class SafeHttpModule {}
