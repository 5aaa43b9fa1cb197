import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { type QueueDepth, QueueDepthReader } from '../../metrics/queue-depth-reader.js';

/**
 * The queue's depth, cheap whatever the backlog: the images waiting for a worker from the queue's
 * summary (QueueCounters, a row per owner), those in flight from the partial index of images under a
 * lease. A duplicate waiting for its original's outcome is not counted: no worker will take it.
 */
@Injectable()
export class ImageQueueDepth extends QueueDepthReader {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  async depth(): Promise<QueueDepth> {
    const [row]: Array<{ queued: number | string | null; processing: number | string }> =
      await this.dataSource.query(
        `SELECT (SELECT SUM(queued_images) FROM queue_owners) AS queued,
                (SELECT COUNT(*) FROM images WHERE status = 'processing') AS processing`,
      );
    return { queued: Number(row?.queued ?? 0), processing: Number(row?.processing ?? 0) };
  }
}
