import type { Owner } from '../access/owner.js';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type FindOptionsWhere, Repository } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { describeFailure } from '../common/image-failure-codes.js';
import { Storage } from '../storage/storage.js';
import type { Task } from '../tasks/task.entity.js';
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
    const { images, matching } = await this.imagesOf(task, filter, offset, limit);
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
    task: Task,
    filter: ImageFilter,
    offset: number,
    limit: number,
  ): Promise<{ images: Array<Image & { product: Product }>; matching?: number }> {
    const where = {
      taskId: task.id,
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
      this.matching(task, filter, where),
    ]);
    return { images, matching };
  }

  /**
   * How many of a task's images match the filter (undefined when unfiltered). Queued and failed images
   * have partial indexes by task; done and processing ones have none (an image's claim and outcome would
   * write in it), so those are derived from the task's counters and the queued count rather than
   * counted row by row: at 300,000 done images that count read every one of them.
   */
  private async matching(
    task: Task,
    filter: ImageFilter,
    where: FindOptionsWhere<Image>,
  ): Promise<number | undefined> {
    if (filter.errorCode === undefined) {
      if (filter.status === undefined) return undefined;
      if (filter.status === 'done') return task.processedImages - task.failedImages;
      if (filter.status === 'processing') {
        const queued = await this.images.countBy({ taskId: task.id, status: 'queued' });
        return Math.max(0, task.totalImages - task.processedImages - queued);
      }
    }
    return this.images.countBy(where);
  }
}
