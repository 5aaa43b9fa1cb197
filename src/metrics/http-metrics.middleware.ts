import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Metrics } from './metrics.js';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Times every HTTP request to its last byte and records it under the route pattern Express matched
 * (`/status/:request_id`), never the raw URL: ids do not become labels. Unrouted paths share `unmatched`.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: Metrics) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const started = process.hrtime.bigint();
    // This middleware is mounted on a catch-all route: a request no controller route took still shows it.
    const catchAll: unknown = req.route;
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const matched: unknown = req.route;
      const pattern = matched === catchAll ? undefined : (matched as { path?: unknown } | undefined)?.path;
      // A wildcard pattern (a catch-all, such as the one serving Swagger UI's assets) is no route of ours.
      const route =
        typeof pattern === 'string' && !pattern.includes('*') ? `${req.baseUrl}${pattern}` : 'unmatched';
      const method = METHODS.has(req.method) ? req.method : 'other';
      this.metrics.httpRequest(method, route, res.statusCode, seconds);
    });
    next();
  }
}
