import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { securityHeaders } from './common/security-headers.js';
import type { AppConfig } from './config/app-config.js';
import { DASHBOARD_ASSETS_DIR } from './dashboard/dashboard-files.js';
import { createOpenApiDocument } from './openapi/openapi-document.js';

/**
 * What every instance of the HTTP app needs, in production and in tests: security headers, shutdown
 * hooks and, where the role serves the API, the OpenAPI document and the dashboard's assets.
 */
export function setupApp(app: INestApplication, config: AppConfig): INestApplication {
  app.use(securityHeaders(config));
  app.enableShutdownHooks();
  if (config.server.role === 'worker') return app;
  // Built files named by their content hash: cached for a year, like the outputs.
  (app as NestExpressApplication).useStaticAssets(DASHBOARD_ASSETS_DIR, {
    prefix: '/assets/',
    immutable: true,
    maxAge: '1y',
    index: false,
  });
  SwaggerModule.setup('docs', app, createOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    // Swagger UI would otherwise send the document to validator.swagger.io for a badge.
    swaggerOptions: { validatorUrl: null },
  });
  return app;
}
