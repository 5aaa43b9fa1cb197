import type { INestApplication } from '@nestjs/common';
import { SwaggerModule } from '@nestjs/swagger';
import { securityHeaders } from './common/security-headers.js';
import type { AppConfig } from './config/app-config.js';
import { createOpenApiDocument } from './openapi/openapi-document.js';

/**
 * What every instance of the HTTP app needs, in production and in tests: security headers, shutdown
 * hooks and, where the role serves the API, the OpenAPI document.
 */
export function setupApp(app: INestApplication, config: AppConfig): INestApplication {
  app.use(securityHeaders());
  app.enableShutdownHooks();
  if (config.role === 'worker') return app;
  SwaggerModule.setup('docs', app, createOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    // Swagger UI would otherwise send the document to validator.swagger.io for a badge.
    swaggerOptions: { validatorUrl: null },
  });
  return app;
}
