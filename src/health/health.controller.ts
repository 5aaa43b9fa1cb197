import { Controller, Get } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { Public } from '../access/public.decorator.js';
import { ReadinessChecks } from './readiness-checks.js';

/**
 * For orchestrators: liveness (restart me if this fails) and readiness (send me traffic). Never behind a
 * key; in every role; documented in docs/operations.md rather than the client API.
 */
@ApiExcludeController()
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly checks: ReadinessChecks,
  ) {}

  /** Answered by the process alone (no dependency), during shutdown too: failing it would get the process restarted. */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** 200 when the database answers, migrations are applied, storage is writable and the process is not shutting down; 503 naming the failing check otherwise. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.checks.notShuttingDown(),
      () => this.checks.database(),
      () => this.checks.migrations(),
      () => this.checks.storageWritable(),
    ]);
  }
}
