import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { diskStorage } from 'multer';
import { join } from 'node:path';
import { AppConfig } from '../config/app-config.js';
import { ImagesModule } from '../images/images.module.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { UploadController } from './upload.controller.js';
import { UploadService } from './upload.service.js';
import { UploadSlots } from './upload-slots.js';
import { StorageWritableGuard } from './storage-writable.guard.js';
import { UploadSlotsGuard } from './upload-slots.guard.js';
import { UploadTimeoutInterceptor } from './upload-timeout.interceptor.js';

@Module({
  imports: [
    TasksModule,
    ImagesModule,
    MulterModule.registerAsync({
      inject: [AppConfig],
      // The file is streamed to a temporary file under DATA_DIR (never held in memory; removed after
      // the request by RemoveUploadedFileInterceptor, or by multer when the upload fails). Multer
      // stops storing it as soon as it passes MAX_CSV_BYTES (413, mapped by UploadFormErrorsInterceptor).
      useFactory: (config: AppConfig) => ({
        storage: diskStorage({ destination: join(config.dataDir, 'uploads') }),
        limits: { fileSize: config.maxCsvBytes, files: 1, fields: 10, fieldSize: 64 * 1024 },
      }),
    }),
  ],
  controllers: [UploadController],
  providers: [UploadService, UploadSlots, UploadSlotsGuard, StorageWritableGuard, UploadTimeoutInterceptor],
})
export class UploadModule {}
