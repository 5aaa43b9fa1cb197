import { NestFactory } from '@nestjs/core';
import { writeFile } from 'node:fs/promises';
import { AppModule } from './app.module.js';
import { loadConfig } from './config/app-config.js';
import { createOpenApiDocument } from './openapi/openapi-document.js';

/**
 * `npm run openapi`: writes the OpenAPI document (default `openapi.json`) from the built app, without
 * listening and without touching a database (preview mode builds the module graph, instantiates nothing),
 * with the default configuration whatever the environment: the API does not depend on it.
 */
const output = process.argv[2] ?? 'openapi.json';
const app = await NestFactory.create(AppModule.forConfig(loadConfig({})), {
  preview: true,
  logger: ['error'],
});
await writeFile(output, `${JSON.stringify(createOpenApiDocument(app), null, 2)}\n`);
await app.close();
console.log(`wrote ${output}`);
