import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** What every instance of the HTTP app needs, in production and in tests: the OpenAPI document and shutdown hooks. */
export function setupApp(app: INestApplication): INestApplication {
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
  app.enableShutdownHooks();
  return app;
}
