import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Image } from '../images/image.entity.js';
import { PreviewMaker } from './preview-maker.js';
import { PreviewSources } from './preview-sources.js';
import { PreviewsController } from './previews.controller.js';

/** GET /files/thumbs/…: previews made on first request and stored, where the role serves the API. */
@Module({
  imports: [TypeOrmModule.forFeature([Image])],
  controllers: [PreviewsController],
  providers: [PreviewMaker, PreviewSources],
})
export class PreviewsApiModule {}
