import type { Owner } from '../access/owner.js';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { describeFailure } from '../common/image-failure-codes.js';
import { Storage } from '../storage/storage.js';
import { TasksService } from '../tasks/tasks.service.js';
import { ImagePageDto } from './dto/image-status.dto.js';
import { type ImageFilter, ImagesService } from './images.service.js';
import { previewUrlOf } from './output-key.js';

/** The per-image read model of a request. */
@Injectable()
export class ImageListing {
  constructor(
    private readonly tasks: TasksService,
    private readonly images: ImagesService,
    private readonly storage: Storage,
    private readonly config: AppConfig,
  ) {}

  async page(
    requestId: string,
    owner: Owner,
    filter: ImageFilter,
    offset: number,
    limit: number,
  ): Promise<ImagePageDto> {
    const task = await this.tasks.getOrFail(requestId, owner);
    const { images, matching } = await this.images.listImages(requestId, filter, offset, limit);
    return {
      request_id: requestId,
      total: matching ?? task.totalImages,
      offset,
      limit,
      images: images.map((image) => ({
        serial_number: image.product.serialNumber,
        product_name: image.product.productName,
        input_url: image.inputUrl,
        output_url:
          image.status === 'done' && image.outputKey ? this.storage.publicUrl(image.outputKey) : null,
        // A duplicate shares its original's output, and so its preview.
        thumbnail_url:
          image.status === 'done'
            ? previewUrlOf(this.config.server.publicUrl, image.duplicateOf ?? image.id)
            : null,
        status: image.status,
        error: image.errorCode ? `${image.errorCode}: ${image.errorMessage}` : null,
        error_code: image.errorCode,
        error_explanation: image.errorCode ? describeFailure(image.errorCode).explanation : null,
        input_bytes: image.inputBytes,
        output_bytes: image.outputBytes,
        output_quality: image.outputQuality,
        output_score: image.outputScore,
      })),
    };
  }
}
