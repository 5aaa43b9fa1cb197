import { Global, Module } from '@nestjs/common';
import { RejectWhileDrainingGuard } from './reject-while-draining.guard.js';
import { ShutdownState } from './shutdown-state.js';

@Global()
@Module({
  providers: [ShutdownState, RejectWhileDrainingGuard],
  exports: [ShutdownState, RejectWhileDrainingGuard],
})
export class LifecycleModule {}
