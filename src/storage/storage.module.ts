import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { LocalStorage } from './local-storage.js';
import { StorageHealth } from './storage-health.js';
import { Storage } from './storage.js';

/** Output image storage, in every role: the driver STORAGE_DRIVER names, and whether it was last found writable. */
@Global()
@Module({
  providers: [
    {
      provide: Storage,
      inject: [AppConfig],
      // The AWS SDK is loaded only when it is used (importing it costs the local default about a second at start).
      useFactory: async (config: AppConfig): Promise<Storage> =>
        config.storage.driver === 's3'
          ? new (await import('./s3-storage.js')).S3Storage(config)
          : new LocalStorage(config),
    },
    StorageHealth,
  ],
  exports: [Storage, StorageHealth],
})
export class StorageModule {}
