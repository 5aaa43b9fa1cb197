import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { Image } from '../images/image.entity.js';

/** Which stored output an image's preview is made from. */
@Injectable()
export class PreviewSources {
  /** One short statement (the query builder cost more main-thread time than the query itself). */
  private readonly sql: string;

  constructor(
    @InjectRepository(Image) private readonly images: Repository<Image>,
    config: AppConfig,
  ) {
    this.sql = `SELECT i.output_key AS "outputKey" FROM images i
      WHERE i.id = ${config.database.isPostgres ? '$1' : '?'} AND i.status = 'done' AND i.duplicate_of IS NULL
        AND i.output_key IS NOT NULL AND EXISTS (SELECT 1 FROM tasks t WHERE t.id = i.task_id)`;
  }

  /**
   * The image's output key while it is a done image of a request that exists; else undefined (failed,
   * not done yet, unknown, or its request deleted). A duplicate has none: its preview is its original's.
   */
  async outputKeyOf(imageId: string): Promise<string | undefined> {
    const rows: Array<{ outputKey: string }> = await this.images.query(this.sql, [imageId]);
    return rows[0]?.outputKey;
  }
}
