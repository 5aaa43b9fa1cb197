import { Global, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { HttpMetricsMiddleware } from './http-metrics.middleware.js';
import { MetricsController } from './metrics.controller.js';
import { Metrics } from './metrics.js';
import { QueueDepthGauge } from './queue-depth-gauge.js';
import { RequestCompletedMetricsListener } from './request-completed-metrics.listener.js';

/** Prometheus metrics at GET /metrics; `Metrics` is what the rest of the code calls. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [Metrics, QueueDepthGauge, RequestCompletedMetricsListener],
  exports: [Metrics],
})
export class MetricsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('{*path}');
  }
}
