import { Module } from '@nestjs/common';
import { FilesController } from './files.controller.js';

/** GET /files/…: streams outputs from whichever driver is configured, where the role serves the API. */
@Module({ controllers: [FilesController] })
export class FilesApiModule {}
