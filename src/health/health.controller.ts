import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { ReadinessChecks } from './readiness-checks.js';

/** For orchestrators: liveness (restart me if this fails) and readiness (send me traffic). Never behind a key. */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly checks: ReadinessChecks,
  ) {}

  /** Answered by the process alone (no dependency), during shutdown too: failing it would get the process restarted. */
  @Get('live')
  @ApiOperation({ summary: '200 while the process runs' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary:
      '200 when the database answers, migrations are applied, storage is writable and the process is not shutting down',
  })
  @ApiResponse({ status: 503, description: 'a check failed: `error` names it with a message' })
  ready() {
    return this.health.check([
      () => this.checks.notShuttingDown(),
      () => this.checks.database(),
      () => this.checks.migrations(),
      () => this.checks.storageWritable(),
    ]);
  }
}
