import type { INestApplication } from '@nestjs/common';
import { SwaggerModule } from '@nestjs/swagger';
import { securityHeaders } from './common/security-headers.js';
import { createOpenApiDocument } from './openapi/openapi-document.js';

/** What every instance of the HTTP app needs, in production and in tests: security headers, the OpenAPI document and shutdown hooks. */
export function setupApp(app: INestApplication): INestApplication {
  app.use(securityHeaders());
  SwaggerModule.setup('docs', app, createOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    // Swagger UI would otherwise send the document to validator.swagger.io for a badge.
    swaggerOptions: { validatorUrl: null },
  });
  app.enableShutdownHooks();
  return app;
}
