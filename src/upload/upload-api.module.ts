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
import { UploadFolder } from './upload-folder.js';
import { UploadFolderModule } from './upload-folder.module.js';
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
      useFactory: (config: AppConfig) => [{ ttl: 60_000, limit: config.access.rateLimitUploadsPerMin }],
    }),
    UploadFolderModule,
    MulterModule.registerAsync({
      imports: [UploadFolderModule],
      inject: [AppConfig, UploadFolder],
      // The file is streamed to a temporary file in this process's folder under DATA_DIR (never held in
      // memory; removed after the request by RemoveUploadedFileInterceptor, or by multer when the upload
      // fails; those a killed process left are removed by UploadFolder at the next start). Multer
      // stops storing it as soon as it passes MAX_CSV_BYTES (413, mapped by UploadFormErrorsInterceptor).
      useFactory: (config: AppConfig, folder: UploadFolder) => ({
        storage: diskStorage({ destination: folder.path }),
        limits: { fileSize: config.limits.maxCsvBytes, files: 1, fields: 10, fieldSize: 64 * 1024 },
        // Browsers and curl send the file name's UTF-8 bytes as they are (busboy would read them as Latin-1).
        defParamCharset: 'utf8',
      }),
    }),
  ],
  controllers: [UploadController],
  providers: [
    UploadService,
    UploadStaging,
    UploadSlots,
    UploadSlotsInterceptor,
    UploadRateLimitGuard,
    StorageWritableGuard,
    UploadTimeoutInterceptor,
  ],
})
export class UploadApiModule {}
