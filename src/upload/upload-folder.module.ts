import { Module } from '@nestjs/common';
import { UploadFolder } from './upload-folder.js';

/** This process's upload folder, for the upload module and for multer's storage, which is set up apart. */
@Module({ providers: [UploadFolder], exports: [UploadFolder] })
export class UploadFolderModule {}
