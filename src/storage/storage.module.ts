import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { FilesController } from './files.controller.js';
import { LocalStorage } from './local-storage.js';
import { S3Storage } from './s3-storage.js';
import { Storage } from './storage.js';

/** Output image storage: the driver STORAGE_DRIVER names; FilesController streams from it whichever it is. */
@Global()
@Module({
  controllers: [FilesController],
  providers: [
    {
      provide: Storage,
      inject: [AppConfig],
      useFactory: (config: AppConfig): Storage =>
        config.storageDriver === 's3' ? new S3Storage(config) : new LocalStorage(config),
    },
  ],
  exports: [Storage],
})
export class StorageModule {}
