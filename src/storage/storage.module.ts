import { Global, Module } from '@nestjs/common';
import { FilesController } from './files.controller.js';
import { LocalStorage } from './local-storage.js';
import { Storage } from './storage.js';

/** Output image storage; the local-disk driver serves its own files. */
@Global()
@Module({
  controllers: [FilesController],
  providers: [LocalStorage, { provide: Storage, useExisting: LocalStorage }],
  exports: [Storage],
})
export class StorageModule {}
