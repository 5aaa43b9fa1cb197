import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Not, Repository } from 'typeorm';
import { Image } from '../images/image.entity.js';

/** Which stored output an image's preview is made from. */
@Injectable()
export class PreviewSources {
  constructor(@InjectRepository(Image) private readonly images: Repository<Image>) {}

  /**
   * The image's output key while it is a done image of a request that exists; else undefined (failed,
   * not done yet, unknown, or its request deleted). A duplicate has none: its preview is its original's.
   */
  async outputKeyOf(imageId: string): Promise<string | undefined> {
    const row = await this.images
      .createQueryBuilder('image')
      .select('image.output_key', 'outputKey')
      .where({ id: imageId, status: 'done', duplicateOf: IsNull(), outputKey: Not(IsNull()) })
      .andWhere('EXISTS (SELECT 1 FROM tasks t WHERE t.id = image.task_id)')
      .getRawOne<{ outputKey: string }>();
    return row?.outputKey;
  }
}
