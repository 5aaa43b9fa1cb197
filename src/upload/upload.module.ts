import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { ThrottlerModule } from '@nestjs/throttler';
import { diskStorage } from 'multer';
import { AppConfig } from '../config/app-config.js';
import { ImagesModule } from '../images/images.module.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { UploadController } from './upload.controller.js';
import { UploadService } from './upload.service.js';
import { UploadSlots } from './upload-slots.js';
import { UploadStaging } from './upload-staging.js';
import { StaleUploadFiles, uploadsDir } from './stale-upload-files.js';
import { StorageWritableGuard } from './storage-writable.guard.js';
import { UploadRateLimitGuard } from './upload-rate-limit.guard.js';
import { UploadSlotsInterceptor } from './upload-slots.interceptor.js';
import { UploadTimeoutInterceptor } from './upload-timeout.interceptor.js';

@Module({
  imports: [
    TasksModule,
    ImagesModule,
    ThrottlerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => [{ ttl: 60_000, limit: config.rateLimitUploadsPerMin }],
    }),
    MulterModule.registerAsync({
      inject: [AppConfig],
      // The file is streamed to a temporary file under DATA_DIR (never held in memory; removed after
      // the request by RemoveUploadedFileInterceptor, or by multer when the upload fails; those a killed
      // process left are removed at the next start by StaleUploadFiles). Multer
      // stops storing it as soon as it passes MAX_CSV_BYTES (413, mapped by UploadFormErrorsInterceptor).
      useFactory: (config: AppConfig) => ({
        storage: diskStorage({ destination: uploadsDir(config) }),
        limits: { fileSize: config.maxCsvBytes, files: 1, fields: 10, fieldSize: 64 * 1024 },
        // Browsers and curl send the file name's UTF-8 bytes as they are (busboy would read them as Latin-1).
        defParamCharset: 'utf8',
      }),
    }),
  ],
  controllers: [UploadController],
  providers: [
    UploadService,
    UploadStaging,
    StaleUploadFiles,
    UploadSlots,
    UploadSlotsInterceptor,
    UploadRateLimitGuard,
    StorageWritableGuard,
    UploadTimeoutInterceptor,
  ],
})
export class UploadModule {}
