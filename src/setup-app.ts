import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from './config/app-config.js';

/**
 * What every instance of the HTTP app needs, in production and in tests: shutdown hooks and, where the
 * role serves the API, the OpenAPI document.
 */
export function setupApp(app: INestApplication, config: AppConfig): INestApplication {
  app.enableShutdownHooks();
  if (config.role === 'worker') return app;
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Pixelmill')
      .setDescription(
        'Upload a product CSV of image URLs; every image is fetched, made web-ready (upright, sRGB, JPEG) and hosted.',
      )
      .setVersion('1.0')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}
