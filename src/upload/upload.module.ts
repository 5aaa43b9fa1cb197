import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { memoryStorage } from 'multer';
import { AppConfig } from '../config/app-config.js';
import { ImagesModule } from '../images/images.module.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { UploadController } from './upload.controller.js';
import { UploadService } from './upload.service.js';

@Module({
  imports: [
    TasksModule,
    ImagesModule,
    MulterModule.registerAsync({
      inject: [AppConfig],
      // Multer stops storing the file as soon as it passes MAX_CSV_BYTES (413, mapped by
      // UploadFormErrorsInterceptor): nothing larger is buffered.
      useFactory: (config: AppConfig) => ({
        storage: memoryStorage(),
        limits: { fileSize: config.maxCsvBytes, files: 1, fields: 10, fieldSize: 64 * 1024 },
      }),
    }),
  ],
  controllers: [UploadController],
  providers: [UploadService],
})
export class UploadModule {}
