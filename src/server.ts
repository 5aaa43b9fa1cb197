import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger as PinoLogger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { AppConfig, ConfigValidationError, loadConfig } from './config/app-config.js';
import { configureSharp } from './images/sharp-settings.js';
import { setupApp } from './setup-app.js';

async function bootstrap(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  configureSharp();
  const app = setupApp(await NestFactory.create(AppModule.forConfig(config), { bufferLogs: true }), config);
  app.useLogger(app.get(PinoLogger));
  await app.listen(config.server.port);
  Logger.log(
    config.server.role === 'worker'
      ? `Pixelmill worker (ROLE=worker) answering on port ${config.server.port}`
      : `Pixelmill (ROLE=${config.server.role}) listening on ${config.server.publicUrl} (API docs at ${config.server.publicUrl}/docs)`,
    'Bootstrap',
  );
}
await bootstrap();
