import type { Owner } from '../access/owner.js';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { describeFailure } from '../common/image-failure-codes.js';
import { Storage } from '../storage/storage.js';
import { TasksService } from '../tasks/tasks.service.js';
import { ImagePageDto } from './dto/image-status.dto.js';
import { Image, type ImageStatus } from './image.entity.js';
import { previewUrlOf } from './output-key.js';
import { Product } from './product.entity.js';

/** Which of a request's images a page lists: all, or those in a state and/or with an error code. */
export interface ImageFilter {
  status?: ImageStatus;
  errorCode?: string;
}

/** The per-image read model of a request. */
@Injectable()
export class ImageListing {
  constructor(
    private readonly tasks: TasksService,
    @InjectRepository(Image) private readonly images: Repository<Image>,
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
    const { images, matching } = await this.imagesOf(requestId, filter, offset, limit);
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
        reused: image.status === 'done' && image.reused !== null,
        reused_how: image.status === 'done' ? image.reused : null,
        ...(image.status === 'done' &&
          image.renditions && {
            renditions: image.renditions.map(({ spec, key, format, width, height, bytes }) => ({
              spec,
              url: this.storage.publicUrl(key),
              format,
              width,
              height,
              bytes,
            })),
          }),
      })),
    };
  }

  /** One page of a task's images, in CSV order, and how many match the filter in all (when filtered). */
  private async imagesOf(
    taskId: string,
    filter: ImageFilter,
    offset: number,
    limit: number,
  ): Promise<{ images: Array<Image & { product: Product }>; matching?: number }> {
    const filtered = filter.status !== undefined || filter.errorCode !== undefined;
    const where = {
      taskId,
      ...(filter.status !== undefined && { status: filter.status }),
      ...(filter.errorCode !== undefined && { errorCode: filter.errorCode }),
    };
    const query = this.images
      .createQueryBuilder('image')
      .innerJoinAndMapOne(
        'image.product',
        Product,
        'product',
        'product.task_id = image.task_id AND product.row_number = image.row_number',
      )
      .where(where)
      .orderBy('image.row_number', 'ASC')
      .addOrderBy('image.position', 'ASC')
      .offset(offset)
      .limit(limit);
    const [images, matching] = await Promise.all([
      query.getMany() as Promise<Array<Image & { product: Product }>>,
      filtered ? this.images.countBy(where) : undefined,
    ]);
    return { images, matching };
  }
}
