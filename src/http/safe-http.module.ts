import { Module } from '@nestjs/common';
import { GuardedAgents, SYSTEM_DNS_LOOKUP } from './guarded-agents.js';
import { SafeHttpClient } from './safe-http-client.js';

/** The guarded agents and the image download client on them; AppConfig comes from the global config module. */
@Module({
  providers: [SYSTEM_DNS_LOOKUP, GuardedAgents, SafeHttpClient],
  exports: [GuardedAgents, SafeHttpClient],
})
export class SafeHttpModule {}
